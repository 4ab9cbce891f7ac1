/**
 * One HTTP client's cost for the openssl mock's transactions, no CMP: the request bytes that
 * `openssl cmp -reqout` saved, POSTed in turn on one new connection per transaction, each answer
 * read whole. The clients compared (bench/transport-floor.ts runs each in a fresh process):
 *
 * - `http`: node:http as bench/http-floor.ts uses it (an agent per transaction, keep-alive only
 *   when the transaction has more than one request);
 * - `transport`: cmpflow's own transfer (createHttpTransfer from the measured dist/, one per
 *   process as the command makes it: its limits, timeout, abort signal, headers and keep-alive
 *   within a transaction), given each request's body type as the client gives it;
 * - `net`: node:net, the request written in one piece and the answer read until its
 *   Content-Length (a measurement of what is under node:http, not a client: no limits, no errors);
 * - `undici`: undici's `Client` (llhttp in WebAssembly), a client per transaction, loaded from
 *   the path given (it is not a dependency).
 *
 * Child program (bench/support/child.ts): argv[2] is JSON ExchangeArgs. Runs `transactions` cold (a
 * fresh process, as a `-repeat` command's sessions are) and, unless `coldOnly`, as many warm;
 * reports the CPU of all threads (process.cpuUsage), wall time and minor page faults of each half,
 * and what loading the client cost.
 */
import * as http from 'http';
import * as net from 'net';
import { readFileSync } from 'fs';
import { report } from './support/child';
import { requireDist } from './support/dist';
import type * as Transport from '../src/transport';

export type ExchangeMode = 'http' | 'transport' | 'net' | 'undici';

export interface ExchangeArgs {
  mode: ExchangeMode;
  port: number;
  requests: string[];
  /** Each request's PKIBody type, as the client passes it to its transfer ('ir', 'certConf', 'genm'). */
  bodyTypes: string[];
  transactions: number;
  coldOnly?: boolean;
  /** undici's package directory, for mode undici. */
  undici?: string;
}

export interface Half {
  cpuMsPerTransaction: number;
  /** Of which the kernel's (system time). */
  systemMsPerTransaction: number;
  wallMsPerTransaction: number;
  faultsPerTransaction: number;
}

export interface ExchangeResult {
  mode: ExchangeMode;
  /** CPU and wall of loading the client's modules (none for node:http and node:net, already in Node). */
  load: { cpuMs: number; wallMs: number };
  cold: Half;
  warm?: Half;
  /** Response bytes of the last transaction, to check every client read the same answers. */
  lastResponseBytes: number[];
}

type Transaction = () => Promise<number[]>;

const PATH = '/pkix/';
const TYPE = 'application/pkixcmp';

function httpClient(port: number, requests: Buffer[]): Transaction {
  const post = (agent: http.Agent, body: Buffer) =>
    new Promise<number>((resolve, reject) => {
      const req = http.request(
        {
          host: '127.0.0.1',
          port,
          path: PATH,
          method: 'POST',
          agent,
          headers: { 'Content-Type': TYPE, 'Content-Length': body.length },
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
    const agent = new http.Agent({ keepAlive: requests.length > 1, maxSockets: 1 });
    try {
      const sizes: number[] = [];
      for (const body of requests) sizes.push(await post(agent, body));
      return sizes;
    } finally {
      agent.destroy();
    }
  };
}

function transportClient(port: number, requests: Buffer[], bodyTypes: string[]): Transaction {
  const { createHttpTransfer } = requireDist<typeof Transport>('src/transport');
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

function netClient(port: number, requests: Buffer[]): Transaction {
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

function undiciClient(port: number, requests: Buffer[], dir: string): Transaction {
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

async function timed(n: number, run: Transaction): Promise<{ half: Half; last: number[] }> {
  const faults = process.resourceUsage().minorPageFault;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let last: number[] = [];
  for (let i = 0; i < n; i++) last = await run();
  const used = process.cpuUsage(cpu);
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  return {
    half: {
      cpuMsPerTransaction: (used.user + used.system) / 1000 / n,
      systemMsPerTransaction: used.system / 1000 / n,
      wallMsPerTransaction: wall / n,
      faultsPerTransaction: (process.resourceUsage().minorPageFault - faults) / n,
    },
    last,
  };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as ExchangeArgs;
  const requests = args.requests.map((f) => readFileSync(f));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const run =
    args.mode === 'http'
      ? httpClient(args.port, requests)
      : args.mode === 'transport'
        ? transportClient(args.port, requests, args.bodyTypes)
        : args.mode === 'net'
          ? netClient(args.port, requests)
          : undiciClient(args.port, requests, args.undici!);
  const loadCpu = process.cpuUsage(cpu);
  const load = { cpuMs: (loadCpu.user + loadCpu.system) / 1000, wallMs: Number(process.hrtime.bigint() - start) / 1e6 };
  const cold = await timed(args.transactions, run);
  const warm = args.coldOnly ? undefined : await timed(args.transactions, run);
  report({
    mode: args.mode,
    load,
    cold: cold.half,
    ...(warm ? { warm: warm.half } : {}),
    lastResponseBytes: (warm ?? cold).last,
  } satisfies ExchangeResult);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
