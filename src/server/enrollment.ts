/**
 * Certificate requests (ir, cr, kur, p10cr) and polling for their answers. One request per message
 * with certReqId 0 (-1 for p10cr), a valid proof of possession, a template the issuance policy
 * accepts, and for kur a signature by the certificate being updated, which this CA must have
 * issued. The answer (ip, cp, kup) is given at once, or `waiting` first when polling is configured;
 * then certConf is expected unless implicit confirmation was granted. After indirect proof of possession
 * the certificate goes out encrypted for its own key and certConf is always expected: its certHash is the proof.
 */
import type { X509Certificate } from '@peculiar/x509';
import {
  frozenCmpCertificate,
  CertId,
  CertifiedKeyPair,
  CertOrEncCert,
  CertRepMessage,
  CertResponse,
  CmpOids,
  decodeDer,
  EncryptedKey,
  type EnvelopedData,
  PKIBody,
  PKIStatus,
  PKIStatusInfo,
  PollRepContent,
  PollRepContentEntry,
  type CertReqMsg,
  type CMPCertificate,
} from '../asn1';
import { createPublicKey } from 'node:crypto';
import { sealCertificate, type EnvelopeRecipient } from '../cms';
import { mlKemPublicKey } from '../crypto/ml-kem';
import type { CertRequestKind } from '../protocol';
import { identifies, type IssuedRecord } from './ca';
import { authorizeIssuance } from './issuance-authorization';
import type { IncomingRequest, Reply, ServerContext } from './context';
import { planCertificate, requestFromCsr, requestFromTemplate, type RequestedCertificate } from './issuance-policy';
import {
  centralKeyGenerationRequested,
  generateRequestedKey,
  keyGenerationAuthority,
  keyRecipient,
  generatedKeyOf,
  sealForRequester,
  type GeneratedKey,
} from './key-generation';
import { verifyCrmfPopo, verifyCsrSignature, type PossessionProof } from './popo';
import { refuse } from './refusal';
import { cmpCertificateOf, statusInfo } from './response';
import type { DeliveredCertificate, PendingCertReply, Transaction } from './transactions';

const responseTypes = { ir: 'ip', cr: 'cp', kur: 'kup', p10cr: 'cp' } as const;

/** OpenSSL and RFC 9483 use certReqId 0 for CRMF requests; a p10cr has none, its answer uses -1. */
const CRMF_CERT_REQ_ID = 0n;
const P10CR_CERT_REQ_ID = -1n;

function singleCertReqMsg(req: IncomingRequest, type: Exclude<CertRequestKind, 'p10cr'>): CertReqMsg {
  const messages = req.msg.body[type]!;
  if (messages.length !== 1) refuse('badRequest', `exactly one certificate request per message is supported, got ${messages.length}`);
  const request = messages[0]!;
  if (request.certReq.certReqId !== CRMF_CERT_REQ_ID) refuse('badRequest', `certReqId must be 0, got ${request.certReq.certReqId}`);
  return request;
}

/** The certificate a kur updates, after checking that it may be updated by this request. */
async function certificateToUpdate(ctx: ServerContext, req: IncomingRequest, request: CertReqMsg): Promise<X509Certificate | undefined> {
  const control = request.certReq.controls?.find((c) => c.type === CmpOids.idRegCtrlOldCertID);
  let oldCertId: CertId | undefined;
  if (control) {
    try {
      oldCertId = decodeDer(control.value, CertId);
    } catch (e) {
      refuse('badDataFormat', 'the oldCertID control is malformed', { cause: e });
    }
    if (!oldCertId!.issuer.directoryName) refuse('badCertId', 'the oldCertID control must name the issuer as a directoryName');
  }
  const { rspCert: fixed, refCert } = ctx.config.source;
  // As OpenSSL 3.5's mock: with a reference certificate, a kur must name it (CMP_R_MISSING_CERTID otherwise).
  if (refCert && !oldCertId) refuse('badCertId', 'the kur has no oldCertID control naming the certificate this server expects');
  if (refCert && oldCertId && !identifies(refCert, oldCertId.issuer.directoryName!, oldCertId.serialNumber))
    refuse('badCertId', 'the oldCertID does not name the certificate this server expects');
  if (fixed) {
    // Fixed answers, as OpenSSL's mock server: the certificate to update must be the fixed one (or -ref_cert).
    if (!refCert && oldCertId && !identifies(fixed, oldCertId.issuer.directoryName!, oldCertId.serialNumber))
      refuse('badCertId', 'the oldCertID does not name a certificate this server knows');
    return undefined;
  }
  if (req.protection.kind !== 'signature') return refuse('wrongIntegrity', 'a key update request must be signed with the certificate being updated');
  const signer = req.protection.signer;
  if (oldCertId && !identifies(signer, oldCertId.issuer.directoryName!, oldCertId.serialNumber)) {
    const known = ctx.ca?.record(oldCertId.serialNumber);
    if (!known) refuse('badCertId', 'the oldCertID does not name a certificate issued by this CA');
    refuse('notAuthorized', 'a key update request must be signed with the certificate being updated');
  }
  if (!ctx.ca || !(await ctx.ca.isIssuer(signer))) refuse('badCertId', 'the certificate to update was not issued by this CA');
  return signer;
}

