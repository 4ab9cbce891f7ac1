/**
 * A CA on several cores: `createCmpCluster(config, { workers })` runs `workers` complete CMP
 * servers in worker threads behind one front that `listen()` serves like a single server. The
 * front (this thread) speaks HTTP and routes each request by its transactionID
 * (cluster-routing.ts), so every message of a transaction, however many pollReqs it takes, meets
 * the worker that holds it, without transaction state crossing threads. What the CA issued,
 * confirmed, revoked and bound is shared: this thread keeps the one record store and every
 * worker a replica (cluster-records.ts). Limits stay those of one server: each worker holds its
 * share of `maxTransactions` and `maxTransactionsPerClient`.
 */
import { existsSync } from 'node:fs';
import * as path from 'node:path';
import { Worker } from 'node:worker_threads';
import type { PKIBodyType } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { configForWorkers } from './cluster-config';
import { RecordsHub, type RecordPeer } from './cluster-records';
import { workerForTransaction } from './cluster-routing';
import { batchedSender, unbatch, type FromWorker, type ToWorker, type WorkerData } from './cluster-worker';
import { resolveConfig, type CmpServerConfig } from './config';
import { MemoryRecordStore } from './records';
import { lastResortError } from './response';

export interface CmpClusterOptions {
  /** Worker threads, each a server of its own; 1 to 64. */
  workers: number;
}

export interface CmpCluster {
  /** Answers one DER-encoded PKIMessage through the worker its transactionID belongs to; never rejects. */
  handle(request: Uint8Array): Promise<Uint8Array>;
  readonly maxMsgs: number;
  readonly workers: number;
  /** Requests received in all, and per worker. */
  readonly counters: { readonly requests: number; readonly perWorker: readonly number[] };
  /** Resolves once every worker has started and loaded the records; rejects when one cannot. */
  ready(): Promise<void>;
  /** Stops the workers once their pending record writes are done, then closes the record store. */
  close(): Promise<void>;
  /** DER of a CRL of the certificates the CA revoked (signed by the first worker). */
  crl(): Promise<Uint8Array<ArrayBuffer>>;
}

const MAX_WORKERS = 64;

/** The worker's module: compiled next to this file, or (tests, ts-node) its TypeScript source. */
function startWorker(workerData: WorkerData): Worker {
  const ext = path.extname(__filename);
  let file = path.join(__dirname, `cluster-worker${ext}`);
  // The bundled CLI (dist/cli/cmpflow.js) carries this module but not the worker's: that one is
  // the compiled file beside the rest of the build.
  if (!existsSync(file)) file = path.join(__dirname, '..', 'src', 'server', 'cluster-worker.js');
  if (ext === '.ts') {
    // The sources run untranspiled only in tests: esbuild (a dev dependency) compiles a file in
    // a millisecond where ts-node takes seconds for the worker's few hundred modules.
    const code = `
      const fs = require('fs');
      const esbuild = require('esbuild');
      const options = { loader: 'ts', format: 'cjs', target: 'es2022', sourcemap: 'inline',
        tsconfigRaw: { compilerOptions: { experimentalDecorators: true, target: 'ES2022' } } };
      require.extensions['.ts'] = (module, filename) =>
        module._compile(esbuild.transformSync(fs.readFileSync(filename, 'utf8'), { ...options, sourcefile: filename }).code, filename);
      require(${JSON.stringify(file)});`;
    return new Worker(code, { eval: true, workerData });
  }
  return new Worker(file, { workerData });
}

interface WorkerSlot {
  worker: Worker;
  send: (message: ToWorker, transfer?: ArrayBuffer[]) => void;
  peer: RecordPeer;
  pending: Map<number, (message: FromWorker) => void>;
  gone?: string;
}

