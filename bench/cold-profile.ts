/**
 * Where a `cmpflow -repeat N` command's CPU goes per session, cold phase included (issue #22): the
 * real command (the bundle with its code cache, as users run it) under `perf record -e cpu-clock -g`
 * with `--perf-basic-prof --interpreted-frames-native-stack`, against the comparison's `openssl cmp
 * -port 0` mock, once with `-repeat N` and once with `-repeat 2`; the difference over N - 2 is what
 * a session costs in a command of N, its share of V8's warm-up included (2, not 1: a `-repeat` run
 * loads its transaction's built-in modules at the start and sets its V8 flags, bin/cli-loader.js). perf's software clock
 * works in VMs without hardware counters; the load on the machine inflates every group alike, so
 * read the shares, not the milliseconds.
 *
 * Three views, each sample counted once:
 * - the thread: the main thread, or V8's others (TurboFan compiling, GC helpers);
 * - what ran (the innermost frame): JIT code by tier, V8's built-ins (inline caches, the
 *   interpreter's handlers), its runtime and compiler, the collector, libc, the kernel;
 * - on the main thread, who asked for it: the innermost frame of the bundle (our modules by folder
 *   under src/, machines/, XState, other packages), Node's own JavaScript and any native work below
 *   it charged to that caller; samples with no bundle frame are the event loop's (Node's HTTP
 *   stack reading and parsing, promise jobs) and native work outside JavaScript.
 *
 *   npx ts-node --transpile-only bench/cold-profile.ts [ir|genm] [N=300] [BUILD=.]
 *
 * BUILD is a folder with bin/cmpflow.js and the dist/ it runs (a `git archive` and `npm run build`),
 * so that a build of one's own is measured, never the shared dist/ while others rebuild it.
 */
import { execFileSync, spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import { loadavg, tmpdir } from 'os';
import * as path from 'path';
import { makeTestPki } from '../test/support/pki';
import { startMockServer } from '../test/support/openssl';
import { mockServerArgs, scenarios } from './openssl-comparison';
import { ROOT } from './support/dist';
import { withoutExtraCaCerts } from './support/node-env';

const HZ = 4000;

interface Sample {
  tid: string;
  /** Innermost first: [symbol, object]. */
  frames: [string, string][];
}

function parsePerfScript(text: string): Sample[] {
  const samples: Sample[] = [];
  let cur: Sample | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (cur) samples.push(cur);
      cur = undefined;
    } else if (!/^\s/.test(line)) {
      cur = { tid: line.trim().split(/\s+/).pop()!, frames: [] };
    } else {
      const m = /^\s*[0-9a-f]+\s+(.*)\s+\((.*)\)\s*$/.exec(line);
      if (m && cur) cur.frames.push([m[1]!, m[2]!]);
    }
  }
  if (cur) samples.push(cur);
  return samples;
}

