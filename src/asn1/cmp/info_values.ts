/**
 * Types of the InfoTypeAndValue values that RFC 9480 and RFC 9810 define (section 5.3.19), and
 * the table from id-it OID to value type. Use `decodeInfoValue` / `encodeInfoValue` (codec.ts)
 * to move between these and `InfoTypeAndValue.infoValue`.
 */
import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CertificateList, DistributionPointName, GeneralNames, Time } from '@peculiar/asn1-x509';
import { AttributeTypeAndValue, Controls } from '../crmf/attribute';
import { CertTemplate } from '../crmf/cert_template';
import { EncryptedKey } from '../crmf/encrypted_key';
import { CmpOids } from '../oids';
import { CAKeyUpdAnnContent } from './announcement';
import { RootCaKeyUpdateContent } from './root_ca_key_update';

/**
 * ```asn1
 * CaCertsValue ::= SEQUENCE SIZE (1..MAX) OF CMPCertificate   -- id-it-caCerts
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: Certificate })
export class CaCertsValue extends AsnArray<Certificate> {
  public constructor(items?: Certificate[]) {
    super(items);
    Object.setPrototypeOf(this, CaCertsValue.prototype);
  }
}

/**
 * ```asn1
 * CertReqTemplateContent ::= SEQUENCE {
 *   certTemplate           CertTemplate,
 *   keySpec                Controls OPTIONAL }
 * CertReqTemplateValue ::= CertReqTemplateContent   -- id-it-certReqTemplate
 * ```
 * RFC 9810 section 5.3.19.16.
 */
export class CertReqTemplateContent {
  @AsnProp({ type: CertTemplate })
  public certTemplate = new CertTemplate();

  @AsnProp({ type: Controls, optional: true })
  public keySpec?: Controls;

  public constructor(params: Partial<CertReqTemplateContent> = {}) {
    Object.assign(this, params);
  }
}
export const CertReqTemplateValue = CertReqTemplateContent;
export type CertReqTemplateValue = CertReqTemplateContent;

/**
 * ```asn1
 * AltCertTemplate ::= AttributeTypeAndValue   -- id-regCtrl-altCertTemplate
 * AlgIdCtrl ::= AlgorithmIdentifier{ALGORITHM, {...}}   -- id-regCtrl-algId
 * RsaKeyLenCtrl ::= INTEGER (1..MAX)   -- id-regCtrl-rsaKeyLen
 * ```
 */
export const AltCertTemplate = AttributeTypeAndValue;
export type AltCertTemplate = AttributeTypeAndValue;
export const AlgIdCtrl = AlgorithmIdentifier;
export type AlgIdCtrl = AlgorithmIdentifier;
export type RsaKeyLenCtrl = bigint;

/**
 * ```asn1
 * CRLSource ::= CHOICE {
 *   dpn          [0] DistributionPointName,
 *   issuer       [1] GeneralNames }
 * ```
 * RFC 9810 section 5.3.19.17.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class CRLSource {
  @AsnProp({ type: DistributionPointName, context: 0 })
  public dpn?: DistributionPointName;

  @AsnProp({ type: GeneralNames, context: 1 })
  public issuer?: GeneralNames;

  public constructor(params: Partial<CRLSource> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CRLStatus ::= SEQUENCE {
 *   source       CRLSource,
 *   thisUpdate   Time OPTIONAL }
 * ```
 * RFC 9810 section 5.3.19.17.
 */
export class CRLStatus {
  @AsnProp({ type: CRLSource })
  public source = new CRLSource();

  @AsnProp({ type: Time, optional: true })
  public thisUpdate?: Time;

  public constructor(params: Partial<CRLStatus> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CRLStatusListValue ::= SEQUENCE SIZE (1..MAX) OF CRLStatus   -- id-it-crlStatusList
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CRLStatus })
export class CRLStatusListValue extends AsnArray<CRLStatus> {
  public constructor(items?: CRLStatus[]) {
    super(items);
    Object.setPrototypeOf(this, CRLStatusListValue.prototype);
  }
}

