/**
 * What a single `cmpflow` run costs from process start to exit, beside `openssl cmp` doing the same:
 * `-help`, and one complete PBM-protected `-cmd ir` (ir, ip, certConf, pkiConf) against one
 * `openssl cmp -port 0` mock server. Node's own start (an empty script) is measured too, as the
 * floor no command line written for Node can go below. CPU is user+system of the process from
 * the kernel (bash's `time`, to the millisecond); rounds alternate the order of the contenders
 * and the table gives medians.
 *
 * NODE_EXTRA_CA_CERTS is left out of every contender's environment. Node reads and parses the
 * certificates it names as it starts, before any script, for every program and whether or not
 * the program uses TLS: with the 144 certificates of /etc/ssl/certs/ca-certificates.crt, which the
 * machine of docs/benchmarks.md names there, that is 37 ms of CPU, more than the rest of Node's
 * start. It is a setting of the machine, not a cost of the command; when it is set, its cost is
 * measured beside the rest (node on the empty script with it) so that the table still shows it.
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import { makeTestPki } from '../test/support/pki';
import { startMockServer, type MockServer } from '../test/support/openssl';
import { timeProcess, type CpuTime } from './support/cpu-time';
import { CLI } from './support/dist';
import { irCommandArgs } from './support/ir-command';
import { mockServerArgs } from './openssl-comparison';
import { fixed, median, ratio, table } from './support/stats';
import { withoutExtraCaCerts } from './support/node-env';

export interface StartupSettings {
  rounds: number;
  log(line: string): void;
}

export interface StartupSample {
  wallMs: number;
  cpuMs: number;
}

export interface StartupRow {
  name: string;
  cmpflow: StartupSample;
  openssl: StartupSample;
  rounds: { cmpflow: StartupSample[]; openssl: StartupSample[] };
}

export interface StartupResult {
  rounds: number;
  /** `node` running an empty script. */
  node: StartupSample;
  /** The same with the NODE_EXTRA_CA_CERTS of the environment the bench ran in, when it has one. */
  nodeWithExtraCaCerts?: StartupSample;
  rows: StartupRow[];
  commands: { help: string; ir: string };
}

const sample = (t: CpuTime, what: string): StartupSample => {
  if (t.code !== 0) throw new Error(`${what} failed with status ${t.code}:\n${t.stderr}`);
  return { wallMs: t.wallMs, cpuMs: t.cpuMs };
};

const medianOf = (s: StartupSample[]): StartupSample => ({ wallMs: median(s.map((x) => x.wallMs)), cpuMs: median(s.map((x) => x.cpuMs)) });

