/**
 * One fleet worker process for bench/fleet.ts: the compiled fleet job handler on the redis://
 * queue. Opens the queue, prints READY, starts working when a line arrives on stdin, and exits
 * once nothing is left to do or wait for. The MAC secret comes from FLEET_SECRET, not argv.
 *
 *   node -r ts-node/register/transpile-only bench/fleet-worker.ts '{"queueUrl":...,"caUrl":...,"trusted":...,"ref":...,"concurrency":N}'
 */
import 'reflect-metadata';
import type * as BullmqQueue from '../src/fleet/bullmq-queue';
import type * as RunJob from '../src/fleet/run-job';
import { requireDist } from './support/dist';

interface WorkerArgs {
  queueUrl: string;
  caUrl: string;
  trusted: string;
  ref: string;
  concurrency: number;
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as WorkerArgs;
  const secret = process.env.FLEET_SECRET;
  if (!secret) throw new Error('FLEET_SECRET is not set');
  const { openBullmqQueue } = requireDist<typeof BullmqQueue>('src/fleet/bullmq-queue');
  const { createJobHandler } = requireDist<typeof RunJob>('src/fleet/run-job');
  const queue = await openBullmqQueue(args.queueUrl);
  const handler = createJobHandler({
    prepare: async (spec) => ({
      client: {
        server: args.caUrl,
        ref: args.ref,
        secret,
        trusted: args.trusted,
        newKey: spec.options.newkey as string,
        subject: spec.options.subject as string,
      },
      outputs: { certOut: spec.options.certout as string },
    }),
  });
  process.stdout.write('READY\n');
  await new Promise<void>((resolve) => process.stdin.once('data', () => resolve()));
  await queue.work(handler, { concurrency: args.concurrency, untilIdle: true });
  await queue.close();
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    process.exit(1);
  },
);
