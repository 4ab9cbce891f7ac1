import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, BitString } from '@peculiar/asn1-schema';
import { EnvelopedData } from '../cms/enveloped_data';
import { AlgorithmIdentifier, GeneralName, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { SmallIntegerConverter } from '../converters';

/**
 * ```asn1
 * PKMACValue ::= SEQUENCE {
 *   algId  AlgorithmIdentifier,
 *   value  BIT STRING }
 * ```
 * RFC 4211 section 4.1; RFC 9810 section 5.2.8.3 (agreeMAC).
 */
export class PKMACValue {
  @AsnProp({ type: AlgorithmIdentifier })
  public algId = new AlgorithmIdentifier();

  @AsnProp({ type: AsnPropTypes.BitString })
  public value = new ArrayBuffer(0);

  public constructor(params: Partial<PKMACValue> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * authInfo CHOICE {
 *   sender              [0] GeneralName,
 *   publicKeyMAC        PKMACValue }
 * ```
 * The unnamed CHOICE of POPOSigningKeyInput.authInfo (GeneralName is a CHOICE: explicit tag).
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class POPOSigningKeyInputAuthInfo {
  @AsnProp({ type: GeneralName, context: 0 })
  public sender?: GeneralName;

  @AsnProp({ type: PKMACValue, optional: true })
  public publicKeyMAC?: PKMACValue;

  public constructor(params: Partial<POPOSigningKeyInputAuthInfo> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * POPOSigningKeyInput ::= SEQUENCE {
 *   authInfo            CHOICE {
 *     sender              [0] GeneralName,
 *     publicKeyMAC        PKMACValue },
 *   publicKey           SubjectPublicKeyInfo }
 * ```
 * RFC 4211 section 4.1.
 */
export class POPOSigningKeyInput {
  @AsnProp({ type: POPOSigningKeyInputAuthInfo })
  public authInfo = new POPOSigningKeyInputAuthInfo();

  @AsnProp({ type: SubjectPublicKeyInfo })
  public publicKey = new SubjectPublicKeyInfo();

  public constructor(params: Partial<POPOSigningKeyInput> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * POPOSigningKey ::= SEQUENCE {
 *   poposkInput           [0] POPOSigningKeyInput OPTIONAL,
 *   algorithmIdentifier   AlgorithmIdentifier,
 *   signature             BIT STRING }
 * ```
 * RFC 4211 section 4.1.
 */
export class POPOSigningKey {
  @AsnProp({ type: POPOSigningKeyInput, context: 0, implicit: true, optional: true })
  public poposkInput?: POPOSigningKeyInput;

  @AsnProp({ type: AlgorithmIdentifier })
  public algorithmIdentifier = new AlgorithmIdentifier();

  @AsnProp({ type: AsnPropTypes.BitString })
  public signature = new ArrayBuffer(0);

  public constructor(params: Partial<POPOSigningKey> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * SubsequentMessage ::= INTEGER {
 *   encrCert (0),
 *   challengeResp (1) }
 * ```
 */
export const SubsequentMessage = { encrCert: 0, challengeResp: 1 } as const;
export type SubsequentMessage = (typeof SubsequentMessage)[keyof typeof SubsequentMessage];

/**
 * ```asn1
 * POPOPrivKey ::= CHOICE {
 *   thisMessage       [0] BIT STRING,         -- Deprecated
 *   subsequentMessage [1] SubsequentMessage,
 *   dhMAC             [2] BIT STRING,         -- Deprecated
 *   agreeMAC          [3] PKMACValue,
 *   encryptedKey      [4] EnvelopedData }
 * ```
 * RFC 4211 section 4.2, RFC 9810 section 5.2.8.3 (implicit tags).
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class POPOPrivKey {
  @AsnProp({ type: BitString, context: 0, implicit: true })
  public thisMessage?: BitString;

  @AsnProp({ type: AsnPropTypes.Integer, context: 1, implicit: true, converter: SmallIntegerConverter })
  public subsequentMessage?: number;

  @AsnProp({ type: BitString, context: 2, implicit: true })
  public dhMAC?: BitString;

  @AsnProp({ type: PKMACValue, context: 3, implicit: true })
  public agreeMAC?: PKMACValue;

  @AsnProp({ type: EnvelopedData, context: 4, implicit: true })
  public encryptedKey?: EnvelopedData;

  public constructor(params: Partial<POPOPrivKey> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * ProofOfPossession ::= CHOICE {
 *   raVerified        [0] NULL,
 *   signature         [1] POPOSigningKey,
 *   keyEncipherment   [2] POPOPrivKey,
 *   keyAgreement      [3] POPOPrivKey }
 * ```
 * RFC 4211 section 4 (POPOPrivKey is a CHOICE, so [2] and [3] are explicit). `raVerified` is
 * `null` when chosen.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class ProofOfPossession {
  @AsnProp({ type: AsnPropTypes.Null, context: 0, implicit: true })
  public raVerified?: null;

  @AsnProp({ type: POPOSigningKey, context: 1, implicit: true })
  public signature?: POPOSigningKey;

  @AsnProp({ type: POPOPrivKey, context: 2 })
  public keyEncipherment?: POPOPrivKey;

  @AsnProp({ type: POPOPrivKey, context: 3 })
  public keyAgreement?: POPOPrivKey;

  public constructor(params: Partial<ProofOfPossession> = {}) {
    Object.assign(this, params);
  }
}
