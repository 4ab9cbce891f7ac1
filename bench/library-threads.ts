/**
 * Where a library session's CPU runs: CmpClient.ir() against an `openssl cmp -port 0` mock (PBM),
 * `sessions` measured after `warmup`, the process's CPU split into its main thread and all other
 * threads (V8's optimising compiler and its garbage collector's helpers, libuv's pool), read from
 * /proc/self/task. The second number says how much of it is V8 still compiling: after 20 warm-up
 * sessions (the openssl comparison's library row until the ninth session) about 2 ms; the row now
 * warms up 14 × -repeat sessions, at most 4,000 (bench/run.ts).
 *
 *   npx ts-node --transpile-only bench/library-threads.ts [warmup=20] [sessions=300]
 *
 * Linux only. Measures dist/ (or CMPFLOW_BENCH_DIST), like the other benchmarks.
 */
import 'reflect-metadata';
import { loadavg } from 'os';
import type * as Client from '../src/client';
import { requireDist } from './support/dist';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { fixed } from './support/stats';
import { threadCpuMs } from './support/thread-cpu';

async function main(): Promise<void> {
  const [warmup = 20, sessions = 300] = process.argv.slice(2).map(Number);
  const { CmpClient } = requireDist<typeof Client>('src/client');
  await withPbmIrMock(async ({ options }) => {
    const client = new CmpClient(options);
    for (let i = 0; i < warmup; i++) await client.ir();
    const load0 = loadavg()[0]!;
    const before = threadCpuMs();
    const cpu = process.cpuUsage();
    for (let i = 0; i < sessions; i++) await client.ir();
    const used = process.cpuUsage(cpu);
    const after = threadCpuMs();
    const per = (ms: number) => `${fixed(ms / sessions, 2)} ms`;
    process.stdout.write(
      `${sessions} PBM IR sessions after ${warmup}, load ${fixed(load0, 2)} -> ${fixed(loadavg()[0]!, 2)}: ` +
        `process ${per((used.user + used.system) / 1000)} a session, main thread ${per(after.main - before.main)}, ` +
        `other threads ${per(after.others - before.others)}\n`,
    );
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
