/**
 * Runs the real `openssl` binary for tests: one-shot commands (`runOpenSsl`) and the `openssl cmp`
 * HTTP mock server (`startMockServer`). Every child is tracked so that a test that forgets `stop()`
 * neither leaves an orphan process behind nor keeps jest alive.
 */
import { spawn, ChildProcess } from 'child_process';

export interface MockServer {
  port: number;
  /** http://127.0.0.1:PORT/pkix/ — the mock server ignores the path, `/pkix/` is the RFC 9811 default. */
  url: string;
  pid: number;
  /** Everything the server printed so far (stdout and stderr interleaved). */
  log(): string;
  stop(): Promise<void>;
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

const live = new Set<ChildProcess>();
let exitHookInstalled = false;

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  // 'exit' handlers must be synchronous; SIGKILL cannot be ignored, so nothing outlives jest.
  process.once('exit', () => {
    for (const child of live) {
      try {
        child.kill('SIGKILL');
      } catch {
        // already gone
      }
    }
  });
}

function track(child: ChildProcess): void {
  installExitHook();
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Lets jest exit even if a test forgot to stop a server; the exit hook still kills the child. */
function unrefAll(child: ChildProcess): void {
  child.unref();
  for (const stream of [child.stdin, child.stdout, child.stderr]) {
    (stream as unknown as { unref?: () => void } | null)?.unref?.();
  }
}

/** Number of `openssl` children started by this module that are still running (for leak tests). */
export function liveOpenSslProcesses(): number {
  return live.size;
}

/** Runs `openssl <args>`. Rejects only if the binary cannot be started or the timeout expires. */
export async function runOpenSsl(
  args: string[],
  opts: { cwd?: string; input?: string; timeoutMs?: number; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  const timeoutMs = opts.timeoutMs ?? 30_000;
  return new Promise<RunResult>((resolve, reject) => {
    const child = spawn('openssl', args, {
      cwd: opts.cwd,
      env: opts.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    track(child);
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stderr!.on('data', (b: Buffer) => err.push(b));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    // 'close' (not 'exit') so that all output has been read.
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      if (timedOut) {
        reject(new Error(`openssl ${args[0] ?? ''} timed out after ${timeoutMs} ms\n${stderr}`));
        return;
      }
      resolve({ code: code ?? (signal ? 128 : 1), stdout, stderr });
    });
    child.stdin!.on('error', () => undefined); // EPIPE if openssl exits before reading input
    child.stdin!.end(opts.input ?? '');
  });
}

/** Runs `openssl cmp` with an empty configuration, so the system openssl.cnf cannot interfere. */
export async function runCmp(
  args: string[],
  opts: { cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return runOpenSsl(['cmp', '-config', '', ...args], opts);
}

let available: Promise<boolean> | undefined;

/** True when an `openssl` 3.x with the `cmp` app is on PATH. */
export async function opensslAvailable(): Promise<boolean> {
  available ??= runOpenSsl(['version'], { timeoutMs: 10_000 })
    .then((r) => r.code === 0 && /^OpenSSL 3\./.test(r.stdout))
    .catch(() => false);
  return available;
}

let version: Promise<string> | undefined;

/** `openssl version` output, e.g. "OpenSSL 3.0.19 27 Jan 2026 (...)". */
export async function opensslVersion(): Promise<string> {
  version ??= runOpenSsl(['version']).then((r) => r.stdout.trim());
  return version;
}

const ACCEPT = /ACCEPT \S*:(\d+) PID=(\d+)/;

/**
 * Starts `openssl cmp -port 0 <args>` and resolves once it listens. The server binds to all
 * interfaces, handles one connection at a time and only speaks pvno 2 (cmp2000).
 */
export async function startMockServer(
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<MockServer> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const child = spawn('openssl', ['cmp', '-config', '', '-port', '0', ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  track(child);
  unrefAll(child);

  let output = '';
  let exited = child.exitCode !== null || child.signalCode !== null;
  const exitedPromise = new Promise<void>((resolve) => {
    if (exited) resolve();
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (exited) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => {
      if (!exited) child.kill('SIGKILL');
    }, 2_000);
    await exitedPromise;
    clearTimeout(timer);
  };

  const listening = new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`openssl cmp mock server did not start within ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    const onData = (b: Buffer): void => {
      output += b.toString('utf8');
      const m = ACCEPT.exec(output);
      if (m) {
        clearTimeout(timer);
        resolve({ port: Number(m[1]), pid: Number(m[2]) });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`openssl cmp mock server exited (${signal ?? code}) before listening\n${output}`));
    });
  });

  let port: number;
  let pid: number;
  try {
    ({ port, pid } = await listening);
  } catch (e) {
    await stop();
    throw e;
  }
  return {
    port,
    pid,
    url: `http://127.0.0.1:${port}/pkix/`,
    log: () => output,
    stop,
  };
}
