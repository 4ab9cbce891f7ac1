/**
 * Minor page faults and CPU per library session: CmpClient.ir() (or genm) against an `openssl cmp
 * -port 0` mock (PBM), `sessions` measured after `warmup`, from process.resourceUsage(). Page faults
 * do not move with the machine's load, CPU does. Node's own flags (say, the young generation's
 * size) go before the script: `node --max-semi-space-size=1 -r ts-node/register/transpile-only ...`.
 *
 *   npx ts-node --transpile-only bench/client-library-faults.ts [ir|genm] [warmup=20] [sessions=300]
 *
 * Measures dist/ (or CMPFLOW_BENCH_DIST), like the other benchmarks.
 */
import 'reflect-metadata';
import { loadavg } from 'os';
import type * as Client from '../src/client';
import { requireDist } from './support/dist';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { fixed } from './support/stats';

/** id-it-signKeyPairTypes, as the comparison's GENM asks for. */
const SIGN_KEY_PAIR_TYPES = '1.3.6.1.5.5.7.4.2';

async function main(): Promise<void> {
  const command = process.argv[2] === 'genm' ? 'genm' : 'ir';
  const [warmup = 20, sessions = 300] = process.argv.slice(3).map(Number);
  const { CmpClient } = requireDist<typeof Client>('src/client');
  await withPbmIrMock(async ({ options }) => {
    const client = new CmpClient(options);
    const session = command === 'ir' ? () => client.ir() : () => client.genm([{ infoType: SIGN_KEY_PAIR_TYPES }]);
    for (let i = 0; i < warmup; i++) await session();
    const load0 = loadavg()[0]!;
    const before = process.resourceUsage();
    for (let i = 0; i < sessions; i++) await session();
    const after = process.resourceUsage();
    const per = (n: number, digits = 2) => fixed(n / sessions, digits);
    process.stdout.write(
      `${sessions} PBM ${command} sessions after ${warmup}, load ${fixed(load0, 2)} -> ${fixed(loadavg()[0]!, 2)}: ` +
        `minor faults ${per(after.minorPageFault - before.minorPageFault, 1)}, user ${per((after.userCPUTime - before.userCPUTime) / 1000)} ms, ` +
        `system ${per((after.systemCPUTime - before.systemCPUTime) / 1000)} ms a session\n`,
    );
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