/**
 * ```asn1
 * CRLsValue ::= SEQUENCE SIZE (1..MAX) OF CertificateList   -- id-it-crls
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CertificateList })
export class CRLsValue extends AsnArray<CertificateList> {
  public constructor(items?: CertificateList[]) {
    super(items);
    Object.setPrototypeOf(this, CRLsValue.prototype);
  }
}

/**
 * ```asn1
 * CertProfileValue ::= SEQUENCE SIZE (1..MAX) OF UTF8String   -- id-it-certProfile
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Utf8String })
export class CertProfileValue extends AsnArray<string> {
  public constructor(items?: string[]) {
    super(items);
    Object.setPrototypeOf(this, CertProfileValue.prototype);
  }
}

/**
 * ```asn1
 * SuppLangTagsValue ::= SEQUENCE OF UTF8String   -- id-it-suppLangTags
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Utf8String })
export class SuppLangTagsValue extends AsnArray<string> {
  public constructor(items?: string[]) {
    super(items);
    Object.setPrototypeOf(this, SuppLangTagsValue.prototype);
  }
}

/**
 * ```asn1
 * UnsupportedOIDsValue ::= SEQUENCE SIZE (1..MAX) OF OBJECT IDENTIFIER   -- id-it-unsupportedOIDs
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.ObjectIdentifier })
export class UnsupportedOIDsValue extends AsnArray<string> {
  public constructor(items?: string[]) {
    super(items);
    Object.setPrototypeOf(this, UnsupportedOIDsValue.prototype);
  }
}

/**
 * ```asn1
 * SignKeyPairTypesValue ::= SEQUENCE SIZE (1..MAX) OF AlgorithmIdentifier{{...}}
 * EncKeyPairTypesValue  ::= SEQUENCE SIZE (1..MAX) OF AlgorithmIdentifier{{...}}
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AlgorithmIdentifier })
export class SignKeyPairTypesValue extends AsnArray<AlgorithmIdentifier> {
  public constructor(items?: AlgorithmIdentifier[]) {
    super(items);
    Object.setPrototypeOf(this, SignKeyPairTypesValue.prototype);
  }
}
export const EncKeyPairTypesValue = SignKeyPairTypesValue;
export type EncKeyPairTypesValue = SignKeyPairTypesValue;

/**
 * ```asn1
 * KemCiphertextInfo ::= SEQUENCE {
 *   kem              AlgorithmIdentifier{KEM-ALGORITHM, {...}},
 *   ct               OCTET STRING }
 * KemCiphertextInfoValue ::= KemCiphertextInfo   -- id-it-KemCiphertextInfo
 * ```
 * RFC 9810 section 5.1.1.5.
 */
export class KemCiphertextInfo {
  @AsnProp({ type: AlgorithmIdentifier })
  public kem = new AlgorithmIdentifier();

  @AsnProp({ type: AsnPropTypes.OctetString })
  public ct = new ArrayBuffer(0);

  public constructor(params: Partial<KemCiphertextInfo> = {}) {
    Object.assign(this, params);
  }
}

/** A value type asn1-schema can parse: a decorated class or one that converts itself. */
export type InfoValueType = new () => object;

/**
 * The value types of the id-it OIDs whose value is a structure. The others are primitives:
 * implicitConfirm (NULL), confirmWaitTime (GeneralizedTime), keyPairParamReq (OBJECT IDENTIFIER);
 * origPKIMessage (PKIMessages) is resolved in codec.ts to avoid an import cycle.
 */
export const infoValueTypes: Readonly<Record<string, InfoValueType>> = {
  [CmpOids.idItCaProtEncCert]: Certificate,
  [CmpOids.idItSignKeyPairTypes]: SignKeyPairTypesValue,
  [CmpOids.idItEncKeyPairTypes]: SignKeyPairTypesValue,
  [CmpOids.idItPreferredSymmAlg]: AlgorithmIdentifier,
  [CmpOids.idItCaKeyUpdateInfo]: CAKeyUpdAnnContent,
  [CmpOids.idItCurrentCRL]: CertificateList,
  [CmpOids.idItUnsupportedOIDs]: UnsupportedOIDsValue,
  [CmpOids.idItKeyPairParamRep]: AlgorithmIdentifier,
  [CmpOids.idItRevPassphrase]: EncryptedKey,
  [CmpOids.idItSuppLangTags]: SuppLangTagsValue,
  [CmpOids.idItCaCerts]: CaCertsValue,
  [CmpOids.idItRootCaKeyUpdate]: RootCaKeyUpdateContent,
  [CmpOids.idItCertReqTemplate]: CertReqTemplateContent,
  [CmpOids.idItRootCaCert]: Certificate,
  [CmpOids.idItCertProfile]: CertProfileValue,
  [CmpOids.idItCrlStatusList]: CRLStatusListValue,
  [CmpOids.idItCrls]: CRLsValue,
  [CmpOids.idItKemCiphertextInfo]: KemCiphertextInfo,
};