function requested(req: IncomingRequest, type: CertRequestKind, request: CertReqMsg | undefined): RequestedCertificate {
  if (type === 'p10cr') return requestFromCsr(req.msg.body.p10cr!);
  return requestFromTemplate(request!.certReq.certTemplate);
}

async function checkPossession(
  ctx: ServerContext,
  req: IncomingRequest,
  type: CertRequestKind,
  request: CertReqMsg | undefined,
  spki: Uint8Array,
): Promise<PossessionProof> {
  if (type === 'p10cr') {
    await verifyCsrSignature(req.msg, spki);
    return 'proven';
  }
  return verifyCrmfPopo(req.msg, 0, request!, spki, ctx.config.source.acceptRaVerified === true);
}

interface Outcome {
  status: PKIStatusInfo;
  record?: IssuedRecord;
  delivered?: DeliveredCertificate;
}

/** What goes into the answer and what certConf's certHash is checked against. */
function delivery(der: Uint8Array): DeliveredCertificate {
  return { der, certificate: frozenCmpCertificate(der) };
}

async function decide(
  ctx: ServerContext,
  req: IncomingRequest,
  type: CertRequestKind,
  wanted: RequestedCertificate,
  oldCert: X509Certificate | undefined,
): Promise<Outcome> {
  const source = ctx.config.source;
  const forced = source.pkiStatus;
  const failInfo = ctx.config.forcedFailInfo;
  if (forced === PKIStatus.rejection || forced === PKIStatus.waiting) {
    return { status: statusInfo(forced, source.statusString, failInfo) };
  }
  if (source.rspCert) {
    return {
      status: statusInfo(forced ?? PKIStatus.accepted, source.statusString, failInfo),
      delivered: delivery(new Uint8Array(source.rspCert.rawData)),
    };
  }
  if (!ctx.ca) return refuse('badRequest', 'this server does not issue certificates');
  const { plan, modified, subjectKey } = planCertificate(wanted, {
    caCert: ctx.ca.cert,
    policy: ctx.config.policy,
    now: ctx.config.now(),
    ...(oldCert ? { oldCert } : {}),
  });
  const authorized = await authorizeIssuance(ctx, req, type, plan, oldCert, subjectKey);
  const record = await ctx.ca.issue(plan, authorized.ref);
  if (authorized.ref !== undefined) await ctx.ca.bind(authorized.ref, authorized, plan.notAfter);
  const status = forced ?? (modified ? PKIStatus.grantedWithMods : PKIStatus.accepted);
  const text = source.statusString ?? (modified ? 'the validity was shortened to what this CA grants' : undefined);
  const delivered = record.certificate ? { der: record.der, certificate: record.certificate } : delivery(record.der);
  return { status: statusInfo(status, text, failInfo), record, delivered };
}

function certRep(
  certReqId: bigint,
  status: PKIStatusInfo,
  certificate: CMPCertificate | undefined,
  caPubs: X509Certificate[] | undefined,
  privateKey?: EnvelopedData,
  encryptedCert?: EncryptedKey,
): CertRepMessage {
  const response = new CertResponse({ certReqId, status });
  if (certificate) {
    response.certifiedKeyPair = new CertifiedKeyPair({
      certOrEncCert: new CertOrEncCert(encryptedCert ? { encryptedCert } : { certificate }),
      ...(privateKey ? { privateKey: new EncryptedKey({ envelopedData: privateKey }) } : {}),
    });
  }
  return new CertRepMessage({
    ...(caPubs?.length ? { caPubs: caPubs.map(cmpCertificateOf) } : {}),
    response: [response],
  });
}

/** Hands out the final answer and moves the transaction on: certConf expected, or done. */
async function deliver(ctx: ServerContext, transaction: Transaction, pending: PendingCertReply): Promise<Reply> {
  if (pending.delivered && !pending.implicitConfirm) {
    transaction.phase = 'confirming';
    transaction.pending = pending;
    ctx.transactions.touch(transaction);
  } else {
    if (pending.delivered && transaction.issuedSerial) await ctx.ca?.confirm(transaction.issuedSerial);
    ctx.transactions.finish(transaction);
  }
  return {
    body: new PKIBody({ [pending.bodyType]: pending.content }),
    extraCerts: pending.extraCerts,
    ...(pending.implicitConfirm ? { implicitConfirm: true } : {}),
  };
}

