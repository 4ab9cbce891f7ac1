/**
 * PKIMessages built from scratch, one per PKIBody alternative, using every optional field of the
 * header and the variants of the CHOICE types inside the bodies.
 */
import { AsnConvert, BitString, OctetString } from '@peculiar/asn1-schema';
import {
  AlgorithmIdentifier,
  Certificate,
  CertificateList,
  Extension,
  Extensions,
  GeneralName,
  GeneralNames,
  Name,
  RevokedCertificate,
  TBSCertList,
  Time,
} from '@peculiar/asn1-x509';
import {
  CMSVersion,
  EncryptedContent,
  EncryptedContentInfo,
  EnvelopedData,
  KEKIdentifier,
  KEKRecipientInfo,
  RecipientInfo,
  RecipientInfos,
} from '@peculiar/asn1-cms';
import { Name as X509Name } from '@peculiar/x509';
import {
  AttributeTypeAndValue,
  CAKeyUpdContent,
  CaCertsValue,
  CertConfirmContent,
  CertId,
  CertifiedKeyPair,
  CertOrEncCert,
  CertProfileValue,
  CertRepMessage,
  CertReqMessages,
  CertReqMsg,
  CertReqTemplateContent,
  CertRequest,
  CertResponse,
  CertStatus,
  CertTemplate,
  Challenge,
  CmpOids,
  Controls,
  createInfoTypeAndValue,
  CRLAnnContent,
  CRLSource,
  CRLStatus,
  CRLStatusListValue,
  decodeDer,
  decodePkiMessage,
  EncryptedKey,
  EncryptedValue,
  encodeDer,
  ErrorMsgContent,
  GenMsgContent,
  GenRepContent,
  KemCiphertextInfo,
  KeyRecRepContent,
  OptionalValidity,
  PBMParameter,
  PKIBody,
  PKIBodyType,
  PKIFailureInfo,
  PKIFreeText,
  PKIHeader,
  PKIMessage,
  PKIMessages,
  PKIPublicationInfo,
  PKIStatus,
  PKIStatusInfo,
  PKMACValue,
  PollRepContent,
  PollRepContentEntry,
  PollReqContent,
  PollReqContentEntry,
  POPODecKeyChallContent,
  POPODecKeyRespContent,
  POPOPrivKey,
  POPOSigningKey,
  POPOSigningKeyInput,
  POPOSigningKeyInputAuthInfo,
  ProofOfPossession,
  readMessageFile,
  RevAnnContent,
  RevDetails,
  RevRepContent,
  RevReqContent,
  RootCaKeyUpdateContent,
  SinglePubInfo,
  SubsequentMessage,
} from '../../src/asn1';
import { readVector } from './vectors';

export const bytes = (...values: number[]): ArrayBuffer => Uint8Array.from(values).buffer;
export const filled = (length: number, value: number): ArrayBuffer => new Uint8Array(length).fill(value).buffer;

export function name(dn: string): Name {
  return AsnConvert.parse(new X509Name(dn).toArrayBuffer(), Name);
}

export function directoryName(dn: string): GeneralName {
  return new GeneralName({ directoryName: name(dn) });
}

export const certificate: Certificate = decodeDer(readMessageFile(readVector('rustcrypto-cmpv2/ec384-ca-key.crt')), Certificate);
export const otherCertificate: Certificate = decodeDer(readMessageFile(readVector('rustcrypto-cmpv2/ec384-server-key.crt')), Certificate);
export const csr = decodePkiMessage(readVector('rustcrypto-cmpv2/p10cr_req_01.bin')).body.p10cr!;

const sha256 = new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' });
const hmacSha256 = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.2.9', parameters: null });
const ecdsaSha384 = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.3' });

/** 20 octets with the high bit set in the first: the largest serial number RFC 5280 allows. */
export const serial20 = bytes(0x00, ...new Array(19).fill(0).map((_, i) => 0x80 + i));

