/**
 * What the embedded CA allocates per PBM IR session and who allocates it (issue #22), measured in
 * the real server process (`cmpflow -port 0`, the options of bench/ca-server.ts) while
 * `openssl cmp -repeat` drives it: a preload module in the server starts V8's sampling heap
 * profiler on a SIGUSR2 after the warm-up, with the objects the garbage collector has already
 * collected kept in the profile (what a session allocates, not what it leaves alive), and stops it
 * on the next SIGUSR2, writing the profile with the process's minor page faults, GC count and the
 * heap's statistics over the same window.
 *
 * The report: bytes and objects per session, by allocating function (self) and by the innermost
 * frame in cmpflow's own modules, and the ArrayBuffers (their JS objects; the backing store of an
 * external one is outside the V8 heap) per session.
 *
 *   ts-node --transpile-only bench/ca-alloc.ts '{"build":"/tmp/a","warmup":1000,"sessions":300,"interval":512}'
 */
import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeTestPki } from '../test/support/pki';
import { listeningPort } from './support/child';
import { drive, warmUp } from './ca-drive';
import { mockServerArgs } from './openssl-comparison';
import { fixed } from './support/stats';

interface Job {
  build: string;
  warmup: number;
  sessions: number;
  /** Mean bytes between samples (V8's default 32768; smaller is finer and slower). */
  interval?: number;
  /** Rows of each table. */
  top?: number;
  /** Keep the raw profile here. */
  out?: string;
  /** Instead of the heap profile: each function's calls per session (V8's precise coverage). */
  calls?: boolean;
  /**
   * Instead of the heap profile: `perf record -e minor-faults -g` of the server over the measured
   * sessions, written to this file (the server runs with --perf-basic-prof for its JIT frames).
   */
  perf?: string;
  /** With `perf`: false to run the server without --perf-basic-prof (JIT frames unnamed). */
  perfMap?: boolean;
  /**
   * With `perf`: the event recorded instead of minor faults, e.g. `cpu-clock` (a software event,
   * which works where hardware counters do not: where the CPU goes, kernel included), with
   * `perfFrequency` samples a second (default 4000).
   */
  perfEvent?: string;
  perfFrequency?: number;
  /** Idle time between the warm-up and the measured sessions, ms (as a server waits while the A/B measures the others). */
  idleMs?: number;
  /** Extra node flags for the server. */
  nodeArgs?: string[];
}

/** Runs in the server: SIGUSR2 starts the window, the next one ends it and writes `${CA_ALLOC_OUT}`. */
const PRELOAD = `
'use strict';
const inspector = require('inspector');
const v8 = require('v8');
const fs = require('fs');
const session = new inspector.Session();
session.connect();
let start;
let gcs = 0;
const { PerformanceObserver } = require('perf_hooks');
new PerformanceObserver((list) => { gcs += list.getEntries().length; }).observe({ entryTypes: ['gc'] });
const calls = process.env.CA_ALLOC_CALLS === '1';
process.on('SIGUSR2', () => {
  if (calls) {
    // Function call counts: precise coverage counts calls between two takes.
    if (!start) {
      session.post('Profiler.enable', () => session.post('Profiler.startPreciseCoverage', { callCount: true, detailed: false }, () =>
        session.post('Profiler.takePreciseCoverage', () => {
          start = true;
          fs.writeFileSync(process.env.CA_ALLOC_OUT + '.started', '');
        })));
      return;
    }
    session.post('Profiler.takePreciseCoverage', (err, { result }) => {
      if (err) throw err;
      const counts = [];
      for (const script of result) for (const f of script.functions) {
        const count = f.ranges[0].count;
        if (count > 0) counts.push({ url: script.url, name: f.functionName, offset: f.ranges[0].startOffset, count });
      }
      fs.writeFileSync(process.env.CA_ALLOC_OUT, JSON.stringify({ counts }));
    });
    return;
  }
  if (!start) {
    session.post('HeapProfiler.enable', () => {
      session.post('HeapProfiler.startSampling', {
        samplingInterval: Number(process.env.CA_ALLOC_INTERVAL),
        includeObjectsCollectedByMajorGC: true,
        includeObjectsCollectedByMinorGC: true,
      }, (err) => {
        if (err) throw err;
        start = { usage: process.resourceUsage(), heap: v8.getHeapStatistics(), gcs, cpu: process.cpuUsage() };
        fs.writeFileSync(process.env.CA_ALLOC_OUT + '.started', '');
      });
    });
    return;
  }
  const usage = process.resourceUsage();
  const cpu = process.cpuUsage(start.cpu);
  const heap = v8.getHeapStatistics();
  session.post('HeapProfiler.stopSampling', (err, { profile }) => {
    if (err) throw err;
    fs.writeFileSync(process.env.CA_ALLOC_OUT, JSON.stringify({
      profile,
      minorPageFaults: usage.minorPageFault - start.usage.minorPageFault,
      gcs: gcs - start.gcs,
      cpuMs: (cpu.user + cpu.system) / 1000,
      externalBefore: start.heap.external_memory, externalAfter: heap.external_memory,
    }));
  });
});
`;

