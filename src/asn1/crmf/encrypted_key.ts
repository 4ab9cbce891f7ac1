import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { EnvelopedData } from '../cms/enveloped_data';
import { AlgorithmIdentifier, GeneralName } from '@peculiar/asn1-x509';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';

/**
 * ```asn1
 * EncryptedValue ::= SEQUENCE {
 *   intendedAlg   [0] AlgorithmIdentifier  OPTIONAL,
 *   symmAlg       [1] AlgorithmIdentifier  OPTIONAL,
 *   encSymmKey    [2] BIT STRING           OPTIONAL,
 *   keyAlg        [3] AlgorithmIdentifier  OPTIONAL,
 *   valueHint     [4] OCTET STRING         OPTIONAL,
 *   encValue       BIT STRING }
 * ```
 * RFC 4211 section 2.2 (deprecated in favour of EnvelopedData; implicit tags).
 */
export class EncryptedValue {
  @AsnProp({ type: AlgorithmIdentifier, context: 0, implicit: true, optional: true })
  public intendedAlg?: AlgorithmIdentifier;

  @AsnProp({ type: AlgorithmIdentifier, context: 1, implicit: true, optional: true })
  public symmAlg?: AlgorithmIdentifier;

  @AsnProp({ type: AsnPropTypes.BitString, context: 2, implicit: true, optional: true })
  public encSymmKey?: ArrayBuffer;

  @AsnProp({ type: AlgorithmIdentifier, context: 3, implicit: true, optional: true })
  public keyAlg?: AlgorithmIdentifier;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 4, implicit: true, optional: true })
  public valueHint?: ArrayBuffer;

  @AsnProp({ type: AsnPropTypes.BitString })
  public encValue = new ArrayBuffer(0);

  public constructor(params: Partial<EncryptedValue> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * EncryptedKey ::= CHOICE {
 *   encryptedValue        EncryptedValue,   -- Deprecated
 *   envelopedData     [0] EnvelopedData }
 * ```
 * RFC 4211 section 4.2 as updated by RFC 9480 (implicit tag on envelopedData).
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class EncryptedKey {
  @AsnProp({ type: EncryptedValue, optional: true })
  public encryptedValue?: EncryptedValue;

  @AsnProp({ type: EnvelopedData, context: 0, implicit: true, optional: true })
  public envelopedData?: EnvelopedData;

  public constructor(params: Partial<EncryptedKey> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * identifier CHOICE {
 *   string             UTF8String,
 *   generalName        GeneralName }
 * ```
 * The unnamed CHOICE of EncKeyWithID.identifier.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class EncKeyWithIDIdentifier {
  @AsnProp({ type: AsnPropTypes.Utf8String })
  public string?: string;

  @AsnProp({ type: GeneralName })
  public generalName?: GeneralName;

  public constructor(params: Partial<EncKeyWithIDIdentifier> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * EncKeyWithID ::= SEQUENCE {
 *   privateKey           PrivateKeyInfo,
 *   identifier CHOICE {
 *     string             UTF8String,
 *     generalName        GeneralName
 *   } OPTIONAL }
 * ```
 * RFC 4211 section 4.4, content type id-ct-encKeyWithID.
 */
export class EncKeyWithID {
  @AsnProp({ type: PrivateKeyInfo })
  public privateKey = new PrivateKeyInfo();

  @AsnProp({ type: EncKeyWithIDIdentifier, optional: true })
  public identifier?: EncKeyWithIDIdentifier;

  public constructor(params: Partial<EncKeyWithID> = {}) {
    Object.assign(this, params);
  }
}
