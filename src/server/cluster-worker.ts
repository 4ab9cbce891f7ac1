/**
 * A worker thread of a CA cluster (cluster.ts): a complete CMP server of its own (transactions,
 * protection, issuance) whose CA records are the main thread's, replicated through a
 * RemoteRecordStore. It answers the DER requests the main thread routes to it.
 */
// A worker thread is an entry point: @peculiar/x509's dependency injection needs this first.
import 'reflect-metadata';
import { parentPort, workerData } from 'node:worker_threads';
import { configFromMainThread } from './cluster-config';
import { RemoteRecordStore, type RecordBroadcast, type RecordReply, type RecordRequest } from './cluster-records';
import { createCmpServer } from './handler';

export interface WorkerData {
  config: unknown;
  maxTransactions: number;
  maxTransactionsPerClient: number;
  /** Whether the main thread wants each request's body type (config.onRequest). */
  reportRequests: boolean;
}

export type ToWorker =
  { t: 'req'; id: number; der: Uint8Array } | { t: 'crl'; id: number } | { t: 'close'; id: number } | RecordReply | RecordBroadcast;
export type FromWorker =
  /** The answer, with the body types onRequest was told while answering it (one message instead of several: each wakes the main thread). */
  | { t: 'res'; id: number; der: Uint8Array; requests?: { bodyType: string; retransmission: boolean }[] }
  | { t: 'crl'; id: number; der?: Uint8Array; error?: string }
  | { t: 'closed'; id: number }
  | { t: 'ready'; error?: string }
  | { t: 'internalError'; message: string; stack?: string }
  | RecordRequest;

/**
 * A sender that gathers the messages of one turn of the event loop into one postMessage: each
 * message wakes the receiving thread, and under load a turn produces many (answers, record
 * changes, acknowledgements).
 */
export function batchedSender<M>(
  send: (message: M | { t: 'batch'; messages: M[] }, transfer: ArrayBuffer[]) => void,
): (message: M, transfer?: ArrayBuffer[]) => void {
  let box: M[] = [];
  let transfers: ArrayBuffer[] = [];
  return (message, transfer) => {
    box.push(message);
    if (transfer) transfers.push(...transfer);
    if (box.length > 1) return;
    setImmediate(() => {
      const messages = box;
      const moved = transfers;
      box = [];
      transfers = [];
      send(messages.length === 1 ? messages[0]! : { t: 'batch', messages }, moved);
    });
  };
}

/** Calls `handle` for a message, or for each message of a batch. */
export function unbatch<M>(message: M | { t: 'batch'; messages: M[] }, handle: (message: M) => void): void {
  if ((message as { t?: string }).t === 'batch') for (const m of (message as { messages: M[] }).messages) handle(m);
  else handle(message as M);
}

/** A copy that owns its whole buffer, so that the buffer can be transferred instead of copied again. */
export function ownBuffer(der: Uint8Array): Uint8Array {
  return der.byteOffset === 0 && der.byteLength === der.buffer.byteLength ? der : der.slice();
}

function main(): void {
  const port = parentPort!;
  const data = workerData as WorkerData;
  const post = batchedSender<FromWorker>((message, transfer) => port.postMessage(message, transfer));
  const store = new RemoteRecordStore(post);
  /**
   * onRequest calls since the last answer was posted, sent with the next answer. A request is
   * reported before it is answered, so none is lost; with requests interleaving, one may travel
   * with another's answer.
   */
  let observed: { bodyType: string; retransmission: boolean }[] = [];
  const config = configFromMainThread(data.config);
  const server = createCmpServer({
    ...config,
    store,
    maxTransactions: data.maxTransactions,
    maxTransactionsPerClient: data.maxTransactionsPerClient,
    ...(data.reportRequests ? { onRequest: (bodyType, info) => observed.push({ bodyType, retransmission: info.retransmission }) } : {}),
    onInternalError: (e) =>
      post({ t: 'internalError', message: e instanceof Error ? e.message : String(e), ...(e instanceof Error && e.stack ? { stack: e.stack } : {}) }),
  });
  const receive = (message: ToWorker) => {
    switch (message.t) {
      case 'req':
        void server.handle(message.der).then((answer) => {
          const der = ownBuffer(answer);
          const requests = observed;
          observed = [];
          post({ t: 'res', id: message.id, der, ...(requests.length ? { requests } : {}) }, [der.buffer as ArrayBuffer]);
        });
        return;
      case 'crl':
        server.crl().then(
          (der) => post({ t: 'crl', id: message.id, der }, [der.buffer]),
          (e: unknown) => post({ t: 'crl', id: message.id, error: e instanceof Error ? e.message : String(e) }),
        );
        return;
      case 'close':
        void server
          .close()
          .catch(() => undefined)
          .then(() => post({ t: 'closed', id: message.id }));
        return;
      default:
        store.receive(message);
    }
  };
  port.on('message', (message: ToWorker | { t: 'batch'; messages: ToWorker[] }) => unbatch(message, receive));
  server.ready().then(
    () => post({ t: 'ready' }),
    (e: unknown) => post({ t: 'ready', error: e instanceof Error ? e.message : String(e) }),
  );
}

if (parentPort) main();