/** Where each module of the (whitespace-minified) bundle starts: esbuild's `__commonJS({"dist/src/x.js"(`. */
function moduleStarts(bundle: string): { line: number; col: number; name: string }[] {
  const starts: { line: number; col: number; name: string }[] = [];
  readFileSync(bundle, 'latin1')
    .split('\n')
    .forEach((text, i) => {
      for (const m of text.matchAll(/__(?:commonJS|esm)\(\{"([^"]+)"\(/g)) starts.push({ line: i + 1, col: m.index! + 1, name: m[1]! });
    });
  return starts;
}

function moduleLookup(bundle: string): (symbol: string) => string | undefined {
  const starts = moduleStarts(bundle);
  return (symbol) => {
    const m = /(\S+):(\d+):(\d+)$/.exec(symbol);
    if (!m || !symbol.startsWith('JS:')) return undefined;
    const [file, line, col] = [m[1]!, Number(m[2]), Number(m[3])];
    if (file === bundle) {
      let found = '(bundle top)';
      for (const s of starts) {
        if (s.line > line || (s.line === line && s.col > col)) break;
        found = s.name;
      }
      return found;
    }
    return file.startsWith('node:') || !file.includes('/') ? `node:${file.replace(/^node:/, '')}` : file;
  };
}

function moduleGroup(module: string): string {
  if (module.includes('xstate')) return 'xstate';
  if (module.startsWith('node:')) return 'node internals (JS)';
  const ours = /^dist\/(src\/[^/]+|machines)/.exec(module);
  if (ours) return `ours: ${ours[1]!.replace(/\.js$/, '')}`;
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(module);
  if (pkg) return `npm: ${pkg[1]}`;
  return `other: ${path.basename(module)}`;
}

function nativeGroup(symbol: string, object: string): string {
  if (object.includes('kernel')) return 'kernel';
  if (symbol.includes('wasm-function')) return 'WebAssembly (PBM SHA-256)';
  const tier = /^JS:([*~^+])/.exec(symbol);
  if (tier) return `JIT code: ${{ '*': 'TurboFan', '~': 'interpreter', '^': 'Sparkplug', '+': 'Maglev' }[tier[1]!]}`;
  if (/libcrypto|libssl/.test(object)) return 'OpenSSL';
  if (/libc\.so|libstdc|libm\.so/.test(object)) return 'libc';
  if (/compiler::|turboshaft/.test(symbol)) return 'TurboFan compiler';
  if (/Scaveng|MarkCompact|Heap|GCTracer|Sweeper|Marking|Evacuat|MemoryAllocator|PagedSpace|NewSpace/.test(symbol)) return 'GC and heap';
  if (/interpreter::|BytecodeGenerator|Parser|Scanner|Compiler::|Preparse/.test(symbol)) return 'parser and bytecode compiler';
  if (symbol.startsWith('Builtins_')) return 'V8 built-ins (inline caches, interpreter handlers)';
  if (/Runtime|IC::|Map::|Transition|LookupIterator|JSObject::|Object::|Feedback|Deoptimizer/.test(symbol)) return 'V8 runtime';
  if (symbol.startsWith('v8::')) return 'V8 other';
  return 'Node and other native';
}

type Counts = Map<string, number>;
const add = (c: Counts, key: string) => c.set(key, (c.get(key) ?? 0) + 1);

function profile(samples: Sample[], moduleOf: (symbol: string) => string | undefined) {
  const perTid = new Map<string, number>();
  for (const s of samples) perTid.set(s.tid, (perTid.get(s.tid) ?? 0) + 1);
  const main = [...perTid].sort((a, b) => b[1] - a[1])[0]![0];
  const threads: Counts = new Map();
  const leaf: Counts = new Map();
  const caller: Counts = new Map();
  for (const s of samples) {
    if (s.frames.length === 0) continue;
    add(threads, s.tid === main ? 'main thread' : "V8's other threads");
    const [symbol, object] = s.frames[0]!;
    add(leaf, nativeGroup(symbol, object));
    if (s.tid !== main) continue;
    let group: string | undefined;
    for (const [sym] of s.frames) {
      const module = moduleOf(sym);
      if (module && !module.startsWith('node:')) {
        group = moduleGroup(module);
        break;
      }
    }
    const nodeJs = s.frames.some(([sym]) => moduleOf(sym)?.startsWith('node:'));
    add(caller, group ?? (nodeJs ? 'event loop: node internals (JS), no bundle frame' : `outside JavaScript: ${nativeGroup(symbol, object)}`));
  }
  return { threads, leaf, caller };
}

function table(title: string, many: Counts, one: Counts, sessions: number): void {
  const keys = [...new Set([...many.keys(), ...one.keys()])];
  const diff = (k: string) => (many.get(k) ?? 0) - (one.get(k) ?? 0);
  const total = keys.reduce((sum, k) => sum + diff(k), 0);
  console.log(`\n${title}: ${((total * 1000) / HZ / sessions).toFixed(3)} ms a session`);
  for (const k of keys.sort((a, b) => diff(b) - diff(a))) {
    const d = diff(k);
    if (Math.abs(d) / total < 0.003) continue;
    console.log(`  ${((100 * d) / total).toFixed(1).padStart(5)} %  ${((d * 1000) / HZ / sessions).toFixed(3)} ms  ${k}`);
  }
}

async function main(): Promise<void> {
  const command = process.argv[2] === 'genm' ? 'GENM, PBM' : 'IR, PBM';
  const repeat = Number(process.argv[3] ?? 300);
  const build = path.resolve(process.argv[4] ?? ROOT);
  const bundle = path.join(build, 'dist', 'cli', 'cmpflow.js');
  const pki = await makeTestPki();
  const mock = await startMockServer(mockServerArgs(pki), { cwd: pki.dir });
  const work = mkdtempSync(path.join(tmpdir(), 'cold-profile-'));
  const env = withoutExtraCaCerts();
  const load0 = loadavg()[0]!;
  try {
    const args = ['-config', '', ...scenarios.find((s) => s.name === command)!.args(pki), '-server', `127.0.0.1:${mock.port}`, '-path', 'pkix/'];
    // Asynchronously: the mock's output is read by this process's event loop, and a mock whose pipe
    // is full stops answering.
    const run = async (n: number) => {
      const data = path.join(work, `perf-${n}.data`);
      const node = [
        'node',
        '--perf-basic-prof',
        '--interpreted-frames-native-stack',
        path.join(build, 'bin', 'cmpflow.js'),
        ...args,
        '-repeat',
        String(n),
      ];
      const perf = spawn('perf', ['record', '-q', '-e', 'cpu-clock', '-F', String(HZ), '-g', '-o', data, '--', ...node], {
        cwd: pki.dir,
        env,
        stdio: 'ignore',
      });
      const status = await new Promise<number | null>((resolve, reject) => perf.on('error', reject).on('exit', resolve));
      if (status !== 0) throw new Error(`perf record or the command exited ${status}`);
      const text = execFileSync('perf', ['script', '-i', data, '-F', 'comm,tid,ip,sym,dso'], {
        maxBuffer: 1 << 30,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      const samples = parsePerfScript(text.toString());
      // The JIT's symbols Node wrote for perf, named after its pid (its main thread's tid).
      for (const tid of new Set(samples.map((s) => s.tid))) rmSync(`/tmp/perf-${tid}.map`, { force: true });
      return samples;
    };
    const moduleOf = moduleLookup(bundle);
    const many = profile(await run(repeat), moduleOf);
    const one = profile(await run(2), moduleOf);
    console.log(`${command}, -repeat ${repeat} less -repeat 2, per session (${HZ} Hz); load ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}`);
    table('By thread', many.threads, one.threads, repeat - 2);
    table('By what ran (innermost frame), all threads', many.leaf, one.leaf, repeat - 2);
    table('Main thread, by who asked (innermost bundle frame)', many.caller, one.caller, repeat - 2);
  } finally {
    await mock.stop();
    await pki.cleanup();
    rmSync(work, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
