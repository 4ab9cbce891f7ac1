/**
 * A readable, JSON-safe view of a PKIMessage for people (the CLI's dump command, logs in tests):
 * names as RFC 4514 strings, OIDs with their names, octets in hex, times in ISO 8601, certificates
 * summarised. It never throws on odd content: what cannot be interpreted is shown in hex.
 */
import 'reflect-metadata';
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CertificateList, Extension, GeneralName, Name, SubjectPublicKeyInfo, Time } from '@peculiar/asn1-x509';
import { EnvelopedData } from './cms/enveloped_data';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { RSAPublicKey } from '@peculiar/asn1-rsa';
import { Name as X509Name } from '@peculiar/x509';
import { CmpError, ErrorCodes } from '../errors';
import { CmpOids, oidName } from './oids';
import { bytesOf, fromB64, hex } from '../bytes';
import { decodeDer } from './der-codec';
import { CertReqMessages } from './crmf/cert_request';
import { CertTemplate } from './crmf/cert_template';
import { AttributeTypeAndValue } from './crmf/attribute';
import { ProofOfPossession, POPOPrivKey } from './crmf/proof_of_possession';
import { EncryptedKey } from './crmf/encrypted_key';
import { PBMParameter } from './crmf/pbm_parameter';
import { CertId } from './crmf/cert_id';
import { PKIHeader } from './cmp/header';
import { PKIStatusInfo, pkiStatusName } from './cmp/status';
import { InfoTypeAndValue } from './cmp/info_type_and_value';
import { decodeInfoValue, decodeInfoValueTime, infoValueType } from './cmp/info_value_codec';
import { CertRepMessage, CertifiedKeyPair, KeyRecRepContent } from './cmp/cert_rep';
import { RevRepContent, RevReqContent } from './cmp/revocation';
import { CAKeyUpdContent, RevAnnContent } from './cmp/announcement';
import { RootCaKeyUpdateContent } from './cmp/root_ca_key_update';
import { DHBMParameter, KemBMParameter } from './cmp/mac_parameters';
import { PBKDF2Params, PBMAC1Params } from './cmp/pbmac1';
import { PKIBody, PKIMessage, pkiBodyType } from './cmp/message';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

function compact(obj: { [key: string]: Json | undefined }): JsonObject {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(obj)) if (v !== undefined) out[k] = v;
  return out;
}

/** Runs `fn`; if the content cannot be interpreted, shows its DER in hex instead of failing. */
function safely(fn: () => Json, fallback: () => Json): Json {
  try {
    return fn();
  } catch {
    try {
      return { undecodable: fallback() };
    } catch {
      return { undecodable: true };
    }
  }
}

function oid(value: string): Json {
  const name = oidName(value);
  return name ? `${value} (${name})` : value;
}

function dumpName(name: Name): Json {
  return safely(
    () => new X509Name(AsnConvert.serialize(name)).toString(),
    () => hex(AsnConvert.serialize(name)),
  );
}

function dumpGeneralName(gn: GeneralName): Json {
  if (gn.directoryName) return { directoryName: dumpName(gn.directoryName) };
  if (gn.rfc822Name !== undefined) return { rfc822Name: gn.rfc822Name };
  if (gn.dNSName !== undefined) return { dNSName: gn.dNSName };
  if (gn.uniformResourceIdentifier !== undefined) return { uniformResourceIdentifier: gn.uniformResourceIdentifier };
  if (gn.iPAddress !== undefined) return { iPAddress: gn.iPAddress };
  if (gn.registeredID !== undefined) return { registeredID: oid(gn.registeredID) };
  if (gn.otherName) return { otherName: { typeId: oid(gn.otherName.typeId), value: hex(gn.otherName.value) } };
  return { other: hex(AsnConvert.serialize(gn)) };
}

function dumpTime(time: Time | Date | undefined): Json | undefined {
  if (time === undefined) return undefined;
  const date = time instanceof Date ? time : time.getTime();
  return Number.isNaN(date.getTime()) ? 'invalid time' : date.toISOString();
}

function bigintText(v: bigint | undefined): Json | undefined {
  return v === undefined ? undefined : v.toString();
}

