/**
 * The server's memory of transactions, keyed by transactionID: what message it expects next, the
 * senderNonce the client must echo, who the client is, and what was issued. Active transactions
 * expire after a period of silence; finished ones are kept for a while longer so that their IDs
 * cannot be reused (RFC 9810 section 5.1.1: transactionIdInUse). The store never grows beyond its
 * size limit: expired entries go first, then the oldest finished ones; when every entry is an
 * active transaction, new ones are refused (systemUnavail). One client (one protection identity)
 * holds at most maxPerClient active transactions, so that it cannot fill the store and lock the
 * others out until its transactions time out.
 */
import type { X509Certificate } from '@peculiar/x509';
import type { CertRepMessage, CMPCertificate, PKIStatusInfo } from '../asn1';
import type { Reply } from './context';
import { refuse } from './refusal';

export type TransactionKind = 'enrollment' | 'revocation' | 'general';

/**
 * `polling`: the answer was `waiting`, pollReq expected. `confirming`: a certificate was delivered,
 * certConf expected. `done`: nothing more is expected; the ID stays reserved.
 */
export type TransactionPhase = 'polling' | 'confirming' | 'done';

/** A certificate handed out in an ip, cp or kup. */
export interface DeliveredCertificate {
  der: Uint8Array;
  /** The decoded certificate the answer carries (frozen: it encodes as `der`). */
  certificate: CMPCertificate;
}

/** The final answer of an enrollment, kept while the client polls for it. */
export interface PendingCertReply {
  bodyType: 'ip' | 'cp' | 'kup';
  content: CertRepMessage;
  status: PKIStatusInfo;
  extraCerts: X509Certificate[];
  /** The delivered certificate, when there is one: certConf's certHash is checked against it. */
  delivered?: DeliveredCertificate;
  implicitConfirm: boolean;
  /** The certificate went out encrypted for indirect proof of possession: a wrong certHash fails that proof (badPOP). */
  indirectPop?: boolean;
}

export interface Transaction {
  /** Hex of the transactionID. */
  readonly id: string;
  readonly kind: TransactionKind;
  phase: TransactionPhase;
  /** Who started it (protection identity); later messages must come from the same client. */
  readonly client: string;
  /** The senderNonce of our last message, which the client's next message must carry as recipNonce. */
  lastSenderNonce?: Uint8Array;
  certReqId?: bigint;
  /** Serial (record key) of a certificate issued in this transaction. */
  issuedSerial?: string;
  pending?: PendingCertReply;
  /** An answer that is no certificate, worked out when the client's polls have waited long enough (delayed delivery). */
  delayed?: () => Promise<Reply>;
  /** Answers still to be `waiting`/pollRep before the result is delivered. */
  pollsLeft: number;
  readonly createdAt: number;
  updatedAt: number;
  expiresAt: number;
  /** Set while a message of this transaction is being processed. */
  busy: boolean;
  /**
   * The client's last message and our answer to it: a client that lost the answer (a crash, a
   * dropped connection) sends the same message again and gets the same answer, instead of a refusal
   * that would strand the transaction or a second one.
   */
  lastExchange?: { bodyType: string; requestNonce: string; answer: Uint8Array };
}

export interface TransactionStoreOptions {
  timeoutMs: number;
  retentionMs: number;
  maxTransactions: number;
  /** Active (unfinished) transactions one client may hold at once; default maxTransactions. */
  maxPerClient?: number;
  now: () => Date;
  /** Called once for an active transaction that expires (e.g. to revoke an unconfirmed certificate). */
  onExpire?: (transaction: Transaction) => void;
}

export interface NewTransaction {
  kind: TransactionKind;
  client: string;
  certReqId?: bigint;
}

/** A sweep runs at most this often; single lookups check their own entry. */
const SWEEP_INTERVAL_MS = 1000;

/**
 * Transactions in the order their expiry was last set. Every expiry set through one queue is
 * "now + the same period", so with a clock that does not go back the queue is in expiry order and
 * a sweep stops at the first entry still running. A clock that went back makes it walk the whole
 * queue until it is in order again.
 */
class ExpiryQueue {
  readonly entries = new Set<Transaction>();
  private lastExpiry = -Infinity;
  private ordered = true;

  push(t: Transaction): void {
    this.entries.delete(t);
    this.entries.add(t);
    if (t.expiresAt < this.lastExpiry) this.ordered = false;
    this.lastExpiry = t.expiresAt;
  }

  /** Calls `expire` for each entry whose time is up; busy ones stay where they are. */
  sweep(now: number, expire: (t: Transaction) => void): void {
    let previous = -Infinity;
    let ordered = true;
    for (const t of this.entries) {
      if (t.expiresAt <= now && !t.busy) {
        expire(t);
        continue;
      }
      if (this.ordered && t.expiresAt > now) return;
      if (t.expiresAt < previous) ordered = false;
      previous = t.expiresAt;
    }
    this.ordered = ordered;
    this.lastExpiry = previous;
  }
}

