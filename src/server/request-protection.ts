/**
 * Checking the protection of a request (RFC 9810 section 5.1.3) and deciding how to protect the
 * answer. MAC-protected requests are checked with the shared secret their senderKID refers to;
 * signed ones need a signer certificate that validates up to a trusted certificate (srvTrusted or
 * the CA's own anchors) and, when this CA issued it, is not revoked. The answer is protected the
 * way the request was, with the same secret, even when the check failed, as OpenSSL does (but with
 * our own MAC parameters: response.ts).
 */
import { createHash } from 'node:crypto';
import type { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { CmpOids, receivedProtectedPart, type PKIHeader, type PKIMessage } from '../asn1';
import { CmpError } from '../errors';
import { verifyPkiMessageProtection } from '../protection/verify';
import type { CertificateAuthority } from './ca';
import { secretFor, type ResolvedConfig, type ResolvedSecret } from './config';
import type { KemSecretStore } from './kem-ciphertext';
import { protectionFailInfo, refuse } from './refusal';

export type ClientProtection =
  | { kind: 'mac'; algorithm: 'pbm' | 'pbmac1'; secret: ResolvedSecret }
  /**
   * Signed by `signer`, or (kemMac) MACed with the secret of a KEM exchange with `signer`, the
   * client's KEM certificate: either way only the holder of its private key could protect it, so
   * the same identity rules apply.
   */
  | { kind: 'signature'; signer: X509Certificate; chain: X509Certificate[]; kemMac?: true }
  | { kind: 'none' };

/** What the request's header says about its protection, verified or not: the guide for the answer's. */
export type ProtectionHint =
  | { kind: 'mac'; algorithm: AlgorithmIdentifier; secret?: ResolvedSecret }
  /** The transaction's KEM secret as it is when the answer is written: the request may prove another one first. */
  | { kind: 'kemMac'; sharedSecret: () => Uint8Array | undefined }
  | { kind: 'signature' }
  | { kind: 'none' };

const macAlgorithms = new Set<string>([CmpOids.passwordBasedMac, CmpOids.pbmac1]);

export function protectionHint(config: ResolvedConfig, header: PKIHeader | undefined, kemSecrets?: KemSecretStore): ProtectionHint {
  const algorithm = header?.protectionAlg;
  if (!algorithm) return { kind: 'none' };
  if (algorithm.algorithm === CmpOids.kemBasedMac) {
    const transactionId = header.transactionID ? new Uint8Array(header.transactionID) : undefined;
    return { kind: 'kemMac', sharedSecret: () => (transactionId ? kemSecrets?.current(transactionId)?.sharedSecret : undefined) };
  }
  if (macAlgorithms.has(algorithm.algorithm)) {
    const secret = secretFor(config, header.senderKID ? new Uint8Array(header.senderKID) : undefined);
    return { kind: 'mac', algorithm, ...(secret ? { secret } : {}) };
  }
  return { kind: 'signature' };
}

/** A stable name for who protected a message: later messages of a transaction must have the same. */
export function clientIdentity(protection: ClientProtection): string {
  switch (protection.kind) {
    case 'mac':
      return `mac:${protection.secret.id}`;
    case 'signature':
      return `sig:${createHash('sha256').update(new Uint8Array(protection.signer.rawData)).digest('hex')}`;
    default:
      return 'none';
  }
}

function isMissing(msg: PKIMessage): boolean {
  return !msg.header.protectionAlg || msg.protection === undefined;
}

async function verify(
  msg: PKIMessage,
  config: ResolvedConfig,
  ca: CertificateAuthority | undefined,
  kemSecrets: KemSecretStore | undefined,
): Promise<ClientProtection> {
  const source = config.source;
  const algorithm = msg.header.protectionAlg!;
  // The request as received: the handler has only just decoded it and nothing has changed it, so
  // these are the bytes protectedPartBytes would give, without encoding header and body again to
  // find that out (twice per session, the ir's body with its certificate request the largest).
  const part = receivedProtectedPart(msg);
  if (algorithm.algorithm === CmpOids.kemBasedMac) return verifyKemMac(msg, kemSecrets, part);
  const limits = {
    ...(source.minIterations !== undefined ? { minIterations: source.minIterations } : {}),
    ...(source.maxIterations !== undefined ? { maxIterations: source.maxIterations } : {}),
  };
  if (macAlgorithms.has(algorithm.algorithm)) {
    const secret = secretFor(config, msg.header.senderKID ? new Uint8Array(msg.header.senderKID) : undefined);
    if (!secret) {
      const why = config.secrets.size ? 'no shared secret is known for this senderKID' : 'this server does not accept MAC-based protection';
      refuse('wrongIntegrity', why, { endsTransaction: false });
    }
    const verified = await verifyPkiMessageProtection(msg, { secret: secret!.secret, trusted: [], untrusted: [], ...limits }, part);
    return { kind: 'mac', algorithm: verified.kind === 'mac' && verified.algorithm === 'pbmac1' ? 'pbmac1' : 'pbm', secret: secret! };
  }
  const anchors = ca?.trustAnchors ?? [];
  const trusted = [...(source.srvTrusted ?? []), ...anchors, ...(ca && anchors.length === 0 ? [ca.cert] : [])];
  if (trusted.length === 0) refuse('wrongIntegrity', 'this server does not accept signature-based protection', { endsTransaction: false });
  const verified = await verifyPkiMessageProtection(
    msg,
    {
      trusted,
      untrusted: [...(source.srvUntrusted ?? []), ...(ca?.certificates ?? [])],
      verification: { ...source.srvVerification, at: config.now(), ...(ca && anchors.length === 0 ? { partialChain: true } : {}) },
      ...limits,
    },
    part,
  );
  if (verified.kind !== 'signature') throw new Error('unreachable: a signature algorithm verified as MAC');
  if (ca && (await ca.isIssuer(verified.signer)) && ca.record(verified.signer.serialNumber)?.revocation) {
    refuse('certRevoked', 'the certificate that signed the request has been revoked', { endsTransaction: false });
  }
  return { kind: 'signature', signer: verified.signer, chain: verified.chain };
}

/**
 * KemBasedMac with the secret of one of this transaction's KEM exchanges (kem-ciphertext.ts); the
 * client is that exchange's KEM certificate. The one that verifies becomes the transaction's.
 */
async function verifyKemMac(msg: PKIMessage, kemSecrets: KemSecretStore | undefined, part: Uint8Array | undefined): Promise<ClientProtection> {
  const transactionId = new Uint8Array(msg.header.transactionID!);
  const candidates = kemSecrets?.candidates(transactionId) ?? [];
  if (candidates.length === 0) {
    refuse('wrongIntegrity', 'KemBasedMac protection, but no KEM ciphertext was exchanged in this transaction', { endsTransaction: false });
  }
  let failure: unknown;
  for (const kem of candidates) {
    try {
      await verifyPkiMessageProtection(msg, { kemSharedSecret: kem.sharedSecret, trusted: [], untrusted: [] }, part);
    } catch (e) {
      failure = e;
      continue;
    }
    kemSecrets!.prove(transactionId, kem);
    return { kind: 'signature', signer: kem.certificate, chain: kem.chain, kemMac: true };
  }
  throw failure;
}

/**
 * Verifies the protection of `msg` as `config` requires. Refusals: badMessageCheck (missing or
 * wrong protection), wrongIntegrity (a kind of protection this server is not set up for),
 * signerNotTrusted, certRevoked, badAlg.
 */
export async function checkRequestProtection(
  msg: PKIMessage,
  config: ResolvedConfig,
  ca: CertificateAuthority | undefined,
  kemSecrets?: KemSecretStore,
): Promise<ClientProtection> {
  const source = config.source;
  if (isMissing(msg)) {
    if (source.acceptUnprotected) return { kind: 'none' };
    if (msg.body.error !== undefined && source.acceptUnprotErr) return { kind: 'none' };
    return refuse('badMessageCheck', 'the request is not protected', { endsTransaction: false });
  }
  try {
    return await verify(msg, config, ca, kemSecrets);
  } catch (e) {
    if (source.acceptUnprotected) return { kind: 'none' };
    if (e instanceof CmpError) {
      refuse(protectionFailInfo(e), `protection of the request is not acceptable: ${e.message}`, { endsTransaction: false, cause: e });
    }
    throw e;
  }
}