function dumpAlgorithmParameters(alg: AlgorithmIdentifier): Json | undefined {
  const params = alg.parameters;
  if (params === undefined) return undefined;
  if (params === null) return null;
  return safely(
    () => {
      switch (alg.algorithm) {
        case CmpOids.passwordBasedMac: {
          const p = decodeDer(params, PBMParameter);
          return {
            salt: hex(p.salt),
            owf: dumpAlgorithm(p.owf),
            iterationCount: p.iterationCount.toString(),
            mac: dumpAlgorithm(p.mac),
          };
        }
        case CmpOids.pbmac1: {
          const p = decodeDer(params, PBMAC1Params);
          return { keyDerivationFunc: dumpAlgorithm(p.keyDerivationFunc), messageAuthScheme: dumpAlgorithm(p.messageAuthScheme) };
        }
        case CmpOids.pbkdf2: {
          const p = decodeDer(params, PBKDF2Params);
          return compact({
            salt: p.salt.specified !== undefined ? hex(p.salt.specified) : { otherSource: dumpAlgorithm(p.salt.otherSource!) },
            iterationCount: p.iterationCount.toString(),
            keyLength: bigintText(p.keyLength),
            prf: dumpAlgorithm(p.prf),
          });
        }
        case CmpOids.dhBasedMac: {
          const p = decodeDer(params, DHBMParameter);
          return { owf: dumpAlgorithm(p.owf), mac: dumpAlgorithm(p.mac) };
        }
        case CmpOids.kemBasedMac: {
          const p = decodeDer(params, KemBMParameter);
          return compact({
            kdf: dumpAlgorithm(p.kdf),
            kemContext: p.kemContext && hex(p.kemContext),
            len: p.len.toString(),
            mac: dumpAlgorithm(p.mac),
          });
        }
        default:
          return hex(params);
      }
    },
    () => hex(params),
  );
}

function dumpAlgorithm(alg: AlgorithmIdentifier): Json {
  return compact({ algorithm: oid(alg.algorithm), parameters: dumpAlgorithmParameters(alg) });
}

function keyType(spki: SubjectPublicKeyInfo): Json {
  const algorithm = spki.algorithm.algorithm;
  return safely(
    () => {
      if (algorithm === '1.2.840.113549.1.1.1') {
        const key = AsnConvert.parse(spki.subjectPublicKey, RSAPublicKey);
        const modulus = new Uint8Array(key.modulus);
        let i = 0;
        while (i < modulus.length && modulus[i] === 0) i++;
        const bits = i < modulus.length ? (modulus.length - i - 1) * 8 + (32 - Math.clz32(modulus[i])) : 0;
        return `RSA ${bits}`;
      }
      if (algorithm === '1.2.840.10045.2.1' && spki.algorithm.parameters) {
        const curve = asn1js.fromBER(spki.algorithm.parameters).result;
        if (curve instanceof asn1js.ObjectIdentifier) {
          const c = curve.valueBlock.toString();
          return `EC ${oidName(c) ?? c}`;
        }
      }
      return oidName(algorithm) ?? algorithm;
    },
    () => algorithm,
  );
}

function dumpExtensions(extensions: Extension[] | undefined): Json | undefined {
  if (!extensions) return undefined;
  return extensions.map((e) => compact({ extnID: oid(e.extnID), critical: e.critical || undefined, value: hex(e.extnValue.buffer) }));
}

function dumpCertificate(cert: Certificate): Json {
  const tbs = cert.tbsCertificate;
  return safely(
    () =>
      compact({
        subject: dumpName(tbs.subject),
        issuer: dumpName(tbs.issuer),
        serialNumber: hex(tbs.serialNumber),
        notBefore: dumpTime(tbs.validity.notBefore),
        notAfter: dumpTime(tbs.validity.notAfter),
        publicKey: keyType(tbs.subjectPublicKeyInfo),
        signatureAlgorithm: oid(cert.signatureAlgorithm.algorithm),
      }),
    () => hex(AsnConvert.serialize(cert)),
  );
}

