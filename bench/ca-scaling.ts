/**
 * Does the embedded CA's throughput grow with the cores it is given (issue #22)? The CA runs in a
 * process of its own (ca-scaling-server.ts) as one thread, or a cluster of 1 or 2 worker threads,
 * pinned with `taskset` to one core or two; a replayer (ca-replay.ts) that costs a small fraction
 * of the server's CPU per session sends IRs built beforehand over keep-alive HTTP. For each
 * setting: sessions/s, the server's CPU per session and per thread (/proc/PID/task/TID/stat), and
 * the replayer's own CPU, so that the table shows whether the server was the bottleneck.
 *
 *   ts-node bench/ca-scaling.ts '{"sessions": 3000, "connections": 32, "rounds": 3, "only"?: [indexes of defaultSettings()], "settings"?: [...]}'
 *   (or through npm run bench -- --only ca)
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { ReplayResult } from './ca-replay';
import { compiledChild, listeningPort, runChild } from './support/child';
import { ROOT } from './support/dist';
import { fixed, median, table } from './support/stats';

const TICK_MS = 1000 / 100; // USER_HZ, 100 on Linux

export interface ScalingSetting {
  name: string;
  workers: number;
  /** CPUs the server is pinned to (taskset -c), and the replayer's. */
  serverCpus: string;
  replayCpus: string;
}

export interface ScalingRow extends ScalingSetting {
  sessions: number;
  /** Median over rounds, and each round's. */
  sessionsPerSecond: number;
  rounds: number[];
  serverCpuMsPerSession: number;
  replayCpuMsPerSession: number;
  /** Server CPU per session of its main thread and of the others, by thread, busiest first (median round's). */
  threads: { thread: string; cpuMsPerSession: number; shareOfWall: number; waitShareOfWall: number }[];
  bad: number;
}

export interface ScalingResult {
  rows: ScalingRow[];
  connections: number;
  load: [number, number];
}

export interface ScalingSettings {
  sessions: number;
  connections: number;
  rounds: number;
  log(line: string): void;
}

/** The default settings: one thread and one worker on one core, one thread and two workers on two (the replayer shares the second core). */
export function defaultSettings(cpus = os.cpus().length): ScalingSetting[] {
  const one = '0';
  const two = cpus >= 2 ? '0,1' : '0';
  const other = cpus >= 2 ? '1' : '0';
  return [
    { name: 'one thread (createCmpServer), 1 core', workers: 0, serverCpus: one, replayCpus: other },
    { name: 'one thread (createCmpServer), 2 cores', workers: 0, serverCpus: two, replayCpus: other },
    { name: 'createCmpCluster, 1 worker, 1 core', workers: 1, serverCpus: one, replayCpus: other },
    { name: 'createCmpCluster, 2 workers, 2 cores', workers: 2, serverCpus: two, replayCpus: other },
  ];
}

/**
 * CPU time of each thread so far (/proc/PID/task/TID/stat), and the time it spent runnable but
 * waiting for a CPU (schedstat's run delay): what tells a server without work from one whose
 * threads the other work on the machine kept off the cores.
 */
function threadTicks(pid: number): Map<string, { name: string; ms: number; waitMs: number }> {
  const out = new Map<string, { name: string; ms: number; waitMs: number }>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      let waitMs = 0;
      try {
        waitMs = Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
      } catch {
        // Kernels without schedstats.
      }
      out.set(tid, { name, ms: (Number(fields[11]) + Number(fields[12])) * TICK_MS, waitMs });
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return out;
}

const hasTaskset = () => spawnSync('taskset', ['--version']).status === 0;

function pinned(cpus: string, command: string[]): string[] {
  return hasTaskset() ? ['taskset', '-c', cpus, ...command] : command;
}

