/**
 * `npm run bench [-- options]`: cmpflow's performance, measured against `openssl cmp` and against
 * the targets. Builds dist/ first (the benchmarks run the compiled library), then runs the
 * sections and prints markdown tables; `--json FILE` also writes every number.
 *
 *   --quick           fewer rounds and sessions (about a minute)
 *   --only LIST       comma-separated sections: startup, openssl, axios, embedded, sessions, ca, fleet
 *   --rounds N        rounds of the openssl comparison (default 3) and of the start-up runs (default 10)
 *   --repeat N        -repeat of each openssl/cmpflow run, and sessions of each axios/default run (default 100)
 *   --library-warmup N  untimed sessions of each library child before its measured ones (default 14 × --repeat, at most 4000)
 *   --restore N       suspended sessions to restore and finish (default 10000, 1000 with --quick)
 *   --devices N       devices of the fleet section (default 10000, 500 with --quick)
 *   --no-build        use dist/ as it is
 *   --json FILE       write all results as JSON
 */
import 'reflect-metadata';
import { execFileSync } from 'child_process';
import { accessSync, constants, writeFileSync } from 'fs';
import { benchCaScaling, scalingTable, type ScalingResult } from './ca-scaling';
import { benchCaServer, caTables, type CaBenchResult } from './ca-server';
import { axiosTable, compareAxiosTransfer, type AxiosComparisonResult } from './axios-transfer';
import { measureThroughput, throughputTable, type LoadMode, type ThroughputRow } from './embedded-throughput';
import { benchFleet, fleetTable, type FleetBenchResult } from './fleet';
import { compareWithOpenSsl, comparisonTable, type ComparisonResult } from './openssl-comparison';
import type { SuspendedSessionsResult } from './suspended-sessions';
import { measureStartup, startupTable, type StartupResult } from './startup';
import { runChild } from './support/child';
import { ROOT } from './support/dist';
import { machineInfo } from './support/machine';
import { opensslAvailable } from '../test/support/openssl';
import { REDIS_SERVER } from '../test/support/redis';
import { fixed, megabytes, table } from './support/stats';

interface Args {
  quick: boolean;
  only: Set<string>;
  rounds?: number;
  repeat?: number;
  libraryWarmup?: number;
  restore?: number;
  devices?: number;
  build: boolean;
  json?: string;
}

