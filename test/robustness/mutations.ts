/**
 * Field-by-field mutations of real CMP responses, each with what the client must make of it. The
 * hostile server applies them to answers of `openssl cmp -port 0` and protects the result again
 * with the shared secret (unless the mutation is of the protection itself), so each one reaches
 * the check that is meant to catch it.
 */
import { randomBytes } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, GeneralName } from '@peculiar/asn1-x509';
import {
  CertifiedKeyPair,
  CertOrEncCert,
  CertRepMessage,
  CertResponse,
  CmpOids,
  ErrorMsgContent,
  InfoTypeAndValue,
  PKIBody,
  PKIFailureInfo,
  PKIFreeText,
  PKIMessage,
  PKIStatus,
  PKIStatusInfo,
  PollRepContent,
  PollRepContentEntry,
  protectedPartBytes,
} from '../../src/asn1';
import { PBMParameter } from '../../src/asn1/crmf/pbm_parameter';
import { hashAlgorithmId, hmacAlgorithmId } from '../../src/crypto';
import type { ErrorCode } from '../../src/errors';
import { parseName } from '../../src/pki/names';
import { computePbm, pbmAlgorithmId } from '../../src/protection';
import type { Mutation } from './hostile-server';

/** What the client must make of a mutated response: a certificate, or this error. */
export type Expectation = { ok: true } | { code: ErrorCode };

export interface MutationCase extends Mutation {
  /** Which response is mutated: the answer to the ir, or the pollRep while polling. */
  target: 'ip' | 'pollRep';
  expect: Expectation;
}

export interface MutationMaterial {
  secret: Uint8Array;
  /** A certificate for another key than the one requested. */
  otherKeyCert: Uint8Array;
  /** A self-signed certificate unrelated to the server's PKI. */
  foreignRoot: Uint8Array;
}

const ab = (bytes: Uint8Array): ArrayBuffer => Uint8Array.from(bytes).buffer;
const asn1Cert = (der: Uint8Array) => AsnConvert.parse(der, Certificate);

function certRep(msg: PKIMessage): CertRepMessage {
  const rep = msg.body.ip ?? msg.body.cp ?? msg.body.kup;
  if (!rep) throw new Error(`mutation expects ip/cp/kup, got ${Object.keys(msg.body).join()}`);
  return rep;
}
const firstResponse = (msg: PKIMessage): CertResponse => certRep(msg).response[0]!;

function pollEntry(msg: PKIMessage): PollRepContentEntry {
  const entries = msg.body.pollRep;
  if (!entries || entries.length === 0) throw new Error('mutation expects a pollRep');
  return entries[0]!;
}

/** PBM protection with parameters of our choosing, the MAC computed correctly where possible. */
async function protectWithPbm(msg: PKIMessage, secret: Uint8Array, param: PBMParameter, computable: boolean): Promise<void> {
  msg.header.protectionAlg = pbmAlgorithmId(param);
  msg.protection = computable
    ? ab(await computePbm(param, secret, protectedPartBytes(msg), { min: 1, max: Number.MAX_SAFE_INTEGER }))
    : ab(new Uint8Array(randomBytes(20)));
}

function pbmParam(changes: Partial<PBMParameter>): PBMParameter {
  return new PBMParameter({
    salt: ab(new Uint8Array(randomBytes(16))),
    owf: hashAlgorithmId('SHA-256'),
    iterationCount: 500n,
    mac: hmacAlgorithmId('SHA-1'),
    ...changes,
  });
}

const status = (value: number, failInfo?: string[]) =>
  new PKIStatusInfo({ status: value, ...(failInfo ? { failInfo: PKIFailureInfo.fromNames(failInfo) } : {}) });

