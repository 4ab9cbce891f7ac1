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
  const job = JSON.parse(process.argv[2]!) as { workers: number; devices: number; perClientLimit?: boolean };
  const { createCmpServer, createCmpCluster, createThrowawayCa, listen } = requireDist<typeof Server>('src/server');
  const ca = await createThrowawayCa();
  const secrets = Array.from({ length: job.devices }, (_, i) => ({ ref: deviceRef(i), secret: deviceSecret(i) }));
  // Up to 6c99926, once a server remembered more finished transactions than
  // maxTransactionsPerClient (default 2,000), each new transaction counted its client's open ones
  // through all of them, a cost growing with the sessions served; the limit raised keeps builds
  // before and after comparable (`perClientLimit` false measures the default).
  const perClient = job.perClientLimit === false ? {} : { maxTransactionsPerClient: 1_000_000 };
  const config = { ...ca.serverConfig(), secrets, grantImplicitConf: true, maxTransactions: 1_000_000, ...perClient };
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
