/**
 * The embedded CA's server CPU per PBM IR session, two builds side by side (issue #22): each
 * build's `cmpflow -port 0` (the CA issuing, the options of bench/ca-server.ts) driven by
 * `openssl cmp -repeat`, both servers warmed up, then rounds alternating between them so that
 * the machine's load weighs on both alike; process CPU from /proc/PID/stat, main thread apart.
 *
 * With `callgrind`, one build's server runs under `valgrind --tool=callgrind` with instrumentation
 * off until it is warm, then counts instructions over N and again over 2N sessions (a dump after
 * each): (I(2N) - I(N)) / N is a load-independent cost per session, fixed costs of a run left out.
 *
 * A build is a folder holding bin/, dist/ (tsc's output of that build) and package.json, with
 * node_modules resolvable from it, or `openssl` for OpenSSL's mock server (fixed certificate). Usage:
 *   ts-node --transpile-only bench/ca-ab.ts '{"builds":["/tmp/a","/tmp/b"],"warmup":900,"repeat":200,"rounds":4}'
 *   ts-node --transpile-only bench/ca-ab.ts '{"builds":["/tmp/a"],"warmup":900,"callgrind":{"n":100,"out":"/tmp/cg-a"}}'
 */
import { execFileSync, spawn } from 'child_process';
import { readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeTestPki, type TestPki } from '../test/support/pki';
import { listeningPort } from './support/child';
import { drive, warmUp } from './ca-drive';
import { mockServerArgs } from './openssl-comparison';
import { fixed, median } from './support/stats';

interface Job {
  builds: string[];
  warmup: number;
  repeat?: number;
  rounds?: number;
  /** `sim`: callgrind's cache and branch simulation too; `once`: only the N-session dump. */
  callgrind?: { n: number; out: string; sim?: boolean; once?: boolean };
  /** Extra node flags for the servers (e.g. --trace-deopt). */
  nodeArgs?: string[];
  /** Extra node flags for each build's server alone, in the order of `builds` (the same build twice with different flags is an A/B of the flags). */
  buildArgs?: string[][];
  /**
   * Every other round of each server measured after this many ms of idling, the others right
   * after the previous round: what a round costs a server for having waited while the other
   * servers were measured (medians reported apart).
   */
  idleMs?: number;
}

const TICK_MS = 10;

interface Cpu {
  /** User + system CPU of the whole process, ms. */
  process: number;
  /** ... of its system CPU, ms. */
  system: number;
  /** ... of its main thread, ms. */
  main: number;
  /** Minor page faults of the whole process (about 29 us each in this VM). */
  faults: number;
}

