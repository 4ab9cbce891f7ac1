import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { BigIntConverter } from '../converters';
import { PKIFreeText } from './free_text';

export { PBMParameter } from '../crmf/pbm_parameter';

/**
 * ```asn1
 * DHBMParameter ::= SEQUENCE {
 *   owf                 AlgorithmIdentifier{DIGEST-ALGORITHM, {...}},
 *   mac                 AlgorithmIdentifier{MAC-ALGORITHM, {...}} }
 * ```
 * Parameters of id-DHBasedMac (RFC 9810 section 5.1.3.2).
 */
export class DHBMParameter {
  @AsnProp({ type: AlgorithmIdentifier })
  public owf = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  public mac = new AlgorithmIdentifier();

  public constructor(params: Partial<DHBMParameter> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * KemBMParameter ::= SEQUENCE {
 *   kdf              AlgorithmIdentifier{KEY-DERIVATION, {...}},
 *   kemContext   [0] OCTET STRING OPTIONAL,
 *   len              INTEGER (1..MAX),
 *   mac              AlgorithmIdentifier{MAC-ALGORITHM, {...}} }
 * ```
 * Parameters of id-KemBasedMac (RFC 9810 section 5.1.3.4).
 */
export class KemBMParameter {
  @AsnProp({ type: AlgorithmIdentifier })
  public kdf = new AlgorithmIdentifier();

  @AsnProp({ type: AsnPropTypes.OctetString, context: 0, optional: true })
  public kemContext?: ArrayBuffer;

  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public len = 0n;

  @AsnProp({ type: AlgorithmIdentifier })
  public mac = new AlgorithmIdentifier();

  public constructor(params: Partial<KemBMParameter> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * KemOtherInfo ::= SEQUENCE {
 *   staticString     PKIFreeText,   -- MUST be "CMP-KEM"
 *   transactionID    OCTET STRING,
 *   kemContext   [0] OCTET STRING OPTIONAL }
 * ```
 * RFC 9810 section 5.1.3.4, the KDF's context input.
 */
export class KemOtherInfo {
  @AsnProp({ type: PKIFreeText })
  public staticString = new PKIFreeText(['CMP-KEM']);

  @AsnProp({ type: AsnPropTypes.OctetString })
  public transactionID = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.OctetString, context: 0, optional: true })
  public kemContext?: ArrayBuffer;

  public constructor(params: Partial<KemOtherInfo> = {}) {
    Object.assign(this, params);
  }
}
