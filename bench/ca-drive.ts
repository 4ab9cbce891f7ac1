/**
 * Driving a CMP server on 127.0.0.1 with `openssl cmp -repeat` PBM IR sessions (ir and certConf,
 * one connection each), for the CA benches that measure the server process (ca-ab.ts, ca-alloc.ts).
 */
import type { TestPki } from '../test/support/pki';
import { irCommandArgs } from './support/ir-command';
import { measureProcess } from './support/measure';

/** `sessions` IR sessions, one after another, from one client. */
export async function drive(pki: TestPki, port: number, sessions: number): Promise<void> {
  const run = await measureProcess('openssl', ['cmp', ...irCommandArgs(pki, port), '-repeat', String(sessions)], {
    cwd: pki.dir,
    timeoutMs: 3_600_000,
  });
  if (run.code !== 0) throw new Error(`openssl cmp failed:\n${run.stderr.slice(-2000)}`);
}

/**
 * A warm-up from 8 clients at once, as bench/ca-server.ts's: one client waits about 48 ms a session
 * on its own HTTP exchange, so 4,000 sessions from one client would take over three minutes.
 */
export async function warmUp(pki: TestPki, port: number, sessions: number): Promise<void> {
  const clients = 8;
  await Promise.all(Array.from({ length: clients }, (_, i) => drive(pki, port, Math.floor(sessions / clients) + (i < sessions % clients ? 1 : 0))));
}
