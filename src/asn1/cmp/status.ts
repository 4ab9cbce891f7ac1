import { AsnProp, AsnPropTypes, BitString } from '@peculiar/asn1-schema';
import { CmpError, ErrorCodes } from '../../errors';
import { SmallIntegerConverter } from '../converters';
import { PKIFreeText } from './free_text';

/**
 * ```asn1
 * PKIStatus ::= INTEGER {
 *   accepted               (0),
 *   grantedWithMods        (1),
 *   rejection              (2),
 *   waiting                (3),
 *   revocationWarning      (4),
 *   revocationNotification (5),
 *   keyUpdateWarning       (6) }
 * ```
 * RFC 9810 section 5.2.3.
 */
export const PKIStatus = {
  accepted: 0,
  grantedWithMods: 1,
  rejection: 2,
  waiting: 3,
  revocationWarning: 4,
  revocationNotification: 5,
  keyUpdateWarning: 6,
} as const;
export type PKIStatus = number;

const statusNames = Object.keys(PKIStatus) as (keyof typeof PKIStatus)[];

/** The RFC name of a PKIStatus value, or undefined for a value the RFC does not define. */
export function pkiStatusName(status: number): keyof typeof PKIStatus | undefined {
  return statusNames.find((n) => PKIStatus[n] === status);
}

/** PKIFailureInfo bit names; the index is the bit number (RFC 9810 section 5.2.3). */
export const PKI_FAILURE_INFO_NAMES = [
  'badAlg',
  'badMessageCheck',
  'badRequest',
  'badTime',
  'badCertId',
  'badDataFormat',
  'wrongAuthority',
  'incorrectData',
  'missingTimeStamp',
  'badPOP',
  'certRevoked',
  'certConfirmed',
  'wrongIntegrity',
  'badRecipientNonce',
  'timeNotAvailable',
  'unacceptedPolicy',
  'unacceptedExtension',
  'addInfoNotAvailable',
  'badSenderNonce',
  'badCertTemplate',
  'signerNotTrusted',
  'transactionIdInUse',
  'unsupportedVersion',
  'notAuthorized',
  'systemUnavail',
  'systemFailure',
  'duplicateCertReq',
] as const;
export type PKIFailureInfoName = (typeof PKI_FAILURE_INFO_NAMES)[number];

/**
 * ```asn1
 * PKIFailureInfo ::= BIT STRING {
 *   badAlg (0), badMessageCheck (1), badRequest (2), badTime (3), badCertId (4),
 *   badDataFormat (5), wrongAuthority (6), incorrectData (7), missingTimeStamp (8), badPOP (9),
 *   certRevoked (10), certConfirmed (11), wrongIntegrity (12), badRecipientNonce (13),
 *   timeNotAvailable (14), unacceptedPolicy (15), unacceptedExtension (16),
 *   addInfoNotAvailable (17), badSenderNonce (18), badCertTemplate (19), signerNotTrusted (20),
 *   transactionIdInUse (21), unsupportedVersion (22), notAuthorized (23), systemUnavail (24),
 *   systemFailure (25), duplicateCertReq (26) }
 * ```
 * RFC 9810 section 5.2.3. Bit 0 is the most significant bit of the first octet.
 */
export class PKIFailureInfo extends BitString {
  public static readonly names = PKI_FAILURE_INFO_NAMES;

  /** Named bits in DER form: trailing zero bits dropped, as X.690 11.2.2 requires. */
  public static fromNames(names: readonly string[]): PKIFailureInfo {
    const bits = names.map((name) => {
      const bit = (PKI_FAILURE_INFO_NAMES as readonly string[]).indexOf(name);
      if (bit < 0) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `unknown PKIFailureInfo bit name '${name}'`);
      return bit;
    });
    return PKIFailureInfo.fromBits(bits);
  }

  public static fromBits(bits: readonly number[]): PKIFailureInfo {
    const info = new PKIFailureInfo();
    if (bits.length === 0) return info;
    const highest = Math.max(...bits);
    const octets = new Uint8Array((highest >> 3) + 1);
    for (const bit of bits) octets[bit >> 3] |= 0x80 >> (bit & 7);
    info.value = octets.buffer;
    info.unusedBits = 7 - (highest & 7);
    return info;
  }

  /** Numbers of the bits that are set, ascending. */
  public bits(): number[] {
    const octets = new Uint8Array(this.value);
    const total = octets.length * 8 - (octets.length ? this.unusedBits : 0);
    const out: number[] = [];
    for (let bit = 0; bit < total; bit++) if (octets[bit >> 3] & (0x80 >> (bit & 7))) out.push(bit);
    return out;
  }

  /** Names of the bits that are set; a bit the RFC does not name reads `bit<N>`. */
  public toNames(): string[] {
    return this.bits().map((bit) => PKI_FAILURE_INFO_NAMES[bit] ?? `bit${bit}`);
  }

  public has(name: PKIFailureInfoName): boolean {
    return this.bits().includes(PKI_FAILURE_INFO_NAMES.indexOf(name));
  }
}

/**
 * ```asn1
 * PKIStatusInfo ::= SEQUENCE {
 *   status        PKIStatus,
 *   statusString  PKIFreeText     OPTIONAL,
 *   failInfo      PKIFailureInfo  OPTIONAL }
 * ```
 * RFC 9810 section 5.2.3.
 */
export class PKIStatusInfo {
  @AsnProp({ type: AsnPropTypes.Integer, converter: SmallIntegerConverter })
  public status: PKIStatus = PKIStatus.accepted;

  @AsnProp({ type: PKIFreeText, optional: true })
  public statusString?: PKIFreeText;

  @AsnProp({ type: PKIFailureInfo, optional: true })
  public failInfo?: PKIFailureInfo;

  public constructor(params: Partial<PKIStatusInfo> = {}) {
    Object.assign(this, params);
  }
}
