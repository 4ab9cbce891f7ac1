/**
 * EnvelopedData with its RecipientInfo CHOICE, as RFC 5652 defines them. @peculiar/asn1-cms 2.x tags
 * PasswordRecipientInfo.keyDerivationAlgorithm [0] EXPLICIT, but the CMS module uses IMPLICIT TAGS, so
 * its EnvelopedData neither reads what OpenSSL writes for a password recipient nor writes what OpenSSL
 * reads. These classes are that library's with the one tag corrected; the other parts are reused.
 */
import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes, OctetString } from '@peculiar/asn1-schema';
import {
  CMSVersion,
  EncryptedContentInfo,
  KEKRecipientInfo,
  KeyAgreeRecipientInfo,
  KeyDerivationAlgorithmIdentifier,
  KeyEncryptionAlgorithmIdentifier,
  KeyTransRecipientInfo,
  OriginatorInfo,
  OtherRecipientInfo,
  UnprotectedAttributes,
} from '@peculiar/asn1-cms';

/**
 * ```asn1
 * PasswordRecipientInfo ::= SEQUENCE {
 *   version CMSVersion,   -- always set to 0
 *   keyDerivationAlgorithm [0] KeyDerivationAlgorithmIdentifier OPTIONAL,
 *   keyEncryptionAlgorithm KeyEncryptionAlgorithmIdentifier,
 *   encryptedKey EncryptedKey }
 * ```
 */
export class PasswordRecipientInfo {
  @AsnProp({ type: AsnPropTypes.Integer })
  public version = CMSVersion.v0;

  @AsnProp({ type: KeyDerivationAlgorithmIdentifier, context: 0, implicit: true, optional: true })
  public keyDerivationAlgorithm?: KeyDerivationAlgorithmIdentifier;

  @AsnProp({ type: KeyEncryptionAlgorithmIdentifier })
  public keyEncryptionAlgorithm = new KeyEncryptionAlgorithmIdentifier();

  @AsnProp({ type: OctetString })
  public encryptedKey = new OctetString();

  public constructor(params: Partial<PasswordRecipientInfo> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * RecipientInfo ::= CHOICE {
 *   ktri KeyTransRecipientInfo,
 *   kari [1] KeyAgreeRecipientInfo,
 *   kekri [2] KEKRecipientInfo,
 *   pwri [3] PasswordRecipientInfo,
 *   ori [4] OtherRecipientInfo }
 * ```
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class RecipientInfo {
  @AsnProp({ type: KeyTransRecipientInfo, optional: true })
  public ktri?: KeyTransRecipientInfo;

  @AsnProp({ type: KeyAgreeRecipientInfo, context: 1, implicit: true, optional: true })
  public kari?: KeyAgreeRecipientInfo;

  @AsnProp({ type: KEKRecipientInfo, context: 2, implicit: true, optional: true })
  public kekri?: KEKRecipientInfo;

  @AsnProp({ type: PasswordRecipientInfo, context: 3, implicit: true, optional: true })
  public pwri?: PasswordRecipientInfo;

  @AsnProp({ type: OtherRecipientInfo, context: 4, implicit: true, optional: true })
  public ori?: OtherRecipientInfo;

  public constructor(params: Partial<RecipientInfo> = {}) {
    Object.assign(this, params);
  }
}

/** `RecipientInfos ::= SET SIZE (1..MAX) OF RecipientInfo` */
@AsnType({ type: AsnTypeTypes.Set, itemType: RecipientInfo })
export class RecipientInfos extends AsnArray<RecipientInfo> {
  constructor(items?: RecipientInfo[]) {
    super(items);
    Object.setPrototypeOf(this, RecipientInfos.prototype);
  }
}

/**
 * ```asn1
 * EnvelopedData ::= SEQUENCE {
 *   version CMSVersion,
 *   originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL,
 *   recipientInfos RecipientInfos,
 *   encryptedContentInfo EncryptedContentInfo,
 *   unprotectedAttrs [1] IMPLICIT UnprotectedAttributes OPTIONAL }
 * ```
 */
export class EnvelopedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  public version = CMSVersion.v0;

  @AsnProp({ type: OriginatorInfo, context: 0, implicit: true, optional: true })
  public originatorInfo?: OriginatorInfo;

  @AsnProp({ type: RecipientInfos })
  public recipientInfos = new RecipientInfos();

  @AsnProp({ type: EncryptedContentInfo })
  public encryptedContentInfo = new EncryptedContentInfo();

  @AsnProp({ type: UnprotectedAttributes, context: 1, implicit: true, optional: true })
  public unprotectedAttrs?: UnprotectedAttributes;

  public constructor(params: Partial<EnvelopedData> = {}) {
    Object.assign(this, params);
  }
}