export function createCmpCluster(config: CmpServerConfig, options: CmpClusterOptions): CmpCluster {
  const count = options.workers;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_WORKERS) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `a CA cluster has 1 to ${MAX_WORKERS} workers, not ${count}`);
  }
  const resolved = resolveConfig(config);
  const transferable = configForWorkers(config);
  const hub = new RecordsHub(config.store ?? new MemoryRecordStore());
  const report = (error: unknown) => {
    try {
      config.onInternalError?.(error);
    } catch {
      // The observer's failure must not turn into the client's.
    }
  };
  const counters = { requests: 0, perWorker: Array<number>(count).fill(0) };
  let nextId = 0;
  let spread = 0;

  const slots: WorkerSlot[] = [];
  const readies: Promise<void>[] = [];
  for (let i = 0; i < count; i++) {
    const worker = startWorker({
      config: transferable,
      maxTransactions: Math.max(1, Math.floor(resolved.maxTransactions / count)),
      maxTransactionsPerClient: Math.max(1, Math.floor(resolved.maxTransactionsPerClient / count)),
      reportRequests: config.onRequest !== undefined,
    });
    const send = batchedSender<ToWorker>((m, transfer) => worker.postMessage(m, transfer));
    const slot: WorkerSlot = { worker, send, peer: { send: (m) => send(m) }, pending: new Map() };
    slots.push(slot);
    readies.push(
      new Promise<void>((resolve, reject) => {
        const fail = (why: string) => {
          if (slot.gone) return;
          slot.gone = why;
          hub.leave(slot.peer);
          for (const answer of slot.pending.values()) answer({ t: 'ready', error: why });
          slot.pending.clear();
          reject(new CmpError(ErrorCodes.ERR_INTERNAL, `CA cluster worker ${i}: ${why}`));
        };
        worker.on('error', (e) => {
          report(e);
          fail(e.message);
        });
        worker.on('exit', (code) => fail(`exited (${code})`));
        const receive = (message: FromWorker) => {
          switch (message.t) {
            case 'ready':
              if (message.error !== undefined) fail(message.error);
              else resolve();
              return;
            case 'res':
              for (const r of message.requests ?? []) {
                try {
                  config.onRequest?.(r.bodyType as PKIBodyType, { retransmission: r.retransmission });
                } catch {
                  // An observer that throws must not cost the client its answer.
                }
              }
            // falls through
            case 'crl':
            case 'closed': {
              const answer = slot.pending.get(message.id);
              slot.pending.delete(message.id);
              answer?.(message);
              return;
            }
            case 'internalError':
              report(Object.assign(new Error(message.message), message.stack ? { stack: message.stack } : {}));
              return;
            default:
              void hub.handle(slot.peer, message);
          }
        };
        worker.on('message', (message: FromWorker | { t: 'batch'; messages: FromWorker[] }) => unbatch(message, receive));
      }),
    );
  }
  const ready = Promise.all(readies).then(() => undefined);
  // Requests wait for their worker; a failed start is reported by ready() and by the answers.
  ready.catch(() => undefined);

  function call(slot: WorkerSlot, message: ToWorker, transfer?: ArrayBuffer[]): Promise<FromWorker> {
    if (slot.gone) return Promise.resolve({ t: 'ready', error: slot.gone });
    return new Promise((resolve) => {
      slot.pending.set((message as { id: number }).id, resolve);
      slot.send(message, transfer);
    });
  }

  let closing: Promise<void> | undefined;
  return {
    maxMsgs: config.maxMsgs ?? 0,
    workers: count,
    counters,
    ready: () => ready,
    async handle(request: Uint8Array): Promise<Uint8Array> {
      counters.requests++;
      const bytes = request instanceof Uint8Array ? request : new Uint8Array(request);
      // Without a readable transactionID the answer is an error that needs no transaction: any worker will do.
      const index = workerForTransaction(bytes, count) ?? spread++ % count;
      counters.perWorker[index]!++;
      // A copy of its own: its buffer moves to the worker instead of being copied again.
      const der = bytes.slice();
      const reply = await call(slots[index]!, { t: 'req', id: ++nextId, der }, [der.buffer as ArrayBuffer]);
      if (reply.t === 'res') return reply.der;
      report(new CmpError(ErrorCodes.ERR_INTERNAL, `CA cluster worker ${index} cannot answer: ${(reply as { error?: string }).error ?? reply.t}`));
      return lastResortError();
    },
    async crl(): Promise<Uint8Array<ArrayBuffer>> {
      const reply = await call(slots[0]!, { t: 'crl', id: ++nextId });
      if (reply.t === 'crl' && reply.der) return new Uint8Array(reply.der);
      throw new CmpError(ErrorCodes.ERR_INTERNAL, `the CA cluster cannot sign a CRL: ${(reply as { error?: string }).error ?? reply.t}`);
    },
    close(): Promise<void> {
      closing ??= (async () => {
        await Promise.all(slots.map((slot) => call(slot, { t: 'close', id: ++nextId })));
        await Promise.all(slots.map((slot) => slot.worker.terminate()));
        await hub.close();
      })();
      return closing;
    },
  };
}
