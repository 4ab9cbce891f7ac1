/**
 * HTTP transfers side by side in one process against the openssl comparison's mock: node:http as
 * bench/http-floor.ts uses it, and createHttpTransfer from one or more builds, each POSTing the
 * requests `openssl cmp -reqout` saved, one transaction at a time (a GENM, or an IR and its
 * certConf on one connection). After a warm-up of each, blocks of each alternate in rotating order;
 * CPU of all threads (process.cpuUsage) and minor page faults per transaction, medians over the
 * blocks and the paired difference of each against the first contender.
 *
 *   npx ts-node --transpile-only bench/transport-ab.ts ir|genm CONTENDERS [WARMUP=1000] [BLOCKS=20] [PER_BLOCK=100]
 *
 * CONTENDERS: comma-separated `http`, `http-shared`, `http-noagent`, `net` (bench/transport-clients.ts) or `transport:<dist directory>`
 * (a build of the repository, as `tsc -p tsconfig.build.json --outDir DIR` makes it). The mock runs in a child process.
 *
 * Under callgrind (`valgrind --tool=callgrind --instr-atstart=no node .tmp/bench-js/bench/transport-ab.js
 * ...`, one contender), CMPFLOW_CALLGRIND_SYNC=DIR makes it announce `warm.PID` in DIR after the
 * warm-up and wait for `on.PID` before its blocks, then announce `done.PID` and wait for `off.PID`,
 * so that a controller switches instrumentation on and off around the measured transactions alone
 * (`callgrind_control -i on|off PID`).
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { handshake } from './support/callgrind-sync';
import { measureProcess } from './support/measure';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { median } from './support/stats';
import { scenarios } from './openssl-comparison';
import { httpClient, netClient, transportClient } from './transport-clients';

async function main(): Promise<void> {
  const command = process.argv[2] === 'genm' ? 'genm' : 'ir';
  const names = (process.argv[3] ?? 'http').split(',');
  const warmup = Number(process.argv[4] ?? 1000);
  const blocks = Number(process.argv[5] ?? 20);
  const perBlock = Number(process.argv[6] ?? 100);
  const scenario = scenarios.find((s) => s.name === (command === 'genm' ? 'GENM, PBM' : 'IR, PBM'))!;
  const bodyTypes = command === 'genm' ? ['genm'] : ['ir', 'certConf'];

  await withPbmIrMock(async ({ pki, mock }) => {
    const files = scenario.floorRequests!.map((f) => path.join(pki.dir, f));
    const address = ['-server', `127.0.0.1:${mock.port}`, '-path', 'pkix/'];
    const saved = await measureProcess('openssl', ['cmp', '-config', '', ...scenario.args(pki), ...address, '-reqout', files.join(',')], {
      cwd: pki.dir,
    });
    if (saved.code !== 0) throw new Error(`openssl cmp -reqout failed:\n${saved.stderr}`);
    const requests = files.map((f) => readFileSync(f));
    const clients = names.map((name) =>
      name === 'http' || name === 'http-shared' || name === 'http-noagent'
        ? httpClient(mock.port, requests, name === 'http' ? 'per-transaction' : name === 'http-shared' ? 'shared' : 'none')
        : name === 'net'
          ? netClient(mock.port, requests)
          : transportClient(mock.port, requests, bodyTypes, name.replace(/^transport:/, '')),
    );
    for (const [i, run] of clients.entries()) {
      const first = await run();
      console.error(`${names[i]}: response bytes ${first.join(', ')}`);
      for (let k = 1; k < warmup; k++) await run();
    }
    await handshake('warm', 'on');
    const cpu: number[][] = names.map(() => []);
    const faults: number[][] = names.map(() => []);
    for (let b = 0; b < blocks; b++) {
      for (let j = 0; j < clients.length; j++) {
        const i = (j + b) % clients.length;
        const f0 = process.resourceUsage().minorPageFault;
        const c0 = process.cpuUsage();
        for (let k = 0; k < perBlock; k++) await clients[i]!();
        const c = process.cpuUsage(c0);
        cpu[i]!.push((c.user + c.system) / 1000 / perBlock);
        faults[i]!.push((process.resourceUsage().minorPageFault - f0) / perBlock);
      }
    }
    await handshake('done', 'off');
    console.log(
      `${command}, ${warmup} warm-up transactions each, ${blocks} alternating blocks of ${perBlock}: CPU ms a transaction (all threads), minor faults`,
    );
    console.log('| contender | CPU median | paired difference to the first | lower in | faults |');
    console.log('| --- | --- | --- | --- | --- |');
    for (const [i, name] of names.entries()) {
      const diffs = cpu[i]!.map((v, b) => v - cpu[0]![b]!);
      const lower = diffs.filter((d) => d < 0).length;
      console.log(
        `| ${name} | ${median(cpu[i]!).toFixed(3)} | ${i === 0 ? '' : median(diffs).toFixed(3)} | ${i === 0 ? '' : `${lower} of ${blocks}`} | ${median(faults[i]!).toFixed(2)} |`,
      );
    }
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
