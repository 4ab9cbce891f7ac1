/**
 * Child program: a load generator cheap enough that the CA, not the client, is what runs out of
 * CPU. `build` makes IRs with the compiled CmpClient (PBM under a reference and secret per
 * device, implicit confirmation asked, so that a session is one POST answered by an ip) and keeps
 * them in a file; `replay` sends them over keep-alive HTTP on raw sockets, `connections` at a
 * time, each a pre-formatted POST, reading each answer by its Content-Length. After the timing,
 * every answer is checked to be an ip whose status is accepted.
 *
 *   ca-replay.ts build '{"file": "...", "from": 0, "count": 3000}'
 *   ca-replay.ts replay '{"file": "...", "port": 1234, "connections": 32}'
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import type * as Asn1 from '../src/asn1';
import type * as Client from '../src/client';
import type * as Crypto from '../src/crypto';
import { report } from './support/child';
import { requireDist } from './support/dist';

/** The reference and secret of device `i`: the server (ca-scaling-server.ts) knows the same ones. */
export const deviceRef = (i: number) => `scaling-device-${i}`;
export const deviceSecret = (i: number) => `scaling secret ${i}`;

interface BuildJob {
  file: string;
  from: number;
  count: number;
}

interface ReplayJob {
  file: string;
  port: number;
  connections: number;
  /** CPUs to pin this process to (taskset -c syntax). */
  cpus?: string;
}

export interface ReplayResult {
  sessions: number;
  sessionsPerSecond: number;
  /** CPU of this process per session while sending and reading (not the checks afterwards). */
  cpuMsPerSession: number;
  wallMs: number;
  /** Answers checked (all of them) and those that were not an accepted ip. */
  checked: number;
  bad: number;
  firstBad?: string;
}

async function build(job: BuildJob): Promise<void> {
  const { CmpClient } = requireDist<typeof Client>('src/client');
  const { getCryptoProvider } = requireDist<typeof Crypto>('src/crypto');
  const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  const parts: Buffer[] = [];
  for (let i = job.from; i < job.from + job.count; i++) {
    const client = new CmpClient({
      // The client sends through a transfer that keeps the bytes and answers nothing.
      transfer: async (request) => {
        const length = Buffer.alloc(4);
        length.writeUInt32BE(request.length);
        parts.push(length, Buffer.from(request));
        throw new Error('kept');
      },
      ref: deviceRef(i),
      secret: deviceSecret(i),
      newKey,
      subject: `/CN=scaling device ${i}`,
      implicitConfirm: true,
    });
    await client.ir().catch(() => undefined);
  }
  writeFileSync(job.file, Buffer.concat(parts));
  report({ built: job.count });
}

function readRequests(file: string): Buffer[] {
  const all = readFileSync(file);
  const out: Buffer[] = [];
  for (let at = 0; at < all.length;) {
    const length = all.readUInt32BE(at);
    out.push(all.subarray(at + 4, at + 4 + length));
    at += 4 + length;
  }
  return out;
}

/** One keep-alive connection sending the requests `next()` hands it, one at a time. */
function connection(port: number, requests: Buffer[], answers: Buffer[], next: () => number): Promise<void> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ port, host: '127.0.0.1', noDelay: true });
    let pending = -1;
    let buffered: Buffer = Buffer.alloc(0);
    const send = () => {
      pending = next();
      if (pending >= requests.length) {
        socket.end();
        resolve();
        return;
      }
      socket.write(requests[pending]!);
    };
    socket.once('connect', send);
    socket.on('error', reject);
    socket.on('data', (chunk: Buffer) => {
      buffered = buffered.length ? Buffer.concat([buffered, chunk]) : chunk;
      const head = buffered.indexOf('\r\n\r\n');
      if (head < 0) return;
      const headers = buffered.subarray(0, head).toString('latin1');
      const match = /\r\ncontent-length:\s*(\d+)/i.exec(headers);
      if (!match) return reject(new Error(`an answer without Content-Length: ${headers.split('\r\n')[0]}`));
      const end = head + 4 + Number(match[1]);
      if (buffered.length < end) return;
      if (!headers.startsWith('HTTP/1.1 200')) return reject(new Error(`HTTP answer ${headers.split('\r\n')[0]}`));
      answers[pending] = buffered.subarray(head + 4, end);
      buffered = buffered.subarray(end);
      send();
    });
  });
}

async function replay(job: ReplayJob): Promise<void> {
  if (job.cpus !== undefined) spawnSync('taskset', ['-a', '-p', '-c', job.cpus, String(process.pid)], { stdio: 'ignore' });
  const { decodePkiMessage, pkiBodyType } = requireDist<typeof Asn1>('src/asn1');
  // Each POST formatted beforehand: the replay only writes bytes and reads lengths.
  const requests = readRequests(job.file).map((der) =>
    Buffer.concat([
      Buffer.from(`POST /pkix/ HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/pkixcmp\r\nContent-Length: ${der.length}\r\n\r\n`, 'latin1'),
      der,
    ]),
  );
  const answers = new Array<Buffer>(requests.length);
  let next = 0;
  const cpu = process.cpuUsage();
  const started = performance.now();
  await Promise.all(Array.from({ length: job.connections }, () => connection(job.port, requests, answers, () => next++)));
  const wallMs = performance.now() - started;
  const used = process.cpuUsage(cpu);
  let bad = 0;
  let firstBad: string | undefined;
  for (const answer of answers) {
    const message = decodePkiMessage(answer);
    const type = pkiBodyType(message.body);
    const status = message.body.ip?.response[0]?.status.status;
    if (type !== 'ip' || status !== 0) {
      bad++;
      firstBad ??= `${type ?? 'unknown'} status ${String(status)}`;
    }
  }
  const result: ReplayResult = {
    sessions: requests.length,
    sessionsPerSecond: (requests.length / wallMs) * 1000,
    cpuMsPerSession: (used.user + used.system) / 1000 / requests.length,
    wallMs,
    checked: answers.length,
    bad,
    ...(firstBad ? { firstBad } : {}),
  };
  report(result);
}

if (require.main === module) {
  const [mode, json] = process.argv.slice(2);
  (mode === 'build' ? build(JSON.parse(json!) as BuildJob) : replay(JSON.parse(json!) as ReplayJob)).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
