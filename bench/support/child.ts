/**
 * Benchmark programs that must run alone in a process (for their own CPU and peak RSS) are started
 * through ts-node and report one JSON line on stdout; everything else they print goes to stderr.
 */
import { spawn, type ChildProcess } from 'child_process';
import * as path from 'path';
import { ROOT } from './dist';

export async function runChild<T>(script: string, args: readonly string[], opts: { timeoutMs?: number; nodeArgs?: string[] } = {}): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [...(opts.nodeArgs ?? []), '-r', 'ts-node/register/transpile-only', path.join(ROOT, 'bench', script), ...args],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
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
