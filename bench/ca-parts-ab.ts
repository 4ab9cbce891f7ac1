/**
 * Parts of the embedded CA's request path, two builds in one process, alternating rounds (issue
 * #22): what a change to one part saves, where the server's whole CPU is too noisy to show it.
 *
 *   sweep [N]         one forced sweep of a TransactionStore holding N finished transactions (default 10,000)
 *   pbm-parameter     decodePbmParameter of openssl's PBMParameter (16-octet salt, SHA-256, 500, HMAC-SHA1)
 *   decode            decodePkiMessage of messages of openssl's client and mock server (captured as the tests do)
 *
 * Builds are tsc's output folders (dist/ of a worktree built with `npm run build`):
 *   npx ts-node --transpile-only bench/ca-parts-ab.ts BASE/dist dist sweep 10000
 */
import 'reflect-metadata';
import { loadavg } from 'os';
import * as path from 'path';
import { captureOpenSslExchanges } from '../test/support/capture';
import { median } from './support/stats';

type Run = () => void;

/** Microseconds per call of each build's `run`, medians of alternating rounds. */
function ab(runs: Record<string, Run>, calls: number, rounds = 11): Record<string, number> {
  for (const run of Object.values(runs)) for (let i = 0; i < calls; i++) run();
  const times: Record<string, number[]> = Object.fromEntries(Object.keys(runs).map((k) => [k, []]));
  for (let r = 0; r < rounds; r++) {
    for (const [name, run] of Object.entries(runs)) {
      const started = process.hrtime.bigint();
      for (let i = 0; i < calls; i++) run();
      times[name]!.push(Number(process.hrtime.bigint() - started) / calls / 1000);
    }
  }
  return Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
}

function load(dist: string, module: string): Record<string, unknown> {
  return require(path.join(path.resolve(dist), 'src', module)) as Record<string, unknown>;
}

async function main(): Promise<void> {
  const [baseDist, newDist, mode = 'sweep', arg] = process.argv.slice(2);
  if (!baseDist || !newDist) throw new Error('usage: ca-parts-ab.ts BASE_DIST NEW_DIST sweep|pbm-parameter|decode [N]');
  const dists = { base: baseDist, new: newDist };
  const report = (what: string, us: Record<string, number>) =>
    process.stdout.write(`${what}: base ${us.base!.toFixed(3)} us, new ${us.new!.toFixed(3)} us (load ${loadavg()[0]!.toFixed(1)})\n`);
  if (mode === 'sweep') {
    const n = Number(arg ?? 10_000);
    const runs: Record<string, Run> = {};
    for (const [name, dist] of Object.entries(dists)) {
      type Store = { begin(id: string, init: object): { busy: boolean }; finish(t: object): void; sweep(force?: boolean): void };
      const { TransactionStore } = load(dist, 'server/transactions') as { TransactionStore: new (options: object) => Store };
      let clock = 1_000_000;
      const store = new TransactionStore({ timeoutMs: 10_000, retentionMs: 3_600_000, maxTransactions: n + 1, now: () => new Date(clock) });
      for (let i = 0; i < n; i++) {
        const t = store.begin(`t${i}`, { kind: 'enrollment', client: 'mac:bench' });
        store.finish(t);
        t.busy = false;
        clock += 1;
      }
      runs[name] = () => store.sweep(true);
    }
    report(`one sweep of ${n} finished transactions`, ab(runs, 2_000));
  } else if (mode === 'pbm-parameter') {
    const { AlgorithmIdentifier } = await import('@peculiar/asn1-x509');
    const runs: Record<string, Run> = {};
    for (const [name, dist] of Object.entries(dists)) {
      const codec = load(dist, 'protection/pbm-parameter-der') as {
        encodePbmParameter(p: object): Uint8Array;
        decodePbmParameter(der: Uint8Array): object;
      };
      const { PBMParameter } = load(dist, 'asn1/crmf/pbm_parameter') as { PBMParameter: new (p: object) => object };
      const der = codec.encodePbmParameter(
        new PBMParameter({
          salt: new Uint8Array(16).fill(7).buffer,
          owf: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.2.1' }),
          iterationCount: 500n,
          mac: new AlgorithmIdentifier({ algorithm: '1.3.6.1.5.5.8.1.2', parameters: null }),
        }),
      );
      runs[name] = () => void codec.decodePbmParameter(der);
    }
    report('decodePbmParameter', ab(runs, 20_000));
  } else if (mode === 'decode') {
    const exchanges = await captureOpenSslExchanges();
    const pick = (exchange: string, direction: string, body: string) =>
      exchanges.find((e) => e.name === exchange)!.messages.find((m) => m.direction === direction && m.body === body)!.der;
    const messages: Record<string, Uint8Array> = {
      'ir, PBM': pick('ir-pbm', 'request', 'ir'),
      'certConf, PBM': pick('ir-pbm', 'request', 'certConf'),
      'ir, signature with extraCerts': pick('ir-signature', 'request', 'ir'),
      'ip, PBM, with certificates': pick('ir-pbm', 'response', 'ip'),
    };
    const codecs = Object.fromEntries(
      Object.entries(dists).map(([name, dist]) => [name, load(dist, 'asn1/codec') as { decodePkiMessage(der: Uint8Array): unknown }]),
    );
    for (const [label, der] of Object.entries(messages)) {
      const runs = Object.fromEntries(Object.entries(codecs).map(([name, codec]) => [name, () => void codec.decodePkiMessage(der)]));
      report(`decodePkiMessage of openssl's ${label} (${der.length} bytes)`, ab(runs, 2_000));
    }
  } else {
    throw new Error(`unknown mode ${mode}`);
  }
}

void main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
