/**
 * The object identifiers of CMP (RFC 9810, RFC 9480, RFC 9481, RFC 9483), CRMF (RFC 4211) and the
 * PKIX arcs they hang from, named in one place. Algorithm OIDs (hashes, HMACs, signatures) live in
 * src/crypto/algorithms.ts; `oidName` consults that table after this one.
 */
import { algorithmOidNames } from '../crypto/algorithms';

const idPkix = '1.3.6.1.5.5.7';
const idIt = `${idPkix}.4`;
const idPkip = `${idPkix}.5`;
const idRegCtrl = `${idPkip}.1`;
const idRegInfo = `${idPkip}.2`;
const idKp = `${idPkix}.3`;
const entrustAlgorithms = '1.2.840.113533.7.66';

export const CmpOids = {
  idPkix,
  idIt,
  idPkip,
  idRegCtrl,
  idRegInfo,
  idKp,

  // InfoTypeAndValue types (RFC 9810 section 5.3.19, Appendix F)
  idItCaProtEncCert: `${idIt}.1`,
  idItSignKeyPairTypes: `${idIt}.2`,
  idItEncKeyPairTypes: `${idIt}.3`,
  idItPreferredSymmAlg: `${idIt}.4`,
  idItCaKeyUpdateInfo: `${idIt}.5`,
  idItCurrentCRL: `${idIt}.6`,
  idItUnsupportedOIDs: `${idIt}.7`,
  idItKeyPairParamReq: `${idIt}.10`,
  idItKeyPairParamRep: `${idIt}.11`,
  idItRevPassphrase: `${idIt}.12`,
  idItImplicitConfirm: `${idIt}.13`,
  idItConfirmWaitTime: `${idIt}.14`,
  idItOrigPKIMessage: `${idIt}.15`,
  idItSuppLangTags: `${idIt}.16`,
  idItCaCerts: `${idIt}.17`,
  idItRootCaKeyUpdate: `${idIt}.18`,
  idItCertReqTemplate: `${idIt}.19`,
  idItRootCaCert: `${idIt}.20`,
  idItCertProfile: `${idIt}.21`,
  idItCrlStatusList: `${idIt}.22`,
  idItCrls: `${idIt}.23`,
  idItKemCiphertextInfo: `${idIt}.24`,

  // CRMF registration controls (RFC 4211 section 6, RFC 9480 section 2.20)
  idRegCtrlRegToken: `${idRegCtrl}.1`,
  idRegCtrlAuthenticator: `${idRegCtrl}.2`,
  idRegCtrlPkiPublicationInfo: `${idRegCtrl}.3`,
  idRegCtrlPkiArchiveOptions: `${idRegCtrl}.4`,
  idRegCtrlOldCertID: `${idRegCtrl}.5`,
  idRegCtrlProtocolEncrKey: `${idRegCtrl}.6`,
  idRegCtrlAltCertTemplate: `${idRegCtrl}.7`,
  idRegCtrlAlgId: `${idRegCtrl}.11`,
  idRegCtrlRsaKeyLen: `${idRegCtrl}.12`,

  // CRMF registration info (RFC 4211 section 7)
  idRegInfoUtf8Pairs: `${idRegInfo}.1`,
  idRegInfoCertReq: `${idRegInfo}.2`,

  // EncKeyWithID content type (RFC 4211 section 4.4)
  idCtEncKeyWithID: '1.2.840.113549.1.9.16.1.21',

  // MAC-based protection (RFC 9810 section 5.1.3, RFC 9481 section 6)
  passwordBasedMac: `${entrustAlgorithms}.13`,
  kemBasedMac: `${entrustAlgorithms}.16`,
  dhBasedMac: `${entrustAlgorithms}.30`,
  pbmac1: '1.2.840.113549.1.5.14',
  pbkdf2: '1.2.840.113549.1.5.12',

  // "no signature" marker of RFC 9481 section 3 / RFC 9483 (central key generation)
  idAlgNoSignature: `${idPkix}.6.2`,

  // extended key usages of PKI entities (RFC 6402, RFC 9810 section 4.5)
  idKpCmcCA: `${idKp}.27`,
  idKpCmcRA: `${idKp}.28`,
  idKpCmKGA: `${idKp}.32`,

  // CMS content types seen inside CMP (RFC 5652)
  idData: '1.2.840.113549.1.7.1',
  idSignedData: '1.2.840.113549.1.7.2',
  idEnvelopedData: '1.2.840.113549.1.7.3',
} as const;

/** A few X.509 extension and CRL entry OIDs that appear in templates and revocation requests. */
export const PkixOids = {
  subjectKeyIdentifier: '2.5.29.14',
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  issuerAltName: '2.5.29.18',
  basicConstraints: '2.5.29.19',
  cRLNumber: '2.5.29.20',
  cRLReason: '2.5.29.21',
  invalidityDate: '2.5.29.24',
  nameConstraints: '2.5.29.30',
  cRLDistributionPoints: '2.5.29.31',
  certificatePolicies: '2.5.29.32',
  policyMappings: '2.5.29.33',
  authorityKeyIdentifier: '2.5.29.35',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  freshestCRL: '2.5.29.46',
  inhibitAnyPolicy: '2.5.29.54',
  authorityInfoAccess: '1.3.6.1.5.5.7.1.1',
  /** RFC 3820 proxy certificates. */
  proxyCertInfo: '1.3.6.1.5.5.7.1.14',
  idKpServerAuth: `${idKp}.1`,
  idKpClientAuth: `${idKp}.2`,
} as const;