function dumpCrl(crl: CertificateList): Json {
  const tbs = crl.tbsCertList;
  return compact({
    issuer: dumpName(tbs.issuer),
    thisUpdate: dumpTime(tbs.thisUpdate),
    nextUpdate: dumpTime(tbs.nextUpdate),
    revokedCertificates: (tbs.revokedCertificates ?? []).length,
    signatureAlgorithm: oid(crl.signatureAlgorithm.algorithm),
  });
}

function dumpFreeText(text: string[] | undefined): Json | undefined {
  return text ? [...text] : undefined;
}

function dumpStatusInfo(si: PKIStatusInfo): Json {
  return compact({
    status: si.status,
    statusName: pkiStatusName(si.status),
    statusString: dumpFreeText(si.statusString),
    failInfo: si.failInfo
      ? safely(
          () => si.failInfo!.toNames(),
          () => hex(si.failInfo!.value),
        )
      : undefined,
  });
}

function dumpEnveloped(env: EnvelopedData): Json {
  return {
    envelopedData: compact({
      version: env.version,
      recipientInfos: env.recipientInfos.length,
      contentType: oid(env.encryptedContentInfo.contentType),
      contentEncryptionAlgorithm: dumpAlgorithm(env.encryptedContentInfo.contentEncryptionAlgorithm),
    }),
  };
}

function dumpEncryptedKey(key: EncryptedKey): Json {
  if (key.envelopedData) return dumpEnveloped(key.envelopedData);
  const ev = key.encryptedValue;
  if (!ev) return null;
  return {
    encryptedValue: compact({
      intendedAlg: ev.intendedAlg && dumpAlgorithm(ev.intendedAlg),
      symmAlg: ev.symmAlg && dumpAlgorithm(ev.symmAlg),
      keyAlg: ev.keyAlg && dumpAlgorithm(ev.keyAlg),
      encValueLength: ev.encValue.byteLength,
    }),
  };
}

function dumpTemplate(t: CertTemplate): Json {
  return compact({
    version: t.version,
    serialNumber: t.serialNumber && hex(t.serialNumber),
    signingAlg: t.signingAlg && dumpAlgorithm(t.signingAlg),
    issuer: t.issuer && dumpName(t.issuer),
    validity: t.validity && compact({ notBefore: dumpTime(t.validity.notBefore), notAfter: dumpTime(t.validity.notAfter) }),
    subject: t.subject && dumpName(t.subject),
    publicKey:
      t.publicKey &&
      compact({
        algorithm: oid(t.publicKey.algorithm.algorithm),
        keyType: keyType(t.publicKey),
        empty: t.publicKey.subjectPublicKey.byteLength === 0 || undefined,
      }),
    issuerUID: t.issuerUID && hex(t.issuerUID.value),
    subjectUID: t.subjectUID && hex(t.subjectUID.value),
    extensions: dumpExtensions(t.extensions),
  });
}

function dumpAttribute(a: AttributeTypeAndValue): Json {
  return { type: oid(a.type), value: hex(a.value) };
}

function dumpPopoPrivKey(k: POPOPrivKey): Json {
  if (k.thisMessage) return { thisMessage: hex(k.thisMessage.value) };
  if (k.subsequentMessage !== undefined) return { subsequentMessage: k.subsequentMessage };
  if (k.dhMAC) return { dhMAC: hex(k.dhMAC.value) };
  if (k.agreeMAC) return { agreeMAC: { algId: dumpAlgorithm(k.agreeMAC.algId), value: hex(k.agreeMAC.value) } };
  if (k.encryptedKey) return { encryptedKey: dumpEnveloped(k.encryptedKey) };
  return null;
}

function dumpPopo(p: ProofOfPossession): Json {
  if (p.raVerified !== undefined) return { raVerified: null };
  if (p.signature) {
    const s = p.signature;
    const input = s.poposkInput;
    return {
      signature: compact({
        poposkInput:
          input &&
          compact({
            sender: input.authInfo.sender && dumpGeneralName(input.authInfo.sender),
            publicKeyMAC: input.authInfo.publicKeyMAC && dumpAlgorithm(input.authInfo.publicKeyMAC.algId),
            publicKey: keyType(input.publicKey),
          }),
        algorithmIdentifier: dumpAlgorithm(s.algorithmIdentifier),
        signature: hex(s.signature),
      }),
    };
  }
  if (p.keyEncipherment) return { keyEncipherment: dumpPopoPrivKey(p.keyEncipherment) };
  if (p.keyAgreement) return { keyAgreement: dumpPopoPrivKey(p.keyAgreement) };
  return null;
}

