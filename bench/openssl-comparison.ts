/**
 * cmpflow against `openssl cmp`, both talking to the same `openssl cmp -port 0` mock server on
 * loopback with the same options: `openssl cmp ... -repeat N` and `cmpflow ... -repeat N` as
 * processes (wall time and CPU from GNU time's rusage, so process start is included), and the
 * compiled CmpClient in a child process (steady state, start excluded). For the PBM IR and the
 * GENM, two floors too, each an HTTP client alone POSTing the bytes `openssl cmp -reqout` saved, a
 * connection per transaction, in a child process (bench/http-floor.ts): node:http, the floor under
 * any Node client, and cmpflow's own HTTP transfer with no CMP above it, the floor under cmpflow. Rounds alternate
 * the order of the contenders, so that drift of the machine falls on both.
 */
import * as path from 'path';
import { makeTestPki, type TestPki } from '../test/support/pki';
import { startMockServer, type MockServer } from '../test/support/openssl';
import type { CmpClientOptions } from '../src/options';
import { runChild } from './support/child';
import { CLI } from './support/dist';
import { withoutExtraCaCerts } from './support/node-env';
import type { FloorClient, HttpFloorResult } from './http-floor';
import type { LibraryClientResult } from './library-client';
import { measureProcess, type ProcessCost } from './support/measure';
import { fixed, median, ratio, table } from './support/stats';

const SECRET = 'bench-secret';
const SUBJECT = '/CN=cmpflow bench device';

export interface Scenario {
  name: string;
  /** Options after `cmp` (openssl) or as the whole command line (cmpflow), without -server and -repeat. */
  args(pki: TestPki): string[];
  /** The same, as CmpClientOptions for the library run. */
  options(pki: TestPki, server: string): CmpClientOptions;
  command: 'ir' | 'genm';
  /** The files `-reqout` saves the transaction's requests to, for the node:http floor (PBM only: the same bytes every time). */
  floorRequests?: string[];
}

/** openssl insists on somewhere to save an enrolled certificate; both write it each session. */
const CERTOUT = ['-certout', 'bench-enrolled.pem'];
const pbmArgs = ['-ref', 'client-ref', '-secret', `pass:${SECRET}`];
const pbmOptions = { ref: 'client-ref', secret: SECRET };

export const scenarios: Scenario[] = [
  {
    name: 'IR, PBM',
    command: 'ir',
    args: (pki) => ['-cmd', 'ir', ...pbmArgs, '-newkey', pki.newKeyPath, '-subject', SUBJECT, ...CERTOUT],
    options: (pki, server) => ({ server, ...pbmOptions, newKey: pki.newKeyPath, subject: SUBJECT }),
    floorRequests: ['floor-ir.der', 'floor-certConf.der'],
  },
  {
    name: 'IR, signature P-256',
    command: 'ir',
    args: (pki) => [
      '-cmd',
      'ir',
      '-cert',
      pki.client.certPath,
      '-key',
      pki.client.keyPath,
      '-untrusted',
      pki.untrustedPath,
      '-trusted',
      pki.trustedPath,
      '-newkey',
      pki.newKeyPath,
      '-subject',
      SUBJECT,
      ...CERTOUT,
    ],
    options: (pki, server) => ({
      server,
      cert: pki.client.certPath,
      key: pki.client.keyPath,
      untrusted: pki.untrustedPath,
      trusted: pki.trustedPath,
      newKey: pki.newKeyPath,
      subject: SUBJECT,
    }),
  },
  {
    name: 'IR, signature RSA-2048',
    command: 'ir',
    args: (pki) => [
      '-cmd',
      'ir',
      '-cert',
      pki.rsaClient.certPath,
      '-key',
      pki.rsaClient.keyPath,
      '-untrusted',
      pki.untrustedPath,
      '-trusted',
      pki.trustedPath,
      '-newkey',
      pki.newKeyPath,
      '-subject',
      SUBJECT,
      ...CERTOUT,
    ],
    options: (pki, server) => ({
      server,
      cert: pki.rsaClient.certPath,
      key: pki.rsaClient.keyPath,
      untrusted: pki.untrustedPath,
      trusted: pki.trustedPath,
      newKey: pki.newKeyPath,
      subject: SUBJECT,
    }),
  },
  {
    name: 'GENM, PBM',
    command: 'genm',
    args: () => ['-cmd', 'genm', ...pbmArgs, '-infotype', 'signKeyPairTypes'],
    options: (_pki, server) => ({ server, ...pbmOptions }),
    floorRequests: ['floor-genm.der'],
  },
];

