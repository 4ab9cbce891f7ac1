import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { BigIntConverter } from '../converters';
import { PKIStatusInfo } from './status';

/**
 * ```asn1
 * CertStatus ::= SEQUENCE {
 *   certHash    OCTET STRING,
 *   certReqId   INTEGER,
 *   statusInfo  PKIStatusInfo OPTIONAL,
 *   hashAlg [0] AlgorithmIdentifier{DIGEST-ALGORITHM, {...}} OPTIONAL }
 * ```
 * RFC 9810 section 5.3.18 (hashAlg was added for cmp2021).
 */
export class CertStatus {
  @AsnProp({ type: AsnPropTypes.OctetString })
  public certHash = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public certReqId = 0n;

  @AsnProp({ type: PKIStatusInfo, optional: true })
  public statusInfo?: PKIStatusInfo;

  @AsnProp({ type: AlgorithmIdentifier, context: 0, optional: true })
  public hashAlg?: AlgorithmIdentifier;

  public constructor(params: Partial<CertStatus> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertConfirmContent ::= SEQUENCE OF CertStatus
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CertStatus })
export class CertConfirmContent extends AsnArray<CertStatus> {
  public constructor(items?: CertStatus[]) {
    super(items);
    Object.setPrototypeOf(this, CertConfirmContent.prototype);
  }
}

/**
 * ```asn1
 * PKIConfirmContent ::= NULL
 * ```
 * RFC 9810 section 5.3.17; the pkiconf body holds `null`.
 */
export type PKIConfirmContent = null;