const ownNames: Readonly<Record<string, string>> = {
  [CmpOids.idItCaProtEncCert]: 'id-it-caProtEncCert',
  [CmpOids.idItSignKeyPairTypes]: 'id-it-signKeyPairTypes',
  [CmpOids.idItEncKeyPairTypes]: 'id-it-encKeyPairTypes',
  [CmpOids.idItPreferredSymmAlg]: 'id-it-preferredSymmAlg',
  [CmpOids.idItCaKeyUpdateInfo]: 'id-it-caKeyUpdateInfo',
  [CmpOids.idItCurrentCRL]: 'id-it-currentCRL',
  [CmpOids.idItUnsupportedOIDs]: 'id-it-unsupportedOIDs',
  [CmpOids.idItKeyPairParamReq]: 'id-it-keyPairParamReq',
  [CmpOids.idItKeyPairParamRep]: 'id-it-keyPairParamRep',
  [CmpOids.idItRevPassphrase]: 'id-it-revPassphrase',
  [CmpOids.idItImplicitConfirm]: 'id-it-implicitConfirm',
  [CmpOids.idItConfirmWaitTime]: 'id-it-confirmWaitTime',
  [CmpOids.idItOrigPKIMessage]: 'id-it-origPKIMessage',
  [CmpOids.idItSuppLangTags]: 'id-it-suppLangTags',
  [CmpOids.idItCaCerts]: 'id-it-caCerts',
  [CmpOids.idItRootCaKeyUpdate]: 'id-it-rootCaKeyUpdate',
  [CmpOids.idItCertReqTemplate]: 'id-it-certReqTemplate',
  [CmpOids.idItRootCaCert]: 'id-it-rootCaCert',
  [CmpOids.idItCertProfile]: 'id-it-certProfile',
  [CmpOids.idItCrlStatusList]: 'id-it-crlStatusList',
  [CmpOids.idItCrls]: 'id-it-crls',
  [CmpOids.idItKemCiphertextInfo]: 'id-it-KemCiphertextInfo',
  [CmpOids.idRegCtrlRegToken]: 'id-regCtrl-regToken',
  [CmpOids.idRegCtrlAuthenticator]: 'id-regCtrl-authenticator',
  [CmpOids.idRegCtrlPkiPublicationInfo]: 'id-regCtrl-pkiPublicationInfo',
  [CmpOids.idRegCtrlPkiArchiveOptions]: 'id-regCtrl-pkiArchiveOptions',
  [CmpOids.idRegCtrlOldCertID]: 'id-regCtrl-oldCertID',
  [CmpOids.idRegCtrlProtocolEncrKey]: 'id-regCtrl-protocolEncrKey',
  [CmpOids.idRegCtrlAltCertTemplate]: 'id-regCtrl-altCertTemplate',
  [CmpOids.idRegCtrlAlgId]: 'id-regCtrl-algId',
  [CmpOids.idRegCtrlRsaKeyLen]: 'id-regCtrl-rsaKeyLen',
  [CmpOids.idRegInfoUtf8Pairs]: 'id-regInfo-utf8Pairs',
  [CmpOids.idRegInfoCertReq]: 'id-regInfo-certReq',
  [CmpOids.idCtEncKeyWithID]: 'id-ct-encKeyWithID',
  [CmpOids.passwordBasedMac]: 'PasswordBasedMac',
  [CmpOids.kemBasedMac]: 'KemBasedMac',
  [CmpOids.dhBasedMac]: 'DHBasedMac',
  [CmpOids.pbmac1]: 'PBMAC1',
  [CmpOids.pbkdf2]: 'PBKDF2',
  [CmpOids.idAlgNoSignature]: 'id-alg-noSignature',
  [CmpOids.idKpCmcCA]: 'id-kp-cmcCA',
  [CmpOids.idKpCmcRA]: 'id-kp-cmcRA',
  [CmpOids.idKpCmKGA]: 'id-kp-cmKGA',
  [CmpOids.idData]: 'id-data',
  [CmpOids.idSignedData]: 'id-signedData',
  [CmpOids.idEnvelopedData]: 'id-envelopedData',
  [PkixOids.subjectKeyIdentifier]: 'subjectKeyIdentifier',
  [PkixOids.keyUsage]: 'keyUsage',
  [PkixOids.subjectAltName]: 'subjectAltName',
  [PkixOids.issuerAltName]: 'issuerAltName',
  [PkixOids.basicConstraints]: 'basicConstraints',
  [PkixOids.cRLNumber]: 'cRLNumber',
  [PkixOids.cRLReason]: 'cRLReason',
  [PkixOids.invalidityDate]: 'invalidityDate',
  [PkixOids.cRLDistributionPoints]: 'cRLDistributionPoints',
  [PkixOids.certificatePolicies]: 'certificatePolicies',
  [PkixOids.authorityKeyIdentifier]: 'authorityKeyIdentifier',
  [PkixOids.extKeyUsage]: 'extKeyUsage',
  [PkixOids.authorityInfoAccess]: 'authorityInfoAccess',
  [PkixOids.idKpServerAuth]: 'id-kp-serverAuth',
  [PkixOids.idKpClientAuth]: 'id-kp-clientAuth',
};

/** The conventional name of a CMP, CRMF, PKIX or algorithm OID, or undefined when we do not know it. */
export function oidName(oid: string): string | undefined {
  return ownNames[oid] ?? algorithmOidNames[oid];
}
