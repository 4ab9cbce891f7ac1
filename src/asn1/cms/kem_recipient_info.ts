/**
 * KEMRecipientInfo (RFC 9629): the RecipientInfo for key encapsulation mechanisms such as ML-KEM,
 * carried in OtherRecipientInfo with oriType id-ori-kem.
 */
import { AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { CMSVersion, RecipientIdentifier } from '@peculiar/asn1-cms';

/** id-ori-kem: { id-ori 3 }, id-ori being 1.2.840.113549.1.9.16.13. */
export const idOriKem = '1.2.840.113549.1.9.16.13.3';

/**
 * ```asn1
 * KEMRecipientInfo ::= SEQUENCE {
 *   version CMSVersion,  -- always set to 0
 *   rid RecipientIdentifier,
 *   kem KEMAlgorithmIdentifier,
 *   kemct OCTET STRING,
 *   kdf KeyDerivationAlgorithmIdentifier,
 *   kekLength INTEGER (1..65535),
 *   ukm [0] EXPLICIT UserKeyingMaterial OPTIONAL,
 *   wrap KeyEncryptionAlgorithmIdentifier,
 *   encryptedKey EncryptedKey }
 * ```
 */
export class KEMRecipientInfo {
  @AsnProp({ type: AsnPropTypes.Integer })
  public version = CMSVersion.v0;

  @AsnProp({ type: RecipientIdentifier })
  public rid = new RecipientIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  public kem = new AlgorithmIdentifier();

  @AsnProp({ type: OctetString })
  public kemct = new OctetString();

  @AsnProp({ type: AlgorithmIdentifier })
  public kdf = new AlgorithmIdentifier();

  @AsnProp({ type: AsnPropTypes.Integer })
  public kekLength = 0;

  @AsnProp({ type: OctetString, context: 0, optional: true })
  public ukm?: OctetString;

  @AsnProp({ type: AlgorithmIdentifier })
  public wrap = new AlgorithmIdentifier();

  @AsnProp({ type: OctetString })
  public encryptedKey = new OctetString();

  public constructor(params: Partial<KEMRecipientInfo> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CMSORIforKEMOtherInfo ::= SEQUENCE {
 *   wrap KeyEncryptionAlgorithmIdentifier,
 *   kekLength INTEGER (1..65535),
 *   ukm [0] EXPLICIT UserKeyingMaterial OPTIONAL }
 * ```
 * RFC 9629 section 5: the KDF's info input.
 */
export class CMSORIforKEMOtherInfo {
  @AsnProp({ type: AlgorithmIdentifier })
  public wrap = new AlgorithmIdentifier();

  @AsnProp({ type: AsnPropTypes.Integer })
  public kekLength = 0;

  @AsnProp({ type: OctetString, context: 0, optional: true })
  public ukm?: OctetString;

  public constructor(params: Partial<CMSORIforKEMOtherInfo> = {}) {
    Object.assign(this, params);
  }
}
