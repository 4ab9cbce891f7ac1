/**
 * The floor under any Node.js CMP client of the openssl mock: node:http alone POSTing request bytes
 * that `openssl cmp -reqout` saved and reading each answer whole, no CMP at all. A transaction is
 * one connection (the mock closes it after each, and so do both clients), carrying the transaction's
 * requests in turn: one for a GENM, two for a PBM IR (ir, certConf). The mock may answer replayed
 * bytes with an error message; what is measured is the client's CPU for the HTTP exchanges, which
 * is the same whatever the answer says.
 *
 * Child program (bench/support/child.ts): argv[2] is JSON { port, requests: [file...], transactions }.
 * Runs `transactions` cold (a fresh process, as a `-repeat` command's sessions are), then as many
 * warm, and reports the CPU (process.cpuUsage: all threads) and wall time of each half.
 */
import * as http from 'http';
import { readFileSync } from 'fs';
import { report } from './support/child';

interface FloorArgs {
  port: number;
  requests: string[];
  transactions: number;
}

export interface HttpFloorResult {
  cold: { cpuMsPerTransaction: number; wallMsPerTransaction: number };
  warm: { cpuMsPerTransaction: number; wallMsPerTransaction: number };
  /** Status codes seen, with their counts (the mock answers 200 with a CMP message, errors included). */
  statuses: Record<string, number>;
}

const statuses: Record<string, number> = {};

function post(agent: http.Agent, port: number, body: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: '127.0.0.1',
        port,
        path: '/pkix/',
        method: 'POST',
        agent,
        headers: { 'Content-Type': 'application/pkixcmp', 'Content-Length': body.length },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          statuses[res.statusCode ?? 0] = (statuses[res.statusCode ?? 0] ?? 0) + 1;
          Buffer.concat(chunks);
          resolve();
        });
        res.on('error', reject);
      },
    );
    req.setNoDelay(true);
    req.on('error', reject);
    req.end(body);
  });
}

/** One transaction: its own connection, the requests in turn, then the connection closed. */
async function transaction(port: number, requests: Buffer[]): Promise<void> {
  const agent = new http.Agent({ keepAlive: requests.length > 1, maxSockets: 1 });
  try {
    for (const body of requests) await post(agent, port, body);
  } finally {
    agent.destroy();
  }
}

async function timed(n: number, port: number, requests: Buffer[]): Promise<{ cpuMsPerTransaction: number; wallMsPerTransaction: number }> {
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await transaction(port, requests);
  const used = process.cpuUsage(cpu);
  return {
    cpuMsPerTransaction: (used.user + used.system) / 1000 / n,
    wallMsPerTransaction: Number(process.hrtime.bigint() - start) / 1e6 / n,
  };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as FloorArgs;
  const requests = args.requests.map((f) => readFileSync(f));
  const cold = await timed(args.transactions, args.port, requests);
  const warm = await timed(args.transactions, args.port, requests);
  report({ cold, warm, statuses } satisfies HttpFloorResult);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
