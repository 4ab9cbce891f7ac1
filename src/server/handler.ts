/**
 * The CMP server core: DER request in, DER response out. Each request is decoded strictly, its
 * header and protection checked, and dispatched by body type; anything wrong is answered with a
 * protected `error` message carrying the matching PKIFailureInfo, never with an exception. The
 * transaction store ties the messages of one transaction together (expected next message, the
 * senderNonce to be echoed, the client's identity), so concurrent transactions stay independent.
 */
import { CmpOids, decodeDer, decodePkiMessage, nodeBytes, PKIHeader, pkiBodyType, readDer, type PKIBodyType, type PKIMessage } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { CERT_REQUEST_KINDS } from '../protocol';
import { CertificateAuthority } from './ca';
import { resolveConfig, type CmpServerConfig, type ResolvedConfig } from './config';
import { handleCertConf, handleClientError, withdrawUnconfirmed } from './confirmation';
import type { IncomingRequest, Reply, ServerContext } from './context';
import { answerOrDelay, handleDelayedPollReq } from './delayed-delivery';
import { handleCertRequest, handlePollReq } from './enrollment';
import { handleGeneralMessage } from './general-message';
import { answerKemCiphertextRequest, isKemCiphertextRequest, KemSecretStore } from './kem-ciphertext';
import { checkRequestProtection, clientIdentity, protectionHint, type ProtectionHint } from './request-protection';
import { Refusal, refuse } from './refusal';
import { errorBody, lastResortError, writeResponse } from './response';
import { handleRevocation } from './revocation';
import { TransactionStore, type Transaction } from './transactions';
import { hex } from '../bytes';

export interface CmpServerState {
  readonly transactions: TransactionStore;
  /** Absent when the server only gives fixed answers. */
  readonly ca?: CertificateAuthority;
  /** Requests received and error messages sent so far. */
  readonly counters: { readonly requests: number; readonly errors: number };
}

export interface CmpServer {
  /** Answers one DER-encoded PKIMessage with the DER of the response; never rejects. */
  handle(request: Uint8Array): Promise<Uint8Array>;
  readonly state: CmpServerState;
  /** How many requests the HTTP listener should answer before closing (config.maxMsgs); 0: unlimited. */
  readonly maxMsgs: number;
  /** DER of a CRL of the certificates this server's CA revoked. Throws ERR_INVALID_OPTION without a CA. */
  crl(): Promise<Uint8Array<ArrayBuffer>>;
  /** Resolves once the CA's records are loaded; rejects when its record store cannot be used. */
  ready(): Promise<void>;
  /** Closes the record store once pending writes are done; the server answers nothing after it. */
  close(): Promise<void>;
}

const newTransactionBodies = new Set<PKIBodyType>([...CERT_REQUEST_KINDS, 'rr', 'genm']);
const continuingBodies = new Set<PKIBodyType>(['certConf', 'pollReq', 'error']);
/** Longer transactionIDs are refused: they are keys of the transaction store. */
const MAX_TRANSACTION_ID = 256;
const MIN_NONCE = 16;

/** The header of a request that does not decode as a whole, if that much of it is readable. */
function readableHeader(der: Uint8Array): PKIHeader | undefined {
  try {
    const first = readDer(der).children?.[0];
    return first ? decodeDer(nodeBytes(der, first), PKIHeader) : undefined;
  } catch {
    return undefined;
  }
}

function checkHeader(config: ResolvedConfig, msg: PKIMessage): PKIBodyType {
  const header = msg.header;
  const text = { endsTransaction: false } as const;
  if (!config.pvnos.has(header.pvno))
    refuse('unsupportedVersion', `pvno ${header.pvno} is not supported; use ${[...config.pvnos].join(' or ')}`, text);
  const id = header.transactionID;
  if (!id || id.byteLength === 0) refuse('badRequest', 'the header carries no transactionID', text);
  if (id!.byteLength > MAX_TRANSACTION_ID) refuse('badRequest', `the transactionID is longer than ${MAX_TRANSACTION_ID} bytes`, text);
  if (!header.senderNonce || header.senderNonce.byteLength < MIN_NONCE)
    refuse('badSenderNonce', `the senderNonce must be present and at least ${MIN_NONCE} bytes long`, text);
  const tolerance = config.source.messageTimeToleranceMs;
  if (tolerance !== undefined) {
    const time = header.messageTime?.getTime();
    if (time === undefined || Math.abs(time - config.now().getTime()) > tolerance)
      refuse('badTime', 'the messageTime is missing or too far from the server clock', text);
  }
  const type = pkiBodyType(msg.body);
  if (!type || (!newTransactionBodies.has(type) && !continuingBodies.has(type))) {
    refuse('badRequest', `a CMP server does not accept ${type ?? 'an empty'} message body`, text);
  }
  return type!;
}