const SECTIONS = ['startup', 'openssl', 'axios', 'embedded', 'sessions', 'ca', 'fleet'];

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: new Set(SECTIONS), build: true };
  const number = (i: number) => {
    const n = Number(argv[i]);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${argv[i - 1]} needs a non-negative integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--quick':
        args.quick = true;
        break;
      case '--only':
        args.only = new Set(argv[++i]!.split(','));
        for (const s of args.only) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(', ')}`);
        break;
      case '--rounds':
        args.rounds = number(++i);
        break;
      case '--repeat':
        args.repeat = number(++i);
        break;
      case '--library-warmup':
        args.libraryWarmup = number(++i);
        break;
      case '--restore':
        args.restore = number(++i);
        break;
      case '--devices':
        args.devices = number(++i);
        break;
      case '--no-build':
        args.build = false;
        break;
      case '--json':
        args.json = argv[++i];
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return args;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

/**
 * The programs the chosen sections run, checked before anything is measured: a full run takes
 * about half an hour, and the fleet section, the last, needs Redis (it once failed there with a
 * bare ENOENT after 26 minutes).
 */
async function missingPrograms(args: Args): Promise<string[]> {
  const missing: string[] = [];
  const needsOpenssl = ['startup', 'openssl', 'axios', 'ca'].some((s) => args.only.has(s));
  if (needsOpenssl && !(await opensslAvailable())) missing.push('openssl 3.x (apt-get install openssl)');
  if (args.only.has('fleet')) {
    try {
      accessSync(REDIS_SERVER, constants.X_OK);
    } catch {
      missing.push(`${REDIS_SERVER} for the fleet section (apt-get install redis-server, or REDIS_SERVER=path; --only without fleet skips it)`);
    }
  }
  return missing;
}

/**
 * Untimed sessions of each library child before its measured ones. The library rows are the
 * library's steady state, as a long-running application has it, and V8 reaches it only after
 * thousands of sessions: CmpClient.ir against the mock (bench/harness-ab.ts, 300 sessions, load
 * 11 to 17) cost 9.65 ms of CPU a session after 20 (2.77 of it V8's other threads, compiling),
 * 6.97 after 300, 5.48 after 1,000 and 4.51 after 3,000 (0.50 on other threads). The same rule as
 * the CA servers' warm-up (serverWarmupSessions in ca-server.ts).
 */
function libraryWarmup(args: Args, repeat: number): number {
  return args.libraryWarmup ?? Math.min(4000, 14 * repeat);
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const missing = await missingPrograms(args);
  if (missing.length > 0) throw new Error(`not installed: ${missing.join('; ')}`);
  const started = Date.now();
  if (args.build) {
    log('building dist/ (npm run build) ...');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const machine = machineInfo();
  const out: string[] = [];
  const print = (text: string) => {
    out.push(text);
    process.stdout.write(`${text}\n`);
  };
  print(`# cmpflow benchmarks ${args.quick ? '(quick)' : ''}\n`);
  print(`${machine.date}; ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memory}; ${machine.os}; Node ${machine.node}; ${machine.openssl}\n`);
  const results: {
    machine: typeof machine;
    startup?: StartupResult;
    openssl?: ComparisonResult;
    axios?: AxiosComparisonResult;
    embedded?: ThroughputRow[];
    sessions?: SuspendedSessionsResult;
    ca?: CaBenchResult;
    caScaling?: ScalingResult;
    fleet?: FleetBenchResult;
  } = {
    machine,
  };

  if (args.only.has('startup')) {
    const rounds = args.rounds ?? (args.quick ? 5 : 10);
    log(`\n== start-up: cmpflow and openssl cmp, -help and one -cmd ir, ${rounds} rounds`);
    const r = await measureStartup({ rounds, log });
    results.startup = r;
    print(`## Start-up: one process from start to exit, medians of ${rounds} alternating rounds\n`);
    print(startupTable(r));
    print(`\n\`${r.commands.ir}\`\n`);
  }

  if (args.only.has('openssl')) {
    const rounds = args.rounds ?? (args.quick ? 2 : 3);
    const repeat = args.repeat ?? (args.quick ? 20 : 100);
    const warmup = libraryWarmup(args, repeat);
    log(`\n== openssl cmp vs cmpflow: ${rounds} rounds of -repeat ${repeat}, the library after ${warmup} untimed sessions`);
    // The library also timed after 20 sessions (the row's warm-up before the ninth session), while
    // V8 still compiles it: what an application that enrolls a few devices and exits meets.
    const early = 20;
    const r = await compareWithOpenSsl({ rounds, repeat, warmup, ...(early + repeat <= warmup ? { early } : {}), log });
    results.openssl = r;
    print(
      `## Against openssl cmp (mock server), per session, medians of ${rounds} rounds of -repeat ${repeat} (the library after ${warmup} untimed sessions)\n`,
    );
    print(comparisonTable(r));
    print(
      `\ncmpflow start (node bin/cmpflow.js -help): ${r.startup.wallMs.toFixed(0)} ms wall, ${r.startup.cpuMs.toFixed(0)} ms CPU, ` +
        `${(r.startup.cpuMs / repeat).toFixed(2)} ms CPU per session amortised over -repeat ${repeat}\n`,
    );
  }

  if (args.only.has('axios')) {
    const rounds = args.rounds ?? (args.quick ? 2 : 3);
    const sessions = args.repeat ?? (args.quick ? 20 : 100);
    const warmup = libraryWarmup(args, sessions);
    log(`\n== axios transfer vs the default transfer: ${rounds} rounds of ${sessions} sessions after ${warmup} untimed`);
    const r = await compareAxiosTransfer({ rounds, sessions, warmup, log });
    results.axios = r;
    print(
      `\n## cmpflow/axios beside the default transfer (library, mock server), per session, medians of ${rounds} rounds of ${sessions} after ${warmup} untimed\n`,
    );
    print(axiosTable(r));
  }

  if (args.only.has('embedded')) {
    const modes: LoadMode[] = ['direct', 'http', 'split'];
    const levels = [1, 10, 100, 1000];
    log(`\n== embedded CA throughput: ${modes.join(', ')} at ${levels.join(', ')} concurrent sessions`);
    const rows = await measureThroughput({
      modes,
      levels,
      sessions: (level) => Math.max(level, args.quick ? 40 : 200),
      log,
    });
    results.embedded = rows;
    print('\n## Embedded CA: PBM-protected IR sessions, client and CA on this machine\n');
    print(throughputTable(rows));
  }

  if (args.only.has('sessions')) {
    const count = args.restore ?? (args.quick ? 1000 : 10_000);
    log(`\n== ${count} suspended sessions: restore and finish in one process`);
    const r = await runChild<SuspendedSessionsResult>('suspended-sessions.ts', [JSON.stringify({ count })], {
      nodeArgs: ['--expose-gc', '--max-old-space-size=8192'],
      timeoutMs: 3 * 3600_000,
    });
    results.sessions = r;
    print('\n## Persisted waiting sessions\n');
    print(
      table([
        ['measure', 'value'],
        ['JSON of a session waiting to poll (ir, EC P-256 key)', `${r.sessionBytes.ecP256} bytes`],
        ['the same with an RSA-2048 key', `${r.sessionBytes.rsa2048} bytes`],
        ['sessions restored, then finished, in one process', String(r.count)],
        [
          'restoring all (parse, check, start the machine)',
          `${fixed(r.restoreMs / 1000, 2)} s, ${fixed((r.restoreMs / r.count) * 1000, 0)} µs per session`,
        ],
        [
          'memory per restored waiting session',
          `${fixed(r.heapBytesPerWaitingSession / 1024, 1)} KiB heap, ${fixed(r.rssBytesPerWaitingSession / 1024, 1)} KiB RSS`,
        ],
        [
          'finishing all (pollReq, ip, certConf, pkiConf)',
          `${fixed(r.completeMs / 1000, 1)} s, ${fixed(r.sessionsPerSecond, 0)} sessions/s, ${fixed(r.cpuMsPerSession, 1)} ms CPU per session`,
        ],
        ['completed / failed', `${r.completed} / ${r.failed}`],
        ['peak RSS', megabytes(r.maxRssKb * 1024)],
      ]),
    );
  }

  if (args.only.has('ca')) {
    const repeat = args.repeat ?? (args.quick ? 50 : 300);
    const rounds = args.rounds ?? (args.quick ? 1 : 3);
    log(
      `\n== the embedded CA as a server: CPU per IR session beside openssl's mock (${rounds} rounds of openssl cmp -repeat ${repeat}), throughput at 1 and 2 workers`,
    );
    const r = await benchCaServer({
      repeat,
      rounds,
      concurrency: 20,
      sessions: args.quick ? 100 : 400,
      opensslClients: 8,
      opensslRepeat: args.quick ? 10 : 40,
      capacitySessions: args.quick ? 300 : 2000,
      log,
    });
    results.ca = r;
    print(`\n## The embedded CA as a server: PBM IR sessions, server process CPU, medians of ${rounds} rounds of -repeat ${repeat}\n`);
    print(caTables(r));
    log('\n== the CA cluster scaling: IRs replayed over keep-alive HTTP, one thread and 1 and 2 workers pinned to 1 and 2 cores');
    const scaling = await benchCaScaling({ sessions: args.quick ? 500 : 3000, connections: 32, rounds, log });
    results.caScaling = scaling;
    print(`\n### Scaling: the CA pinned to 1 and 2 cores, IRs built beforehand and replayed (bench/ca-scaling.ts), medians of ${rounds} rounds\n`);
    print(scalingTable(scaling));
  }

  if (args.only.has('fleet')) {
    const devices = args.devices ?? (args.quick ? 500 : 10_000);
    log(`\n== fleet on Redis (BullMQ): ${devices} devices at the embedded CA answering waiting once, 1, 2 and 4 worker processes`);
    const r = await benchFleet({ devices, log });
    results.fleet = r;
    print(
      `\n## Fleet enrollment on Redis (BullMQ): ${devices} devices, the embedded CA answering \`waiting\` once (poll after ${r.checkAfter} s), worker processes × jobs each\n`,
    );
    print(fleetTable(r));
  }

  if (args.json) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nbenchmarks done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
