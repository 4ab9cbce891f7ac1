/**
 * The library's PBM IR session services alone (library-floor.ts's `services` mode: build, exchange,
 * check, accept, then the certConf's round trip, no XState), N sessions in one process, for a
 * load-independent count: `valgrind --tool=callgrind` of a process running N sessions and of one
 * running 2N, the difference over N being one warm session's instructions. The PKI and the
 * `openssl cmp -port 0` mock live in another process, so that only the client is counted:
 *
 *   npx ts-node --transpile-only bench/services-sessions.ts serve        # prints the run's env, serves until killed
 *   CMPFLOW_SESSIONS_SERVER=... node services-sessions.js run N [warmup]  # this file bundled (esbuild), under valgrind
 *
 * `run` prints the CPU of its N sessions (process.cpuUsage) and the instructions are callgrind's.
 * Measures dist/ (or CMPFLOW_BENCH_DIST), like the other benchmarks.
 */
import 'reflect-metadata';
import { writeFileSync } from 'fs';
import type * as Setup from '../src/client/setup';
import type { CmpClientOptions } from '../src/options';
import { requireDist } from './support/dist';
import { irWithoutXstate } from './support/services-session';

interface ServerInfo {
  options: CmpClientOptions;
}

async function serve(): Promise<void> {
  const { makeTestPki } = await import('../test/support/pki');
  const { startMockServer } = await import('../test/support/openssl');
  const { mockServerArgs, scenarios } = await import('./openssl-comparison');
  const pki = await makeTestPki();
  const mock = await startMockServer(mockServerArgs(pki), { cwd: pki.dir });
  const options = scenarios.find((s) => s.name === 'IR, PBM')!.options(pki, `127.0.0.1:${mock.port}/pkix/`);
  const info: ServerInfo = { options };
  process.stdout.write(`CMPFLOW_SESSIONS_SERVER='${JSON.stringify(info)}'\n`);
  const stop = () => void mock.stop().then(() => process.exit(0));
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  setInterval(() => undefined, 1 << 30);
}

async function run(n: number, warmup: number): Promise<void> {
  const info = JSON.parse(process.env.CMPFLOW_SESSIONS_SERVER ?? '') as ServerInfo;
  const { setupClient } = requireDist<typeof Setup>('src/client/setup');
  const setup = await setupClient(info.options);
  // A directory to keep the last session's responses in (base64), for decoding benchmarks.
  const save = process.env.CMPFLOW_SESSIONS_SAVE;

  const hooks = save ? { received: (der: string, bodyType: string) => writeFileSync(`${save}/${bodyType}-response.b64`, der) } : {};
  const session = () => irWithoutXstate(setup, hooks);
  for (let i = 0; i < warmup; i++) await session();
  // A mark between warm-up and measured sessions for --trace-opt / --trace-deopt output.
  if (process.env.CMPFLOW_SESSIONS_MARK) process.stdout.write('-- measured sessions start --\n');
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) await session();
  const used = process.cpuUsage(before);
  process.stdout.write(`${n} sessions: ${((used.user + used.system) / 1000 / n).toFixed(3)} ms CPU per session\n`);
}

if (require.main === module) {
  const [mode, n = '100', warmup = '0'] = process.argv.slice(2);
  (mode === 'serve' ? serve() : run(Number(n), Number(warmup))).catch((e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exitCode = 1;
  });
}
