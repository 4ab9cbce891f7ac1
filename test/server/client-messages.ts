/**
 * Builds requests for the server tests with the library's message builders and protection (not
 * with the client library), and reads the server's answers. Each helper does one message, so a
 * test can send exactly the malformed, replayed or mis-protected message it is about.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Extension, GeneralName, Name } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { decodePkiMessage, PKIBody, PKIMessage, pkiBodyType, type PKIBodyType } from '../../src/asn1';
import { getCryptoProvider, type PrivateKeyHandle } from '../../src/crypto';
import { buildCertConf } from '../../src/message/cert-conf';
import { buildCertReqMessages, type PopoMethod } from '../../src/message/cert-request';
import { buildHeader } from '../../src/message/header';
import { directoryName, nullDirectoryName, parseName } from '../../src/pki/names';
import { protectPkiMessage, type ProtectionConfig } from '../../src/protection/protect';
import type { CmpServer } from '../../src/server';

export type Auth =
  | { kind: 'pbm' | 'pbmac1'; secret: string; ref?: string }
  | { kind: 'signature'; key: PrivateKeyHandle; cert: X509Certificate; extraCerts?: X509Certificate[] }
  | { kind: 'none' };

export interface SendOptions {
  auth: Auth;
  transactionId?: Uint8Array;
  recipNonce?: Uint8Array;
  senderNonce?: Uint8Array;
  pvno?: 2 | 3;
  implicitConfirm?: boolean;
}

export interface Sent {
  der: Uint8Array;
  transactionId: Uint8Array;
  senderNonce: Uint8Array;
}

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

function protection(auth: Auth): ProtectionConfig {
  switch (auth.kind) {
    case 'pbm':
      return { kind: 'pbm', secret: utf8(auth.secret) };
    case 'pbmac1':
      return { kind: 'pbmac1', secret: utf8(auth.secret), iterations: 1000 };
    case 'signature':
      return { kind: 'signature', key: auth.key, cert: auth.cert };
    default:
      return { kind: 'none' };
  }
}

/** A protected request with `body`, in a fresh transaction unless `transactionId` is given. */
export async function buildRequest(body: PKIBody, options: SendOptions): Promise<Sent> {
  const random = (n: number) => getCryptoProvider().randomBytes(n);
  const transactionId = options.transactionId ?? random(16);
  const senderNonce = options.senderNonce ?? random(16);
  const auth = options.auth;
  const sender: GeneralName =
    auth.kind === 'signature' ? directoryName(AsnConvert.parse(auth.cert.subjectName.toArrayBuffer(), Name)) : nullDirectoryName();
  const header = buildHeader({
    pvno: options.pvno ?? 2,
    sender,
    recipient: nullDirectoryName(),
    transactionId,
    senderNonce,
    ...(options.recipNonce ? { recipNonce: options.recipNonce } : {}),
    ...(auth.kind === 'pbm' || auth.kind === 'pbmac1' ? { senderKID: utf8(auth.ref ?? 'client') } : {}),
    ...(options.implicitConfirm ? { implicitConfirm: true } : {}),
  });
  const msg = new PKIMessage({ header, body });
  if (auth.kind === 'signature') {
    msg.extraCerts = [auth.cert, ...(auth.extraCerts ?? [])].map((c) => AsnConvert.parse(c.rawData, Certificate));
  }
  return { der: await protectPkiMessage(msg, protection(auth)), transactionId, senderNonce };
}

export interface CertRequestSpec {
  type?: 'ir' | 'cr' | 'kur';
  /** The key to certify. */
  key: PrivateKeyHandle;
  subject?: string;
  /** Issuer to name in the template. */
  issuer?: string;
  extensions?: Extension[];
  /** Signs the POPO; default `key`. */
  popoKey?: PrivateKeyHandle;
  popo?: PopoMethod;
  days?: number;
  oldCert?: X509Certificate;
}

export async function certRequestBody(spec: CertRequestSpec): Promise<PKIBody> {
  const popo = spec.popo ?? 1;
  const messages = await buildCertReqMessages({
    certReqId: 0n,
    publicKey: spec.key.spki,
    ...(spec.subject !== undefined ? { subject: parseName(spec.subject) } : {}),
    ...(spec.issuer !== undefined ? { issuer: parseName(spec.issuer) } : {}),
    ...(spec.extensions ? { extensions: spec.extensions } : {}),
    ...(spec.days !== undefined ? { days: spec.days } : {}),
    ...(spec.oldCert ? { oldCert: spec.oldCert } : {}),
    popo,
    ...(popo === 1 ? { popoKey: spec.popoKey ?? spec.key } : {}),
  });
  return new PKIBody({ [spec.type ?? 'ir']: messages });
}

export async function certConfBody(cert: X509Certificate, certReqId = 0n, accept = true): Promise<{ body: PKIBody; pvno: 2 | 3 }> {
  const built = await buildCertConf({ certificateDer: new Uint8Array(cert.rawData), certReqId, accept });
  return { body: new PKIBody({ certConf: built.content }), pvno: built.pvno };
}

export interface Answer {
  msg: PKIMessage;
  type: PKIBodyType;
  senderNonce: Uint8Array;
  /** For `error` bodies and rejections: the failInfo bit names and the status text. */
  failInfo: string[];
  statusText: string;
  status?: number;
  /** The certificate of an ip/cp/kup, if any. */
  cert?: X509Certificate;
}

export function readAnswer(der: Uint8Array): Answer {
  const msg = decodePkiMessage(der);
  const type = pkiBodyType(msg.body)!;
  const rep = msg.body.ip ?? msg.body.cp ?? msg.body.kup;
  const info = msg.body.error?.pKIStatusInfo ?? rep?.response[0]?.status ?? msg.body.rp?.status[0];
  const certificate = rep?.response[0]?.certifiedKeyPair?.certOrEncCert.certificate;
  return {
    msg,
    type,
    senderNonce: new Uint8Array(msg.header.senderNonce ?? new ArrayBuffer(0)),
    failInfo: info?.failInfo?.toNames() ?? [],
    statusText: info?.statusString?.join(' ') ?? '',
    ...(info ? { status: info.status } : {}),
    ...(certificate ? { cert: new X509Certificate(AsnConvert.serialize(certificate)) } : {}),
  };
}

/** Sends one request through `server.handle` and reads the answer. */
export async function exchange(server: CmpServer, body: PKIBody, options: SendOptions): Promise<Answer & { sent: Sent }> {
  const sent = await buildRequest(body, options);
  return { ...readAnswer(await server.handle(sent.der)), sent };
}

/** ir (or cr/kur) followed by certConf: the whole enrollment, returning the certificate. */
export async function enroll(server: CmpServer, spec: CertRequestSpec, auth: Auth): Promise<X509Certificate> {
  const answer = await exchange(server, await certRequestBody(spec), { auth });
  if (!answer.cert) throw new Error(`no certificate: ${answer.type} ${answer.failInfo.join(',')} ${answer.statusText}`);
  const conf = await certConfBody(answer.cert);
  const done = await exchange(server, conf.body, { auth, pvno: conf.pvno, transactionId: answer.sent.transactionId, recipNonce: answer.senderNonce });
  if (done.type !== 'pkiconf') throw new Error(`certConf answered with ${done.type}: ${done.statusText}`);
  return answer.cert;
}

export async function newKey(): Promise<PrivateKeyHandle> {
  return getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
}