export function crl(): CertificateList {
  return new CertificateList({
    tbsCertList: new TBSCertList({
      version: 1,
      signature: ecdsaSha384,
      issuer: name('CN=Sample CA,O=cmpflow'),
      thisUpdate: new Time(new Date('2024-05-01T10:00:00Z')),
      nextUpdate: new Time(new Date('2024-06-01T10:00:00Z')),
      revokedCertificates: [new RevokedCertificate({ userCertificate: serial20, revocationDate: new Time(new Date('2024-04-30T08:00:00Z')) })],
    }),
    signatureAlgorithm: ecdsaSha384,
    signature: filled(64, 0x5a),
  });
}

export function envelopedData(): EnvelopedData {
  return new EnvelopedData({
    version: CMSVersion.v2,
    recipientInfos: new RecipientInfos([
      new RecipientInfo({
        kekri: new KEKRecipientInfo({
          version: CMSVersion.v4,
          kekid: new KEKIdentifier({ keyIdentifier: new OctetString(bytes(1, 2, 3, 4)) }),
          keyEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.1.45' }),
          encryptedKey: new OctetString(filled(40, 0x11)),
        }),
      }),
    ]),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType: CmpOids.idData,
      contentEncryptionAlgorithm: new AlgorithmIdentifier({
        algorithm: '2.16.840.1.101.3.4.1.42',
        parameters: encodeDer(new OctetString(filled(16, 0x22))).slice().buffer,
      }),
      encryptedContent: new EncryptedContent({ value: new OctetString(filled(48, 0x33)) }),
    }),
  });
}

export function statusInfo(status: number, failInfo?: string[], text?: string[]): PKIStatusInfo {
  return new PKIStatusInfo({
    status,
    ...(text ? { statusString: new PKIFreeText(text) } : {}),
    ...(failInfo ? { failInfo: PKIFailureInfo.fromNames(failInfo) } : {}),
  });
}

export function fullHeader(): PKIHeader {
  return new PKIHeader({
    pvno: PKIHeader.cmp2021,
    sender: directoryName('CN=Sample EE,O=cmpflow,C=DE'),
    recipient: directoryName('CN=Sample CA,O=cmpflow,C=DE'),
    messageTime: new Date('2024-05-06T07:08:09Z'),
    protectionAlg: new AlgorithmIdentifier({
      algorithm: CmpOids.passwordBasedMac,
      parameters: encodeDer(new PBMParameter({ salt: filled(16, 0x44), owf: sha256, iterationCount: 10_000n, mac: hmacSha256 })).slice().buffer,
    }),
    senderKID: bytes(0x6b, 0x69, 0x64),
    recipKID: filled(20, 0x55),
    transactionID: filled(16, 0x66),
    senderNonce: filled(16, 0x77),
    recipNonce: filled(16, 0x88),
    freeText: new PKIFreeText(['first line', 'zweite Zeile äöü']),
    generalInfo: [
      createInfoTypeAndValue(CmpOids.idItImplicitConfirm, null),
      createInfoTypeAndValue(CmpOids.idItConfirmWaitTime, new Date('2024-05-06T07:10:00Z')),
      createInfoTypeAndValue(CmpOids.idItCertProfile, new CertProfileValue(['tls-server'])),
    ],
  });
}

function template(): CertTemplate {
  return new CertTemplate({
    version: 2,
    serialNumber: serial20,
    signingAlg: ecdsaSha384,
    issuer: name('CN=Sample CA,O=cmpflow'),
    validity: new OptionalValidity({
      notBefore: new Time(new Date('2024-01-01T00:00:00Z')),
      notAfter: new Time(new Date('2060-01-01T00:00:00Z')),
    }),
    subject: name('CN=Sample EE,O=cmpflow'),
    publicKey: certificate.tbsCertificate.subjectPublicKeyInfo,
    issuerUID: new BitString(bytes(0xa0), 4),
    subjectUID: new BitString(bytes(0x01, 0x02)),
    extensions: new Extensions([
      new Extension({ extnID: '2.5.29.15', critical: true, extnValue: new OctetString(bytes(0x03, 0x02, 0x07, 0x80)) }),
      new Extension({ extnID: '2.5.29.17', critical: false, extnValue: new OctetString(bytes(0x30, 0x00)) }),
    ]),
  });
}

