/**
 * Benchmark programs that must run alone in a process (for their own CPU and peak RSS) run as
 * JavaScript, compiled from bench/ when first started, and report one JSON line on stdout;
 * everything else they print goes to stderr.
 */
import { spawn, type ChildProcess } from 'child_process';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'fs';
import * as path from 'path';
import { ROOT } from './dist';

const compiled = new Map<string, string>();
const OUT = path.join(ROOT, '.tmp', 'bench-js');

/**
 * `bench/<script>` and the modules of ours it imports, compiled file by file by esbuild into
 * .tmp/bench-js/ (ignored by git) in the repository's layout, as ts-node's transpile-only mode
 * compiles them but without ts-node in the process; packages and the measured dist/ are required
 * at run time, as an application loads them. Under ts-node a measured child carried the
 * TypeScript compiler in its heap (45 to 53 MB used instead of 14 to 20), which moved V8's garbage
 * collections: a 300-session window of the library row held no major collection where the same
 * child compiled holds one, and the row measured 1 to 2 ms a session less than a plain `node`
 * process running the library does (docs/benchmarks.md, ninth session). Not one bundle: a bundle
 * makes every module its own `require.main`, and a module's directory the bundle's.
 */
export function compiledChild(script: string): string {
  const known = compiled.get(script);
  if (known) return known;
  const { buildSync } = require('esbuild') as typeof import('esbuild');
  const common = { platform: 'node', target: 'node20', format: 'cjs', absWorkingDir: ROOT, logLevel: 'error', write: false } as const;
  // The modules it imports: a bundle's inputs, the bundle itself thrown away.
  const { metafile } = buildSync({
    ...common,
    entryPoints: [path.join(ROOT, 'bench', script)],
    bundle: true,
    packages: 'external',
    metafile: true,
    outdir: OUT,
  });
  const inputs = Object.keys(metafile.inputs).map((input) => path.resolve(ROOT, input));
  // Only dist.ts may ask for its own directory (it looks upwards for the repository).
  for (const input of inputs) {
    if (!input.endsWith(path.join('support', 'dist.ts')) && /\b__(dirname|filename)\b/.test(readFileSync(input, 'utf8'))) {
      throw new Error(`${input} asks for its own directory or file name, which is not the compiled file's`);
    }
  }
  const { outputFiles } = buildSync({ ...common, entryPoints: inputs, outbase: ROOT, outdir: OUT });
  // Each written beside and renamed: another bench starting a child meanwhile reads whole files.
  for (const file of outputFiles) {
    mkdirSync(path.dirname(file.path), { recursive: true });
    writeFileSync(`${file.path}.${process.pid}`, file.contents);
    renameSync(`${file.path}.${process.pid}`, file.path);
  }
  const main = path.join(OUT, 'bench', script.replace(/\.ts$/, '.js'));
  compiled.set(script, main);
  return main;
}

export async function runChild<T>(script: string, args: readonly string[], opts: { timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<T> {
  const argv = [...(opts.nodeArgs ?? []), compiledChild(script), ...args];
  return new Promise<T>((resolve, reject) => {
    const child = spawn(process.execPath, argv, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (b: Buffer) => (out += b.toString('utf8')));
    child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
    const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const line = out.trim().split('\n').pop() ?? '';
      if (code !== 0) {
        reject(new Error(`${script} ${args.join(' ')} failed (${signal ?? code}):\n${err.slice(-3000)}`));
        return;
      }
      try {
        resolve(JSON.parse(line) as T);
      } catch {
        reject(new Error(`${script} printed no result line:\n${out.slice(-2000)}\n${err.slice(-2000)}`));
      }
    });
  });
}

/** The JSON result line of a child program. */
export function report(result: unknown): void {
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/**
 * The port a server child prints once it listens: the first match of `ready` (its group 1) in what
 * it writes to stdout or stderr, within `timeoutMs`; its exit before that is an error with its output.
 */
export function listeningPort(child: ChildProcess, ready: RegExp, name: string, timeoutMs: number): Promise<number> {
  let output = '';
  return new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start:\n${output}`)), timeoutMs);
    let started = false;
    const onData = (b: Buffer) => {
      output += b.toString('utf8');
      // Matched only until it starts: matching the whole output again on every chunk of a server
      // that logs each transaction made this process copy it all each time (quadratic), on the
      // cores the measured processes run on.
      if (started) return;
      const m = ready.exec(output);
      if (m) {
        started = true;
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited (${code}):\n${output}`));
    });
  });
}
