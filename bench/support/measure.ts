/**
 * Runs a command and reports what it cost: wall time, and user and system CPU of the process and
 * its children as the kernel counted them (GNU time's rusage). Output goes to files, read
 * afterwards: a pipe read by this (busy) process would make the child wait on its own log lines.
 */
import { spawn } from 'child_process';
import { closeSync, existsSync, mkdtempSync, openSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface ProcessCost {
  wallMs: number;
  userMs: number;
  systemMs: number;
  cpuMs: number;
  maxRssKb: number;
  code: number;
  stdout: string;
  stderr: string;
}

const GNU_TIME = '/usr/bin/time';

export function haveGnuTime(): boolean {
  return existsSync(GNU_TIME);
}

export async function measureProcess(
  command: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number; keepOutput?: boolean } = {},
): Promise<ProcessCost> {
  if (!haveGnuTime()) throw new Error(`${GNU_TIME} (GNU time) is needed to measure child CPU; install the "time" package`);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-bench-time-'));
  const report = path.join(dir, 'rusage');
  try {
    const started = process.hrtime.bigint();
    const outFile = path.join(dir, 'stdout');
    const errFile = path.join(dir, 'stderr');
    const out = openSync(outFile, 'w');
    const err = openSync(errFile, 'w');
    const code = await new Promise<number>((resolve, reject) => {
      const child = spawn(GNU_TIME, ['-f', '%e %U %S %M', '-o', report, command, ...args], {
        cwd: opts.cwd,
        env: opts.env ?? process.env,
        stdio: ['ignore', out, err],
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 600_000);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', (c) => {
        clearTimeout(timer);
        resolve(c ?? 1);
      });
    }).finally(() => {
      closeSync(out);
      closeSync(err);
    });
    const stdout = opts.keepOutput ? readFileSync(outFile, 'utf8') : '';
    const stderr = readFileSync(errFile, 'utf8');
    const wallMs = Number(process.hrtime.bigint() - started) / 1e6;
    // GNU time writes "Command exited with non-zero status N" before the format line.
    const lines = readFileSync(report, 'utf8').trim().split('\n');
    const [, user, system, rss] = lines[lines.length - 1]!.split(' ').map(Number);
    const userMs = user! * 1000;
    const systemMs = system! * 1000;
    return {
      wallMs,
      userMs,
      systemMs,
      cpuMs: userMs + systemMs,
      maxRssKb: rss!,
      code,
      stdout,
      stderr: opts.keepOutput ? stderr : stderr.slice(-4000),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