export class TransactionStore {
  /** In the order they began: the oldest finished ones are the first found when room is needed. */
  private readonly entries = new Map<string, Transaction>();
  /**
   * Per client, its transactions that may still be active, pruned as they are counted: a finished
   * transaction never becomes active again, so each is pruned once, and counting costs what the
   * client has in progress, not what the store remembers (an hour of finished transactions).
   */
  private readonly unfinished = new Map<string, Set<Transaction>>();
  /**
   * Every entry is in exactly one of these, by the period its expiry was last set with: the sweep
   * looks at what can have expired, not at an hour of finished transactions.
   */
  private readonly running = new ExpiryQueue();
  private readonly retained = new ExpiryQueue();
  private nextSweep = 0;

  constructor(private readonly options: TransactionStoreOptions) {}

  get size(): number {
    this.sweep(true);
    return this.entries.size;
  }

  get(id: string): Transaction | undefined {
    this.sweep();
    const entry = this.entries.get(id);
    return entry && this.expire(entry, this.options.now().getTime()) ? undefined : entry;
  }

  list(): Transaction[] {
    this.sweep(true);
    return [...this.entries.values()];
  }

  /** Starts a transaction; refuses an ID that is in use or remembered (transactionIdInUse). */
  begin(id: string, init: NewTransaction): Transaction {
    if (this.get(id)) {
      refuse('transactionIdInUse', 'the transactionID belongs to a running or recently finished transaction', { endsTransaction: false });
    }
    const perClient = this.options.maxPerClient ?? this.options.maxTransactions;
    if (this.activeOf(init.client) >= perClient) this.expireOf(init.client);
    if (this.activeOf(init.client) >= perClient) {
      refuse('systemUnavail', `this client has ${perClient} transactions in progress already; finish or abandon some, then try again`, {
        endsTransaction: false,
      });
    }
    // Not a forced sweep: a store kept full by finished transactions would walk all of them for every new one.
    if (this.entries.size >= this.options.maxTransactions) this.sweep();
    if (this.entries.size >= this.options.maxTransactions) this.evictFinished();
    if (this.entries.size >= this.options.maxTransactions) {
      refuse('systemUnavail', 'too many transactions in progress, try again later', { endsTransaction: false });
    }
    const now = this.options.now().getTime();
    const transaction: Transaction = {
      id,
      kind: init.kind,
      phase: 'done',
      client: init.client,
      ...(init.certReqId !== undefined ? { certReqId: init.certReqId } : {}),
      pollsLeft: 0,
      createdAt: now,
      updatedAt: now,
      expiresAt: now + this.options.timeoutMs,
      busy: true,
    };
    this.entries.set(id, transaction);
    this.running.push(transaction);
    const ofClient = this.unfinished.get(init.client);
    if (ofClient) ofClient.add(transaction);
    else this.unfinished.set(init.client, new Set([transaction]));
    return transaction;
  }

  /** Records activity: an active transaction gets a fresh timeout, a finished one its retention. */
  touch(transaction: Transaction): void {
    const now = this.options.now().getTime();
    transaction.updatedAt = now;
    const done = transaction.phase === 'done';
    transaction.expiresAt = now + (done ? this.options.retentionMs : this.options.timeoutMs);
    // A transaction that is no longer an entry (expired or dropped while being processed) is not queued again.
    if (this.entries.get(transaction.id) !== transaction) return;
    (done ? this.running : this.retained).entries.delete(transaction);
    (done ? this.retained : this.running).push(transaction);
  }

  finish(transaction: Transaction): void {
    transaction.phase = 'done';
    transaction.pending = undefined;
    transaction.delayed = undefined;
    this.touch(transaction);
  }

  /** Removes what has expired (at most once a second unless forced); expiring active transactions go to onExpire. */
  sweep(force = false): void {
    const now = this.options.now().getTime();
    if (!force && now < this.nextSweep) return;
    this.nextSweep = now + SWEEP_INTERVAL_MS;
    const expire = (t: Transaction) => this.expire(t, now);
    this.running.sweep(now, expire);
    this.retained.sweep(now, expire);
  }

  /** Removes `t` if it has expired; true when it did. */
  private expire(t: Transaction, now: number): boolean {
    if (t.expiresAt > now || t.busy) return false;
    this.remove(t);
    if (t.phase !== 'done') this.options.onExpire?.(t);
    return true;
  }

  private remove(t: Transaction): void {
    this.entries.delete(t.id);
    this.running.entries.delete(t);
    this.retained.entries.delete(t);
  }

  /** Transactions of `client` that are not finished (a new one counts as soon as it begins). */
  private activeOf(client: string): number {
    const ofClient = this.unfinished.get(client);
    if (!ofClient) return 0;
    for (const t of ofClient) if (this.entries.get(t.id) !== t || (t.phase === 'done' && !t.busy)) ofClient.delete(t);
    if (ofClient.size === 0) this.unfinished.delete(client);
    return ofClient.size;
  }

  /** Expires what has timed out among `client`'s active transactions: the rest of the store is the sweep's. */
  private expireOf(client: string): void {
    const now = this.options.now().getTime();
    for (const t of this.unfinished.get(client) ?? []) if (this.entries.get(t.id) === t) this.expire(t, now);
  }

  /** Makes room by dropping the oldest finished transactions, found from the start of the store's order. */
  private evictFinished(): void {
    for (const t of this.entries.values()) {
      if (this.entries.size < this.options.maxTransactions) return;
      if (t.phase === 'done' && !t.busy) this.remove(t);
    }
  }
}