export async function measureStartup(settings: StartupSettings): Promise<StartupResult> {
  const pki = await makeTestPki();
  let mock: MockServer | undefined;
  try {
    mock = await startMockServer(mockServerArgs(pki), { cwd: pki.dir });
    const empty = path.join(pki.dir, 'empty.js');
    writeFileSync(empty, '');
    const irArgs = irCommandArgs(pki, mock.port);
    const extraCaCerts = process.env.NODE_EXTRA_CA_CERTS;
    const cwd = { cwd: pki.dir, env: withoutExtraCaCerts() };
    const runs = {
      node: async () => sample(await timeProcess(process.execPath, [empty], cwd), 'node'),
      nodeWithExtraCaCerts: async () => sample(await timeProcess(process.execPath, [empty], { cwd: pki.dir, env: process.env }), 'node'),
      cmpflowHelp: async () => sample(await timeProcess(process.execPath, [CLI, '-help'], cwd), 'cmpflow -help'),
      opensslHelp: async () => sample(await timeProcess('openssl', ['cmp', '-help'], cwd), 'openssl cmp -help'),
      cmpflowIr: async () => sample(await timeProcess(process.execPath, [CLI, ...irArgs], cwd), 'cmpflow -cmd ir'),
      // The same command from the modules tsc writes, without the bundle and its code cache (bin/cli-loader.js).
      modulesIr: async () =>
        sample(
          await timeProcess(process.execPath, [CLI, ...irArgs], { ...cwd, env: { ...cwd.env, CMPFLOW_CLI_BUILD: 'modules' } }),
          'cmpflow -cmd ir (modules)',
        ),
      opensslIr: async () => sample(await timeProcess('openssl', ['cmp', ...irArgs], cwd), 'openssl cmp -cmd ir'),
    };
    type Who = keyof typeof runs;
    const order: Who[] = ['node', 'cmpflowHelp', 'opensslHelp', 'cmpflowIr', 'opensslIr', 'modulesIr'];
    if (extraCaCerts) order.push('nodeWithExtraCaCerts');
    const samples = Object.fromEntries(Object.keys(runs).map((who) => [who, []])) as unknown as Record<Who, StartupSample[]>;
    // One untimed pass first: the file cache and the mock server's first connection.
    for (const who of order) await runs[who]();
    for (let round = 0; round < settings.rounds; round++) {
      for (const who of round % 2 === 0 ? order : [...order].reverse()) samples[who].push(await runs[who]());
      const last = (who: Who) => fixed(samples[who][samples[who].length - 1]!.cpuMs, 0);
      settings.log(
        `start-up round ${round + 1}: ms CPU: node ${last('node')}, cmpflow -help ${last('cmpflowHelp')}, openssl -help ${last('opensslHelp')}, ` +
          `cmpflow ir ${last('cmpflowIr')}, openssl ir ${last('opensslIr')}, cmpflow ir from the modules ${last('modulesIr')}` +
          (extraCaCerts ? `, node with NODE_EXTRA_CA_CERTS ${last('nodeWithExtraCaCerts')}` : ''),
      );
    }
    const quote = (x: string) => (/^[\w./:=-]+$/.test(x) ? x : `'${x}'`);
    const shown = irArgs.map((x) => (x.startsWith(pki.dir) ? path.relative(pki.dir, x) : x.replace(String(mock!.port), 'PORT'))).map(quote);
    return {
      rounds: settings.rounds,
      node: medianOf(samples.node),
      ...(extraCaCerts ? { nodeWithExtraCaCerts: medianOf(samples.nodeWithExtraCaCerts) } : {}),
      rows: [
        {
          name: '-help',
          cmpflow: medianOf(samples.cmpflowHelp),
          openssl: medianOf(samples.opensslHelp),
          rounds: { cmpflow: samples.cmpflowHelp, openssl: samples.opensslHelp },
        },
        {
          name: 'one -cmd ir (PBM)',
          cmpflow: medianOf(samples.cmpflowIr),
          openssl: medianOf(samples.opensslIr),
          rounds: { cmpflow: samples.cmpflowIr, openssl: samples.opensslIr },
        },
        {
          name: 'one -cmd ir, unbundled (CMPFLOW_CLI_BUILD=modules)',
          cmpflow: medianOf(samples.modulesIr),
          openssl: medianOf(samples.opensslIr),
          rounds: { cmpflow: samples.modulesIr, openssl: samples.opensslIr },
        },
      ],
      commands: { help: 'node bin/cmpflow.js -help', ir: `node bin/cmpflow.js ${shown.join(' ')}` },
    };
  } finally {
    await mock?.stop();
    await pki.cleanup();
  }
}

export function startupTable(r: StartupResult): string {
  const rows = [['command', 'openssl wall', 'cmpflow wall', 'openssl CPU', 'cmpflow CPU', 'CPU ratio', 'cmpflow CPU above node']];
  for (const row of r.rows) {
    rows.push([
      row.name,
      `${fixed(row.openssl.wallMs)} ms`,
      `${fixed(row.cmpflow.wallMs)} ms`,
      `${fixed(row.openssl.cpuMs)} ms`,
      `${fixed(row.cmpflow.cpuMs)} ms`,
      ratio(row.cmpflow.cpuMs, row.openssl.cpuMs),
      `${fixed(row.cmpflow.cpuMs - r.node.cpuMs)} ms`,
    ]);
  }
  rows.push(['node, empty script (the floor)', '', `${fixed(r.node.wallMs)} ms`, '', `${fixed(r.node.cpuMs)} ms`, '', '']);
  const withCa = r.nodeWithExtraCaCerts;
  // What every row above would cost more with the machine's NODE_EXTRA_CA_CERTS (see the top of this file).
  if (withCa) rows.push(['node, empty script, with NODE_EXTRA_CA_CERTS', '', `${fixed(withCa.wallMs)} ms`, '', `${fixed(withCa.cpuMs)} ms`, '', '']);
  return table(rows);
}

// `ts-node bench/startup.ts [rounds]` runs this section alone.
if (require.main === module) {
  const rounds = Number(process.argv[2] ?? 10);
  measureStartup({ rounds, log: (line) => process.stderr.write(`${line}\n`) })
    .then((r) => process.stdout.write(`${startupTable(r)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    });
}