function dumpCertReqMessages(reqs: CertReqMessages): Json {
  return reqs.map((m) =>
    compact({
      certReqId: m.certReq.certReqId.toString(),
      certTemplate: dumpTemplate(m.certReq.certTemplate),
      controls: m.certReq.controls && m.certReq.controls.map(dumpAttribute),
      popo: m.popo && dumpPopo(m.popo),
      regInfo: m.regInfo && m.regInfo.map(dumpAttribute),
    }),
  );
}

function dumpCertifiedKeyPair(kp: CertifiedKeyPair): Json {
  const c = kp.certOrEncCert;
  return compact({
    certificate: c.certificate && dumpCertificate(c.certificate),
    encryptedCert: c.encryptedCert && dumpEncryptedKey(c.encryptedCert),
    privateKey: kp.privateKey && dumpEncryptedKey(kp.privateKey),
    publicationInfo: kp.publicationInfo && { action: kp.publicationInfo.action },
  });
}

function dumpCertRep(rep: CertRepMessage): Json {
  return compact({
    caPubs: rep.caPubs && rep.caPubs.map(dumpCertificate),
    response: rep.response.map((r) =>
      compact({
        certReqId: r.certReqId.toString(),
        status: dumpStatusInfo(r.status),
        certifiedKeyPair: r.certifiedKeyPair && dumpCertifiedKeyPair(r.certifiedKeyPair),
        rspInfo: r.rspInfo && hex(r.rspInfo),
      }),
    ),
  });
}

function dumpCertId(id: CertId): Json {
  return { issuer: dumpGeneralName(id.issuer), serialNumber: hex(id.serialNumber) };
}

function dumpRootCaKeyUpdate(c: RootCaKeyUpdateContent): Json {
  return compact({
    newWithNew: dumpCertificate(c.newWithNew),
    newWithOld: c.newWithOld && dumpCertificate(c.newWithOld),
    oldWithNew: c.oldWithNew && dumpCertificate(c.oldWithNew),
  });
}

function dumpInfoValueContent(infoType: string, value: object): Json {
  if (value instanceof Certificate) return dumpCertificate(value);
  if (value instanceof CertificateList) return dumpCrl(value);
  if (value instanceof AlgorithmIdentifier) return dumpAlgorithm(value);
  if (value instanceof RootCaKeyUpdateContent) return dumpRootCaKeyUpdate(value);
  if (value instanceof EncryptedKey) return dumpEncryptedKey(value);
  if (value instanceof PKIMessage) return dumpPkiMessage(value) as Json;
  if (Array.isArray(value)) {
    return value.map((item: unknown) =>
      typeof item === 'string' ? (infoType === CmpOids.idItUnsupportedOIDs ? oid(item) : item) : dumpInfoValueContent(infoType, item as object),
    );
  }
  if ('certTemplate' in value) {
    const v = value as { certTemplate: CertTemplate; keySpec?: AttributeTypeAndValue[] };
    return compact({ certTemplate: dumpTemplate(v.certTemplate), keySpec: v.keySpec && v.keySpec.map(dumpAttribute) });
  }
  if ('source' in value) {
    const v = value as { source: { dpn?: unknown; issuer?: GeneralName[] }; thisUpdate?: Time };
    return compact({
      source: v.source.issuer ? { issuer: v.source.issuer.map(dumpGeneralName) } : { dpn: hex(AsnConvert.serialize(v.source)) },
      thisUpdate: dumpTime(v.thisUpdate),
    });
  }
  if ('kem' in value && 'ct' in value) {
    const v = value as { kem: AlgorithmIdentifier; ct: ArrayBuffer };
    return { kem: dumpAlgorithm(v.kem), ct: hex(v.ct) };
  }
  if ('oldWithNew' in value) {
    const v = value as { oldWithNew: Certificate; newWithOld: Certificate; newWithNew: Certificate };
    return { oldWithNew: dumpCertificate(v.oldWithNew), newWithOld: dumpCertificate(v.newWithOld), newWithNew: dumpCertificate(v.newWithNew) };
  }
  return hex(AsnConvert.serialize(value));
}

