/**
 * One HTTP client's cost for the openssl mock's transactions, no CMP: the request bytes that
 * `openssl cmp -reqout` saved, POSTed in turn on one new connection per transaction, each answer
 * read whole, by one of bench/transport-clients.ts's clients (`http`, `http-shared`, `http-noagent`, `transport`, `net`, `undici`);
 * bench/transport-floor.ts runs each in a fresh process.
 *
 * Child program (bench/support/child.ts): argv[2] is JSON ExchangeArgs. Runs `transactions` cold (a
 * fresh process, as a `-repeat` command's sessions are) and, unless `coldOnly`, as many warm;
 * reports the CPU of all threads (process.cpuUsage), wall time and minor page faults of each half,
 * and what loading the client cost.
 */
import { readFileSync } from 'fs';
import { report } from './support/child';
import { httpClient, netClient, transportClient, undiciClient, type Transaction } from './transport-clients';

export type ExchangeMode = 'http' | 'http-shared' | 'http-noagent' | 'transport' | 'net' | 'undici';

export interface ExchangeArgs {
  mode: ExchangeMode;
  port: number;
  requests: string[];
  /** Each request's PKIBody type, as the client passes it to its transfer ('ir', 'certConf', 'genm'). */
  bodyTypes: string[];
  transactions: number;
  coldOnly?: boolean;
  /** undici's package directory, for mode undici. */
  undici?: string;
}

export interface Half {
  cpuMsPerTransaction: number;
  /** Of which the kernel's (system time). */
  systemMsPerTransaction: number;
  wallMsPerTransaction: number;
  faultsPerTransaction: number;
}

export interface ExchangeResult {
  mode: ExchangeMode;
  /** CPU and wall of loading the client's modules (none for node:http and node:net, already in Node). */
  load: { cpuMs: number; wallMs: number };
  cold: Half;
  warm?: Half;
  /** Response bytes of the last transaction, to check every client read the same answers. */
  lastResponseBytes: number[];
}

async function timed(n: number, run: Transaction): Promise<{ half: Half; last: number[] }> {
  const faults = process.resourceUsage().minorPageFault;
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  let last: number[] = [];
  for (let i = 0; i < n; i++) last = await run();
  const used = process.cpuUsage(cpu);
  const wall = Number(process.hrtime.bigint() - start) / 1e6;
  return {
    half: {
      cpuMsPerTransaction: (used.user + used.system) / 1000 / n,
      systemMsPerTransaction: used.system / 1000 / n,
      wallMsPerTransaction: wall / n,
      faultsPerTransaction: (process.resourceUsage().minorPageFault - faults) / n,
    },
    last,
  };
}

async function main(): Promise<void> {
  const args = JSON.parse(process.argv[2]!) as ExchangeArgs;
  const requests = args.requests.map((f) => readFileSync(f));
  const cpu = process.cpuUsage();
  const start = process.hrtime.bigint();
  const run =
    args.mode === 'http' || args.mode === 'http-shared' || args.mode === 'http-noagent'
      ? httpClient(args.port, requests, args.mode === 'http' ? 'per-transaction' : args.mode === 'http-shared' ? 'shared' : 'none')
      : args.mode === 'transport'
        ? transportClient(args.port, requests, args.bodyTypes)
        : args.mode === 'net'
          ? netClient(args.port, requests)
          : undiciClient(args.port, requests, args.undici!);
  const loadCpu = process.cpuUsage(cpu);
  const load = { cpuMs: (loadCpu.user + loadCpu.system) / 1000, wallMs: Number(process.hrtime.bigint() - start) / 1e6 };
  const cold = await timed(args.transactions, run);
  const warm = args.coldOnly ? undefined : await timed(args.transactions, run);
  report({
    mode: args.mode,
    load,
    cold: cold.half,
    ...(warm ? { warm: warm.half } : {}),
    lastResponseBytes: (warm ?? cold).last,
  } satisfies ExchangeResult);
}

main().catch((e) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exit(1);
});