interface Node {
  callFrame: { functionName: string; url: string; lineNumber: number };
  selfSize: number;
  id: number;
  children: Node[];
}
interface Sample {
  size: number;
  nodeId: number;
}
interface Window {
  profile: { head: Node; samples: Sample[] };
  minorPageFaults: number;
  gcs: number;
  cpuMs: number;
}

const waitFor = async (file: string) => {
  for (let i = 0; i < 600 && !existsSync(file); i++) await new Promise((r) => setTimeout(r, 100));
  if (!existsSync(file)) throw new Error(`${file} never written`);
};

/** x with x / (1 - exp(-x / interval)) = scaled, by bisection (the function grows with x). */
function objectSize(scaled: number, interval: number): number {
  let lo = 0;
  let hi = scaled;
  for (let i = 0; i < 60; i++) {
    const x = (lo + hi) / 2;
    if (x / -Math.expm1(-x / interval) < scaled) lo = x;
    else hi = x;
  }
  return Math.max(hi, 1);
}

/** A frame's name: function and module (cmpflow's modules by their path under src/). */
function frameName(node: Node): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const src = url.lastIndexOf('/src/');
  const file = src >= 0 ? url.slice(src + 1) : url.replace(/^node:/, '');
  return `${functionName || '(anonymous)'} ${file || '(native)'}:${lineNumber + 1}`;
}