export async function handleCertRequest(ctx: ServerContext, req: IncomingRequest, type: CertRequestKind, transaction: Transaction): Promise<Reply> {
  const request = type === 'p10cr' ? undefined : singleCertReqMsg(req, type);
  const certReqId = type === 'p10cr' ? P10CR_CERT_REQ_ID : CRMF_CERT_REQ_ID;
  transaction.certReqId = certReqId;
  const oldCert = type === 'kur' ? await certificateToUpdate(ctx, req, request!) : undefined;
  const wanted = requested(req, type, request);
  const central = request !== undefined && centralKeyGenerationRequested(request);
  let generated: { key: GeneratedKey; recipient: EnvelopeRecipient } | undefined;
  let proof: PossessionProof = 'proven';
  if (central) {
    const recipient = keyRecipient(req.protection);
    const fixed = ctx.config.source.rspKey;
    if (ctx.config.source.rspCert) {
      // Fixed answers, as OpenSSL 3.5's mock server: the key given with the fixed certificate.
      if (!fixed) refuse('badRequest', 'central key generation with a fixed answer needs its key (-rsp_key)');
      generated = { key: await generatedKeyOf(fixed!), recipient };
    } else {
      if (!ctx.ca) refuse('badRequest', 'this server does not issue certificates');
      const made = generateRequestedKey(request!);
      wanted.spki = made.spki;
      generated = { key: made.key, recipient };
    }
  } else {
    if (!wanted.spki) refuse('badCertTemplate', 'the request carries no public key');
    proof = await checkPossession(ctx, req, type, request, wanted.spki!);
    if (proof === 'encrCert' && ctx.config.source.rspCert)
      refuse('badPOP', 'indirect proof of possession needs a certificate of the requested key, which a fixed answer (rspCert) is not');
  }
  const outcome = await decide(ctx, req, type, wanted, oldCert);
  if (outcome.record) transaction.issuedSerial = outcome.record.serial;
  const privateKey =
    generated && outcome.delivered ? sealForRequester(generated.key, await keyGenerationAuthority(ctx), generated.recipient) : undefined;

  const source = ctx.config.source;
  const anchors = ctx.ca?.trustAnchors;
  const caPubs = source.rspCaPubs ?? (type === 'ir' && req.protection.kind === 'mac' && anchors?.length ? anchors : undefined);
  const indirect = proof === 'encrCert' && outcome.delivered !== undefined;
  const encryptedCert = indirect ? encryptForRequester(outcome.delivered!.der, wanted.spki!, req.msg.header.pvno) : undefined;
  // Without certConf the key's possession would never be shown: implicit confirmation is not granted then.
  const implicitConfirm = req.implicitConfirmRequested && source.grantImplicitConf === true && outcome.delivered !== undefined && !indirect;
  const pending: PendingCertReply = {
    bodyType: responseTypes[type],
    content: certRep(certReqId, outcome.status, outcome.delivered?.certificate, caPubs, privateKey, encryptedCert),
    status: outcome.status,
    extraCerts: source.rspExtraCerts ?? ctx.ca?.certificates ?? [],
    ...(outcome.delivered ? { delivered: outcome.delivered } : {}),
    implicitConfirm,
    ...(indirect ? { indirectPop: true } : {}),
  };
  if (ctx.config.pollCount > 0) {
    transaction.phase = 'polling';
    transaction.pending = pending;
    transaction.pollsLeft = ctx.config.pollCount - 1;
    ctx.transactions.touch(transaction);
    const waiting = certRep(certReqId, statusInfo(PKIStatus.waiting, undefined, []), undefined, undefined);
    return { body: new PKIBody({ [pending.bodyType]: waiting }) };
  }
  return deliver(ctx, transaction, pending);
}

/**
 * The certificate encrypted for the key it certifies: in EnvelopedData to a client speaking cmp2021 and for any
 * key that is not RSA; in the deprecated EncryptedValue to an RSA key's cmp2000 client (as OpenSSL 3.0, which
 * reads only that), since RFC 9810 section 7 ties EnvelopedData in CMP to pvno 3.
 */
function encryptForRequester(certificate: Uint8Array, spki: Uint8Array, pvno: number): EncryptedKey {
  // An ML-KEM key (a KEMRecipientInfo) has no EncryptedValue form, nor a node:crypto KeyObject.
  if (mlKemPublicKey(spki)) return sealCertificate(certificate, 'envelopedData');
  const key = createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
  return key.asymmetricKeyType === 'rsa' && pvno < 3
    ? sealCertificate(certificate, 'encryptedValue', key)
    : sealCertificate(certificate, 'envelopedData');
}

export async function handlePollReq(ctx: ServerContext, req: IncomingRequest, transaction: Transaction): Promise<Reply> {
  if (transaction.phase !== 'polling' || !transaction.pending) refuse('badRequest', 'this transaction is not waiting for a pollReq');
  const content = req.msg.body.pollReq!;
  if (content.length !== 1) refuse('badRequest', `a pollReq must name exactly one certReqId, got ${content.length}`);
  if (content[0]!.certReqId !== transaction.certReqId)
    refuse('badRequest', `the pollReq names certReqId ${content[0]!.certReqId}, expected ${transaction.certReqId}`);
  if (transaction.pollsLeft > 0) {
    transaction.pollsLeft--;
    ctx.transactions.touch(transaction);
    const entry = new PollRepContentEntry({ certReqId: transaction.certReqId!, checkAfter: BigInt(ctx.config.checkAfter) });
    return { body: new PKIBody({ pollRep: new PollRepContent([entry]) }) };
  }
  return deliver(ctx, transaction, transaction.pending!);
}