/** id-it-signKeyPairTypes, as `-infotype signKeyPairTypes` sends it. */
const SIGN_KEY_PAIR_TYPES = '1.3.6.1.5.5.7.4.2';

export interface ComparisonSettings {
  rounds: number;
  repeat: number;
  /** Untimed sessions before the library measurement. */
  warmup: number;
  /** The library also timed after this many untimed sessions (inside the warm-up): its early, still compiling, cost. */
  early?: number;
  only?: (name: string) => boolean;
  log(line: string): void;
}

interface Sample {
  wallMs: number;
  cpuMs: number;
}

export interface ScenarioResult {
  name: string;
  openssl: Sample;
  cli: Sample;
  library: Sample;
  /** The library's window after `early` untimed sessions, when measured. */
  libraryEarly?: Sample;
  /** node:http alone, per transaction: its first `repeat` in a fresh process (cold), then as many more (warm). */
  floor?: { cold: Sample; warm: Sample };
  /** cmpflow's HTTP transfer alone, measured as `floor`. */
  transportFloor?: { cold: Sample; warm: Sample };
  /** Per-round values behind the medians. */
  rounds: {
    openssl: Sample[];
    cli: Sample[];
    library: Sample[];
    libraryEarly: Sample[];
    floorCold: Sample[];
    floorWarm: Sample[];
    transportFloorCold: Sample[];
    transportFloorWarm: Sample[];
  };
}

export interface ComparisonResult {
  repeat: number;
  /** The untimed sessions before the library's early window, when it was measured. */
  early?: number;
  rounds: number;
  startup: { wallMs: number; cpuMs: number; maxRssKb: number };
  scenarios: ScenarioResult[];
  commands: { openssl: string; cmpflow: string; mockServer: string };
}

function perSession(cost: ProcessCost, sessions: number, what: string): Sample {
  if (cost.code !== 0) throw new Error(`${what} failed with status ${cost.code}:\n${cost.stderr}`);
  return { wallMs: cost.wallMs / sessions, cpuMs: cost.cpuMs / sessions };
}

const medianSample = (samples: Sample[]): Sample => ({ wallMs: median(samples.map((s) => s.wallMs)), cpuMs: median(samples.map((s) => s.cpuMs)) });

export function mockServerArgs(pki: TestPki): string[] {
  return [
    '-srv_ref',
    'mock-server',
    '-srv_secret',
    `pass:${SECRET}`,
    '-srv_cert',
    pki.server.certPath,
    '-srv_key',
    pki.server.keyPath,
    '-srv_untrusted',
    pki.untrustedPath,
    '-srv_trusted',
    pki.trustedPath,
    '-rsp_cert',
    pki.enrolled.certPath,
    '-rsp_extracerts',
    pki.chainPath,
    '-rsp_capubs',
    pki.trustedPath,
  ];
}

