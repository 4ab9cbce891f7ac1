/**
 * Sessions per second against the embedded CA (createCmpServer + createThrowawayCa), PBM-protected
 * IRs with 1 to 1000 of them in flight. Three setups, each level in a fresh child process (so that
 * peak RSS is the level's own):
 *   direct: client and CA in one process, the client's Transfer calling server.handle();
 *   http:   client and CA in one process, over HTTP on loopback (listen());
 *   split:  the CA listening in a process of its own, the clients in another, one core each.
 */
import { spawn } from 'child_process';
import { compiledChild, runChild } from './support/child';
import { ROOT } from './support/dist';
import type { LoadResult } from './embedded-load';
import { fixed, megabytes, table } from './support/stats';

export type LoadMode = 'direct' | 'http' | 'split';

export interface ThroughputSettings {
  modes: LoadMode[];
  levels: number[];
  /** Sessions measured at a level: at least the level itself, so that every client runs once. */
  sessions(level: number): number;
  log(line: string): void;
}

export interface ThroughputRow extends LoadResult {
  setup: LoadMode;
  /** split only: the server process. */
  server?: { cpuMsPerSession: number; maxRssKb: number };
}

interface ServerChild {
  url: string;
  caCert: string;
  stop(): Promise<{ cpuMs: number; maxRssKb: number; requests: number }>;
}

async function startServerChild(): Promise<ServerChild> {
  const child = spawn(process.execPath, [compiledChild('embedded-server.ts')], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  const lines: string[] = [];
  const waiters: ((line: string) => void)[] = [];
  child.stdout.on('data', (b: Buffer) => {
    out += b.toString('utf8');
    let i: number;
    while ((i = out.indexOf('\n')) >= 0) {
      const line = out.slice(0, i);
      out = out.slice(i + 1);
      const waiter = waiters.shift();
      if (waiter) waiter(line);
      else lines.push(line);
    }
  });
  child.stderr.on('data', (b: Buffer) => (err += b.toString('utf8')));
  const nextLine = () =>
    new Promise<string>((resolve, reject) => {
      const line = lines.shift();
      if (line !== undefined) return resolve(line);
      waiters.push(resolve);
      child.once('exit', (code) => reject(new Error(`embedded-server exited (${code}):\n${err}`)));
    });
  const first = JSON.parse(await nextLine()) as { url: string; caCert: string };
  return {
    ...first,
    stop: async () => {
      child.stdin.end();
      return JSON.parse(await nextLine()) as { cpuMs: number; maxRssKb: number; requests: number };
    },
  };
}

export async function measureThroughput(settings: ThroughputSettings): Promise<ThroughputRow[]> {
  const rows: ThroughputRow[] = [];
  for (const setup of settings.modes) {
    for (const level of settings.levels) {
      const sessions = settings.sessions(level);
      const job = { concurrency: level, sessions, warmup: Math.min(level, 50) };
      let row: ThroughputRow;
      if (setup === 'split') {
        const server = await startServerChild();
        try {
          const r = await runChild<LoadResult>('embedded-load.ts', [
            JSON.stringify({ ...job, mode: 'remote', url: server.url, caCert: server.caCert }),
          ]);
          const s = await server.stop();
          // The server counts warm-up sessions too: two requests (ir, certConf) per session.
          const served = s.requests / 2;
          row = { ...r, setup, server: { cpuMsPerSession: s.cpuMs / served, maxRssKb: s.maxRssKb } };
        } catch (e) {
          await server.stop().catch(() => undefined);
          throw e;
        }
      } else {
        row = { ...(await runChild<LoadResult>('embedded-load.ts', [JSON.stringify({ ...job, mode: setup })])), setup };
      }
      rows.push(row);
      if (row.failed) settings.log(`${setup}, ${level} concurrent: ${row.failed} sessions failed, the first: ${row.firstFailure}`);
      settings.log(
        `${setup}, ${level} concurrent: ${fixed(row.sessionsPerSecond)} sessions/s, p50 ${fixed(row.p50Ms)} ms, p99 ${fixed(row.p99Ms)} ms, ` +
          `${fixed(row.cpuMsPerSession)} ms CPU/session, peak RSS ${megabytes(row.maxRssKb * 1024)}`,
      );
    }
  }
  return rows;
}

export function throughputTable(rows: ThroughputRow[]): string {
  const out = [['setup', 'concurrent sessions', 'sessions (failed)', 'sessions/s', 'p50 latency', 'p99 latency', 'CPU per session', 'peak RSS']];
  for (const r of rows) {
    const cpu = r.server ? `${fixed(r.cpuMsPerSession)} ms client + ${fixed(r.server.cpuMsPerSession)} ms server` : `${fixed(r.cpuMsPerSession)} ms`;
    const rss = r.server ? `${megabytes(r.maxRssKb * 1024)} client, ${megabytes(r.server.maxRssKb * 1024)} server` : megabytes(r.maxRssKb * 1024);
    out.push([
      r.setup,
      String(r.concurrency),
      `${r.sessions}${r.failed ? ` (${r.failed})` : ''}`,
      fixed(r.sessionsPerSecond),
      `${fixed(r.p50Ms)} ms`,
      `${fixed(r.p99Ms)} ms`,
      cpu,
      rss,
    ]);
  }
  return table(out);
}
