/**
 * What the harness charges the measured library for (issue #22, ninth session): the library row's
 * child (CmpClient.ir against the openssl mock, PBM) started in different ways, the ways
 * alternating round by round, so that a difference is the harness's and not the machine's drift.
 *
 *   npx ts-node --transpile-only bench/harness-ab.ts ab '{"rounds":8,"repeat":300,"warmup":20,"variants":["ts-node","js"]}'
 *
 * A variant is `KIND[~WARMUP][+BALLAST_MB][@CLIENT_CPUS/MOCK_CPUS][|NODE_ARG,...]`: KIND `ts-node`
 * (this file under ts-node, as the children ran before) or `js` (compiled, support/child.ts's
 * compiledChild); WARMUP untimed sessions instead of the setting's; BALLAST_MB of live objects
 * allocated first (an application's own heap); the client and the mock pinned with taskset; extra
 * node arguments (--trace-gc prints to stderr). With "callgrind": true each child runs under
 * `valgrind --tool=callgrind --separate-threads=yes`, instrumented over its measured sessions alone.
 *
 * Each run reports its CPU per session, split into the main thread and V8's other threads, the
 * used heap and new space when its window opens, and the collections within it.
 */
import 'reflect-metadata';
import { execFileSync, spawn } from 'child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'fs';
import { cpus, loadavg, tmpdir } from 'os';
import * as path from 'path';
import { PerformanceObserver, constants } from 'perf_hooks';
import { getHeapSpaceStatistics } from 'v8';
import type * as Client from '../src/client';
import type { CmpClientOptions } from '../src/options';
import { handshake } from './support/callgrind-sync';
import { compiledChild, report } from './support/child';
import { ROOT, requireDist } from './support/dist';
import { threadCpuMs } from './support/thread-cpu';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { fixed, median } from './support/stats';

interface ChildJob {
  options: CmpClientOptions;
  warmup: number;
  sessions: number;
  ballastMb?: number;
}

export interface HarnessSample {
  cpuMs: number;
  mainMs: number;
  othersMs: number;
  heapUsedMb: number;
  majorGcs: number;
  minorGcs: number;
  gcMs: number;
  newSpaceMb: number;
  /** Under callgrind: instructions a session of the main thread and of all others. */
  mainInstructions?: number;
  otherInstructions?: number;
}

async function child(job: ChildJob): Promise<void> {
  const { CmpClient } = requireDist<typeof Client>('src/client');
  // An application's own live heap, which V8 sizes its generations and schedules its collections by.
  const ballast = Array.from({ length: (job.ballastMb ?? 0) * 16384 }, (_, i) => ({ i, s: `x${i}` }));
  const client = new CmpClient(job.options);
  for (let i = 0; i < job.warmup; i++) await client.ir();
  let majorGcs = 0;
  let minorGcs = 0;
  let gcMs = 0;
  const gcs = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) {
      gcMs += e.duration;
      const kind = (e as unknown as { detail?: { kind?: number } }).detail?.kind;
      if (kind === constants.NODE_PERFORMANCE_GC_MAJOR) majorGcs++;
      else if (kind === constants.NODE_PERFORMANCE_GC_MINOR) minorGcs++;
    }
  });
  gcs.observe({ entryTypes: ['gc'] });
  const heapUsedMb = process.memoryUsage().heapUsed / 2 ** 20;
  const newSpaceMb = getHeapSpaceStatistics().find((x) => x.space_name === 'new_space')!.space_size / 2 ** 20;
  await handshake('ready', 'go');
  const threads = threadCpuMs();
  const cpu = process.cpuUsage();
  for (let i = 0; i < job.sessions; i++) await client.ir();
  const used = process.cpuUsage(cpu);
  const after = threadCpuMs();
  await handshake('done', 'end');
  await new Promise((r) => setImmediate(r));
  gcs.disconnect();
  if (ballast.length < 0) throw new Error('unreachable');
  const n = job.sessions;
  report({
    cpuMs: (used.user + used.system) / 1000 / n,
    mainMs: (after.main - threads.main) / n,
    othersMs: (after.others - threads.others) / n,
    heapUsedMb,
    majorGcs,
    minorGcs,
    gcMs: gcMs / n,
    newSpaceMb,
  } satisfies HarnessSample);
}

/** Switches callgrind's instrumentation on for the child's measured sessions alone. */
async function controlCallgrind(dir: string, pid: number, done: () => boolean): Promise<void> {
  const step = async (theirs: string, mine: string, on: boolean) => {
    while (!existsSync(path.join(dir, `${theirs}.${pid}`))) {
      if (done()) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    execFileSync('callgrind_control', ['-i', on ? 'on' : 'off', String(pid)], { stdio: 'ignore' });
    writeFileSync(path.join(dir, `${mine}.${pid}`), '');
  };
  await step('ready', 'go', true);
  await step('done', 'end', false);
}

/** Instructions of each thread of a finished callgrind run (--separate-threads=yes), main thread first. */
function callgrindCounts(dir: string, pid: number): number[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(`callgrind.out.${pid}-`))
    .sort()
    .map((f) => Number(/^totals: (\d+)/m.exec(readFileSync(path.join(dir, f), 'utf8'))?.[1] ?? 0));
}

