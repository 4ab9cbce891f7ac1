/**
 * The end of an enrollment: certConf (RFC 9810 section 5.3.18) confirms or rejects the delivered
 * certificate, identified by certReqId and certHash (over the certificate's DER, with the hash of
 * its signature algorithm or, with pvno 3, the one named in hashAlg); an `error` from the client
 * abandons the transaction. Both are answered with pkiconf. A certificate the client rejected or
 * abandoned is revoked, since the client will not use it and nobody else has its key.
 */
import { PKIBody, PKIStatus } from '../asn1';
import { sameBytes } from '../bytes';
import { certHashAlgorithm, getCryptoProvider, hashFromOid, type HashName } from '../crypto';
import type { IncomingRequest, Reply, ServerContext } from './context';
import { refuse } from './refusal';
import type { DeliveredCertificate, Transaction } from './transactions';

const pkiconf = (): Reply => ({ body: new PKIBody({ pkiconf: null }) });

/** CRLReason unspecified (RFC 5280 5.3.1): the client gave no reason we could name. */
const UNSPECIFIED = 0;

async function withdraw(ctx: ServerContext, transaction: Transaction): Promise<void> {
  if (transaction.issuedSerial) {
    const record = ctx.ca?.record(transaction.issuedSerial);
    if (record && !record.confirmed) await ctx.ca!.revoke(record.serial, UNSPECIFIED);
  }
}

function hashOf(req: IncomingRequest, delivered: DeliveredCertificate, hashAlgOid: string | undefined): HashName {
  if (hashAlgOid !== undefined) {
    if (req.msg.header.pvno < 3) refuse('badRequest', 'hashAlg in certConf requires pvno 3 (cmp2021)');
    try {
      return hashFromOid(hashAlgOid);
    } catch (e) {
      return refuse('badAlg', `unsupported certConf hashAlg ${hashAlgOid}`, { cause: e });
    }
  }
  let hash: HashName | undefined;
  try {
    hash = certHashAlgorithm(delivered.certificate.signatureAlgorithm);
  } catch (e) {
    return refuse('badAlg', 'the certificate signature algorithm names no hash for certHash', { cause: e });
  }
  // RFC 9810 5.3.18: hashAlg MUST be used when the signature algorithm names no hash (EdDSA, ML-DSA).
  return hash ?? refuse('badRequest', 'the certificate signature algorithm names no hash (EdDSA, ML-DSA): certConf must name it in hashAlg (pvno 3)');
}

export async function handleCertConf(ctx: ServerContext, req: IncomingRequest, transaction: Transaction): Promise<Reply> {
  const delivered = transaction.pending?.delivered;
  if (transaction.phase !== 'confirming' || !delivered) return refuse('badRequest', 'this transaction is not waiting for a certConf');
  const statuses = req.msg.body.certConf!;
  if (statuses.length > 1) refuse('badRequest', `certConf must confirm exactly one certificate, got ${statuses.length}`);
  const status = statuses[0];
  // RFC 9810 5.3.18: an empty certConf rejects every certificate of the transaction.
  if (!status) {
    await withdraw(ctx, transaction);
    ctx.transactions.finish(transaction);
    return pkiconf();
  }
  if (status.certReqId !== transaction.certReqId) {
    refuse('badRequest', `certConf names certReqId ${status.certReqId}, expected ${transaction.certReqId}`);
  }
  const hash = hashOf(req, delivered, status.hashAlg?.algorithm);
  const expected = await getCryptoProvider().digest(hash, delivered.der);
  if (!sameBytes(expected, status.certHash)) {
    if (transaction.pending?.indirectPop) {
      // The client could not show that it decrypted the certificate: it is withdrawn, the enrollment fails.
      await withdraw(ctx, transaction);
      ctx.transactions.finish(transaction);
      refuse('badPOP', 'the certHash in certConf does not match the encrypted certificate: possession of the key is not proven');
    }
    refuse('badCertId', 'the certHash in certConf does not match the delivered certificate');
  }
  const accepted =
    status.statusInfo === undefined || status.statusInfo.status === PKIStatus.accepted || status.statusInfo.status === PKIStatus.grantedWithMods;
  if (accepted) {
    if (transaction.issuedSerial) await ctx.ca?.confirm(transaction.issuedSerial);
  } else {
    await withdraw(ctx, transaction);
  }
  ctx.transactions.finish(transaction);
  return pkiconf();
}

/** An `error` message from the client: the transaction ends here, and is acknowledged with pkiconf. */
export async function handleClientError(ctx: ServerContext, transaction: Transaction): Promise<Reply> {
  if (transaction.phase === 'done') refuse('badRequest', 'this transaction has already ended');
  await withdraw(ctx, transaction);
  ctx.transactions.finish(transaction);
  return pkiconf();
}

/** For an enrollment that times out while its certificate awaits confirmation. */
export function withdrawUnconfirmed(ctx: ServerContext, transaction: Transaction): Promise<void> {
  return withdraw(ctx, transaction);
}
