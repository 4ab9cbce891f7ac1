/**
 * Builds CMP responses as a server would send them, to feed the response validators: a
 * transaction (transactionID and the senderNonce of "our" request), a body, and PBM protection
 * with a shared secret unless a test asks for none or a wrong secret.
 */
import { randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, GeneralName, Name } from '@peculiar/asn1-x509';
import type * as x509 from '@peculiar/x509';
import {
  CertifiedKeyPair,
  CertOrEncCert,
  CertRepMessage,
  CertResponse,
  CmpOids,
  decodePkiMessage,
  encodePkiMessage,
  ErrorMsgContent,
  InfoTypeAndValue,
  PKIBody,
  PKIFailureInfo,
  PKIFreeText,
  PKIHeader,
  PKIMessage,
  PKIStatusInfo,
  PollRepContent,
  PollRepContentEntry,
  RevRepContent,
} from '../../src/asn1';
import { parseName } from '../../src/pki/names';
import { protectPkiMessage } from '../../src/protection';
import type { RequestKind, ResponseExpectations } from '../../src/validation';
import { issueCa, issueLeaf, generateKey, type Issued } from '../pki/certificate-factory';

export const SECRET = new TextEncoder().encode('insecure test secret');
export const SERVER_DN = 'CN=Test CMP Server, O=cmpflow';
export const CLIENT_DN = 'CN=Test Client, O=cmpflow';

/** The identity of one transaction as the client saw it when sending its request. */
export interface Transaction {
  transactionId: Uint8Array;
  /** senderNonce of the client's request. */
  requestNonce: Uint8Array;
}

export function newTransaction(): Transaction {
  return { transactionId: new Uint8Array(randomBytes(16)), requestNonce: new Uint8Array(randomBytes(16)) };
}

export interface ResponseSpec {
  pvno?: number;
  /** Default: directoryName SERVER_DN. */
  sender?: GeneralName;
  /** `null` leaves the field out; default: the transaction's. */
  transactionId?: Uint8Array | null;
  /** `null` leaves the field out; default: the request's senderNonce. */
  recipNonce?: Uint8Array | null;
  /** `null` leaves the field out; default: fresh random bytes. */
  senderNonce?: Uint8Array | null;
  implicitConfirm?: boolean;
  extraCerts?: x509.X509Certificate[];
  /** Default 'pbm' with SECRET. */
  protection?: 'pbm' | 'none' | { pbmSecret: Uint8Array };
  /** Rewrites the encoded message before it is protected, e.g. to put non-DER bytes on the wire. */
  rewrite?: (der: Uint8Array) => Uint8Array;
}

/** Encodes and protects a response of `t` with `body`. */
export async function buildResponse(t: Transaction, body: PKIBody, spec: ResponseSpec = {}): Promise<Uint8Array> {
  const pick = (value: Uint8Array | null | undefined, fallback: Uint8Array) =>
    value === null ? undefined : Uint8Array.from(value ?? fallback).buffer;
  const header = new PKIHeader({
    pvno: spec.pvno ?? 2,
    sender: spec.sender ?? directoryName(SERVER_DN),
    recipient: directoryName(CLIENT_DN),
    messageTime: new Date(Math.floor(Date.now() / 1000) * 1000),
  });
  const transactionID = pick(spec.transactionId, t.transactionId);
  const senderNonce = pick(spec.senderNonce, new Uint8Array(randomBytes(16)));
  const recipNonce = pick(spec.recipNonce, t.requestNonce);
  if (transactionID) header.transactionID = transactionID;
  if (senderNonce) header.senderNonce = senderNonce;
  if (recipNonce) header.recipNonce = recipNonce;
  if (spec.implicitConfirm)
    header.generalInfo = [new InfoTypeAndValue({ infoType: CmpOids.idItImplicitConfirm, infoValue: Uint8Array.of(5, 0).buffer })];
  const built = new PKIMessage({ header, body });
  if (spec.extraCerts?.length) built.extraCerts = spec.extraCerts.map(asn1Certificate);
  // A decoded message keeps its received bytes, so protection then covers the rewritten ones.
  const msg = spec.rewrite ? decodePkiMessage(spec.rewrite(encodePkiMessage(built))) : built;
  const protection = spec.protection ?? 'pbm';
  if (protection === 'none') return protectPkiMessage(msg, { kind: 'none' });
  return protectPkiMessage(msg, { kind: 'pbm', secret: protection === 'pbm' ? SECRET : protection.pbmSecret });
}

