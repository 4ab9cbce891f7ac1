/**
 * The floor under a Node.js CMP client of the openssl mock: an HTTP client alone POSTing request
 * bytes that `openssl cmp -reqout` saved and reading each answer whole, no CMP at all. Two clients
 * (bench/transport-clients.ts): `node:http` (an agent per transaction), the floor under any Node
 * client, and `cmpflow`, cmpflow's own transfer from the measured build (createHttpTransfer: plain
 * HTTP over node:net with its response reader, its limits and headers), the floor under cmpflow.
 * A transaction is one connection (the mock closes it after each, and so do both clients), carrying
 * the transaction's requests in turn: one for a GENM, two for a PBM IR (ir, certConf). The mock
 * may answer replayed bytes with an error message; what is measured is the client's CPU for the
 * HTTP exchanges, which is the same whatever the answer says.
 *
 * Child program (bench/support/child.ts): argv[2] is JSON { port, requests: [file...], transactions, client }.
 * Runs `transactions` cold (a fresh process, as a `-repeat` command's sessions are), then as many
 * warm, and reports the CPU (process.cpuUsage: all threads) and wall time of each half.
 */
import { readFileSync } from 'fs';
import { report } from './support/child';
import { httpClient, transportClient, type Transaction } from './transport-clients';

export type FloorClient = 'node:http' | 'cmpflow';

interface FloorArgs {
  port: number;
  requests: string[];
  transactions: number;
  client: FloorClient;
}

export interface HttpFloorResult {
  cold: { cpuMsPerTransaction: number; wallMsPerTransaction: number };
  warm: { cpuMsPerTransaction: number; wallMsPerTransaction: number };
}

async function timed(n: number, transaction: Transaction): Promise<{ cpuMsPerTransaction: number; wallMsPerTransaction: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await transaction();
  const used = process.cpuUsage(cpu);
  return {
    cpuMsPerTransaction: (used.user + used.system) / 1000 / n,
    wallMsPerTransaction: Number(process.hrtime.bigint() - start) / 1e6 / n,
  };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as FloorArgs;
  const requests = args.requests.map((f) => readFileSync(f));
  // The body types the CMP client gives: the ir keeps its connection for the certConf.
  const bodyTypes = requests.length > 1 ? ['ir', 'certConf'] : ['genm'];
  const transaction = args.client === 'cmpflow' ? transportClient(args.port, requests, bodyTypes) : httpClient(args.port, requests);
  const cold = await timed(args.transactions, transaction);
  const warm = await timed(args.transactions, transaction);
  report({ cold, warm } satisfies HttpFloorResult);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
