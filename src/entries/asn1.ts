/**
 * cmpflow/asn1: the CMP (RFC 9810) and CRMF (RFC 4211) schema classes, PKIMessage decoding and
 * encoding, general-message values and the message dump. The DER reader and writer underneath,
 * the converters and the certificate cache stay private, so that they can change without a
 * breaking release.
 */
import 'reflect-metadata';

export {
  decodePkiMessage,
  encodePkiMessage,
  rawPkiMessage,
  protectedPartBytes,
  decodeDer,
  encodeDer,
  dumpPkiMessage,
  readMessageFile,
} from '../asn1';
export type { RawPkiMessage, AsnClass } from '../asn1';

export { pkiBodyType, PKIMessage, PKIMessages, ProtectedPart, PKIHeader, PKIBody, NestedMessageContent, PKIFreeText, CMPCertificate } from '../asn1';
export type { PKIBodyType, PKIProtection } from '../asn1';

export { PKIStatus, pkiStatusName, PKIFailureInfo, PKI_FAILURE_INFO_NAMES, PKIStatusInfo, ErrorMsgContent } from '../asn1';
export type { PKIFailureInfoName } from '../asn1';

export { CertOrEncCert, CertifiedKeyPair, CertResponse, CertRepMessage, KeyRecRepContent, CertStatus, CertConfirmContent } from '../asn1';
export { PollReqContentEntry, PollReqContent, PollRepContentEntry, PollRepContent } from '../asn1';
export { RevDetails, RevReqContent, RevRepContent } from '../asn1';
export {
  CAKeyUpdAnnContent,
  CAKeyUpdContent,
  CertAnnContent,
  RevAnnContent,
  CRLAnnContent,
  RootCaKeyUpdateContent,
  RootCaKeyUpdateValue,
} from '../asn1';
export { OOBCert, OOBCertHash, Challenge, Rand, POPODecKeyChallContent, POPODecKeyRespContent } from '../asn1';
export type { PKIConfirmContent } from '../asn1';

export { PBMParameter, DHBMParameter, KemBMParameter, KemOtherInfo, PBMAC1Params, PBKDF2Salt, PBKDF2Params } from '../asn1';

export {
  InfoTypeAndValue,
  GenMsgContent,
  GenRepContent,
  infoValueType,
  infoValueTypes,
  decodeInfoValue,
  decodeInfoValueTime,
  encodeInfoValue,
  createInfoTypeAndValue,
} from '../asn1';
export {
  CaCertsValue,
  CertReqTemplateContent,
  CertReqTemplateValue,
  AltCertTemplate,
  AlgIdCtrl,
  CRLSource,
  CRLStatus,
  CRLStatusListValue,
  CRLsValue,
  CertProfileValue,
  SuppLangTagsValue,
  UnsupportedOIDsValue,
  SignKeyPairTypesValue,
  EncKeyPairTypesValue,
  KemCiphertextInfo,
} from '../asn1';
export type { InfoValueType, RsaKeyLenCtrl } from '../asn1';

export {
  CertReqMessages,
  CertReqMsg,
  CertRequest,
  CertReq,
  CertTemplate,
  OptionalValidity,
  CertId,
  OldCertId,
  Controls,
  AttributeTypeAndValue,
  ProtocolEncrKey,
} from '../asn1';
export type { RegToken, Authenticator, UTF8Pairs } from '../asn1';
export {
  ProofOfPossession,
  POPOSigningKey,
  POPOSigningKeyInput,
  POPOSigningKeyInputAuthInfo,
  POPOPrivKey,
  SubsequentMessage,
  PKMACValue,
} from '../asn1';
export { EncryptedValue, EncryptedKey, EncKeyWithID, EncKeyWithIDIdentifier, PKIArchiveOptions, SinglePubInfo, PKIPublicationInfo } from '../asn1';

export { CmpOids, PkixOids } from '../asn1';
