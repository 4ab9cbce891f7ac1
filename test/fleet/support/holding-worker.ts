/**
 * A worker process for the stalled-job test: it takes one job from the redis:// queue in argv[3] (after run-ts.js's script),
 * checkpoints a session as a real handler does before a request goes out, prints `HOLDING <id>`,
 * and then never finishes, so the test can kill -9 it mid-exchange.
 */
import { openBullmqQueue } from '../../../src/fleet/bullmq-queue';
import type { PersistedSession } from '../../../src/session/snapshot';

async function main(): Promise<void> {
  const queue = await openBullmqQueue(process.argv[3]!);
  await queue.work(async (job) => {
    const session = {
      format: 'cmpflow-session',
      machine: 'enrollment',
      version: 1,
      savedAt: new Date().toISOString(),
      snapshot: { step: 'ir sent', by: process.pid },
    } as PersistedSession;
    // What run-job saves before the ir goes out: the fixed transactionID and the message itself.
    await job.save({ transactionId: 'a1b2c3d4', session, exchanges: [{ bodyType: 'ir', request: 'MAA=' }] });
    process.stdout.write(`HOLDING ${job.record.spec.id}\n`);
    return new Promise(() => undefined);
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
