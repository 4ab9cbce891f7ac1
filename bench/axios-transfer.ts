/**
 * The axios transfer (cmpflow/axios) beside cmpflow's default HTTP transfer: the compiled CmpClient
 * runs the same PBM IR sessions against one `openssl cmp -port 0` mock server with each, in child
 * processes (steady state, start excluded), rounds alternating which goes first. The issue that
 * moved the default off axios measured it at several times the CPU of the exchange: this keeps
 * the price of choosing it visible.
 */
import { makeTestPki } from '../test/support/pki';
import { startMockServer, type MockServer } from '../test/support/openssl';
import type { LibraryClientResult } from './library-client';
import { mockServerArgs, scenarios } from './openssl-comparison';
import { runChild } from './support/child';
import { fixed, median, ratio, table } from './support/stats';

export interface TransferSample {
  wallMs: number;
  cpuMs: number;
}

export interface AxiosComparisonResult {
  sessions: number;
  rounds: number;
  default: TransferSample;
  axios: TransferSample;
  perRound: { default: TransferSample[]; axios: TransferSample[] };
}

export async function compareAxiosTransfer(settings: {
  rounds: number;
  sessions: number;
  warmup: number;
  log(line: string): void;
}): Promise<AxiosComparisonResult> {
  const pki = await makeTestPki();
  let mock: MockServer | undefined;
  try {
    mock = await startMockServer(mockServerArgs(pki), { cwd: pki.dir });
    const pbmIr = scenarios.find((s) => s.name === 'IR, PBM')!;
    const options = pbmIr.options(pki, `http://127.0.0.1:${mock.port}/pkix/`);
    const run = async (transport: 'default' | 'axios'): Promise<TransferSample> => {
      const r = await runChild<LibraryClientResult>('library-client.ts', [
        JSON.stringify({ options, command: 'ir', warmup: settings.warmup, sessions: settings.sessions, transport }),
      ]);
      return { wallMs: r.wallMsPerSession, cpuMs: r.cpuMsPerSession };
    };
    const perRound = { default: [] as TransferSample[], axios: [] as TransferSample[] };
    for (let round = 0; round < settings.rounds; round++) {
      const order: ('default' | 'axios')[] = round % 2 === 0 ? ['default', 'axios'] : ['axios', 'default'];
      for (const transport of order) perRound[transport].push(await run(transport));
      const last = (s: TransferSample[]) => `${fixed(s[s.length - 1]!.wallMs)}/${fixed(s[s.length - 1]!.cpuMs, 2)}`;
      settings.log(`IR, PBM, round ${round + 1}: ms wall/CPU per session: default ${last(perRound.default)}, axios ${last(perRound.axios)}`);
    }
    const med = (s: TransferSample[]): TransferSample => ({ wallMs: median(s.map((x) => x.wallMs)), cpuMs: median(s.map((x) => x.cpuMs)) });
    return { sessions: settings.sessions, rounds: settings.rounds, default: med(perRound.default), axios: med(perRound.axios), perRound };
  } finally {
    await mock?.stop();
    await pki.cleanup();
  }
}

export function axiosTable(r: AxiosComparisonResult): string {
  return table([
    ['transaction', 'default wall', 'axios wall', 'wall ratio', 'default CPU', 'axios CPU', 'CPU ratio'],
    [
      'IR, PBM',
      `${fixed(r.default.wallMs)} ms`,
      `${fixed(r.axios.wallMs)} ms`,
      ratio(r.axios.wallMs, r.default.wallMs),
      `${fixed(r.default.cpuMs, 2)} ms`,
      `${fixed(r.axios.cpuMs, 2)} ms`,
      ratio(r.axios.cpuMs, r.default.cpuMs),
    ],
  ]);
}
