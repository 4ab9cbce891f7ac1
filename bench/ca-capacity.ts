/**
 * Child program: how many IR sessions per second the embedded CA itself can answer, with no client
 * competing for the cores. The IRs (PBM, implicit confirmation asked for and granted, so that a
 * session is one ir and its ip) are built first by the compiled CmpClient and kept; then they are
 * handed to the server all at once, `inFlight` at a time, as one thread (`createCmpServer`) or as
 * a cluster of K worker threads (`createCmpCluster`), and the wall time until the last answer
 * gives sessions/s. Every answer is checked to be an ip afterwards, outside the timing. Each
 * session has a reference and secret of its own, as devices of a fleet do, so the server derives
 * a MAC key for every request (a client keeps its salt for many messages under one secret).
 *
 *   ca-capacity.ts '{"workers": 0|1|2, "sessions": 2000, "inFlight": 64}'
 */
import 'reflect-metadata';
import type * as Asn1 from '../src/asn1';
import type * as Client from '../src/client';
import type * as Crypto from '../src/crypto';
import type * as Server from '../src/server';
import { report } from './support/child';
import { requireDist } from './support/dist';

interface Job {
  workers: number;
  sessions: number;
  inFlight: number;
}

export interface CapacityResult {
  workers: number;
  sessions: number;
  sessionsPerSecond: number;
  /** CPU of this process (all threads) per session while answering. */
  cpuMsPerSession: number;
}

const ref = (i: number) => `capacity-device-${i}`;
const secret = (i: number) => `capacity secret ${i}`;

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  const { CmpClient } = requireDist<typeof Client>('src/client');
  const { getCryptoProvider } = requireDist<typeof Crypto>('src/crypto');
  const { createCmpServer, createCmpCluster, createThrowawayCa } = requireDist<typeof Server>('src/server');
  const { decodePkiMessage, pkiBodyType } = requireDist<typeof Asn1>('src/asn1');
  const ca = await createThrowawayCa();
  const warmup = Math.min(200, job.sessions);
  const total = job.sessions + warmup;
  const secrets = Array.from({ length: total }, (_, i) => ({ ref: ref(i), secret: secret(i) }));
  const config = { ...ca.serverConfig(), secrets, grantImplicitConf: true, maxTransactions: 1_000_000 };
  const server = job.workers === 0 ? createCmpServer(config) : createCmpCluster(config, { workers: job.workers });
  await server.ready();

  // The requests, built by the real client: it sends through a transfer that keeps the bytes.
  const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  const requests: Uint8Array[] = [];
  for (let i = 0; i < total; i++) {
    const client = new CmpClient({
      transfer: async (request) => {
        requests.push(request);
        throw new Error('kept');
      },
      ref: ref(i),
      secret: secret(i),
      trusted: [ca.ca.cert],
      newKey,
      subject: `/CN=capacity device ${i}`,
      implicitConfirm: true,
    });
    await client.ir().catch(() => undefined);
  }
  const run = async (batch: Uint8Array[]) => {
    const answers: Uint8Array[] = new Array<Uint8Array>(batch.length);
    let next = 0;
    await Promise.all(
      Array.from({ length: job.inFlight }, async () => {
        while (next < batch.length) {
          const i = next++;
          answers[i] = await server.handle(batch[i]!);
        }
      }),
    );
    return answers;
  };
  await run(requests.slice(0, warmup));
  const measured = requests.slice(warmup);
  const cpu = process.cpuUsage();
  const started = performance.now();
  const answers = await run(measured);
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const bad = answers.map((a) => pkiBodyType(decodePkiMessage(a).body)).filter((t) => t !== 'ip');
  if (bad.length) throw new Error(`${bad.length} answers were not ip: ${bad.slice(0, 3).join(', ')}`);
  await server.close();
  await ca.cleanup();
  const result: CapacityResult = {
    workers: job.workers,
    sessions: measured.length,
    sessionsPerSecond: (measured.length / wall) * 1000,
    cpuMsPerSession: (used.user + used.system) / 1000 / measured.length,
  };
  report(result);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
