/**
 * Two builds of the library in one process, against one `openssl cmp -port 0` mock: CmpClient.ir()
 * (or genm) of each, warmed up alike, then in alternating blocks, the CPU (user and system) and the
 * minor page faults per session of each block from process.resourceUsage(). The machine's load
 * moves both builds alike; faults do not move with it.
 *
 *   npx ts-node --transpile-only bench/client-library-ab.ts BASE_DIST NEW_DIST [ir|genm] [warmup=300] [blocks=20] [sessions=30]
 */
import 'reflect-metadata';
import { loadavg } from 'os';
import * as path from 'path';
import type * as Client from '../src/client';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { fixed } from './support/stats';

/** id-it-signKeyPairTypes, as the comparison's GENM asks for. */
const SIGN_KEY_PAIR_TYPES = '1.3.6.1.5.5.7.4.2';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const [baseDist, newDist, commandText = 'ir', ...rest] = process.argv.slice(2);
  if (!baseDist || !newDist) throw new Error('usage: client-library-ab.ts BASE_DIST NEW_DIST [ir|genm] [warmup] [blocks] [sessions]');
  const [warmup = 300, blocks = 20, sessions = 30] = rest.map(Number);
  const command = commandText === 'genm' ? 'genm' : 'ir';
  const builds = {
    base: require(path.join(path.resolve(baseDist), 'src', 'client')) as typeof Client,
    new: require(path.join(path.resolve(newDist), 'src', 'client')) as typeof Client,
  };
  await withPbmIrMock(async ({ options }) => {
    const sessionOf = (build: keyof typeof builds) => {
      const client = new builds[build].CmpClient(options);
      return command === 'ir' ? () => client.ir() : () => client.genm([{ infoType: SIGN_KEY_PAIR_TYPES }]);
    };
    const run = { base: sessionOf('base'), new: sessionOf('new') };
    for (let i = 0; i < warmup; i++) {
      await run.base();
      await run.new();
    }
    const cpu: Record<keyof typeof builds, number[]> = { base: [], new: [] };
    const faults: Record<keyof typeof builds, number[]> = { base: [], new: [] };
    const load0 = loadavg()[0]!;
    for (let block = 0; block < blocks; block++) {
      for (const build of block % 2 ? (['new', 'base'] as const) : (['base', 'new'] as const)) {
        const before = process.resourceUsage();
        for (let i = 0; i < sessions; i++) await run[build]();
        const after = process.resourceUsage();
        cpu[build].push((after.userCPUTime + after.systemCPUTime - before.userCPUTime - before.systemCPUTime) / 1000 / sessions);
        faults[build].push((after.minorPageFault - before.minorPageFault) / sessions);
      }
    }
    const lower = cpu.new.filter((ms, i) => ms < cpu.base[i]!).length;
    const paired = median(cpu.new.map((ms, i) => ms - cpu.base[i]!));
    process.stdout.write(
      `${command}, ${warmup} warm-up sessions each, ${blocks} alternating blocks of ${sessions}, load ${fixed(load0, 2)} -> ${fixed(loadavg()[0]!, 2)}\n` +
        `base: CPU median ${fixed(median(cpu.base), 3)} ms, faults ${fixed(median(faults.base), 1)} a session\n` +
        `new:  CPU median ${fixed(median(cpu.new), 3)} ms, faults ${fixed(median(faults.new), 1)} a session\n` +
        `paired difference median ${fixed(paired, 3)} ms; new lower in ${lower} of ${blocks} blocks\n`,
    );
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