function dumpInfoValue(itav: InfoTypeAndValue): Json | undefined {
  const raw = itav.infoValue;
  if (raw === undefined) return undefined;
  return safely(
    () => {
      if (itav.infoType === CmpOids.idItConfirmWaitTime) return dumpTime(decodeInfoValueTime(itav)) ?? null;
      const bytes = new Uint8Array(raw);
      if (bytes.length === 2 && bytes[0] === 0x05 && bytes[1] === 0x00) return null;
      const type = infoValueType(itav.infoType);
      if (!type) return hex(raw);
      return dumpInfoValueContent(itav.infoType, decodeInfoValue(itav, type));
    },
    () => hex(raw),
  );
}

function dumpItav(itav: InfoTypeAndValue): Json {
  return compact({ infoType: oid(itav.infoType), infoValue: dumpInfoValue(itav) });
}

function dumpHeader(h: PKIHeader): Json {
  return compact({
    pvno: h.pvno,
    sender: dumpGeneralName(h.sender),
    recipient: dumpGeneralName(h.recipient),
    messageTime: dumpTime(h.messageTime),
    protectionAlg: h.protectionAlg && dumpAlgorithm(h.protectionAlg),
    senderKID: h.senderKID && hex(h.senderKID),
    recipKID: h.recipKID && hex(h.recipKID),
    transactionID: h.transactionID && hex(h.transactionID),
    senderNonce: h.senderNonce && hex(h.senderNonce),
    recipNonce: h.recipNonce && hex(h.recipNonce),
    freeText: dumpFreeText(h.freeText),
    generalInfo: h.generalInfo && h.generalInfo.map(dumpItav),
  });
}

function dumpP10cr(csr: CertificationRequest): Json {
  const info = csr.certificationRequestInfo;
  return {
    subject: dumpName(info.subject),
    publicKey: keyType(info.subjectPKInfo),
    attributes: info.attributes.map((a) => oid(a.type)),
    signatureAlgorithm: dumpAlgorithm(csr.signatureAlgorithm),
  };
}

function dumpRevReq(rr: RevReqContent): Json {
  return rr.map((d) => compact({ certDetails: dumpTemplate(d.certDetails), crlEntryDetails: dumpExtensions(d.crlEntryDetails) }));
}

function dumpRevRep(rp: RevRepContent): Json {
  return compact({
    status: rp.status.map(dumpStatusInfo),
    revCerts: rp.revCerts && rp.revCerts.map(dumpCertId),
    crls: rp.crls && rp.crls.map(dumpCrl),
  });
}

function dumpKrp(krp: KeyRecRepContent): Json {
  return compact({
    status: dumpStatusInfo(krp.status),
    newSigCert: krp.newSigCert && dumpCertificate(krp.newSigCert),
    caCerts: krp.caCerts && krp.caCerts.map(dumpCertificate),
    keyPairHist: krp.keyPairHist && krp.keyPairHist.map(dumpCertifiedKeyPair),
  });
}

function dumpCkuann(c: CAKeyUpdContent): Json {
  if (c.cAKeyUpdAnnV3) return { cAKeyUpdAnnV3: dumpRootCaKeyUpdate(c.cAKeyUpdAnnV3) };
  const v2 = c.cAKeyUpdAnnV2!;
  return {
    cAKeyUpdAnnV2: {
      oldWithNew: dumpCertificate(v2.oldWithNew),
      newWithOld: dumpCertificate(v2.newWithOld),
      newWithNew: dumpCertificate(v2.newWithNew),
    },
  };
}

function dumpRann(r: RevAnnContent): Json {
  return compact({
    status: r.status,
    statusName: pkiStatusName(r.status),
    certId: dumpCertId(r.certId),
    willBeRevokedAt: dumpTime(r.willBeRevokedAt),
    badSinceDate: dumpTime(r.badSinceDate),
    crlDetails: dumpExtensions(r.crlDetails),
  });
}

