/**
 * Times one process with bash's `time` keyword: wall, user and system CPU in milliseconds from
 * the kernel's rusage of the finished child. GNU time prints CPU in hundredths of a second, too
 * coarse for start-up costs of 5 to 100 ms; bash reports the same rusage to the millisecond.
 * Output goes to files, read afterwards (a pipe read by this process would be part of the timing).
 */
import { spawn } from 'child_process';
import { mkdtempSync, readFileSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';

export interface CpuTime {
  wallMs: number;
  userMs: number;
  systemMs: number;
  cpuMs: number;
  code: number;
  stdout: string;
  stderr: string;
}

// "$@" is the command; the report goes to fd 3 so that the command's own stderr stays apart.
const TIMED = 'TIMEFORMAT="%3R %3U %3S"; { time "$@" >"$OUT" 2>"$ERR"; } 3>&2 2>"$REPORT"; echo $? >"$CODE"';

export async function timeProcess(command: string, args: readonly string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CpuTime> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-bench-cpu-'));
  const file = (name: string) => path.join(dir, name);
  try {
    await new Promise<void>((resolve, reject) => {
      const child = spawn('bash', ['-c', TIMED, 'bash', command, ...args], {
        cwd: opts.cwd,
        env: { ...(opts.env ?? process.env), OUT: file('out'), ERR: file('err'), REPORT: file('report'), CODE: file('code') },
        stdio: 'ignore',
      });
      const timer = setTimeout(() => child.kill('SIGKILL'), 120_000);
      child.once('error', (e) => {
        clearTimeout(timer);
        reject(e);
      });
      child.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
    });
    const [wall, user, system] = readFileSync(file('report'), 'utf8').trim().split('\n').pop()!.split(' ').map(Number);
    const userMs = user! * 1000;
    const systemMs = system! * 1000;
    return {
      wallMs: wall! * 1000,
      userMs,
      systemMs,
      cpuMs: userMs + systemMs,
      code: Number(readFileSync(file('code'), 'utf8').trim()),
      stdout: readFileSync(file('out'), 'utf8'),
      stderr: readFileSync(file('err'), 'utf8').slice(-4000),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