/** A child started as `argv` (node's arguments up to the script), its JSON line parsed. */
function run(argv: string[], job: ChildJob, pin?: string, callgrind?: string): Promise<HarnessSample> {
  let cmdline = [process.execPath, ...argv];
  if (callgrind)
    cmdline = [
      'valgrind',
      '--tool=callgrind',
      '--instr-atstart=no',
      '--separate-threads=yes',
      `--callgrind-out-file=${callgrind}/callgrind.out.%p`,
      ...cmdline,
    ];
  if (pin) cmdline = ['taskset', '-c', pin, ...cmdline];
  const [cmd, ...args] = cmdline;
  return new Promise((resolve, reject) => {
    const env = callgrind ? { ...process.env, CMPFLOW_CALLGRIND_SYNC: callgrind } : process.env;
    const c = spawn(cmd!, [...args, 'child', JSON.stringify(job)], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'inherit'] });
    let closed = false;
    if (callgrind) void controlCallgrind(callgrind, c.pid!, () => closed);
    let out = '';
    c.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    c.once('error', reject);
    c.once('close', (code) => {
      closed = true;
      const lines = out.trim().split('\n');
      // What else the child printed (--trace-gc writes to stdout) goes on to stderr.
      process.stderr.write(
        lines
          .slice(0, -1)
          .map((l) => `  ${l}\n`)
          .join(''),
      );
      if (code !== 0) reject(new Error(`child ${code}`));
      const sample = JSON.parse(lines.pop()!) as HarnessSample;
      if (callgrind) {
        const counts = callgrindCounts(callgrind, c.pid!);
        sample.mainInstructions = counts[0]! / job.sessions;
        sample.otherInstructions = counts.slice(1).reduce((a, b) => a + b, 0) / job.sessions;
      }
      resolve(sample);
    });
  });
}

async function ab(settings: { rounds: number; repeat: number; warmup: number; variants: string[]; callgrind?: boolean }): Promise<void> {
  const variants: Record<string, string[]> = {
    'ts-node': ['-r', 'ts-node/register/transpile-only', path.join(ROOT, 'bench', 'harness-ab.ts')],
    js: [compiledChild('harness-ab.ts')],
  };
  await withPbmIrMock(async ({ options, mock }) => {
    const samples: Record<string, HarnessSample[]> = {};
    for (const v of settings.variants) samples[v] = [];
    for (let round = 0; round < settings.rounds; round++) {
      const order = round % 2 === 0 ? settings.variants : [...settings.variants].reverse();
      const line: string[] = [];
      for (const v of order) {
        const [spec, extra] = v.split('|');
        const [kindBallast, pins] = spec!.split('@');
        // `@C/M`: the client on CPU list C, the mock on M; without, both where the scheduler puts them.
        const [pin, mockCpus] = (pins ?? '').split('/');
        execFileSync('taskset', ['-a', '-p', '-c', mockCpus || `0-${cpus().length - 1}`, String(mock.pid)], { stdio: 'ignore' });
        const [kindWarmup, ballastMb] = kindBallast!.split('+');
        const [kind, warmup] = kindWarmup!.split('~');
        const job = { options, warmup: Number(warmup ?? settings.warmup), sessions: settings.repeat, ballastMb: Number(ballastMb ?? 0) };
        const cg = settings.callgrind ? mkdtempSync(path.join(tmpdir(), 'cmpflow-harness-cg-')) : undefined;
        const s = await run([...(extra ? extra.split(',') : []), ...variants[kind!]!], job, pin || undefined, cg);
        samples[v]!.push(s);
        line.push(
          `${v} ${fixed(s.cpuMs, 2)} (main ${fixed(s.mainMs, 2)}, others ${fixed(s.othersMs, 2)}, heap ${fixed(s.heapUsedMb, 1)} MB, new space ${fixed(s.newSpaceMb, 1)} MB, ${s.majorGcs} major + ${s.minorGcs} minor GCs${s.mainInstructions === undefined ? '' : `, ${fixed(s.mainInstructions / 1e6, 2)} + ${fixed(s.otherInstructions! / 1e6, 2)} M instructions`})`,
        );
      }
      process.stderr.write(`round ${round + 1}, load ${fixed(loadavg()[0]!, 2)}: ${line.join('; ')}\n`);
    }
    for (const v of settings.variants) {
      const s = samples[v]!;
      const m = (f: (x: HarnessSample) => number) => fixed(median(s.map(f)), 2);
      const cpus = s.map((x) => x.cpuMs);
      process.stdout.write(
        `${v}: CPU ${m((x) => x.cpuMs)} ms a session (min ${fixed(Math.min(...cpus), 2)}, max ${fixed(Math.max(...cpus), 2)}), ` +
          `main ${m((x) => x.mainMs)}, others ${m((x) => x.othersMs)}, heap ${m((x) => x.heapUsedMb)} MB, ` +
          `new space ${m((x) => x.newSpaceMb)} MB, major GCs ${m((x) => x.majorGcs)}, minor ${m((x) => x.minorGcs)}, GC ${m((x) => x.gcMs)} ms a session\n`,
      );
    }
  });
}

const [mode, json] = process.argv.slice(2);
(mode === 'child' ? child(JSON.parse(json!) as ChildJob) : ab(JSON.parse(json ?? '{}'))).catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
