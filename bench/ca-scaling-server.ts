/**
 * Child program: the embedded CA over HTTP for ca-scaling.ts, as one thread (`workers` 0) or a
 * cluster of worker threads, knowing the reference and secret of every device ca-replay.ts built
 * IRs for. Prints `READY <port>` once it listens; stops on SIGTERM.
 *
 *   ca-scaling-server.ts '{"workers": 0|1|2, "devices": 6000}'
 */
import 'reflect-metadata';
import type * as Server from '../src/server';
import { deviceRef, deviceSecret } from './ca-replay';
import { requireDist } from './support/dist';

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as { workers: number; devices: number; wideLimits?: boolean };
  const { createCmpServer, createCmpCluster, createThrowawayCa, listen } = requireDist<typeof Server>('src/server');
  const ca = await createThrowawayCa();
  const secrets = Array.from({ length: job.devices }, (_, i) => ({ ref: deviceRef(i), secret: deviceSecret(i) }));
  // The transaction limits as shipped (maxTransactions 10,000, 2,000 per client): a run of
  // 10,000 sessions fills the store with finished transactions, as an hour of a busy CA does, and
  // measures the room made for each new one. `wideLimits` measures the store never full instead.
  const limits = job.wideLimits ? { maxTransactions: 1_000_000, maxTransactionsPerClient: 1_000_000 } : {};
  const config = { ...ca.serverConfig(), secrets, grantImplicitConf: true, ...limits };
  const server = job.workers === 0 ? createCmpServer(config) : createCmpCluster(config, { workers: job.workers });
  await server.ready();
  const listener = await listen(server, { maxMsgs: 0 });
  process.stdout.write(`READY ${listener.port}\n`);
  process.once('SIGTERM', () => {
    void (async () => {
      await listener.close();
      await server.close();
      await ca.cleanup();
      process.exit(0);
    })();
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
