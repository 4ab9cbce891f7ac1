/**
 * Running the `cmpflow` command in tests: in-process through main() with captured streams, or as
 * a real child process straight from the TypeScript sources (never from a possibly stale dist/).
 */
import { spawn, type ChildProcess } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Readable } from 'stream';
import { main, type CliIo } from '../../src/cli/main';
import { onTeardown } from '../support/lifecycle';

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
  /** Non-empty stderr lines. */
  stderrLines: string[];
  /** The `cmpflow: error:` lines. */
  errors: string[];
}

function capture(isTTY = false): { stream: { write(chunk: string | Uint8Array): boolean; isTTY?: boolean }; text(): string } {
  let text = '';
  return {
    stream: {
      isTTY,
      write(chunk) {
        text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8');
        return true;
      },
    },
    text: () => text,
  };
}

function result(code: number, stdout: string, stderr: string): CliRun {
  const stderrLines = stderr.split('\n').filter((l) => l !== '');
  return { code, stdout, stderr, stderrLines, errors: stderrLines.filter((l) => l.startsWith('cmpflow: error:')) };
}

export interface RunOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  stdin?: string;
  /** stderr claims to be a terminal. */
  tty?: boolean;
  io?: Partial<CliIo>;
}

/** Runs `cmpflow <argv>` in this process. */
export async function cmpflow(argv: string[], opts: RunOptions = {}): Promise<CliRun> {
  const out = capture();
  const err = capture(opts.tty);
  const code = await main(argv, {
    stdout: out.stream,
    stderr: err.stream,
    ...(opts.stdin !== undefined ? { stdin: Readable.from([opts.stdin]) } : {}),
    env: opts.env ?? {},
    cwd: opts.cwd ?? process.cwd(),
    ...opts.io,
  });
  return result(code, out.text(), err.text());
}

const ROOT = path.join(__dirname, '../..');
const live = new Set<ChildProcess>();
onTeardown(() => {
  for (const child of live) child.kill('SIGKILL');
});

export interface SpawnedCli {
  child: ChildProcess;
  /** Output so far. */
  stdout(): string;
  stderr(): string;
  /** Resolves when the process has ended; `signal` is set when a signal ended it. */
  done: Promise<CliRun & { signal: NodeJS.Signals | null }>;
}

/** Starts `cmpflow <argv>` as a child process, from the sources through ts-node. */
export function spawnCmpflow(argv: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {}): SpawnedCli {
  const child = spawn(process.execPath, ['-r', require.resolve('ts-node/register/transpile-only'), path.join(ROOT, 'src/cli/bin-dev.ts'), ...argv], {
    cwd: opts.cwd ?? ROOT,
    env: { ...(opts.env ?? process.env), TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  live.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (b: Buffer) => (stdout += b.toString('utf8')));
  child.stderr!.on('data', (b: Buffer) => (stderr += b.toString('utf8')));
  child.stdin!.on('error', () => undefined);
  child.stdin!.end(opts.stdin ?? '');
  const done = new Promise<CliRun & { signal: NodeJS.Signals | null }>((resolve) => {
    child.once('close', (code, signal) => {
      live.delete(child);
      resolve({ ...result(code ?? -1, stdout, stderr), signal });
    });
  });
  return { child, stdout: () => stdout, stderr: () => stderr, done };
}

/** A temporary folder removed at the end of the test file. */
export function scratchDir(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-run-'));
  onTeardown(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}