function cpuMs(pid: number): Cpu {
  const read = (file: string) => {
    const stat = readFileSync(file, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { user: Number(f[11]) * TICK_MS, system: Number(f[12]) * TICK_MS, faults: Number(f[7]) };
  };
  const all = read(`/proc/${pid}/stat`);
  const main = read(`/proc/${pid}/task/${pid}/stat`);
  return { process: all.user + all.system, system: all.system, main: main.user + main.system, faults: all.faults };
}

async function startServer(
  build: string,
  pki: TestPki,
  job: Job,
  wrapper: string[],
  own: string[] = [],
): Promise<{ port: number; pid: number; stop(): void }> {
  const mock = mockServerArgs(pki);
  // "openssl": OpenSSL's mock server with the fixed certificate, as in bench/ca-server.ts.
  const program =
    build === 'openssl'
      ? ['openssl', 'cmp', '-config', '', '-port', '0', ...mock]
      : [
          process.execPath,
          ...(job.nodeArgs ?? []),
          ...own,
          path.join(build, 'bin', 'cmpflow.js'),
          '-config',
          '',
          '-port',
          '0',
          ...mock.slice(0, mock.indexOf('-rsp_cert')),
        ];
  const [command, ...rest] = [...wrapper, ...program];
  const child = spawn(command!, rest, { cwd: pki.dir, stdio: ['ignore', 'pipe', 'pipe'] });
  if (job.nodeArgs?.length) child.stdout!.on('data', (b: Buffer) => process.stderr.write(b));
  const port = await listeningPort(child, /ACCEPT \S*:(\d+) PID=/, build, 600_000);
  return { port, pid: child.pid!, stop: () => void child.kill('SIGTERM') };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job;
  const pki = await makeTestPki();
  const log = (line: string) => process.stderr.write(`${line}\n`);
  try {
    if (job.callgrind) {
      const { n, out } = job.callgrind;
      const wrapper = [
        'valgrind',
        '--tool=callgrind',
        '--instr-atstart=no',
        '--separate-threads=yes',
        '--dump-instr=yes',
        '--dump-line=no',
        `--callgrind-out-file=${out}.%p`,
      ];
      if (job.callgrind.sim) wrapper.splice(2, 0, '--cache-sim=yes', '--branch-sim=yes');
      const server = await startServer(job.builds[0]!, pki, job, wrapper, job.buildArgs?.[0]);
      try {
        await warmUp(pki, server.port, job.warmup);
        execFileSync('callgrind_control', ['-i', 'on', String(server.pid)]);
        for (const sessions of job.callgrind.once ? [n] : [n, 2 * n]) {
          execFileSync('callgrind_control', ['-z', String(server.pid)]);
          await drive(pki, server.port, sessions);
          execFileSync('callgrind_control', ['-d', `sessions-${sessions}`, String(server.pid)]);
          log(`callgrind: ${sessions} sessions dumped`);
        }
      } finally {
        server.stop();
      }
      return;
    }
    const loadBefore = os.loadavg()[0]!;
    const servers = [];
    for (const [i, build] of job.builds.entries()) servers.push(await startServer(build, pki, job, [], job.buildArgs?.[i]));
    try {
      for (const s of servers) await warmUp(pki, s.port, job.warmup);
      log(`warm-up of ${job.warmup} sessions done`);
      const repeat = job.repeat ?? 200;
      const label = (i: number) => [job.builds[i], ...(job.buildArgs?.[i] ?? [])].join(' ');
      const rounds: Cpu[][] = servers.map(() => []);
      const idleRounds: Cpu[][] = servers.map(() => []);
      for (let r = 0; r < (job.rounds ?? 4); r++) {
        const idled = job.idleMs !== undefined && r % 2 === 1;
        for (const [i, s] of servers.entries()) {
          if (idled) await new Promise((done) => setTimeout(done, job.idleMs));
          const before = cpuMs(s.pid);
          await drive(pki, s.port, repeat);
          const after = cpuMs(s.pid);
          const per = {
            process: (after.process - before.process) / repeat,
            system: (after.system - before.system) / repeat,
            main: (after.main - before.main) / repeat,
            faults: (after.faults - before.faults) / repeat,
          };
          (idled ? idleRounds : rounds)[i]!.push(per);
          log(
            `${label(i)} round ${r + 1}${idled ? ' (after idling)' : ''}: ${fixed(per.process, 2)} ms (system ${fixed(per.system, 2)}, main thread ${fixed(per.main, 2)}, ${fixed(per.faults, 1)} minor faults)`,
          );
        }
      }
      const result = job.builds.map((_, i) => ({
        build: label(i),
        processMs: median(rounds[i]!.map((x) => x.process)),
        systemMs: median(rounds[i]!.map((x) => x.system)),
        mainMs: median(rounds[i]!.map((x) => x.main)),
        faults: median(rounds[i]!.map((x) => x.faults)),
        rounds: rounds[i]!.map((x) => fixed(x.process, 2)).join(', '),
        ...(job.idleMs !== undefined
          ? {
              afterIdling: {
                processMs: median(idleRounds[i]!.map((x) => x.process)),
                mainMs: median(idleRounds[i]!.map((x) => x.main)),
                faults: median(idleRounds[i]!.map((x) => x.faults)),
                rounds: idleRounds[i]!.map((x) => fixed(x.process, 2)).join(', '),
              },
            }
          : {}),
      }));
      process.stdout.write(`${JSON.stringify({ load: [loadBefore, os.loadavg()[0]], result })}\n`);
    } finally {
      for (const s of servers) s.stop();
    }
  } finally {
    await pki.cleanup();
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