function certReqMessages(): CertReqMessages {
  const signed = new CertReqMsg({
    certReq: new CertRequest({
      certReqId: 0n,
      certTemplate: template(),
      controls: new Controls([
        new AttributeTypeAndValue({ type: CmpOids.idRegCtrlRegToken, value: encodeDer(new OctetString(bytes(1))).slice().buffer }),
        new AttributeTypeAndValue({
          type: CmpOids.idRegCtrlOldCertID,
          value: encodeDer(new CertId({ issuer: directoryName('CN=Old CA'), serialNumber: serial20 })).slice().buffer,
        }),
      ]),
    }),
    popo: new ProofOfPossession({
      signature: new POPOSigningKey({
        poposkInput: new POPOSigningKeyInput({
          authInfo: new POPOSigningKeyInputAuthInfo({ sender: directoryName('CN=Sample EE') }),
          publicKey: certificate.tbsCertificate.subjectPublicKeyInfo,
        }),
        algorithmIdentifier: ecdsaSha384,
        signature: filled(70, 0x99),
      }),
    }),
    regInfo: [new AttributeTypeAndValue({ type: CmpOids.idRegInfoUtf8Pairs, value: bytes(0x0c, 0x02, 0x61, 0x3f) })],
  });
  const macked = new CertReqMsg({
    certReq: new CertRequest({ certReqId: 1n, certTemplate: new CertTemplate({ subject: name('CN=Second') }) }),
    popo: new ProofOfPossession({
      signature: new POPOSigningKey({
        poposkInput: new POPOSigningKeyInput({
          authInfo: new POPOSigningKeyInputAuthInfo({ publicKeyMAC: new PKMACValue({ algId: hmacSha256, value: filled(32, 1) }) }),
          publicKey: certificate.tbsCertificate.subjectPublicKeyInfo,
        }),
        algorithmIdentifier: ecdsaSha384,
        signature: filled(8, 2),
      }),
    }),
  });
  return new CertReqMessages([
    signed,
    macked,
    new CertReqMsg({ certReq: new CertRequest({ certReqId: 2n }), popo: new ProofOfPossession({ raVerified: null }) }),
    new CertReqMsg({
      certReq: new CertRequest({ certReqId: 3n }),
      popo: new ProofOfPossession({
        keyEncipherment: new POPOPrivKey({ subsequentMessage: SubsequentMessage.challengeResp }),
      }),
    }),
    new CertReqMsg({
      certReq: new CertRequest({ certReqId: 4n }),
      popo: new ProofOfPossession({
        keyAgreement: new POPOPrivKey({ agreeMAC: new PKMACValue({ algId: hmacSha256, value: filled(32, 3) }) }),
      }),
    }),
    new CertReqMsg({
      certReq: new CertRequest({ certReqId: 5n }),
      popo: new ProofOfPossession({ keyEncipherment: new POPOPrivKey({ encryptedKey: envelopedData() }) }),
    }),
    new CertReqMsg({
      certReq: new CertRequest({ certReqId: 6n }),
      popo: new ProofOfPossession({ keyEncipherment: new POPOPrivKey({ thisMessage: new BitString(filled(4, 7)) }) }),
    }),
    // Central key generation: no popo, but regInfo, which must not be mistaken for a popo.
    new CertReqMsg({
      certReq: new CertRequest({ certReqId: 7n }),
      regInfo: [new AttributeTypeAndValue({ type: CmpOids.idRegInfoUtf8Pairs, value: bytes(0x0c, 0x01, 0x7a) })],
    }),
  ]);
}

