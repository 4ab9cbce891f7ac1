/**
 * The CA's side of KEM-based MAC protection (RFC 9810 section 5.1.3.4). A client whose credential
 * is a KEM key cannot sign, so it first sends a genm asking for id-it-KemCiphertextInfo (no value),
 * its KEM certificate first in extraCerts. Once that certificate validates to this CA's trust and
 * allows keyEncipherment, the CA encapsulates to its key, answers the ciphertext in the genp, and
 * keeps the shared secret under the transactionID: the client's following messages in that
 * transaction, and our answers, are protected with KemBasedMac keyed from it. The genm itself is
 * unprotected (the RFC's flow: nothing else proves the client's identity yet); the genp is
 * protected as any answer to an unprotected request is (the CA's signature).
 */
import { createHash } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { CmpOids, createInfoTypeAndValue, GenRepContent, PKIBody, pkiBodyType, type PKIMessage } from '../asn1';
import { extraCertsBytes } from '../asn1/message-certs';
import { hex } from '../bytes';
import { mlKemPublicKey } from '../crypto/ml-kem';
import { CmpError } from '../errors';
import { certificateFromDer } from '../pki/certificate-cache';
import { viewOf } from '../pki/certificate-view';
import { validatePath } from '../pki/path';
import { encapsulateForKemMac } from '../protection/kem-ciphertext';
import type { CertificateAuthority } from './ca';
import type { ResolvedConfig } from './config';
import type { Reply } from './context';
import { refuse } from './refusal';

/** What the CA keeps of one KEM exchange. */
export interface KemTransactionSecret {
  sharedSecret: Uint8Array;
  /** The client's KEM certificate and its validated path: who the client is for the rest of the transaction. */
  certificate: X509Certificate;
  chain: X509Certificate[];
}

/**
 * The KEM exchanges of one transaction. The genm that starts one is unprotected and names a public
 * certificate, so anyone who saw the transactionID can start another under it: a new exchange must
 * not displace the secret the client is using. So the secret that has protected a request (proven:
 * only the holder of the KEM key can know it) stays until another one proves itself, and the
 * exchanges not used yet wait beside it, the newest few of them.
 */
interface KemTransaction {
  proven?: KemTransactionSecret;
  pending: KemTransactionSecret[];
  expiresAt: number;
}

/** Unused exchanges kept per transaction: a resumed client needs one; more only serve a flood. */
const MAX_PENDING = 4;

function wipe(secret: KemTransactionSecret | undefined): void {
  secret?.sharedSecret.fill(0);
}

/**
 * Shared secrets by transactionID, for at most `limit` transactions, each forgotten (and wiped)
 * after `ttlMs` without use: as long as an idle transaction lives (transactionTimeoutMs). When full,
 * a transaction whose secret no request has proven yet makes room; one in use never does, so a flood
 * of genm under new transactionIDs cannot break transactions in progress (it is refused instead).
 */
export class KemSecretStore {
  readonly #transactions = new Map<string, KemTransaction>();

  constructor(
    private readonly limit: number,
    private readonly ttlMs: number,
    private readonly now: () => Date,
  ) {}

  /** Keeps a new exchange's secret beside the transaction's others. */
  put(transactionId: Uint8Array, secret: KemTransactionSecret): void {
    const key = hex(transactionId);
    const now = this.now().getTime();
    let transaction = this.#live(key, now);
    if (!transaction) {
      this.#makeRoom(now);
      transaction = { pending: [], expiresAt: 0 };
    }
    transaction.pending.push(secret);
    while (transaction.pending.length > MAX_PENDING) wipe(transaction.pending.shift());
    transaction.expiresAt = now + this.ttlMs;
    // Re-inserted: the Map's order is the order of last use, oldest first.
    this.#transactions.delete(key);
    this.#transactions.set(key, transaction);
  }

  /** The secrets a KemBasedMac in this transaction may be keyed from: the proven one first, then the newest. */
  candidates(transactionId: Uint8Array): KemTransactionSecret[] {
    const transaction = this.#live(hex(transactionId), this.now().getTime());
    if (!transaction) return [];
    return [...(transaction.proven ? [transaction.proven] : []), ...[...transaction.pending].reverse()];
  }

  /** `secret` protected a request: it is the transaction's from now on, and the others are wiped. */
  prove(transactionId: Uint8Array, secret: KemTransactionSecret): void {
    const key = hex(transactionId);
    const transaction = this.#live(key, this.now().getTime());
    if (!transaction) return;
    for (const other of [transaction.proven, ...transaction.pending]) if (other !== secret) wipe(other);
    transaction.proven = secret;
    transaction.pending = [];
    transaction.expiresAt = this.now().getTime() + this.ttlMs;
    this.#transactions.delete(key);
    this.#transactions.set(key, transaction);
  }

  /** The secret to protect an answer with: the proven one, else the newest exchange's; undefined when none or expired. */
  current(transactionId: Uint8Array): KemTransactionSecret | undefined {
    const transaction = this.#live(hex(transactionId), this.now().getTime());
    return transaction && (transaction.proven ?? transaction.pending.at(-1));
  }

