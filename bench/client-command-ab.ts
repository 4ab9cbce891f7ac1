/**
 * Two builds of the command, alternating, against one `openssl cmp -port 0` mock: the CPU (user and
 * system, from the kernel's rusage of each finished process) and wall time per transaction of a
 * `-repeat N` run of the comparison's PBM scenarios, with extra options after them (say, -reqout
 * and -rspout files). A build is a folder with bin/cmpflow.js and the dist/ it runs, as
 * `git archive` and `npm run build` leave one; the load on the machine moves both alike.
 *
 *   npx ts-node --transpile-only bench/client-command-ab.ts BASE NEW ir|genm REPEAT ROUNDS [options...]
 */
import { cpus, loadavg } from 'os';
import * as path from 'path';
import { makeTestPki } from '../test/support/pki';
import { startMockServer } from '../test/support/openssl';
import { mockServerArgs, scenarios } from './openssl-comparison';
import { timeProcess, type CpuTime } from './support/cpu-time';

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

async function main(): Promise<void> {
  const [baseRoot, newRoot, command, repeatText, roundsText, ...extra] = process.argv.slice(2);
  if (!baseRoot || !newRoot || (command !== 'ir' && command !== 'genm')) {
    throw new Error('usage: client-command-ab.ts BASE NEW ir|genm REPEAT ROUNDS [options...]');
  }
  const repeat = Number(repeatText ?? 300);
  const rounds = Number(roundsText ?? 5);
  const scenario = scenarios.find((s) => s.name === (command === 'ir' ? 'IR, PBM' : 'GENM, PBM'))!;
  const pki = await makeTestPki();
  const mock = await startMockServer(mockServerArgs(pki), { cwd: pki.dir });
  const builds = { base: path.resolve(baseRoot), new: path.resolve(newRoot) };
  const results: Record<keyof typeof builds, CpuTime[]> = { base: [], new: [] };
  console.log(`${cpus().length} CPUs, load ${loadavg()[0]!.toFixed(2)}; ${command} -repeat ${repeat} ${extra.join(' ')}`);
  try {
    const args = ['-config', '', ...scenario.args(pki), '-server', `127.0.0.1:${mock.port}`, '-path', 'pkix/', '-repeat', String(repeat), ...extra];
    for (let round = 0; round < rounds; round++) {
      const order = round % 2 ? (['new', 'base'] as const) : (['base', 'new'] as const);
      for (const build of order) {
        const t = await timeProcess(process.execPath, [path.join(builds[build], 'bin', 'cmpflow.js'), ...args], { cwd: pki.dir });
        if (t.code !== 0) throw new Error(`${build} exited ${t.code}: ${t.stderr}`);
        results[build].push(t);
      }
      const row = (t: CpuTime) =>
        `CPU ${(t.cpuMs / repeat).toFixed(3)} (user ${(t.userMs / repeat).toFixed(3)}, sys ${(t.systemMs / repeat).toFixed(3)}), wall ${(t.wallMs / repeat).toFixed(3)}`;
      console.log(
        `round ${round + 1}, load ${loadavg()[0]!.toFixed(2)}: base ${row(results.base[round]!)} | new ${row(results.new[round]!)} ms a transaction`,
      );
    }
    for (const build of ['base', 'new'] as const) {
      const m = (pick: (t: CpuTime) => number) => (median(results[build].map(pick)) / repeat).toFixed(3);
      console.log(
        `${build}: median CPU ${m((t) => t.cpuMs)}, user ${m((t) => t.userMs)}, sys ${m((t) => t.systemMs)}, wall ${m((t) => t.wallMs)} ms a transaction`,
      );
    }
    const lower = results.new.filter((t, i) => t.cpuMs < results.base[i]!.cpuMs).length;
    console.log(`new below base in CPU in ${lower} of ${rounds} rounds`);
  } finally {
    await mock.stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