export function mutationCases(m: MutationMaterial): MutationCase[] {
  const ip = (name: string, expect: Expectation, apply: Mutation['apply'], protect?: Mutation['protect']): MutationCase => ({
    name,
    target: 'ip',
    expect,
    apply,
    ...(protect ? { protect } : {}),
  });
  const poll = (name: string, expect: Expectation, apply: Mutation['apply']): MutationCase => ({ name, target: 'pollRep', expect, apply });
  const code = (c: ErrorCode): Expectation => ({ code: c });
  const ok: Expectation = { ok: true };

  return [
    // ---- header
    ip('pvno 1 (cmp1999)', code('ERR_UNEXPECTED_PVNO'), (r) => void (r.header.pvno = 1)),
    ip('pvno 5', code('ERR_UNEXPECTED_PVNO'), (r) => void (r.header.pvno = 5)),
    ip('sender is another directoryName', code('ERR_UNEXPECTED_SENDER'), (r) => {
      r.header.sender = new GeneralName({ directoryName: parseName('/CN=impostor CA') });
    }),
    ip('sender is an rfc822Name', code('ERR_UNEXPECTED_SENDER'), (r) => {
      r.header.sender = new GeneralName({ rfc822Name: 'ca@example.com' });
    }),
    // Neither RFC 9483 nor OpenSSL check the recipient of a response.
    ip('recipient is another name', ok, (r) => {
      r.header.recipient = new GeneralName({ directoryName: parseName('/CN=somebody else') });
    }),
    ip('transactionID changed', code('ERR_TRANSACTION_ID_MISMATCH'), (r) => {
      r.header.transactionID = ab(new Uint8Array(randomBytes(16)));
    }),
    ip('transactionID removed', code('ERR_TRANSACTION_ID_MISMATCH'), (r) => void (r.header.transactionID = undefined)),
    ip('senderNonce removed', code('ERR_SENDER_NONCE_MISSING'), (r) => void (r.header.senderNonce = undefined)),
    ip('senderNonce empty', code('ERR_SENDER_NONCE_MISSING'), (r) => void (r.header.senderNonce = new ArrayBuffer(0))),
    // The client cannot tell; the certConf echoes the forged nonce and the real server refuses it.
    ip('senderNonce replaced', code('ERR_ERROR_RESPONSE'), (r) => void (r.header.senderNonce = ab(new Uint8Array(randomBytes(16))))),
    ip('recipNonce changed', code('ERR_RECIP_NONCE_MISMATCH'), (r) => void (r.header.recipNonce = ab(new Uint8Array(randomBytes(16))))),
    ip('recipNonce removed', code('ERR_RECIP_NONCE_MISMATCH'), (r) => void (r.header.recipNonce = undefined)),
    ip('messageTime in 1970', ok, (r) => void (r.header.messageTime = new Date(0))),
    ip('messageTime in 2999', ok, (r) => void (r.header.messageTime = new Date('2999-01-01T00:00:00Z'))),
    ip('senderKID changed', ok, (r) => void (r.header.senderKID = ab(new Uint8Array(randomBytes(20))))),
    ip('generalInfo with an unknown ITAV', ok, (r) => {
      r.header.generalInfo = [new InfoTypeAndValue({ infoType: '1.3.6.1.4.1.99999.1', infoValue: ab(Uint8Array.of(0x04, 0x01, 0x2a)) })];
    }),
    // Granted without being asked for: the client confirms all the same.
    ip('generalInfo grants implicitConfirm unasked', ok, (r) => {
      r.header.generalInfo = [new InfoTypeAndValue({ infoType: CmpOids.idItImplicitConfirm, infoValue: ab(Uint8Array.of(0x05, 0x00)) })];
    }),

    // ---- protection (protected by the mutation itself)
    ip(
      'PBM iteration count 2^31',
      code('ERR_PBM_ITERATIONS'),
      (r) => protectWithPbm(r, m.secret, pbmParam({ iterationCount: 2n ** 31n }), false),
      'asIs',
    ),
    ip('PBM iteration count 1', code('ERR_PBM_ITERATIONS'), (r) => protectWithPbm(r, m.secret, pbmParam({ iterationCount: 1n }), true), 'asIs'),
    ip(
      'PBM iteration count negative',
      code('ERR_PBM_ITERATIONS'),
      (r) => protectWithPbm(r, m.secret, pbmParam({ iterationCount: -500n }), false),
      'asIs',
    ),
    ip(
      'PBM one-way function unknown',
      code('ERR_UNSUPPORTED_ALGORITHM'),
      (r) => protectWithPbm(r, m.secret, pbmParam({ owf: new AlgorithmIdentifier({ algorithm: '1.2.3.4.5' }) }), false),
      'asIs',
    ),
    ip(
      'PBM MAC algorithm unknown',
      code('ERR_UNSUPPORTED_ALGORITHM'),
      (r) => protectWithPbm(r, m.secret, pbmParam({ mac: new AlgorithmIdentifier({ algorithm: '1.2.3.4.6' }) }), false),
      'asIs',
    ),
    ip(
      'PBM parameters missing',
      code('ERR_ASN1_DECODE'),
      (r) => {
        r.header.protectionAlg = new AlgorithmIdentifier({ algorithm: CmpOids.passwordBasedMac });
        r.protection = ab(new Uint8Array(20));
      },
      'asIs',
    ),
    ip(
      'PBM parameters not a PBMParameter',
      code('ERR_ASN1_DECODE'),
      (r) => {
        r.header.protectionAlg = new AlgorithmIdentifier({ algorithm: CmpOids.passwordBasedMac, parameters: ab(Uint8Array.of(0x04, 0x02, 1, 2)) });
        r.protection = ab(new Uint8Array(20));
      },
      'asIs',
    ),
    ip(
      'protection removed',
      code('ERR_PROTECTION_MISSING'),
      (r) => {
        r.header.protectionAlg = undefined;
        r.protection = undefined;
      },
      'asIs',
    ),
    ip(
      'protection bits flipped',
      code('ERR_PROTECTION_INVALID'),
      (r) => {
        const bits = new Uint8Array(r.protection!.slice(0));
        bits[0] ^= 0x01;
        r.protection = ab(bits);
      },
      'asIs',
    ),
    ip(
      'protected with another secret',
      code('ERR_PROTECTION_INVALID'),
      (r) => protectWithPbm(r, new TextEncoder().encode('not the shared secret'), pbmParam({}), true),
      'asIs',
    ),

    // ---- body
    ip('body type ip turned into cp', code('ERR_UNEXPECTED_BODY'), (r) => {
      r.body = new PKIBody({ cp: certRep(r) });
    }),
    ip('body type ip turned into pkiconf', code('ERR_UNEXPECTED_BODY'), (r) => void (r.body = new PKIBody({ pkiconf: null }))),
    ip('body type ip turned into error', code('ERR_ERROR_RESPONSE'), (r) => {
      r.body = new PKIBody({ error: new ErrorMsgContent({ pKIStatusInfo: status(PKIStatus.rejection, ['systemFailure']) }) });
    }),
    ip('certReqId 7 instead of 0', code('ERR_CERT_REQ_ID_MISMATCH'), (r) => void (firstResponse(r).certReqId = 7n)),
    ip('certReqId -1 instead of 0', code('ERR_CERT_REQ_ID_MISMATCH'), (r) => void (firstResponse(r).certReqId = -1n)),
    ip('two CertResponses', code('ERR_WRONG_CERT_RESPONSE_COUNT'), (r) => {
      const rep = certRep(r);
      rep.response = [rep.response[0]!, AsnConvert.parse(AsnConvert.serialize(rep.response[0]!), CertResponse)];
    }),
    ip('no CertResponse', code('ERR_WRONG_CERT_RESPONSE_COUNT'), (r) => void (certRep(r).response = [])),
    ip(
      'status rejection with a certificate',
      code('ERR_REQUEST_REJECTED'),
      (r) => void (firstResponse(r).status = status(PKIStatus.rejection, ['badRequest'])),
    ),
    ip('status keyUpdateWarning in an ip', code('ERR_UNEXPECTED_STATUS'), (r) => void (firstResponse(r).status = status(PKIStatus.keyUpdateWarning))),
    ip('status 99', code('ERR_UNEXPECTED_STATUS'), (r) => void (firstResponse(r).status = status(99))),
    // RFC 9810 puts failInfo with rejections; OpenSSL as well as we report it and go on.
    ip('status accepted with a failInfo', ok, (r) => void (firstResponse(r).status = status(PKIStatus.accepted, ['badAlg']))),
    ip('certificate for another key', code('ERR_PUBLIC_KEY_MISMATCH'), (r) => {
      firstResponse(r).certifiedKeyPair = new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ certificate: asn1Cert(m.otherKeyCert) }) });
    }),
    ip('certificate removed', code('ERR_NO_CERTIFICATE'), (r) => void (firstResponse(r).certifiedKeyPair = undefined)),
    // With MAC protection the secret authenticates the CA, so its caPubs are taken (RFC 9483 4.1.1).
    ip('caPubs replaced by an unrelated root', ok, (r) => void (certRep(r).caPubs = [asn1Cert(m.foreignRoot)])),
    ip('caPubs removed', ok, (r) => void (certRep(r).caPubs = undefined)),
    ip('extraCerts removed', ok, (r) => void (r.extraCerts = undefined)),
    ip('extraCerts with an unrelated certificate', ok, (r) => void (r.extraCerts = [...(r.extraCerts ?? []), asn1Cert(m.foreignRoot)])),

    // ---- while polling
    poll('pollRep checkAfter -1', code('ERR_CHECK_AFTER'), (r) => void (pollEntry(r).checkAfter = -1n)),
    poll('pollRep checkAfter 2^40 seconds', code('ERR_CHECK_AFTER'), (r) => void (pollEntry(r).checkAfter = 2n ** 40n)),
    poll('pollRep for certReqId 3', code('ERR_CERT_REQ_ID_MISMATCH'), (r) => void (pollEntry(r).certReqId = 3n)),
    poll('pollRep with two entries', code('ERR_WRONG_POLL_REP_COUNT'), (r) => {
      const e = pollEntry(r);
      r.body = new PKIBody({ pollRep: new PollRepContent([e, new PollRepContentEntry({ certReqId: 1n, checkAfter: 1n })]) });
    }),
    poll('pollRep with no entry', code('ERR_WRONG_POLL_REP_COUNT'), (r) => void (r.body = new PKIBody({ pollRep: new PollRepContent([]) }))),
    poll('pollRep answered by an ip saying waiting again', code('ERR_UNEXPECTED_STATUS'), (r) => {
      const entry = pollEntry(r);
      r.body = new PKIBody({
        ip: new CertRepMessage({ response: [new CertResponse({ certReqId: entry.certReqId, status: status(PKIStatus.waiting) })] }),
      });
    }),
    poll('pollRep with a reason text', ok, (r) => void (pollEntry(r).reason = new PKIFreeText(['still thinking']))),
  ];
}

/** DER of a certificate, for material given as PEM. */
export function derOfPem(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('no certificate in PEM');
  return new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64'));
}
