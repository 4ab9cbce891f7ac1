/**
 * Runs the real `openssl` binary for tests: one-shot commands (`runOpenSsl`) and the `openssl cmp`
 * HTTP mock server (`startMockServer`). Every child is tracked so that a test that forgets `stop()`
 * neither leaves an orphan process behind nor keeps jest alive.
 */
import { spawn, ChildProcess } from 'child_process';
import { onTeardown } from './lifecycle';

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

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

/** Lets jest exit even if a test forgot to stop a server; teardown and the watchdog still end it. */
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
export async function runCmp(args: string[], opts: { cwd?: string; input?: string; timeoutMs?: number } = {}): Promise<RunResult> {
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

// "$@" is `cmp <options>`. The watcher subshell gets the pipe explicitly (an asynchronous list's
// stdin is otherwise /dev/null); `wait $c` makes the shell exit only after openssl has, with its
// status, whether openssl ended by itself (bad options) or was killed by the watcher.
const WATCHDOG = [
  'exec 3<&0',
  'openssl "$@" </dev/null 3<&- & c=$!',
  '(read -r _ <&3; kill $c 2>/dev/null) & w=$!',
  'exec 3<&-',
  'wait $c; s=$?',
  'kill $w 2>/dev/null',
  'exit $s',
].join('; ');

/**
 * Starts `openssl cmp -port 0 <args>` and resolves once it listens. The server binds to all
 * interfaces, handles one connection at a time and only speaks pvno 2 (cmp2000).
 */
export async function startMockServer(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<MockServer> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  // A shell watchdog owns the server: when our end of its stdin closes — stop(), or this process
  // dying in any way, even SIGKILL — it kills openssl and reaps it, so no server outlives the tests.
  const child = spawn('sh', ['-c', WATCHDOG, 'sh', 'cmp', '-config', '', '-port', '0', ...args], {
    cwd: opts.cwd,
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  track(child);
  unrefAll(child);
  child.stdin!.on('error', () => undefined); // EPIPE when stop() follows the shell's own exit

  let output = '';
  let serverPid: number | undefined;
  let exited = child.exitCode !== null || child.signalCode !== null;
  const exitedPromise = new Promise<void>((resolve) => {
    if (exited) resolve();
    child.once('exit', () => {
      exited = true;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    unregister();
    if (exited) return;
    child.stdin!.end();
    const timer = setTimeout(() => {
      if (exited) return;
      if (serverPid !== undefined) {
        try {
          process.kill(serverPid, 'SIGKILL');
        } catch {
          // already gone
        }
      }
      child.kill('SIGKILL');
    }, 2_000);
    await exitedPromise;
    clearTimeout(timer);
  };
  const unregister = onTeardown(stop);

  const listening = new Promise<{ port: number; pid: number }>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`openssl cmp mock server did not start within ${timeoutMs} ms\n${output}`));
    }, timeoutMs);
    let accepted = false;
    const onData = (b: Buffer): void => {
      output += b.toString('utf8');
      // Once it listens, the log is only kept for log(): matching all of it again on every chunk
      // made V8 flatten the whole string each time, quadratic in the server's output, and in a
      // process that drives thousands of transactions that copying outweighed the client it measured.
      if (accepted) return;
      const m = ACCEPT.exec(output);
      if (m) {
        accepted = true;
        clearTimeout(timer);
        serverPid = Number(m[2]);
        resolve({ port: Number(m[1]), pid: serverPid });
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

/**
 * Runs `run` against a mock server that answers PBM (with `secret`) and signed requests from the
 * test PKI, hands out `pki.enrolled` with its chain and the root as caPubs, then stops it; `extra`
 * adds mock options (-poll_count, -send_error, ...).
 */
export async function withPkiMockServer<T>(
  pki: import('./pki').TestPki,
  secret: string,
  extra: string[],
  run: (server: MockServer) => Promise<T>,
): Promise<T> {
  const server = await startMockServer([
    '-srv_ref',
    'mock-server',
    '-srv_secret',
    `pass:${secret}`,
    '-srv_cert',
    pki.server.certPath,
    '-srv_key',
    pki.server.keyPath,
    '-srv_untrusted',
    pki.untrustedPath,
    '-srv_trusted',
    pki.trustedPath,
    '-rsp_cert',
    pki.enrolled.certPath,
    '-rsp_extracerts',
    pki.chainPath,
    '-rsp_capubs',
    pki.trustedPath,
    ...extra,
  ]);
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

/** Waits until the server's log matches `pattern` (its lines arrive through a pipe, after its answers). */
export async function waitForLog(server: MockServer, pattern: RegExp, timeoutMs = 3000): Promise<string> {
  const until = Date.now() + timeoutMs;
  while (!pattern.test(server.log()) && Date.now() < until) await new Promise((r) => setTimeout(r, 25));
  return server.log();
}
