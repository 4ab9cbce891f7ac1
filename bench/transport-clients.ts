/**
 * The HTTP clients the transport benches compare, each as one transaction against the openssl
 * mock: the transaction's requests (bytes `openssl cmp -reqout` saved) POSTed in turn on one new
 * connection, each answer read whole; a transaction resolves to the sizes of its answers.
 *
 * - `httpClient`: node:http as bench/http-floor.ts uses it (an agent per transaction, keep-alive
 *   only when the transaction has more than one request);
 * - `transportClient`: cmpflow's own transfer (createHttpTransfer, one per client as the command
 *   makes it: its limits, timeout, headers and keep-alive within a transaction), given each
 *   request's body type as the CMP client gives it;
 * - `netClient`: node:net, the request written in one piece and the answer read until its
 *   Content-Length (a measurement of what is under node:http, not a client: no limits, no errors);
 * - `undiciClient`: undici's `Client` (llhttp in WebAssembly), a client per transaction, loaded
 *   from the directory given (it is not a dependency).
 */
import * as http from 'http';
import * as net from 'net';
import * as path from 'path';
import { requireDist } from './support/dist';
import type * as Transport from '../src/transport';

export type Transaction = () => Promise<number[]>;

const PATH = '/pkix/';
const TYPE = 'application/pkixcmp';

/**
 * How `httpClient` gets its connections: an agent per transaction (bench/http-floor.ts's way), one
 * keep-alive agent for all (the transfer's way), or none, node:net's socket handed to the request
 * (a transaction of one request only: nothing to keep alive).
 */
export type AgentUse = 'per-transaction' | 'shared' | 'none';

export function httpClient(port: number, requests: Buffer[], agentUse: AgentUse = 'per-transaction'): Transaction {
  if (agentUse === 'none' && requests.length > 1) throw new Error('without an agent, a transaction has one request');
  const shared = agentUse === 'shared' ? new http.Agent({ keepAlive: true, noDelay: true }) : undefined;
  const createConnection = () => net.connect({ host: '127.0.0.1', port, noDelay: true });
  const post = (agent: http.Agent | undefined, body: Buffer, last: boolean) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: PATH,
          method: 'POST',
          ...(agent ? { agent } : { createConnection }),
          // A shared agent keeps the socket unless told: the mock closes it after a transaction.
          headers: { 'Content-Type': TYPE, 'Content-Length': body.length, ...(shared && last ? { Connection: 'close' } : {}) },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => resolve(Buffer.concat(chunks).length));
          res.on('error', reject);
        },
      );
      req.setNoDelay(true);
      req.on('error', reject);
      req.end(body);
    });
  return async () => {
    const agent = agentUse === 'per-transaction' ? new http.Agent({ keepAlive: requests.length > 1, maxSockets: 1 }) : shared;
    try {
      const sizes: number[] = [];
      for (let i = 0; i < requests.length; i++) sizes.push(await post(agent, requests[i]!, i === requests.length - 1));
      return sizes;
    } finally {
      if (agentUse === 'per-transaction') agent!.destroy();
    }
  };
}

/** `dist`: the build's directory, default the measured dist/ (bench/support/dist.ts). */
export function transportClient(port: number, requests: Buffer[], bodyTypes: string[], dist?: string): Transaction {
  const { createHttpTransfer } = (
    dist === undefined ? requireDist<typeof Transport>('src/transport') : require(path.resolve(dist, 'src/transport'))
  ) as typeof Transport;
  const transfer = createHttpTransfer({ server: `127.0.0.1:${port}/pkix/`, env: {} });
  return async () => {
    const sizes: number[] = [];
    for (let i = 0; i < requests.length; i++) sizes.push((await transfer(requests[i]!, { bodyType: bodyTypes[i]! })).length);
    return sizes;
  };
}

/** The head of an HTTP response in `data`, if whole: where its body starts and how long the body is. */
function responseHead(data: Buffer): { bodyStart: number; length: number } | undefined {
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const m = /\r\ncontent-length:\s*(\d+)/i.exec(data.toString('latin1', 0, end));
  if (!m) throw new Error('no Content-Length');
  return { bodyStart: end + 4, length: Number(m[1]) };
}

export function netClient(port: number, requests: Buffer[]): Transaction {
  const framed = requests.map((body, i) =>
    Buffer.concat([
      Buffer.from(
        `POST ${PATH} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: ${TYPE}\r\nContent-Length: ${body.length}\r\n` +
          `Connection: ${i < requests.length - 1 ? 'keep-alive' : 'close'}\r\n\r\n`,
        'latin1',
      ),
      body,
    ]),
  );
  return () =>
    new Promise<number[]>((resolve, reject) => {
      const sizes: number[] = [];
      const socket = net.connect({ host: '127.0.0.1', port, noDelay: true });
      let data: Buffer = Buffer.alloc(0);
      let next = 0;
      const send = () => socket.write(framed[next++]!);
      socket.once('connect', send);
      socket.on('data', (chunk: Buffer) => {
        data = data.length === 0 ? chunk : Buffer.concat([data, chunk]);
        const head = responseHead(data);
        if (!head || data.length < head.bodyStart + head.length) return;
        sizes.push(Buffer.from(data.subarray(head.bodyStart, head.bodyStart + head.length)).length);
        data = Buffer.alloc(0);
        if (next < framed.length) return void send();
        socket.destroy();
        resolve(sizes);
      });
      socket.on('error', reject);
    });
}

export function undiciClient(port: number, requests: Buffer[], dir: string): Transaction {
  // Not a dependency: measured from where it was installed.
  const undici = require(dir) as {
    Client: new (
      origin: string,
      opts: object,
    ) => {
      request(o: object): Promise<{ statusCode: number; body: AsyncIterable<Buffer> }>;
      destroy(): Promise<void>;
    };
  };
  return async () => {
    const client = new undici.Client(`http://127.0.0.1:${port}`, { pipelining: 1 });
    try {
      const sizes: number[] = [];
      for (let i = 0; i < requests.length; i++) {
        const body = requests[i]!;
        const res = await client.request({
          path: PATH,
          method: 'POST',
          headers: { 'content-type': TYPE, 'content-length': String(body.length) },
          body,
        });
        const chunks: Buffer[] = [];
        for await (const c of res.body) chunks.push(c);
        sizes.push(Buffer.concat(chunks).length);
      }
      return sizes;
    } finally {
      await client.destroy();
    }
  };
}
