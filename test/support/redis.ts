/**
 * A real Redis for fleet tests: Debian's `redis-server` on a free loopback port, its files in a
 * temporary directory. `restart()` brings it back on the same port and directory, so with
 * `persistence` (append-only file, fsync on every write) what the queue held before is there after.
 */
import { spawn, type ChildProcess } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { createConnection, createServer } from 'net';
import { tmpdir } from 'os';
import { join } from 'path';

export const REDIS_SERVER = process.env.REDIS_SERVER ?? '/usr/bin/redis-server';

export interface RedisOptions {
  /** Append-only file with `appendfsync always`: nothing acknowledged is lost by a restart or a kill. */
  persistence?: boolean;
}

export interface TestRedis {
  readonly port: number;
  readonly dir: string;
  /** `redis://127.0.0.1:PORT/DB`. */
  url(db?: number): string;
  /** Stops the server; `hard` is kill -9 (no shutdown save). */
  stop(hard?: boolean): Promise<void>;
  /** Stops it (kill -9 with `hard`) and starts it again on the same port and directory. */
  restart(hard?: boolean): Promise<void>;
  /** Sends one inline command and returns the raw reply (e.g. `INFO memory`). */
  command(line: string): Promise<string>;
  /** Stops the server and removes its directory. */
  close(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (address && typeof address === 'object' ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

/** One inline command over a raw socket; resolves with the whole reply once it stops arriving. */
function rawCommand(port: number, line: string, timeoutMs = 2000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port });
    let reply = '';
    let expected: number | undefined;
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`redis on port ${port} did not answer ${line.split(' ')[0]}`));
    }, timeoutMs);
    const done = () => {
      clearTimeout(timer);
      socket.end();
      resolve(reply);
    };
    socket.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
    socket.on('connect', () => socket.write(`${line}\r\n`));
    socket.on('data', (chunk) => {
      reply += chunk.toString('utf8');
      if (reply.startsWith('$')) {
        // Bulk string: $LEN\r\n...\r\n
        const header = reply.indexOf('\r\n');
        if (header > 0) expected ??= header + 2 + Number(reply.slice(1, header)) + 2;
        if (expected !== undefined && Buffer.byteLength(reply) >= expected) done();
      } else if (reply.endsWith('\r\n')) done();
    });
  });
}

async function untilPong(port: number, child: ChildProcess, output: () => string): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`redis-server exited (${child.exitCode}): ${output()}`);
    try {
      if ((await rawCommand(port, 'PING', 500)).startsWith('+PONG')) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`redis-server did not answer PING on port ${port}: ${output()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedis(options: RedisOptions = {}): Promise<TestRedis> {
  const dir = mkdtempSync(join(tmpdir(), 'cmpflow-redis-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  let output = '';

  const start = async () => {
    const args = ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', '--daemonize', 'no', '--protected-mode', 'yes'];
    args.push('--appendonly', options.persistence ? 'yes' : 'no');
    if (options.persistence) args.push('--appendfsync', 'always');
    output = '';
    const proc = spawn(REDIS_SERVER, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] });
    proc.stdout!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    proc.stderr!.on('data', (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
    child = proc;
    await untilPong(port, proc, () => output);
  };

  const stop = async (hard = false) => {
    const proc = child;
    child = undefined;
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    await exited;
  };

  await start();
  return {
    port,
    dir,
    url: (db = 0) => `redis://127.0.0.1:${port}/${db}`,
    stop,
    restart: async (hard = false) => {
      await stop(hard);
      await start();
    },
    command: (line) => rawCommand(port, line),
    close: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