function certRepMessage(): CertRepMessage {
  return new CertRepMessage({
    caPubs: [certificate, otherCertificate],
    response: [
      new CertResponse({
        certReqId: -1n,
        status: statusInfo(PKIStatus.accepted),
        certifiedKeyPair: new CertifiedKeyPair({
          certOrEncCert: new CertOrEncCert({ certificate }),
          privateKey: new EncryptedKey({ envelopedData: envelopedData() }),
          publicationInfo: new PKIPublicationInfo({
            action: PKIPublicationInfo.pleasePublish,
            pubInfos: [
              new SinglePubInfo({
                pubMethod: SinglePubInfo.web,
                pubLocation: new GeneralName({ uniformResourceIdentifier: 'http://example.test/x' }),
              }),
            ],
          }),
        }),
        rspInfo: bytes(0x0c, 0x00),
      }),
      new CertResponse({
        certReqId: 1n,
        status: statusInfo(PKIStatus.grantedWithMods),
        certifiedKeyPair: new CertifiedKeyPair({
          certOrEncCert: new CertOrEncCert({
            encryptedCert: new EncryptedKey({
              encryptedValue: new EncryptedValue({
                intendedAlg: ecdsaSha384,
                symmAlg: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.1.2' }),
                encSymmKey: filled(16, 4),
                keyAlg: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.1', parameters: null }),
                valueHint: bytes(9),
                encValue: filled(40, 5),
              }),
            }),
          }),
        }),
      }),
      new CertResponse({ certReqId: 2n, status: statusInfo(PKIStatus.waiting) }),
      new CertResponse({
        certReqId: 3n,
        status: statusInfo(PKIStatus.rejection, ['badPOP', 'badCertTemplate', 'duplicateCertReq'], ['refused']),
      }),
    ],
  });
}