function wantsImplicitConfirm(msg: PKIMessage): boolean {
  return msg.header.generalInfo?.some((i) => i.infoType === CmpOids.idItImplicitConfirm) ?? false;
}

export function createCmpServer(config: CmpServerConfig): CmpServer {
  const resolved = resolveConfig(config);
  const ca = config.ca
    ? new CertificateAuthority(config.ca, {
        now: resolved.now,
        ...(config.crlValidityMs !== undefined ? { crlValidityMs: config.crlValidityMs } : {}),
        ...(config.store ? { store: config.store } : {}),
      })
    : undefined;
  const counters = { requests: 0, errors: 0 };
  const kemSecrets = new KemSecretStore(resolved.maxTransactions, resolved.transactionTimeoutMs, resolved.now);
  const ctx: ServerContext = {
    config: resolved,
    ...(ca ? { ca } : {}),
    transactions: undefined as unknown as TransactionStore,
  };
  ctx.transactions = new TransactionStore({
    timeoutMs: resolved.transactionTimeoutMs,
    retentionMs: resolved.retentionMs,
    maxTransactions: resolved.maxTransactions,
    maxPerClient: resolved.maxTransactionsPerClient,
    now: resolved.now,
    onExpire: (t) => void withdrawUnconfirmed(ctx, t).catch(report),
  });

  function notify(observe: () => void): void {
    try {
      observe();
    } catch (e) {
      report(e);
    }
  }

  function report(error: unknown): void {
    try {
      config.onInternalError?.(error);
    } catch {
      // The observer's failure must not turn into the client's.
    }
  }

  /**
   * Our answer again when `msg` is the client's last message of a transaction repeated (same body,
   * same senderNonce, same client): it lost the answer, and a fresh one would fail its nonce check.
   */
  function retransmitted(msg: PKIMessage, type: PKIBodyType, client: string): Uint8Array | undefined {
    const transaction = ctx.transactions.get(hex(msg.header.transactionID!));
    const last = transaction?.lastExchange;
    if (!transaction || !last || transaction.busy || last.bodyType !== type || transaction.client !== client) return undefined;
    return last.requestNonce === hex(msg.header.senderNonce!) ? last.answer : undefined;
  }

  /** The transaction a certConf, pollReq or error belongs to, once it is sure the message may continue it. */
  function continuing(msg: PKIMessage, req: IncomingRequest): Transaction {
    const keep = { endsTransaction: false } as const;
    const transaction = ctx.transactions.get(hex(msg.header.transactionID!));
    if (!transaction) return refuse('badRequest', 'no transaction with this transactionID is known', keep);
    // A message accepted without protection (acceptUnprotected, acceptUnprotErr) has no identity to compare.
    if (req.client !== 'none' && transaction.client !== 'none' && transaction.client !== req.client) {
      refuse('notAuthorized', 'the message is protected by another client than the one that started the transaction', keep);
    }
    if (transaction.phase === 'done') refuse('badRequest', 'this transaction has already ended', keep);
    if (transaction.busy) refuse('badRequest', 'another message of this transaction is being processed', keep);
    const recipNonce = msg.header.recipNonce;
    if (!recipNonce || !transaction.lastSenderNonce || hex(recipNonce) !== hex(transaction.lastSenderNonce)) {
      refuse('badRecipientNonce', 'the recipNonce does not match the senderNonce of the last answer in this transaction', keep);
    }
    transaction.busy = true;
    return transaction;
  }

  async function dispatch(msg: PKIMessage, type: PKIBodyType, req: IncomingRequest, started: { transaction?: Transaction }): Promise<Reply> {
    const id = hex(msg.header.transactionID!);
    switch (type) {
      case 'ir':
      case 'cr':
      case 'kur':
      case 'p10cr': {
        const transaction = (started.transaction = ctx.transactions.begin(id, { kind: 'enrollment', client: req.client }));
        return handleCertRequest(ctx, req, type, transaction);
      }
      case 'rr': {
        const transaction = (started.transaction = ctx.transactions.begin(id, { kind: 'revocation', client: req.client }));
        return answerOrDelay(ctx, transaction, 'rr', () => handleRevocation(ctx, req));
      }
      case 'genm': {
        const transaction = (started.transaction = ctx.transactions.begin(id, { kind: 'general', client: req.client }));
        return answerOrDelay(ctx, transaction, 'genm', () => handleGeneralMessage(ctx, req));
      }
      case 'certConf': {
        const transaction = (started.transaction = continuing(msg, req));
        const reply = await handleCertConf(ctx, req, transaction);
        return answerOrDelay(ctx, transaction, 'certConf', async () => reply);
      }
      case 'pollReq': {
        const transaction = (started.transaction = continuing(msg, req));
        return transaction.delayed ? handleDelayedPollReq(ctx, req, transaction) : handlePollReq(ctx, req, transaction);
      }
      case 'error':
        return handleClientError(ctx, (started.transaction = continuing(msg, req)));
      default:
        return refuse('badRequest', `unsupported message body ${type}`);
    }
  }

  async function answerError(header: PKIHeader | undefined, hint: ProtectionHint | { kind: 'unknown' }, refusal: Refusal): Promise<Uint8Array> {
    counters.errors++;
    const pvno = header && resolved.pvnos.has(header.pvno) ? header.pvno : 2;
    const written = await writeResponse(resolved, ca, {
      ...(header ? { requestHeader: header } : {}),
      hint,
      pvno,
      body: errorBody(refusal.failInfo, refusal.message),
    });
    return written.der;
  }

  /**
   * The unprotected genm that starts KEM-based protection (kem-ciphertext.ts): it begins no
   * transaction of its own, since the request it prepares starts one under the same transactionID.
   */
  async function kemCiphertextExchange(msg: PKIMessage): Promise<Uint8Array> {
    notify(() => config.onRequest?.('genm', { retransmission: false }));
    const holder = ctx.transactions.get(hex(msg.header.transactionID!))?.client;
    const reply = await answerKemCiphertextRequest(msg, resolved, ca, kemSecrets, holder);
    const written = await writeResponse(resolved, ca, { requestHeader: msg.header, hint: { kind: 'none' }, pvno: msg.header.pvno, body: reply.body });
    return written.der;
  }

  async function answer(der: Uint8Array): Promise<Uint8Array> {
    let msg: PKIMessage;
    try {
      msg = decodePkiMessage(der);
    } catch (e) {
      const header = readableHeader(der);
      const why = e instanceof CmpError ? e.message : 'it cannot be decoded';
      return answerError(
        header,
        header ? protectionHint(resolved, header, kemSecrets) : { kind: 'unknown' },
        new Refusal('badDataFormat', `the request is not a valid PKIMessage: ${why}`),
      );
    }
    const hint = protectionHint(resolved, msg.header, kemSecrets);
    if (ca) {
      try {
        await ca.ready();
      } catch (e) {
        report(e);
        return answerError(msg.header, hint, new Refusal('systemUnavail', 'the CA cannot read its records'));
      }
    }
    const started: { transaction?: Transaction } = {};
    try {
      const type = checkHeader(resolved, msg);
      if (isKemCiphertextRequest(msg)) return await kemCiphertextExchange(msg);
      const protection = await checkRequestProtection(msg, resolved, ca, kemSecrets);
      const again = retransmitted(msg, type, clientIdentity(protection));
      notify(() => config.onRequest?.(type, { retransmission: again !== undefined }));
      if (again) return again;
      if (config.sendError) refuse('badRequest', 'error processing message', { endsTransaction: false });
      const req: IncomingRequest = { msg, protection, client: clientIdentity(protection), implicitConfirmRequested: wantsImplicitConfirm(msg) };
      const reply = await dispatch(msg, type, req, started);
      const written = await writeResponse(resolved, ca, {
        requestHeader: msg.header,
        hint,
        pvno: msg.header.pvno,
        body: reply.body,
        ...(reply.extraCerts ? { extraCerts: reply.extraCerts } : {}),
        ...(reply.implicitConfirm ? { implicitConfirm: true } : {}),
      });
      if (started.transaction) {
        started.transaction.lastSenderNonce = written.senderNonce;
        started.transaction.lastExchange = { bodyType: type, requestNonce: hex(msg.header.senderNonce!), answer: written.der };
      }
      return written.der;
    } catch (e) {
      if (!(e instanceof Refusal)) report(e);
      const refusal = e instanceof Refusal ? e : new Refusal('systemFailure', 'the server failed to process the request', { cause: e });
      const transaction = started.transaction;
      if (transaction && transaction.busy && (refusal.endsTransaction || transaction.phase === 'done')) {
        await withdrawUnconfirmed(ctx, transaction).catch(report);
        ctx.transactions.finish(transaction);
      }
      return answerError(msg.header, hint, refusal);
    } finally {
      if (started.transaction) started.transaction.busy = false;
    }
  }

  return {
    maxMsgs: config.maxMsgs ?? 0,
    state: {
      transactions: ctx.transactions,
      ...(ca ? { ca } : {}),
      counters,
    },
    async handle(request: Uint8Array): Promise<Uint8Array> {
      counters.requests++;
      try {
        return await answer(request instanceof Uint8Array ? request : new Uint8Array(request));
      } catch (e) {
        // Even the error answer failed (e.g. the signing key is unusable).
        report(e);
        counters.errors++;
        return lastResortError();
      }
    },
    ready: async () => ca?.ready(),
    close: async () => ca?.close(),
    async crl(): Promise<Uint8Array<ArrayBuffer>> {
      if (!ca) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'this server has no CA, so it has no CRL');
      return ca.crl();
    },
  };
}