async function startServer(setting: ScalingSetting, devices: number): Promise<{ child: ChildProcess; port: number }> {
  const [file, ...args] = pinned(setting.serverCpus, [
    process.execPath,
    compiledChild('ca-scaling-server.ts'),
    JSON.stringify({ workers: setting.workers, devices }),
  ]);
  const child = spawn(file!, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await listeningPort(child, /READY (\d+)/, 'the CA', 120_000);
  return { child, port };
}

/** The replayer, which pins itself to `cpus` (taskset -a -p) before sending. */
function replay(file: string, port: number, connections: number, cpus: string): Promise<ReplayResult> {
  return runChild<ReplayResult>('ca-replay.ts', ['replay', JSON.stringify({ file, port, connections, cpus })]);
}

export async function benchCaScaling(settings: ScalingSettings, table_ = defaultSettings()): Promise<ScalingResult> {
  const loadBefore = os.loadavg()[0]!;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-scaling-'));
  const warmup = Math.min(1000, settings.sessions);
  // Each setting's server is new, so the same IRs serve every setting: one set for warming up, one per round.
  const files = ['warmup', ...Array.from({ length: settings.rounds }, (_, i) => `round${i}`)];
  const counts = [warmup, ...files.slice(1).map(() => settings.sessions)];
  const devices = counts.reduce((a, b) => a + b, 0);
  try {
    let from = 0;
    for (const [i, name] of files.entries()) {
      await runChild('ca-replay.ts', ['build', JSON.stringify({ file: path.join(dir, name), from, count: counts[i] })]);
      from += counts[i]!;
    }
    const rows: ScalingRow[] = [];
    for (const setting of table_) {
      const { child, port } = await startServer(setting, devices);
      try {
        const pid = child.pid!;
        // taskset execs node: the pid is the server's.
        const w = await replay(path.join(dir, 'warmup'), port, settings.connections, setting.replayCpus);
        if (w.bad) throw new Error(`${setting.name}: ${w.bad} warm-up answers were not an accepted ip (${w.firstBad})`);
        const rounds: { r: ReplayResult; serverMs: number; threads: ScalingRow['threads'] }[] = [];
        for (let round = 0; round < settings.rounds; round++) {
          const before = threadTicks(pid);
          const r = await replay(path.join(dir, `round${round}`), port, settings.connections, setting.replayCpus);
          const after = threadTicks(pid);
          if (r.bad) throw new Error(`${setting.name}: ${r.bad} answers were not an accepted ip (${r.firstBad})`);
          const threads = [...after]
            .map(([tid, t]) => ({ tid, name: t.name, ms: t.ms - (before.get(tid)?.ms ?? 0), waitMs: t.waitMs - (before.get(tid)?.waitMs ?? 0) }))
            .filter((t) => t.ms > 0)
            .sort((a, b) => b.ms - a.ms)
            .map((t) => ({
              thread: `${String(t.tid) === String(pid) ? 'main' : t.name} (${t.tid})`,
              cpuMsPerSession: t.ms / r.sessions,
              shareOfWall: t.ms / r.wallMs,
              waitShareOfWall: t.waitMs / r.wallMs,
            }));
          const serverMs = threads.reduce((a, t) => a + t.cpuMsPerSession, 0);
          rounds.push({ r, serverMs, threads });
          settings.log(
            `${setting.name}, round ${round + 1}: ${fixed(r.sessionsPerSecond)} sessions/s, server ${fixed(serverMs, 3)} ms CPU/session, replayer ${fixed(r.cpuMsPerSession, 3)}; ` +
              threads
                .slice(0, 4)
                .map(
                  (t) =>
                    `${t.thread} ${fixed(t.cpuMsPerSession, 3)} ms ${fixed(t.shareOfWall * 100, 0)}% (waiting ${fixed(t.waitShareOfWall * 100, 0)}%)`,
                )
                .join(', '),
          );
        }
        const speeds = rounds.map((x) => x.r.sessionsPerSecond);
        const mid = rounds.find((x) => x.r.sessionsPerSecond === median(speeds))!;
        rows.push({
          ...setting,
          sessions: settings.sessions,
          sessionsPerSecond: median(speeds),
          rounds: speeds,
          serverCpuMsPerSession: median(rounds.map((x) => x.serverMs)),
          replayCpuMsPerSession: median(rounds.map((x) => x.r.cpuMsPerSession)),
          threads: mid.threads,
          bad: rounds.reduce((a, x) => a + x.r.bad, 0),
        });
      } finally {
        child.kill('SIGTERM');
      }
    }
    return { rows, connections: settings.connections, load: [loadBefore, os.loadavg()[0]!] };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * What the server's own CPU allows on the cores it was given, whatever else ran on them: its cores
 * divided by its CPU per session, and no more than its busiest thread can do on one core.
 */
export function cpuBound(row: ScalingRow): number {
  const cores = row.serverCpus.split(',').length;
  const busiest = Math.max(...row.threads.map((t) => t.cpuMsPerSession));
  return Math.min(cores / row.serverCpuMsPerSession, 1 / busiest) * 1000;
}

export function scalingTable(r: ScalingResult): string {
  const rows = [
    [
      'server (pinned)',
      'sessions/s (median)',
      'rounds',
      'server CPU per session',
      'sessions/s its CPU allows on its cores',
      'replayer CPU per session',
      'busiest server threads (CPU per session; share of the wall time running, and runnable but waiting for a CPU)',
    ],
  ];
  for (const row of r.rows) {
    rows.push([
      `${row.name} (taskset -c ${row.serverCpus}; replayer -c ${row.replayCpus})`,
      fixed(row.sessionsPerSecond, 0),
      row.rounds.map((x) => fixed(x, 0)).join(', '),
      `${fixed(row.serverCpuMsPerSession, 3)} ms`,
      fixed(cpuBound(row), 0),
      `${fixed(row.replayCpuMsPerSession, 3)} ms`,
      row.threads
        .slice(0, 3)
        .map(
          (t) =>
            `${t.thread.replace(/ \(\d+\)$/, '')} ${fixed(t.cpuMsPerSession, 3)} ms (${fixed(t.shareOfWall * 100, 0)}%, waiting ${fixed(t.waitShareOfWall * 100, 0)}%)`,
        )
        .join(', '),
    ]);
  }
  return `${table(rows)}\n\n${r.connections} keep-alive connections; every answer checked to be an accepted ip; the CPU bound is min(cores ÷ server CPU per session, 1 ÷ busiest thread's). 1-minute load average ${fixed(r.load[0], 1)} before, ${fixed(r.load[1], 1)} after (${os.cpus().length} CPUs).`;
}

if (require.main === module) {
  const job = JSON.parse(process.argv[2] ?? '{}') as Partial<ScalingSettings> & { only?: number[]; settings?: ScalingSetting[] };
  const all = defaultSettings();
  benchCaScaling(
    { sessions: job.sessions ?? 3000, connections: job.connections ?? 32, rounds: job.rounds ?? 3, log: (l) => process.stderr.write(`${l}\n`) },
    job.settings ?? (job.only ? job.only.map((i) => all[i]!) : all),
  )
    .then((r) => process.stdout.write(`${scalingTable(r)}\n`))
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    });
}