/** What the client expects in answer to `requestType` in transaction `t`, with PBM and no trust anchors. */
export function expectationsFor(t: Transaction, requestType: RequestKind, overrides: Partial<ResponseExpectations> = {}): ResponseExpectations {
  return {
    requestType,
    transactionId: t.transactionId,
    lastSenderNonce: t.requestNonce,
    verify: { secret: SECRET, trusted: [], untrusted: [] },
    ...overrides,
  };
}

export function directoryName(dn: string): GeneralName {
  return new GeneralName({ directoryName: parseName(dn) });
}

export function asnName(dn: string): Name {
  return parseName(dn);
}

export function asn1Certificate(cert: x509.X509Certificate): Certificate {
  return AsnConvert.parse(cert.rawData, Certificate);
}

export function statusInfo(status: number, failInfo?: string[], text?: string[]): PKIStatusInfo {
  return new PKIStatusInfo({
    status,
    ...(failInfo ? { failInfo: PKIFailureInfo.fromNames(failInfo) } : {}),
    ...(text ? { statusString: new PKIFreeText(text) } : {}),
  });
}

export function certResponse(opts: { certReqId?: bigint; status: PKIStatusInfo; certificate?: x509.X509Certificate }): CertResponse {
  return new CertResponse({
    certReqId: opts.certReqId ?? 0n,
    status: opts.status,
    ...(opts.certificate
      ? { certifiedKeyPair: new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ certificate: asn1Certificate(opts.certificate) }) }) }
      : {}),
  });
}

export function certRepBody(type: 'ip' | 'cp' | 'kup', responses: CertResponse[], caPubs?: x509.X509Certificate[]): PKIBody {
  const rep = new CertRepMessage({ response: responses, ...(caPubs ? { caPubs: caPubs.map(asn1Certificate) } : {}) });
  return new PKIBody({ [type]: rep });
}

export function pollRepBody(entries: { certReqId?: bigint; checkAfter: bigint; reason?: string[] }[]): PKIBody {
  return new PKIBody({
    pollRep: new PollRepContent(
      entries.map(
        (e) =>
          new PollRepContentEntry({
            certReqId: e.certReqId ?? 0n,
            checkAfter: e.checkAfter,
            ...(e.reason ? { reason: new PKIFreeText(e.reason) } : {}),
          }),
      ),
    ),
  });
}

export function errorBody(status: PKIStatusInfo, details?: { errorCode?: bigint; errorDetails?: string[] }): PKIBody {
  return new PKIBody({
    error: new ErrorMsgContent({
      pKIStatusInfo: status,
      ...(details?.errorCode !== undefined ? { errorCode: details.errorCode } : {}),
      ...(details?.errorDetails ? { errorDetails: new PKIFreeText(details.errorDetails) } : {}),
    }),
  });
}

export function rpBody(statuses: PKIStatusInfo[], extra: Partial<RevRepContent> = {}): PKIBody {
  return new PKIBody({ rp: new RevRepContent({ status: statuses, ...extra }) });
}

export const pkiconfBody = (): PKIBody => new PKIBody({ pkiconf: null });

/** A small PKI: root -> intermediate -> the certificate the CA issues for our new key. */
export interface TestPki {
  root: Issued;
  intermediate: Issued;
  enrolled: Issued;
  /** A root nobody uses, for negative trust tests. */
  otherRoot: Issued;
}

export async function makePki(): Promise<TestPki> {
  const root = await issueCa({ subject: 'CN=Validation Root CA, O=cmpflow', key: await generateKey('p256') });
  const intermediate = await issueCa({ subject: 'CN=Validation Issuing CA, O=cmpflow', key: await generateKey('p256'), issuer: root });
  const enrolled = await issueLeaf({ subject: 'CN=Validation Enrolled, O=cmpflow', key: await generateKey('p256'), issuer: intermediate });
  const otherRoot = await issueCa({ subject: 'CN=Other Root CA, O=cmpflow', key: await generateKey('p256') });
  return { root, intermediate, enrolled, otherRoot };
}

/** DER SubjectPublicKeyInfo of a certificate's key, i.e. what the client asked a certificate for. */
export function spkiOf(cert: x509.X509Certificate): Uint8Array {
  return new Uint8Array(cert.publicKey.rawData);
}

export function b64(bytes: Uint8Array | ArrayBuffer): string {
  return Buffer.from(bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes)).toString('base64');
}