function table(title: string, rows: Map<string, { bytes: number; count: number }>, sessions: number, top: number): string {
  const sorted = [...rows.entries()].sort((a, b) => b[1].bytes - a[1].bytes).slice(0, top);
  const lines = sorted.map(
    ([k, v]) => `  ${fixed(v.bytes / sessions / 1024, 1).padStart(7)} KiB ${fixed(v.count / sessions, 1).padStart(6)} obj  ${k}`,
  );
  return `${title}\n${lines.join('\n')}`;
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2] ?? '{}') as Job;
  const interval = job.interval ?? 512;
  const top = job.top ?? 30;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'ca-alloc-'));
  const preload = path.join(dir, 'preload.js');
  const out = path.join(dir, 'window.json');
  writeFileSync(preload, PRELOAD);
  const pki = await makeTestPki();
  const mock = mockServerArgs(pki);
  const child = spawn(
    process.execPath,
    [
      ...(job.nodeArgs ?? []),
      ...(job.perf && job.perfMap !== false ? ['--perf-basic-prof'] : []),
      '--require',
      preload,
      path.join(job.build, 'bin', 'cmpflow.js'),
      '-config',
      '',
      '-port',
      '0',
      ...mock.slice(0, mock.indexOf('-rsp_cert')),
    ],
    {
      cwd: pki.dir,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, CA_ALLOC_OUT: out, CA_ALLOC_INTERVAL: String(interval), CA_ALLOC_CALLS: job.calls ? '1' : '0' },
    },
  );
  try {
    const port = await listeningPort(child, /ACCEPT \S*:(\d+) PID=/, job.build, 600_000);
    const load = os.loadavg()[0]!;
    await warmUp(pki, port, job.warmup);
    if (job.idleMs) await new Promise((r) => setTimeout(r, job.idleMs));
    if (job.perf) {
      const event = job.perfEvent ?? 'minor-faults';
      const rate = job.perfEvent ? ['-F', String(job.perfFrequency ?? 4000)] : [];
      const perf = spawn('perf', ['record', '-e', event, ...rate, '-g', '-p', String(child.pid), '-o', job.perf], { stdio: 'inherit' });
      const cpu = () => readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      const cpuBefore = cpu();
      await new Promise((r) => setTimeout(r, 1000));
      const faults = () => Number(readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]!.split(' ')[7]);
      const before = faults();
      await drive(pki, port, job.sessions);
      const after = faults();
      perf.kill('SIGINT');
      await new Promise((r) => perf.once('close', r));
      const cpuAfter = cpu();
      // utime and stime in 10 ms ticks: the CPU the profile's samples share out.
      const ms = (i: number) => ((Number(cpuAfter[i]) - Number(cpuBefore[i])) * 10) / job.sessions;
      process.stdout.write(
        `${fixed((after - before) / job.sessions, 2)} minor page faults, ${fixed(ms(11) + ms(12), 2)} ms CPU (system ${fixed(ms(12), 2)}) per session (under perf, load ${fixed(load, 1)}); perf report -i ${job.perf}\n`,
      );
      return;
    }
    child.kill('SIGUSR2');
    await waitFor(`${out}.started`);
    await drive(pki, port, job.sessions);
    child.kill('SIGUSR2');
    await waitFor(out);
    await new Promise((r) => setTimeout(r, 500));
    if (job.calls) {
      const { counts } = JSON.parse(readFileSync(out, 'utf8')) as { counts: { url: string; name: string; count: number }[] };
      const rows = counts
        .filter((c) => c.url.includes('/dist/src/'))
        .sort((a, b) => b.count - a.count)
        .slice(0, top)
        .map((c) => `  ${fixed(c.count / job.sessions, 1).padStart(7)}  ${c.name || '(anonymous)'} ${c.url.slice(c.url.lastIndexOf('/src/') + 1)}`);
      process.stdout.write(`calls per session of cmpflow's functions, ${job.sessions} sessions after ${job.warmup}:\n${rows.join('\n')}\n`);
      return;
    }
    const window = JSON.parse(readFileSync(out, 'utf8')) as Window;
    if (job.out) writeFileSync(job.out, JSON.stringify(window.profile));
    const byId = new Map<number, { node: Node; parents: Node[] }>();
    const walk = (node: Node, parents: Node[]) => {
      byId.set(node.id, { node, parents });
      for (const c of node.children) walk(c, [...parents, node]);
    };
    walk(window.profile.head, []);
    const self = new Map<string, { bytes: number; count: number }>();
    const ours = new Map<string, { bytes: number; count: number }>();
    const add = (m: Map<string, { bytes: number; count: number }>, k: string, bytes: number, count: number) => {
      const e = m.get(k) ?? { bytes: 0, count: 0 };
      e.bytes += bytes;
      e.count += count;
      m.set(k, e);
    };
    let bytes = 0;
    let count = 0;
    for (const s of window.profile.samples) {
      // V8 reports a sample's size already scaled by the chance an object of its size is picked,
      // s = x / (1 - exp(-x / interval)); the object's own size x gives the objects it stands for.
      const b = s.size;
      const weight = b / objectSize(b, interval);
      bytes += b;
      count += weight;
      const { node, parents } = byId.get(s.nodeId)!;
      add(self, frameName(node), b, weight);
      const chain = [...parents, node];
      const inner = [...chain].reverse().find((n) => n.callFrame.url.includes('/dist/src/'));
      add(ours, inner ? frameName(inner) : '(no cmpflow frame)', b, weight);
    }
    const n = job.sessions;
    process.stdout.write(
      [
        `build ${job.build}, ${job.warmup} warm-up sessions, ${n} measured, sampling every ${interval} bytes, load ${fixed(load, 2)} -> ${fixed(os.loadavg()[0]!, 2)}`,
        `per session: ${fixed(bytes / n / 1024, 1)} KiB in ${fixed(count / n, 0)} objects; ${fixed(window.minorPageFaults / n, 2)} minor page faults; ${fixed(window.gcs / n, 3)} GCs; ${fixed(window.cpuMs / n, 2)} ms CPU (under the profiler)`,
        table('by allocating frame (self):', self, n, top),
        table("by the innermost frame in cmpflow's modules:", ours, n, top),
      ].join('\n') + '\n',
    );
  } finally {
    child.kill('SIGTERM');
    await pki.cleanup();
    rmSync(dir, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
