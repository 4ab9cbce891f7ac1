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
import { BoundedMap } from '../bounded-map';
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

/** What the CA keeps of one transaction's KEM exchange. */
export interface KemTransactionSecret {
  sharedSecret: Uint8Array;
  /** The client's KEM certificate and its validated path: who the client is for the rest of the transaction. */
  certificate: X509Certificate;
  chain: X509Certificate[];
  expiresAt: number;
}

/**
 * Shared secrets by transactionID, at most `limit` of them, each forgotten (and wiped) after
 * `ttlMs` without use: as long as an idle transaction lives (transactionTimeoutMs).
 */
export class KemSecretStore {
  readonly #entries: BoundedMap<string, KemTransactionSecret>;

  constructor(
    limit: number,
    private readonly ttlMs: number,
    private readonly now: () => Date,
  ) {
    this.#entries = new BoundedMap(limit);
  }

  put(transactionId: Uint8Array, entry: Omit<KemTransactionSecret, 'expiresAt'>): void {
    const key = hex(transactionId);
    this.#entries.get(key)?.sharedSecret.fill(0);
    this.#entries.set(key, { ...entry, expiresAt: this.now().getTime() + this.ttlMs });
  }

  /** The live secret of this transaction, its lifetime renewed; undefined when none or expired. */
  get(transactionId: Uint8Array): KemTransactionSecret | undefined {
    const key = hex(transactionId);
    const entry = this.#entries.get(key);
    if (!entry) return undefined;
    const now = this.now().getTime();
    if (entry.expiresAt <= now) {
      entry.sharedSecret.fill(0);
      this.#entries.delete(key);
      return undefined;
    }
    entry.expiresAt = now + this.ttlMs;
    return entry;
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
  const holder = transactionClient ?? (store.get(transactionId) ? kemClientIdentity(store.get(transactionId)!.certificate) : undefined);
  if (holder !== undefined && holder !== kemClientIdentity(certificate)) {
    refuse('transactionIdInUse', 'another client uses this transactionID');
  }
  const { info, sharedSecret } = encapsulateForKemMac(new Uint8Array(viewOf(certificate).spki));
  store.put(transactionId, { sharedSecret, certificate, chain });
  return { body: new PKIBody({ genp: new GenRepContent([createInfoTypeAndValue(CmpOids.idItKemCiphertextInfo, info)]) }) };
}