export async function compareWithOpenSsl(settings: ComparisonSettings): Promise<ComparisonResult> {
  const pki = await makeTestPki();
  let mock: MockServer | undefined;
  try {
    mock = await startMockServer(mockServerArgs(pki), { cwd: pki.dir });
    const address = ['-server', `127.0.0.1:${mock.port}`, '-path', 'pkix/'];
    const n = settings.repeat;

    // Node's start and module loading, which every CLI run pays once. Without the machine's
    // NODE_EXTRA_CA_CERTS, as in the start-up rows (bench/support/node-env.ts).
    const env = withoutExtraCaCerts();
    const startups: ProcessCost[] = [];
    for (let i = 0; i < Math.max(3, settings.rounds); i++) startups.push(await measureProcess(process.execPath, [CLI, '-help'], { env }));
    const startup = {
      wallMs: median(startups.map((s) => s.wallMs)),
      cpuMs: median(startups.map((s) => s.cpuMs)),
      maxRssKb: median(startups.map((s) => s.maxRssKb)),
    };
    settings.log(`cmpflow -help (node start + module loading): ${fixed(startup.wallMs)} ms wall, ${fixed(startup.cpuMs)} ms CPU`);

    const results: ScenarioResult[] = [];
    for (const scenario of scenarios.filter((s) => settings.only?.(s.name) ?? true)) {
      const args = [...scenario.args(pki), ...address, '-repeat', String(n)];
      // The floor's bytes: one transaction of openssl's own, its requests saved as sent.
      const floorFiles = scenario.floorRequests?.map((f) => path.join(pki.dir, f));
      if (floorFiles) {
        const saved = await measureProcess('openssl', ['cmp', '-config', '', ...scenario.args(pki), ...address, '-reqout', floorFiles.join(',')], {
          cwd: pki.dir,
        });
        if (saved.code !== 0) throw new Error(`openssl cmp -reqout (${scenario.name}) failed:\n${saved.stderr}`);
      }
      const floorRun = (client: FloorClient, cold: Sample[]) => async (): Promise<Sample> => {
        const r = await runChild<HttpFloorResult>('http-floor.ts', [
          JSON.stringify({ port: mock!.port, requests: floorFiles, transactions: n, client }),
        ]);
        cold.push({ wallMs: r.cold.wallMsPerTransaction, cpuMs: r.cold.cpuMsPerTransaction });
        return { wallMs: r.warm.wallMsPerTransaction, cpuMs: r.warm.cpuMsPerTransaction };
      };
      const rounds = {
        openssl: [] as Sample[],
        cli: [] as Sample[],
        library: [] as Sample[],
        libraryEarly: [] as Sample[],
        floorCold: [] as Sample[],
        floorWarm: [] as Sample[],
        transportFloorCold: [] as Sample[],
        transportFloorWarm: [] as Sample[],
      };
      const runs = {
        openssl: async () =>
          perSession(await measureProcess('openssl', ['cmp', '-config', '', ...args], { cwd: pki.dir }), n, `openssl cmp (${scenario.name})`),
        cli: async () =>
          perSession(await measureProcess(process.execPath, [CLI, '-config', '', ...args], { cwd: pki.dir, env }), n, `cmpflow (${scenario.name})`),
        library: async () => {
          const r = await runChild<LibraryClientResult>('library-client.ts', [
            JSON.stringify({
              options: { ...scenario.options(pki, `127.0.0.1:${mock!.port}/pkix/`) },
              command: scenario.command,
              ...(scenario.command === 'genm' ? { itavs: [{ infoType: SIGN_KEY_PAIR_TYPES }] } : {}),
              warmup: settings.warmup,
              sessions: n,
              ...(settings.early !== undefined ? { early: settings.early } : {}),
            }),
          ]);
          if (r.early) rounds.libraryEarly.push({ wallMs: r.early.wallMsPerSession, cpuMs: r.early.cpuMsPerSession });
          return { wallMs: r.wallMsPerSession, cpuMs: r.cpuMsPerSession };
        },
        floorWarm: floorRun('node:http', rounds.floorCold),
        transportFloorWarm: floorRun('cmpflow', rounds.transportFloorCold),
      };
      const order: (keyof typeof runs)[] = floorFiles
        ? ['openssl', 'cli', 'library', 'floorWarm', 'transportFloorWarm']
        : ['openssl', 'cli', 'library'];
      for (let round = 0; round < settings.rounds; round++) {
        for (const who of round % 2 === 0 ? order : [...order].reverse()) rounds[who].push(await runs[who]());
        const last = (s: Sample[]) => `${fixed(s[s.length - 1]!.wallMs)}/${fixed(s[s.length - 1]!.cpuMs)}`;
        const floorNote = floorFiles
          ? `, node:http floor cold ${last(rounds.floorCold)} warm ${last(rounds.floorWarm)}, cmpflow's transfer cold ${last(rounds.transportFloorCold)} warm ${last(rounds.transportFloorWarm)}`
          : '';
        settings.log(
          `${scenario.name}, round ${round + 1}: ms wall/CPU per session: openssl ${last(rounds.openssl)}, cmpflow ${last(rounds.cli)}, library ${last(rounds.library)}${rounds.libraryEarly.length > 0 ? ` (after ${settings.early}: ${last(rounds.libraryEarly)})` : ''}${floorNote}`,
        );
      }
      results.push({
        name: scenario.name,
        openssl: medianSample(rounds.openssl),
        cli: medianSample(rounds.cli),
        library: medianSample(rounds.library),
        ...(rounds.libraryEarly.length > 0 ? { libraryEarly: medianSample(rounds.libraryEarly) } : {}),
        ...(floorFiles
          ? {
              floor: { cold: medianSample(rounds.floorCold), warm: medianSample(rounds.floorWarm) },
              transportFloor: { cold: medianSample(rounds.transportFloorCold), warm: medianSample(rounds.transportFloorWarm) },
            }
          : {}),
        rounds,
      });
    }
    const first = scenarios[0]!;
    const quote = (x: string) => (/^[\w./:=-]+$/.test(x) ? x : `'${x}'`);
    const rel = (a: string[]) => a.map((x) => quote(x.startsWith(pki.dir) ? path.relative(pki.dir, x) : x)).join(' ');
    return {
      repeat: n,
      ...(settings.early !== undefined ? { early: settings.early } : {}),
      rounds: settings.rounds,
      startup,
      scenarios: results,
      commands: {
        openssl: `openssl cmp -config '' ${rel(first.args(pki))} -server 127.0.0.1:PORT -path pkix/ -repeat ${n}`,
        cmpflow: `node bin/cmpflow.js -config '' ${rel(first.args(pki))} -server 127.0.0.1:PORT -path pkix/ -repeat ${n}`,
        mockServer: `openssl cmp -config '' -port 0 ${rel(mockServerArgs(pki))}`,
      },
    };
  } finally {
    await mock?.stop();
    await pki.cleanup();
  }
}

