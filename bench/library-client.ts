/**
 * Child program: cmpflow as a library (the compiled CmpClient) running `sessions` transactions one
 * after the other in this process, after `warmup` untimed ones. Reports wall time and CPU per
 * session from inside the process, so Node's startup and module loading are not part of them.
 *
 *   library-client.ts '{"options": {...CmpClientOptions}, "command": "ir"|"genm", "warmup": 10, "sessions": 100}'
 *
 * With "transport": "axios" the messages go through an axios instance (cmpflow/axios) to
 * options.server, a full URL, instead of cmpflow's own HTTP transfer.
 */
import 'reflect-metadata';
import type * as Client from '../src/client';
import type * as AxiosEntry from '../src/entries/axios';
import type { CmpClientOptions, InfoTypeAndValueInput } from '../src/options';
import { report } from './support/child';
import { requireDist } from './support/dist';

interface Job {
  options: CmpClientOptions;
  command: 'ir' | 'genm';
  itavs?: InfoTypeAndValueInput[];
  warmup: number;
  sessions: number;
  /**
   * Also time `sessions` right after this many untimed ones, inside the warm-up: the library while
   * V8 is still compiling it, as a short-lived application meets it.
   */
  early?: number;
  transport?: 'default' | 'axios';
}

export interface LibraryClientResult {
  sessions: number;
  wallMsPerSession: number;
  cpuMsPerSession: number;
  /** The window after `early` untimed sessions, when the job asked for it. */
  early?: { wallMsPerSession: number; cpuMsPerSession: number };
  maxRssKb: number;
}

/** The options with `server` replaced by an axios transfer to it, as an application with its own instance has them. */
function viaAxios(options: CmpClientOptions): CmpClientOptions {
  const { axiosTransfer } = requireDist<typeof AxiosEntry>('src/entries/axios');
  const axios = require('axios') as typeof import('axios').default;
  const { server, ...rest } = options;
  return { ...rest, transfer: axiosTransfer(axios.create({ proxy: false }), server!) };
}

async function main(): Promise<void> {
  const job = JSON.parse(process.argv[2]!) as Job;
  const { CmpClient } = requireDist<typeof Client>('src/client');
  const client = new CmpClient(job.transport === 'axios' ? viaAxios(job.options) : job.options);
  const once = () => (job.command === 'genm' ? client.genm(job.itavs ?? []) : client.ir());
  const timed = async () => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    for (let i = 0; i < job.sessions; i++) await once();
    const wall = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return { wallMsPerSession: wall / job.sessions, cpuMsPerSession: (used.user + used.system) / 1000 / job.sessions };
  };
  let early: LibraryClientResult['early'];
  let untimed = job.warmup;
  if (job.early !== undefined && job.early + job.sessions <= job.warmup) {
    for (let i = 0; i < job.early; i++) await once();
    early = await timed();
    untimed -= job.early + job.sessions;
  }
  for (let i = 0; i < untimed; i++) await once();
  const result: LibraryClientResult = {
    sessions: job.sessions,
    ...(await timed()),
    ...(early ? { early } : {}),
    maxRssKb: process.resourceUsage().maxRSS,
  };
  report(result);
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
