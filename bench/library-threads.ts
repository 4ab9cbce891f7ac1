/**
 * Where a library session's CPU runs: CmpClient.ir() (or genm) against an `openssl cmp -port 0`
 * mock (PBM), `sessions` measured after `warmup`: the process's CPU (user and system), split into
 * its main thread and all other threads (V8's optimising compiler and its garbage collector's
 * helpers, libuv's pool), and its minor page faults, which do not move with the machine's load.
 * After 20 warm-up sessions much of it is V8 still compiling; the openssl comparison's library row
 * measures after 14 × --repeat. Node's own flags (say, the young generation's size) go before the
 * script: `node --max-semi-space-size=1 -r ts-node/register/transpile-only bench/library-threads.ts`.
 *
 *   npx ts-node --transpile-only bench/library-threads.ts [ir|genm] [warmup=20] [sessions=300]
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

/** id-it-signKeyPairTypes, as the comparison's GENM asks for. */
const SIGN_KEY_PAIR_TYPES = '1.3.6.1.5.5.7.4.2';

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const command = args[0] === 'genm' || args[0] === 'ir' ? args.shift()! : 'ir';
  const [warmup = 20, sessions = 300] = args.map(Number);
  const { CmpClient } = requireDist<typeof Client>('src/client');
  await withPbmIrMock(async ({ options }) => {
    const client = new CmpClient(options);
    const session = command === 'ir' ? () => client.ir() : () => client.genm([{ infoType: SIGN_KEY_PAIR_TYPES }]);
    for (let i = 0; i < warmup; i++) await session();
    const load0 = loadavg()[0]!;
    const threadsBefore = threadCpuMs();
    const before = process.resourceUsage();
    for (let i = 0; i < sessions; i++) await session();
    const after = process.resourceUsage();
    const threadsAfter = threadCpuMs();
    const per = (n: number, digits = 2) => `${fixed(n / sessions, digits)}`;
    const user = (after.userCPUTime - before.userCPUTime) / 1000;
    const system = (after.systemCPUTime - before.systemCPUTime) / 1000;
    process.stdout.write(
      `${sessions} PBM ${command} sessions after ${warmup}, load ${fixed(load0, 2)} -> ${fixed(loadavg()[0]!, 2)}, a session: ` +
        `process ${per(user + system)} ms (user ${per(user)}, system ${per(system)}), ` +
        `main thread ${per(threadsAfter.main - threadsBefore.main)} ms, other threads ${per(threadsAfter.others - threadsBefore.others)} ms, ` +
        `minor faults ${per(after.minorPageFault - before.minorPageFault, 1)}\n`,
    );
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