function dumpBody(body: PKIBody): Json {
  const type = pkiBodyType(body);
  switch (type) {
    case 'ir':
    case 'cr':
    case 'kur':
    case 'krr':
    case 'ccr':
      return dumpCertReqMessages(body[type]!);
    case 'ip':
    case 'cp':
    case 'kup':
    case 'ccp':
      return dumpCertRep(body[type]!);
    case 'p10cr':
      return dumpP10cr(body.p10cr!);
    case 'popdecc':
      return body.popdecc!.map((c) =>
        compact({
          owf: c.owf && dumpAlgorithm(c.owf),
          witness: hex(c.witness),
          challenge: hex(c.challenge),
          encryptedRand: c.encryptedRand && dumpEnveloped(c.encryptedRand),
        }),
      );
    case 'popdecr':
      return Array.from(body.popdecr!, (v) => v.toString());
    case 'krp':
      return dumpKrp(body.krp!);
    case 'rr':
      return dumpRevReq(body.rr!);
    case 'rp':
      return dumpRevRep(body.rp!);
    case 'ckuann':
      return dumpCkuann(body.ckuann!);
    case 'cann':
      return dumpCertificate(body.cann!);
    case 'rann':
      return dumpRann(body.rann!);
    case 'crlann':
      return body.crlann!.map(dumpCrl);
    case 'pkiconf':
      return null;
    case 'nested':
      return body.nested!.map((m) => dumpPkiMessage(m) as Json);
    case 'genm':
    case 'genp':
      return body[type]!.map(dumpItav);
    case 'error': {
      const e = body.error!;
      return compact({
        pKIStatusInfo: dumpStatusInfo(e.pKIStatusInfo),
        errorCode: bigintText(e.errorCode),
        errorDetails: dumpFreeText(e.errorDetails),
      });
    }
    case 'certConf':
      return body.certConf!.map((s) =>
        compact({
          certHash: hex(s.certHash),
          certReqId: s.certReqId.toString(),
          statusInfo: s.statusInfo && dumpStatusInfo(s.statusInfo),
          hashAlg: s.hashAlg && dumpAlgorithm(s.hashAlg),
        }),
      );
    case 'pollReq':
      return body.pollReq!.map((p) => ({ certReqId: p.certReqId.toString() }));
    case 'pollRep':
      return body.pollRep!.map((p) =>
        compact({ certReqId: p.certReqId.toString(), checkAfter: p.checkAfter.toString(), reason: dumpFreeText(p.reason) }),
      );
    default:
      return null;
  }
}

/** A readable JSON view of `msg`: body type, every header field, the body's content, protection, extraCerts. */
export function dumpPkiMessage(msg: PKIMessage): object {
  return compact({
    bodyType: pkiBodyType(msg.body) ?? 'none',
    header: dumpHeader(msg.header),
    body: safely(
      () => dumpBody(msg.body),
      () => hex(AsnConvert.serialize(msg.body)),
    ),
    protection: msg.protection && hex(msg.protection),
    extraCerts: msg.extraCerts && msg.extraCerts.map(dumpCertificate),
  });
}

const PEM_BLOCK = /-----BEGIN ([^\r\n-]*)-----\r?\n([\s\S]*?)-----END \1-----/;

/**
 * The DER of a message file: DER is returned as is, PEM (any label, e.g. `PKIMESSAGE`) is
 * decoded. Throws CmpError ERR_PEM for PEM armour without a valid base64 body.
 */
export function readMessageFile(bytes: Uint8Array | ArrayBuffer): Uint8Array<ArrayBuffer> {
  const data = Uint8Array.from(bytesOf(bytes));
  if (data.length > 0 && data[0] === 0x30) return data;
  const text = Buffer.from(data).toString('latin1');
  if (!text.includes('-----BEGIN ')) return data;
  const match = PEM_BLOCK.exec(text);
  if (!match) throw new CmpError(ErrorCodes.ERR_PEM, 'PEM data without a matching END line');
  // RFC 1421 style headers ("Name: value") may precede the base64 body.
  const body = match[2]
    .split(/\r?\n/)
    .filter((line) => !line.includes(':'))
    .join('')
    .replace(/\s+/g, '');
  if (body.length === 0 || body.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(body)) {
    throw new CmpError(ErrorCodes.ERR_PEM, `PEM block '${match[1]}' does not hold valid base64`);
  }
  return fromB64(body);
}
