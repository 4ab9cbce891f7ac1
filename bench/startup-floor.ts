/**
 * Where one `cmpflow -cmd ir` stands against what Node.js itself costs on this machine, phase by
 * phase: each row is a whole `node` process, and each reports its own CPU (user+system, all
 * threads) and minor page faults from `process.resourceUsage()` as it exits, through a preload
 * (`-r`), so that the command runs as installed: no V8 flag, its code cache accepted. Rows, each a
 * phase more than the one before:
 *
 * - `node` on an empty script: the process's start and exit;
 * - `node` loading the built-in modules a transaction over HTTP loads (bin/cli-loader.js's list),
 *   each from Node's own code cache;
 * - the same plus one TLS-free exchange with the mock: the IR's two requests (ir, certConf, saved by
 *   `cmpflow -reqout` in the set-up) POSTed by node:http, each on a connection of its own as the
 *   mock requires, each answer read whole (no CMP: the mock's answers are not checked);
 * - `cmpflow -help`, and one complete PBM `cmpflow -cmd ir`, from each build named.
 *
 * Rounds alternate the order of the rows; the table gives medians. NODE_EXTRA_CA_CERTS is left out
 * of every environment (docs/benchmarks.md, "Start-up").
 *
 *   npx ts-node --transpile-only bench/startup-floor.ts [ROUNDS] [BUILD...]
 *
 * A BUILD is a folder with bin/cmpflow.js and its dist/ (default: this repository).
 */
import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import { loadavg } from 'os';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { irCommandArgs } from './support/ir-command';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { fixed, median, table } from './support/stats';
import { ROOT } from './support/dist';
import { transactionBuiltinsSource } from './support/cli-loader';
import { withoutExtraCaCerts } from './support/node-env';

const run = promisify(execFile);

interface Usage {
  cpuMs: number;
  faults: number;
}

/** The preload: the process's own rusage as it exits, to the file named by CMPFLOW_FLOOR_REPORT. */
const REPORTER = `
const report = process.env.CMPFLOW_FLOOR_REPORT;
process.on('exit', () => {
  const u = process.resourceUsage();
  require('fs').writeFileSync(report, JSON.stringify({ cpuMs: (u.userCPUTime + u.systemCPUTime) / 1000, faults: u.minorPageFault }));
});`;

/** POSTs each request on its own connection, in turn, reading each answer whole. */
const exchange = (port: number, requests: string[]) => `${transactionBuiltinsSource}
const http = require('http');
const fs = require('fs');
const agent = new http.Agent({ keepAlive: false });
const post = (body) => new Promise((resolve, reject) => {
  const req = http.request({ host: '127.0.0.1', port: ${port}, path: '/pkix/', method: 'POST', agent,
    headers: { 'Content-Type': 'application/pkixcmp', 'Content-Length': body.length } }, (res) => {
    const chunks = [];
    res.on('data', (c) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks)));
  });
  req.on('error', reject);
  req.end(body);
});
(async () => { for (const file of ${JSON.stringify(requests)}) await post(fs.readFileSync(file)); })();
`;

async function measure(dir: string, cwd: string, argv: string[]): Promise<Usage> {
  const report = path.join(dir, 'report.json');
  await run(process.execPath, ['-r', path.join(dir, 'reporter.js'), ...argv], {
    cwd,
    env: { ...withoutExtraCaCerts(), CMPFLOW_FLOOR_REPORT: report },
  });
  return JSON.parse(readFileSync(report, 'utf8')) as Usage;
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 10);
  const builds = process.argv.slice(3).map((b) => path.resolve(b));
  if (builds.length === 0) builds.push(ROOT);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-startup-floor-'));
  try {
    await withPbmIrMock(async ({ pki, mock }) => {
      const irArgs = irCommandArgs(pki, mock.port);
      const requests = [path.join(dir, 'ir.der'), path.join(dir, 'certconf.der')];
      await run(process.execPath, [path.join(builds[0]!, 'bin', 'cmpflow.js'), ...irArgs, '-reqout', requests.join(',')], { cwd: pki.dir });
      writeFileSync(path.join(dir, 'reporter.js'), REPORTER);
      writeFileSync(path.join(dir, 'empty.js'), '');
      writeFileSync(path.join(dir, 'builtins.js'), transactionBuiltinsSource);
      writeFileSync(path.join(dir, 'exchange.js'), exchange(mock.port, requests));
      const rows: [string, string[]][] = [
        ['node, empty script', [path.join(dir, 'empty.js')]],
        ["node, the built-ins an IR loads (Node's code cache)", [path.join(dir, 'builtins.js')]],
        ["node, those built-ins and the IR's two HTTP exchanges (no CMP)", [path.join(dir, 'exchange.js')]],
      ];
      for (const build of builds) {
        const name = builds.length > 1 ? ` (${build})` : '';
        rows.push([`cmpflow -help${name}`, [path.join(build, 'bin', 'cmpflow.js'), '-help']]);
        rows.push([`cmpflow one -cmd ir${name}`, [path.join(build, 'bin', 'cmpflow.js'), ...irArgs]]);
      }
      const results = rows.map((): Usage[] => []);
      const loads: number[] = [];
      for (let round = 0; round < rounds; round++) {
        loads.push(loadavg()[0]!);
        const order = rows.map((_, i) => i);
        if (round % 2) order.reverse();
        for (const i of order) results[i]!.push(await measure(dir, pki.dir, rows[i]![1]));
      }
      const out = [['process', 'CPU (median)', 'minor faults (median)', 'faults min..max']];
      rows.forEach(([name], i) => {
        const r = results[i]!;
        const faults = r.map((u) => u.faults);
        out.push([name, `${fixed(median(r.map((u) => u.cpuMs)))} ms`, String(median(faults)), `${Math.min(...faults)}..${Math.max(...faults)}`]);
      });
      console.log(`${rounds} alternating rounds, 1-minute load ${fixed(Math.min(...loads), 2)} to ${fixed(Math.max(...loads), 2)}\n`);
      console.log(table(out));
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
