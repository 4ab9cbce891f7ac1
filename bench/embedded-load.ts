/**
 * Child program: `sessions` PBM-protected IR sessions against the embedded CA, `concurrency` at a
 * time, each worker with its own CmpClient. The CA is either in this process, over HTTP on
 * loopback (`http`) or called directly through a Transfer (`direct`), or in another process
 * (`remote`, with its URL and CA certificate given).
 *
 *   embedded-load.ts '{"mode": "http"|"direct"|"remote", "concurrency": 10, "sessions": 200, "warmup": 20, "url"?: ..., "caCert"?: ...}'
 */
import 'reflect-metadata';
import type * as Client from '../src/client';
import type * as Crypto from '../src/crypto';
import type * as Server from '../src/server';
import type { X509Certificate } from '@peculiar/x509';
import type { CmpClientOptions } from '../src/options';
import { report } from './support/child';
import { requireDist } from './support/dist';
import { EMBEDDED_REF, EMBEDDED_SECRET, startEmbeddedCa } from './support/embedded';
import { percentile } from './support/stats';

interface Job {
  mode: 'http' | 'direct' | 'remote';
  concurrency: number;
  sessions: number;
  warmup: number;
  url?: string;
  caCert?: string;
  /** remote: the reference and secret the server knows (default the bench CA's), one subject for all clients (a reference is bound to its first names). */
  ref?: string;
  secret?: string;
  subject?: string;
}

export interface LoadResult {
  mode: Job['mode'];
  concurrency: number;
  /** Sessions completed in the measurement. */
  sessions: number;
  /** Sessions that failed, and how the first one did. */
  failed: number;
  firstFailure?: string;
  sessionsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  /** CPU of this process per session (client, plus the server in http and direct modes). */
  cpuMsPerSession: number;
  maxRssKb: number;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  const { CmpClient } = requireDist<typeof Client>('src/client');
  const { getCryptoProvider } = requireDist<typeof Crypto>('src/crypto');
  const { listen } = requireDist<typeof Server>('src/server');
  const { X509Certificate: X509 } = require('@peculiar/x509') as { X509Certificate: typeof X509Certificate };

  let target: Pick<CmpClientOptions, 'server' | 'transfer'>;
  let trusted: X509Certificate | undefined;
  let stop = async () => undefined as void;
  if (job.mode === 'remote') {
    target = { server: job.url! };
    // Without the CA certificate the client takes the certificate the MAC-protected answer carries.
    if (job.caCert) trusted = new X509(Buffer.from(job.caCert, 'base64'));
  } else {
    const { server, ca } = await startEmbeddedCa();
    trusted = ca.ca.cert;
    if (job.mode === 'http') {
      const listener = await listen(server);
      target = { server: listener.url };
      stop = () => listener.close();
    } else {
      target = { transfer: (request) => server.handle(request) };
    }
  }
  const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  const clients = Array.from(
    { length: job.concurrency },
    () =>
      new CmpClient({
        ...target,
        ref: job.ref ?? EMBEDDED_REF,
        secret: job.secret ?? EMBEDDED_SECRET,
        ...(trusted ? { trusted: [trusted] } : {}),
        newKey,
        // One subject for all: the CA binds a MAC reference to the names it was first issued.
        subject: job.subject ?? '/CN=bench device',
        msgTimeout: 120,
      }),
  );

  // A session that fails (an overloaded server times out or drops connections) is counted, not fatal.
  const failures: string[] = [];
  const run = async (sessions: number, latencies?: number[]) => {
    let next = 0;
    await Promise.all(
      clients.map(async (client) => {
        while (next < sessions) {
          next++;
          const t0 = performance.now();
          try {
            await client.ir();
            latencies?.push(performance.now() - t0);
          } catch (e) {
            failures.push(`${(e as { code?: string }).code ?? ''} ${(e as Error).message ?? String(e)}`);
          }
        }
      }),
    );
  };
  await run(Math.min(job.warmup, job.sessions));
  failures.length = 0;
  const latencies: number[] = [];
  const cpu = process.cpuUsage();
  const started = performance.now();
  await run(job.sessions, latencies);
  const wall = performance.now() - started;
  const used = process.cpuUsage(cpu);
  await stop();
  const result: LoadResult = {
    mode: job.mode,
    concurrency: job.concurrency,
    sessions: latencies.length,
    failed: failures.length,
    ...(failures.length ? { firstFailure: failures[0] } : {}),
    sessionsPerSecond: (latencies.length / wall) * 1000,
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
    cpuMsPerSession: (used.user + used.system) / 1000 / Math.max(1, latencies.length),
    maxRssKb: process.resourceUsage().maxRSS,
  };
  report(result);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