function genpValues(): GenRepContent {
  return new GenRepContent([
    createInfoTypeAndValue(CmpOids.idItCaCerts, new CaCertsValue([certificate, otherCertificate])),
    createInfoTypeAndValue(
      CmpOids.idItRootCaKeyUpdate,
      new RootCaKeyUpdateContent({ newWithNew: certificate, newWithOld: otherCertificate, oldWithNew: otherCertificate }),
    ),
    createInfoTypeAndValue(
      CmpOids.idItCertReqTemplate,
      new CertReqTemplateContent({
        certTemplate: new CertTemplate({ subject: name('CN=Template') }),
        keySpec: new Controls([new AttributeTypeAndValue({ type: CmpOids.idRegCtrlRsaKeyLen, value: bytes(0x02, 0x02, 0x08, 0x00) })]),
      }),
    ),
    createInfoTypeAndValue(
      CmpOids.idItCrlStatusList,
      new CRLStatusListValue([
        new CRLStatus({
          source: new CRLSource({ issuer: new GeneralNames([directoryName('CN=Sample CA')]) }),
          thisUpdate: new Time(new Date('2024-05-01T10:00:00Z')),
        }),
      ]),
    ),
    createInfoTypeAndValue(CmpOids.idItCrls, new CRLAnnContent([crl()])),
    createInfoTypeAndValue(
      CmpOids.idItKemCiphertextInfo,
      new KemCiphertextInfo({ kem: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.4.2' }), ct: filled(48, 6) }),
    ),
    createInfoTypeAndValue(CmpOids.idItSuppLangTags),
  ]);
}

/** A body of every PKIBody alternative, in tag order. */
export function sampleBody(type: PKIBodyType): PKIBody {
  switch (type) {
    case 'ir':
    case 'cr':
    case 'kur':
    case 'krr':
    case 'ccr':
      return new PKIBody({ [type]: certReqMessages() });
    case 'ip':
    case 'cp':
    case 'kup':
    case 'ccp':
      return new PKIBody({ [type]: certRepMessage() });
    case 'p10cr':
      return new PKIBody({ p10cr: csr });
    case 'popdecc':
      return new PKIBody({
        popdecc: new POPODecKeyChallContent([
          new Challenge({ owf: sha256, witness: filled(32, 1), challenge: filled(64, 2) }),
          new Challenge({ witness: filled(32, 3), challenge: new ArrayBuffer(0), encryptedRand: envelopedData() }),
        ]),
      });
    case 'popdecr':
      return new PKIBody({ popdecr: new POPODecKeyRespContent([0n, -1n, 2n ** 70n + 5n]) });
    case 'krp':
      return new PKIBody({
        krp: new KeyRecRepContent({
          status: statusInfo(PKIStatus.accepted),
          newSigCert: certificate,
          caCerts: [otherCertificate],
          keyPairHist: [new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ certificate: otherCertificate }) })],
        }),
      });
    case 'rr':
      return new PKIBody({
        rr: new RevReqContent([
          new RevDetails({
            certDetails: new CertTemplate({ issuer: name('CN=Sample CA'), serialNumber: serial20 }),
            crlEntryDetails: new Extensions([new Extension({ extnID: '2.5.29.21', extnValue: new OctetString(bytes(0x0a, 0x01, 0x01)) })]),
          }),
        ]),
      });
    case 'rp':
      return new PKIBody({
        rp: new RevRepContent({
          status: [statusInfo(PKIStatus.accepted), statusInfo(PKIStatus.rejection, ['certRevoked'])],
          revCerts: [new CertId({ issuer: directoryName('CN=Sample CA'), serialNumber: serial20 })],
          crls: [crl()],
        }),
      });
    case 'ckuann':
      return new PKIBody({
        ckuann: new CAKeyUpdContent({ cAKeyUpdAnnV3: new RootCaKeyUpdateContent({ newWithNew: certificate, oldWithNew: otherCertificate }) }),
      });
    case 'cann':
      return new PKIBody({ cann: certificate });
    case 'rann':
      return new PKIBody({
        rann: new RevAnnContent({
          status: PKIStatus.revocationWarning,
          certId: new CertId({ issuer: directoryName('CN=Sample CA'), serialNumber: bytes(0x01) }),
          willBeRevokedAt: new Date('2024-07-01T00:00:00Z'),
          badSinceDate: new Date('2024-06-01T00:00:00Z'),
          crlDetails: new Extensions([new Extension({ extnID: '2.5.29.20', extnValue: new OctetString(bytes(0x02, 0x01, 0x07)) })]),
        }),
      });
    case 'crlann':
      return new PKIBody({ crlann: new CRLAnnContent([crl()]) });
    case 'pkiconf':
      return new PKIBody({ pkiconf: null });
    case 'nested':
      return new PKIBody({
        nested: new PKIMessages([
          new PKIMessage({ header: fullHeader(), body: new PKIBody({ pkiconf: null }) }),
          new PKIMessage({ header: fullHeader(), body: sampleBody('certConf'), protection: filled(32, 9) }),
        ]),
      });
    case 'genm':
      return new PKIBody({
        genm: new GenMsgContent([createInfoTypeAndValue(CmpOids.idItCaCerts), createInfoTypeAndValue(CmpOids.idItRootCaKeyUpdate)]),
      });
    case 'genp':
      return new PKIBody({ genp: genpValues() });
    case 'error':
      return new PKIBody({
        error: new ErrorMsgContent({
          pKIStatusInfo: statusInfo(PKIStatus.rejection, ['badMessageCheck', 'signerNotTrusted'], ['no']),
          errorCode: 2n ** 60n,
          errorDetails: new PKIFreeText(['detail']),
        }),
      });
    case 'certConf':
      return new PKIBody({
        certConf: new CertConfirmContent([
          new CertStatus({ certHash: filled(48, 0xc3), certReqId: -1n, statusInfo: statusInfo(PKIStatus.accepted), hashAlg: sha256 }),
          new CertStatus({ certHash: filled(32, 0xc4), certReqId: 1n }),
        ]),
      });
    case 'pollReq':
      return new PKIBody({ pollReq: new PollReqContent([new PollReqContentEntry({ certReqId: 0n }), new PollReqContentEntry({ certReqId: -1n })]) });
    case 'pollRep':
      return new PKIBody({
        pollRep: new PollRepContent([
          new PollRepContentEntry({ certReqId: 0n, checkAfter: 2n ** 40n, reason: new PKIFreeText(['busy']) }),
          new PollRepContentEntry({ certReqId: -1n, checkAfter: 5n }),
        ]),
      });
  }
}

export function sampleMessage(type: PKIBodyType): PKIMessage {
  return new PKIMessage({
    header: fullHeader(),
    body: sampleBody(type),
    protection: filled(32, 0xee),
    extraCerts: [certificate, otherCertificate],
  });
}

/** A JSON-comparable copy: bytes as hex, times as ISO strings, asn1-schema's `*Raw` caches left out. */
export function plain(value: unknown): unknown {
  if (value instanceof ArrayBuffer) return `hex:${Buffer.from(value).toString('hex')}`;
  if (ArrayBuffer.isView(value)) return `hex:${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('hex')}`;
  if (value instanceof Date) return `date:${value.toISOString()}`;
  if (Array.isArray(value)) return Array.from(value, plain);
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) if (v !== undefined && !k.endsWith('Raw')) out[k] = plain(v);
    return out;
  }
  return value;
}