  #live(key: string, now: number): KemTransaction | undefined {
    const transaction = this.#transactions.get(key);
    if (transaction && transaction.expiresAt <= now) {
      this.#forget(key, transaction);
      return undefined;
    }
    return transaction;
  }

  #forget(key: string, transaction: KemTransaction): void {
    wipe(transaction.proven);
    transaction.pending.forEach(wipe);
    this.#transactions.delete(key);
  }

  #makeRoom(now: number): void {
    if (this.#transactions.size < this.limit) return;
    for (const [key, transaction] of this.#transactions) if (transaction.expiresAt <= now) this.#forget(key, transaction);
    if (this.#transactions.size < this.limit) return;
    for (const [key, transaction] of this.#transactions) {
      if (!transaction.proven) return this.#forget(key, transaction);
    }
    refuse('systemUnavail', 'too many KEM-protected transactions in progress, try again later');
  }
}

/** A genm whose only item asks for id-it-KemCiphertextInfo (RFC 9810 section 5.1.3.4). */
export function isKemCiphertextRequest(msg: PKIMessage): boolean {
  if (pkiBodyType(msg.body) !== 'genm') return false;
  const items = msg.body.genm!;
  return items.length === 1 && items[0]!.infoType === CmpOids.idItKemCiphertextInfo;
}

/** A stable name for a KEM-authenticated client: the hash of its certificate, as for a signer. */
export function kemClientIdentity(certificate: X509Certificate): string {
  return `sig:${createHash('sha256').update(new Uint8Array(certificate.rawData)).digest('hex')}`;
}

/**
 * The client's KEM certificate, first in extraCerts: ML-KEM, keyUsage keyEncipherment, and a path
 * to the CA's trust (srvTrusted, the CA's anchors, or the CA itself) valid now, not revoked by this CA.
 */
async function validatedKemCertificate(
  msg: PKIMessage,
  config: ResolvedConfig,
  ca: CertificateAuthority | undefined,
): Promise<{ certificate: X509Certificate; chain: X509Certificate[] }> {
  const certs = extraCertsBytes(msg);
  if (certs.length === 0) refuse('badRequest', 'a KemCiphertextInfo request needs the client KEM certificate first in extraCerts');
  let certificate: X509Certificate;
  try {
    certificate = certificateFromDer(certs[0]!, 'the KEM certificate in extraCerts');
  } catch (e) {
    return refuse('badDataFormat', 'the KEM certificate in extraCerts cannot be read', { cause: e });
  }
  const view = viewOf(certificate);
  let kemKey: ReturnType<typeof mlKemPublicKey>;
  try {
    kemKey = mlKemPublicKey(new Uint8Array(view.spki));
  } catch (e) {
    return refuse('badCertTemplate', 'the KEM certificate carries a malformed ML-KEM public key', { cause: e });
  }
  if (!kemKey) refuse('badAlg', 'the first certificate in extraCerts has no ML-KEM key: KEM-based protection needs one');
  const keyUsage = view.extensions?.keyUsage;
  if (keyUsage && !keyUsage.has('keyEncipherment')) refuse('notAuthorized', 'the KEM certificate does not allow keyEncipherment');
  const source = config.source;
  const anchors = ca?.trustAnchors ?? [];
  const trusted = [...(source.srvTrusted ?? []), ...anchors, ...(ca && anchors.length === 0 ? [ca.cert] : [])];
  if (trusted.length === 0) refuse('wrongIntegrity', 'this server trusts no certificates, so it accepts no KEM-based protection');
  let chain: X509Certificate[];
  try {
    chain = await validatePath(certificate, {
      trusted,
      untrusted: [...certs.slice(1).map((der, i) => certificateFromDer(der, `extraCerts entry ${i + 2}`)), ...(ca?.certificates ?? [])],
      ...source.srvVerification,
      at: config.now(),
      ...(ca && anchors.length === 0 ? { partialChain: true } : {}),
    });
  } catch (e) {
    if (e instanceof CmpError) refuse('signerNotTrusted', `the KEM certificate is not trusted: ${e.message}`, { cause: e });
    throw e;
  }
  if (ca && (await ca.isIssuer(certificate)) && ca.record(certificate.serialNumber)?.revocation) {
    refuse('certRevoked', 'the KEM certificate has been revoked');
  }
  return { certificate, chain };
}

/**
 * Answers the KemCiphertextInfo genm: a genp with the ciphertext; the shared secret goes to `store`.
 * `transactionClient` is who holds a transaction under this ID already, if one exists: only that
 * client may start a new KEM exchange in it (a resumed client whose secret is gone), nobody else.
 */
export async function answerKemCiphertextRequest(
  msg: PKIMessage,
  config: ResolvedConfig,
  ca: CertificateAuthority | undefined,
  store: KemSecretStore,
  transactionClient: string | undefined,
): Promise<Reply> {
  if (msg.body.genm![0]!.infoValue !== undefined) refuse('badRequest', 'a KemCiphertextInfo request carries no value');
  const { certificate, chain } = await validatedKemCertificate(msg, config, ca);
  const transactionId = new Uint8Array(msg.header.transactionID!);
  const known = store.current(transactionId);
  const holder = transactionClient ?? (known ? kemClientIdentity(known.certificate) : undefined);
  if (holder !== undefined && holder !== kemClientIdentity(certificate)) {
    refuse('transactionIdInUse', 'another client uses this transactionID');
  }
  const { info, sharedSecret } = encapsulateForKemMac(new Uint8Array(viewOf(certificate).spki));
  store.put(transactionId, { sharedSecret, certificate, chain });
  return { body: new PKIBody({ genp: new GenRepContent([createInfoTypeAndValue(CmpOids.idItKemCiphertextInfo, info)]) }) };
}
