/**
 * The embedded CA as a server (issue #22): its CPU per PBM-protected IR session beside OpenSSL's
 * mock server's, the same client (`openssl cmp -repeat N`) driving each, and each server's
 * process CPU read from /proc/PID/stat before and after (worker threads included: they are
 * threads of the one process); each round also drives the server with `cmpflow -repeat N`, which
 * does not pause between messages as openssl's client does (runCmpflowClient). Then the
 * throughput of the CA at 1 and 2 worker threads (`cmpflow -port 0 -srv_workers K`) under the
 * compiled library client with many sessions in flight, in a process of its own.
 */
import { spawn, type ChildProcess } from 'child_process';
import { readdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import * as os from 'os';
import { makeTestPki, type TestPki } from '../test/support/pki';
import { startMockServer } from '../test/support/openssl';
import { listeningPort, runChild } from './support/child';
import { BENCH_SECRET, irCommandArgs } from './support/ir-command';
import { CLI, DIST } from './support/dist';
import type { CapacityResult } from './ca-capacity';
import type { LoadResult } from './embedded-load';
import { mockServerArgs } from './openssl-comparison';
import { measureProcess } from './support/measure';
import { withoutExtraCaCerts } from './support/node-env';
import { WARMUP_CLIENTS, warmUp } from './ca-drive';
import { fixed, median, ratio, table } from './support/stats';

const SECRET = BENCH_SECRET;
const TICK_MS = 1000 / 100; // USER_HZ, 100 on Linux

/** User + system CPU of a process (all its threads) so far, in ms. */
function processCpuMs(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name may hold spaces and parentheses: count fields from the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * TICK_MS;
}

/** User + system CPU of each thread of a process so far, in ms, by thread id. */
function threadCpuMs(pid: number): Map<string, number> {
  const out = new Map<string, number>();
  for (const tid of readdirSync(`/proc/${pid}/task`)) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      out.set(tid, (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // The thread ended between listing and reading.
    }
  }
  return out;
}

interface RunningServer {
  name: string;
  port: number;
  pid: number;
  stop(): Promise<void>;
}

/** `node bin/cmpflow.js -port 0 <args>`, once it has printed its ACCEPT line. */
async function startCmpflowServer(name: string, args: string[], cwd: string): Promise<RunningServer> {
  const child: ChildProcess = spawn(process.execPath, [CLI, '-config', '', '-port', '0', ...args], { cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  const port = await listeningPort(child, /ACCEPT \S*:(\d+) PID=/, name, 60_000);
  return {
    name,
    port,
    pid: child.pid!,
    stop: () =>
      new Promise<void>((resolve) => {
        if (child.exitCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}

export interface CaCpuRow {
  server: string;
  /** Server process CPU per session, median over rounds. */
  cpuMsPerSession: number;
  rounds: number[];
  /** The client's wall time per session (openssl cmp -repeat). */
  wallMsPerSession: number;
  /** The same server driven by `cmpflow -repeat` (rounds alternating with openssl's), when measured. */
  unpaused?: { cpuMsPerSession: number; rounds: number[]; wallMsPerSession: number };
}

export interface CaThroughputRow {
  server: string;
  concurrency: number;
  sessions: number;
  failed: number;
  sessionsPerSecond: number;
  serverCpuMsPerSession: number;
  clientCpuMsPerSession: number;
  p50Ms: number;
  p99Ms: number;
}

export interface CaOpensslLoadRow {
  server: string;
  /** openssl cmp processes at once, each running -repeat `repeat`. */
  clients: number;
  repeat: number;
  sessionsPerSecond: number;
  serverCpuMsPerSession: number;
  /** CPU of the server's busiest thread over the run's wall time: below 1, that thread had time to spare. */
  busiestThreadShare: number;
}

export interface CaBenchResult {
  repeat: number;
  cpu: CaCpuRow[];
  throughput: CaThroughputRow[];
  /** The same servers driven by parallel `openssl cmp` processes, whose client CPU per session is lower than the library's. */
  opensslLoad: CaOpensslLoadRow[];
  /** The CA alone, requests built beforehand and handed to it in process (ca-capacity.ts): one thread, 1 and 2 workers. */
  capacity: CapacityResult[];
  /** 1-minute load average before and after: other processes on the machine share its cores. */
  load: [number, number];
  commands: { client: string; servers: Record<string, string> };
}

export interface CaBenchSettings {
  repeat: number;
  rounds: number;
  concurrency: number;
  sessions: number;
  /** Parallel openssl cmp processes for opensslLoad, and -repeat of each. */
  opensslClients: number;
  opensslRepeat: number;
  /** IR sessions of each capacity run (the CA alone, no client competing). */
  capacitySessions: number;
  log(line: string): void;
}

function clientArgs(pki: TestPki, port: number, repeat: number): string[] {
  return ['cmp', ...irCommandArgs(pki, port), '-repeat', String(repeat)];
}

/**
 * openssl's client waits about 40 ms in each session's HTTP exchange, so a server it drives idles
 * about 20 ms before each request, and on the fifteenth session's host a CPU that has idled runs a
 * JavaScript server's request far slower for a while (docs/benchmarks.md, "Fifteenth session: the
 * embedded CA's cost"): the same options from `cmpflow -repeat`, which does not pause, measure
 * each server kept busy. NODE_EXTRA_CA_CERTS is left out, as in the start-up rows.
 */
async function runCmpflowClient(pki: TestPki, port: number, repeat: number) {
  return measureProcess(process.execPath, [CLI, ...irCommandArgs(pki, port), '-repeat', String(repeat)], {
    cwd: pki.dir,
    env: withoutExtraCaCerts(),
  });
}

/**
 * The floor under any Node.js CA over HTTP: a server answering fixed bytes, no CMP at all. Each
 * "session" is what `openssl cmp` sends for an IR with the CA: one connection carrying two POSTs
 * (ir, certConf) of about a kilobyte, here sent by curl, with 1,500 bytes back each time. The
 * server's process CPU per connection. `program` is run with `node -e` and prints an ACCEPT line.
 */
async function fixedBytesFloor(server: string, program: string, connections: number, warmup: number, dir: string): Promise<CaCpuRow> {
  const child = spawn(process.execPath, ['-e', program], { cwd: dir, stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString('utf8');
        const m = /ACCEPT \S*:(\d+) PID=/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`the floor server (${server}) exited (${code})`)));
    });
    const body = path.join(dir, 'floor-request.der');
    writeFileSync(body, new Uint8Array(1100).fill(0x30));
    const url = `http://127.0.0.1:${port}/pkix/`;
    const post = ['-s', '-o', '/dev/null', '-H', 'Content-Type: application/pkixcmp', '--data-binary', `@${body}`, url];
    const curl = [...post, '--next', ...post];
    for (let i = 0; i < warmup; i++) await measureProcess('curl', curl);
    const before = processCpuMs(child.pid!);
    for (let i = 0; i < connections; i++) {
      const run = await measureProcess('curl', curl);
      if (run.code !== 0) throw new Error(`curl against the floor server (${server}) failed:\n${run.stderr}`);
    }
    const perConnection = (processCpuMs(child.pid!) - before) / connections;
    return {
      server: `${server} (fixed bytes, ${connections} connections of 2 POSTs by curl)`,
      cpuMsPerSession: perConnection,
      rounds: [perConnection],
      wallMsPerSession: 0,
    };
  } finally {
    child.kill('SIGTERM');
  }
}

/** cmpflow's own listener (src/server/http.ts, node:http with its limits) answering fixed bytes. */
export function nodeHttpFloor(connections: number, warmup: number, dir: string): Promise<CaCpuRow> {
  const program = `const { listen } = require(${JSON.stringify(path.join(DIST, 'src', 'server', 'http'))});
const answer = new Uint8Array(1500).fill(0x30);
listen({ handle: async () => answer, maxMsgs: 0 }).then((l) => console.log('ACCEPT 127.0.0.1:' + l.port + ' PID=' + process.pid));`;
  return fixedBytesFloor("node:http alone (cmpflow's listener)", program, connections, warmup, dir);
}

/*
 * The cheapest a Node.js server can be: node:net, each request read to the end of its headers and
 * its Content-Length, answered with fixed bytes, connections kept open. It enforces none of the
 * listener's limits and parses only what curl sends: a measure of what node:http itself costs per
 * connection, not a server to use.
 */
const RAW_NET_PROGRAM = `const net = require('net');
const answer = Buffer.alloc(1500, 0x30);
const head = Buffer.from('HTTP/1.1 200 OK\\r\\nContent-Type: application/pkixcmp\\r\\nContent-Length: 1500\\r\\nCache-Control: no-cache\\r\\n\\r\\n', 'latin1');
const reply = Buffer.concat([head, answer]);
const server = net.createServer({ noDelay: true }, (socket) => {
  let pending = Buffer.alloc(0);
  socket.on('data', (data) => {
    pending = pending.length ? Buffer.concat([pending, data]) : data;
    for (;;) {
      const end = pending.indexOf('\\r\\n\\r\\n');
      if (end < 0) return;
      const m = /\\r\\ncontent-length:[ \\t]*(\\d+)/i.exec(pending.toString('latin1', 0, end));
      const length = m ? Number(m[1]) : 0;
      if (pending.length < end + 4 + length) return;
      pending = pending.subarray(end + 4 + length);
      socket.write(reply);
    }
  });
  socket.on('error', () => undefined);
});
server.listen(0, '127.0.0.1', () => console.log('ACCEPT 127.0.0.1:' + server.address().port + ' PID=' + process.pid));`;

export function rawNetFloor(connections: number, warmup: number, dir: string): Promise<CaCpuRow> {
  return fixedBytesFloor('node:net, a raw server reading Content-Length, no limits', RAW_NET_PROGRAM, connections, warmup, dir);
}

/** Untimed connections each floor server answers before it is measured: three rounds' worth, at least 20. */
export function warmupSessions(settings: Pick<CaBenchSettings, 'repeat'>): number {
  return Math.max(20, 3 * settings.repeat);
}

/**
 * Untimed IR sessions each CMP server answers before its rounds: 4,000 at -repeat 300, fewer for a
 * quicker run. A function that runs once per session is optimised only after a thousand sessions
 * or more: under callgrind the CA's TurboFan threads still compiled 1.0 to 2.1 M instructions per
 * session over sessions 900 to 1,200 (the old warm-up of three rounds), none over 4,000 to 4,200,
 * where the CA executes 7.6 M instructions per session against 9.0 to 11.4 M (docs/benchmarks.md,
 * eighth session). The rounds measure a server in its steady state.
 */
export function serverWarmupSessions(settings: Pick<CaBenchSettings, 'repeat'>): number {
  return Math.max(warmupSessions(settings), Math.min(4000, 14 * settings.repeat));
}

export async function benchCaServer(settings: CaBenchSettings): Promise<CaBenchResult> {
  const loadBefore = os.loadavg()[0]!;
  const pki = await makeTestPki();
  const common = mockServerArgs(pki);
  // OpenSSL's mock hands out a fixed certificate (-rsp_cert); so does the first cmpflow server,
  // with the very same options. The CA issues a real one, from a throwaway CA.
  const fixedAnswers = common;
  const issuing = common.slice(0, common.indexOf('-rsp_cert'));
  const servers: { name: string; start: () => Promise<RunningServer> }[] = [
    {
      name: 'openssl cmp -port 0 (mock, fixed certificate)',
      start: async () => {
        const m = await startMockServer(fixedAnswers, { cwd: pki.dir });
        return { name: 'openssl', port: m.port, pid: m.pid, stop: () => m.stop() };
      },
    },
    { name: 'cmpflow -port 0 (same options, fixed certificate)', start: () => startCmpflowServer('cmpflow fixed', fixedAnswers, pki.dir) },
    { name: 'cmpflow -port 0 (embedded CA, issuing)', start: () => startCmpflowServer('cmpflow CA', issuing, pki.dir) },
    {
      name: 'cmpflow -port 0 -srv_workers 2 (embedded CA, issuing)',
      start: () => startCmpflowServer('cmpflow CA x2', [...issuing, '-srv_workers', '2'], pki.dir),
    },
  ];
  const cpu: CaCpuRow[] = [];
  const throughput: CaThroughputRow[] = [];
  const opensslLoad: CaOpensslLoadRow[] = [];
  const capacity: CapacityResult[] = [];
  try {
    for (const s of servers) {
      const server = await s.start();
      try {
        // Untimed: the server's first sessions load and compile what it needs (serverWarmupSessions).
        await warmUp(pki, server.port, serverWarmupSessions(settings), s.name);
        const rounds: number[] = [];
        const walls: number[] = [];
        const unpaused: number[] = [];
        const unpausedWalls: number[] = [];
        // Each round: openssl's client, then cmpflow's, so that drift of the machine weighs on both.
        // The server's CPU and the client's wall time per session while `client` drives it.
        const perSession = async (client: string, drive: () => ReturnType<typeof measureProcess>) => {
          const before = processCpuMs(server.pid);
          const run = await drive();
          const cpuMs = (processCpuMs(server.pid) - before) / settings.repeat;
          if (run.code !== 0) throw new Error(`${client} against ${s.name} failed:\n${run.stderr}`);
          return { cpuMs, wallMs: run.wallMs / settings.repeat };
        };
        for (let round = 0; round < settings.rounds; round++) {
          const theirs = await perSession('openssl cmp', () =>
            measureProcess('openssl', clientArgs(pki, server.port, settings.repeat), { cwd: pki.dir }),
          );
          rounds.push(theirs.cpuMs);
          walls.push(theirs.wallMs);
          const ours = await perSession('cmpflow -repeat', () => runCmpflowClient(pki, server.port, settings.repeat));
          unpaused.push(ours.cpuMs);
          unpausedWalls.push(ours.wallMs);
          settings.log(
            `${s.name}, round ${round + 1}: ${fixed(theirs.cpuMs, 2)} ms server CPU per session (openssl's client), ${fixed(ours.cpuMs, 2)} ms (cmpflow's)`,
          );
        }
        cpu.push({
          server: s.name,
          cpuMsPerSession: median(rounds),
          rounds,
          wallMsPerSession: median(walls),
          unpaused: { cpuMsPerSession: median(unpaused), rounds: unpaused, wallMsPerSession: median(unpausedWalls) },
        });
      } finally {
        await server.stop();
      }
    }

    // The two floors alternate, rounds as the servers above, so that the machine's load weighs on both alike.
    const floors: CaCpuRow[][] = [[], []];
    for (let round = 0; round < settings.rounds; round++) {
      floors[0]!.push(await nodeHttpFloor(settings.repeat, warmupSessions(settings), pki.dir));
      floors[1]!.push(await rawNetFloor(settings.repeat, warmupSessions(settings), pki.dir));
    }
    for (const runs of floors) {
      const rounds = runs.map((r) => r.cpuMsPerSession);
      const floor: CaCpuRow = { ...runs[0]!, cpuMsPerSession: median(rounds), rounds };
      cpu.push(floor);
      settings.log(`${floor.server}: ${fixed(floor.cpuMsPerSession, 2)} ms CPU per connection`);
    }

    for (const workers of [undefined, 1, 2]) {
      const name = workers === undefined ? 'cmpflow -port 0 (one thread)' : `cmpflow -port 0 -srv_workers ${workers}`;
      const server = await startCmpflowServer(name, [...issuing, ...(workers ? ['-srv_workers', String(workers)] : [])], pki.dir);
      try {
        const job = {
          mode: 'remote',
          url: `http://127.0.0.1:${server.port}/pkix/`,
          caCert: '',
          ref: 'client-ref',
          secret: SECRET,
          subject: '/CN=cmpflow bench device',
          concurrency: settings.concurrency,
          sessions: settings.sessions,
          warmup: Math.min(settings.concurrency, 50),
        };
        const before = processCpuMs(server.pid);
        const r = await runChild<LoadResult>('embedded-load.ts', [JSON.stringify(job)]);
        // Warm-up sessions are served too: the server's CPU is divided by all it served.
        const used = processCpuMs(server.pid) - before;
        const row: CaThroughputRow = {
          server: name,
          concurrency: settings.concurrency,
          sessions: r.sessions,
          failed: r.failed,
          sessionsPerSecond: r.sessionsPerSecond,
          serverCpuMsPerSession: used / (r.sessions + r.failed + job.warmup),
          clientCpuMsPerSession: r.cpuMsPerSession,
          p50Ms: r.p50Ms,
          p99Ms: r.p99Ms,
        };
        throughput.push(row);
        settings.log(
          `${name}, ${settings.concurrency} in flight: ${fixed(row.sessionsPerSecond)} sessions/s, server ${fixed(row.serverCpuMsPerSession, 2)} ms CPU/session` +
            (r.failed ? `, ${r.failed} failed: ${r.firstFailure}` : ''),
        );
        // Then parallel openssl clients (the server warm now): they cost the machine less CPU per session than the library client.
        {
          const before = processCpuMs(server.pid);
          const threadsBefore = threadCpuMs(server.pid);
          const started = performance.now();
          const runs = await Promise.all(
            Array.from({ length: settings.opensslClients }, () =>
              measureProcess('openssl', clientArgs(pki, server.port, settings.opensslRepeat), { cwd: pki.dir }),
            ),
          );
          const wall = performance.now() - started;
          const used = processCpuMs(server.pid) - before;
          const busiest = Math.max(...[...threadCpuMs(server.pid)].map(([tid, ms]) => ms - (threadsBefore.get(tid) ?? 0)));
          const failed = runs.filter((r) => r.code !== 0);
          if (failed.length) throw new Error(`openssl cmp against ${name} failed:\n${failed[0]!.stderr}`);
          const sessions = settings.opensslClients * settings.opensslRepeat;
          const row: CaOpensslLoadRow = {
            server: name,
            clients: settings.opensslClients,
            repeat: settings.opensslRepeat,
            sessionsPerSecond: (sessions / wall) * 1000,
            serverCpuMsPerSession: used / sessions,
            busiestThreadShare: busiest / wall,
          };
          opensslLoad.push(row);
          settings.log(
            `${name}, ${row.clients} openssl clients: ${fixed(row.sessionsPerSecond)} sessions/s, server ${fixed(row.serverCpuMsPerSession, 2)} ms CPU/session`,
          );
        }
      } finally {
        await server.stop();
      }
    }
    for (const workers of [0, 1, 2]) {
      const r = await runChild<CapacityResult>('ca-capacity.ts', [JSON.stringify({ workers, sessions: settings.capacitySessions, inFlight: 64 })]);
      capacity.push(r);
      settings.log(
        `the CA alone, ${workers ? `${workers} worker(s)` : 'one thread'}: ${fixed(r.sessionsPerSecond)} sessions/s, ${fixed(r.cpuMsPerSession, 2)} ms CPU/session`,
      );
    }
  } finally {
    await pki.cleanup();
  }
  const rel = (a: string[]) => a.map((x) => (x.startsWith(pki.dir) ? x.slice(pki.dir.length + 1) : x)).join(' ');
  return {
    repeat: settings.repeat,
    cpu,
    throughput,
    opensslLoad,
    capacity,
    load: [loadBefore, os.loadavg()[0]!],
    commands: {
      client: `openssl ${rel(clientArgs(pki, 0, settings.repeat)).replace('127.0.0.1:0', '127.0.0.1:PORT')}`,
      servers: {
        openssl: `openssl cmp -config '' -port 0 ${rel(fixedAnswers)}`,
        cmpflowFixed: `node bin/cmpflow.js -config '' -port 0 ${rel(fixedAnswers)}`,
        cmpflowCa: `node bin/cmpflow.js -config '' -port 0 ${rel(issuing)} [-srv_workers K]`,
      },
    },
  };
}

export function caTables(r: CaBenchResult): string {
  const openssl = r.cpu[0]!.cpuMsPerSession;
  const mockUnpaused = r.cpu[0]!.unpaused?.cpuMsPerSession;
  const cpu = [
    [
      'server',
      'server CPU per IR session',
      'against OpenSSL mock',
      'rounds',
      'client wall per session',
      'driven by cmpflow -repeat (no pause): server CPU',
      'against OpenSSL mock',
      'rounds',
      'client wall',
    ],
  ];
  for (const row of r.cpu) {
    const u = row.unpaused;
    cpu.push([
      row.server,
      `${fixed(row.cpuMsPerSession, 2)} ms`,
      ratio(row.cpuMsPerSession, openssl),
      row.rounds.map((x) => fixed(x, 2)).join(', '),
      row.wallMsPerSession ? `${fixed(row.wallMsPerSession)} ms` : '-',
      u ? `${fixed(u.cpuMsPerSession, 2)} ms` : '-',
      u && mockUnpaused ? ratio(u.cpuMsPerSession, mockUnpaused) : '-',
      u ? u.rounds.map((x) => fixed(x, 2)).join(', ') : '-',
      u ? `${fixed(u.wallMsPerSession)} ms` : '-',
    ]);
  }
  const tp = [['server', 'in flight', 'sessions (failed)', 'sessions/s', 'server CPU per session', 'client CPU per session', 'p50', 'p99']];
  for (const row of r.throughput) {
    tp.push([
      row.server,
      String(row.concurrency),
      `${row.sessions}${row.failed ? ` (${row.failed})` : ''}`,
      fixed(row.sessionsPerSecond),
      `${fixed(row.serverCpuMsPerSession, 2)} ms`,
      `${fixed(row.clientCpuMsPerSession, 2)} ms`,
      `${fixed(row.p50Ms)} ms`,
      `${fixed(row.p99Ms)} ms`,
    ]);
  }
  const ol = [['server', 'openssl cmp processes at once', 'sessions', 'sessions/s', 'server CPU per session', 'busiest server thread']];
  for (const row of r.opensslLoad) {
    ol.push([
      row.server,
      String(row.clients),
      String(row.clients * row.repeat),
      fixed(row.sessionsPerSecond),
      `${fixed(row.serverCpuMsPerSession, 2)} ms`,
      `${fixed(row.busiestThreadShare * 100, 0)}% of a core`,
    ]);
  }
  const cap = [['the CA alone (ir with implicit confirmation, in process)', 'sessions', 'sessions/s', 'CPU per session']];
  for (const row of r.capacity) {
    cap.push([
      row.workers ? `createCmpCluster, ${row.workers} worker(s)` : 'createCmpServer (one thread)',
      String(row.sessions),
      fixed(row.sessionsPerSecond),
      `${fixed(row.cpuMsPerSession, 2)} ms`,
    ]);
  }
  const load = `Each CMP server of the first table answered ${serverWarmupSessions(r)} untimed sessions before its rounds (from ${WARMUP_CLIENTS} openssl clients at once), each floor ${warmupSessions(r)} connections. 1-minute load average ${fixed(r.load[0], 1)} before, ${fixed(r.load[1], 1)} after (${os.cpus().length} CPUs).`;
  return `${table(cpu)}\n\nThroughput, the compiled library client (\`CmpClient\`, one per session in flight) in a process of its own:\n\n${table(tp)}\n\nThroughput, parallel \`openssl cmp -repeat\` processes:\n\n${table(ol)}\n\nCapacity, the CA alone: IRs built beforehand, 64 at a time handed to \`handle()\`:\n\n${table(cap)}\n\n${load}`;
}