export function comparisonTable(result: ComparisonResult): string {
  const early = result.early;
  const rows = [
    [
      'transaction',
      'openssl wall',
      'cmpflow wall',
      'wall ratio',
      'openssl CPU',
      'cmpflow CPU',
      'CPU ratio',
      'library wall',
      'library CPU',
      'library CPU ratio',
      ...(early ? [`library CPU after ${early}`, `ratio after ${early}`] : []),
    ],
  ];
  for (const s of result.scenarios) {
    const e = s.libraryEarly;
    rows.push([
      s.name,
      `${fixed(s.openssl.wallMs)} ms`,
      `${fixed(s.cli.wallMs)} ms`,
      ratio(s.cli.wallMs, s.openssl.wallMs),
      `${fixed(s.openssl.cpuMs, 2)} ms`,
      `${fixed(s.cli.cpuMs, 2)} ms`,
      ratio(s.cli.cpuMs, s.openssl.cpuMs),
      `${fixed(s.library.wallMs)} ms`,
      `${fixed(s.library.cpuMs, 2)} ms`,
      ratio(s.library.cpuMs, s.openssl.cpuMs),
      ...(early ? (e ? [`${fixed(e.cpuMs, 2)} ms`, ratio(e.cpuMs, s.openssl.cpuMs)] : ['', '']) : []),
    ]);
  }
  const floors = result.scenarios.filter((s) => s.floor !== undefined);
  if (floors.length === 0) return table(rows);
  const floorRows = [
    [
      'transaction',
      'client, no CMP',
      'openssl CPU',
      'floor CPU, cold',
      'floor cold / openssl',
      'cmpflow CPU',
      'floor CPU, warm',
      'floor warm / openssl',
      'library CPU',
      'openssl wall',
      'floor wall, warm',
    ],
  ];
  for (const s of floors) {
    const clients: [string, { cold: Sample; warm: Sample } | undefined][] = [
      ['node:http', s.floor],
      ["cmpflow's HTTP transfer", s.transportFloor],
    ];
    for (const [client, f] of clients) {
      if (f === undefined) continue;
      floorRows.push([
        s.name,
        client,
        `${fixed(s.openssl.cpuMs, 2)} ms`,
        `${fixed(f.cold.cpuMs, 2)} ms`,
        ratio(f.cold.cpuMs, s.openssl.cpuMs),
        `${fixed(s.cli.cpuMs, 2)} ms`,
        `${fixed(f.warm.cpuMs, 2)} ms`,
        ratio(f.warm.cpuMs, s.openssl.cpuMs),
        `${fixed(s.library.cpuMs, 2)} ms`,
        `${fixed(s.openssl.wallMs)} ms`,
        `${fixed(f.warm.wallMs)} ms`,
      ]);
    }
  }
  return `${table(rows)}\n\nThe floors: an HTTP client alone POSTing the requests openssl saved (-reqout), a connection per transaction, no CMP: node:http, under any Node client, and cmpflow's own transfer (plain HTTP over node:net with its reader), under cmpflow (cold: the first ${result.repeat} in a fresh process, as the command's; warm: ${result.repeat} more, as the library's):\n\n${table(floorRows)}`;
}
