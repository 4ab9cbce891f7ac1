/**
 * A fleet worker process on a redis:// queue, as an operator's `cmpflow fleet work` would run:
 *   node run-ts.js redis-fleet-worker.ts QUEUE_URL CA_URL TRUSTED_PEM CONCURRENCY
 * The MAC secret comes from the environment (FLEET_SECRET), never from argv. It prints READY once
 * it works, and exits 0 when nothing is left to do or wait for.
 */
import { createJobHandler } from '../../../src/fleet/run-job';
import { openBullmqQueue } from '../../../src/fleet/bullmq-queue';

async function main(): Promise<void> {
  const [queueUrl, caUrl, trusted, concurrency] = process.argv.slice(3) as [string, string, string, string];
  const secret = process.env.FLEET_SECRET;
  if (!secret) throw new Error('FLEET_SECRET is not set');
  const queue = await openBullmqQueue(queueUrl);
  const handler = createJobHandler({
    prepare: async (spec) => ({
      client: { server: caUrl, ref: 'fleet-ref', secret, trusted, newKey: spec.options.newkey as string, subject: spec.options.subject as string },
      outputs: { certOut: spec.options.certout as string },
    }),
  });
  process.stdout.write('READY\n');
  await queue.work(handler, { concurrency: Number(concurrency), untilIdle: true });
  await queue.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
