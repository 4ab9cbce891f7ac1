/**
 * Driving a CMP server on 127.0.0.1 with `openssl cmp -repeat` PBM IR sessions (ir and certConf,
 * one connection each), for the CA benches that measure the server process (ca-server.ts,
 * ca-ab.ts, ca-alloc.ts).
 */
import type { TestPki } from '../test/support/pki';
import { irCommandArgs } from './support/ir-command';
import { measureProcess } from './support/measure';

/** The warm-up's clients at once. */
export const WARMUP_CLIENTS = 8;

/** `sessions` IR sessions, one after another, from one client. */
export async function drive(pki: TestPki, port: number, sessions: number, name = 'the server'): Promise<void> {
  const run = await measureProcess('openssl', ['cmp', ...irCommandArgs(pki, port), '-repeat', String(sessions)], {
    cwd: pki.dir,
    timeoutMs: 3_600_000,
  });
  if (run.code !== 0) throw new Error(`openssl cmp against ${name} failed:\n${run.stderr.slice(-2000)}`);
}

/**
 * The warm-up's sessions from parallel `openssl cmp -repeat` processes: one client waits about 48 ms
 * a session on its own HTTP exchange, so 4,000 sessions one after another took over three minutes a
 * server. The server does the same work either way; concurrent clients only fill those waits.
 */
export async function warmUp(pki: TestPki, port: number, sessions: number, name?: string): Promise<void> {
  const clients = Math.min(WARMUP_CLIENTS, sessions);
  await Promise.all(
    Array.from({ length: clients }, (_, i) => drive(pki, port, Math.floor(sessions / clients) + (i < sessions % clients ? 1 : 0), name)),
  );
}
