/**
 * HTTP clients against the openssl comparison's mock, no CMP: each client of
 * bench/transport-exchange.ts in a fresh process per round POSTing the requests `openssl cmp
 * -reqout` saved, a new connection per transaction, N transactions cold then N warm; beside them
 * `openssl cmp -repeat N`'s whole command (process start included) for the ratio. Rounds rotate
 * the order of the contenders; medians of the rounds.
 *
 *   npx ts-node --transpile-only bench/transport-floor.ts ir|genm [N=300] [ROUNDS=5] [MODES=http,transport,net,undici]
 *   npx ts-node --transpile-only bench/transport-floor.ts ir|genm N hold   (prints each child's command line, keeps the mock up)
 *
 * UNDICI=<undici's package directory> adds undici (not a dependency); CMPFLOW_BENCH_DIST picks the
 * build the `transport` client comes from.
 */
import * as path from 'path';
import { compiledChild, runChild } from './support/child';
import { measureProcess } from './support/measure';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { median } from './support/stats';
import { scenarios } from './openssl-comparison';
import type { ExchangeArgs, ExchangeMode, ExchangeResult } from './transport-exchange';

const BODY_TYPES = { ir: ['ir', 'certConf'], genm: ['genm'] };

async function main(): Promise<void> {
  const command = process.argv[2] === 'genm' ? 'genm' : 'ir';
  const n = Number(process.argv[3] ?? 300);
  const hold = process.argv[4] === 'hold';
  const rounds = hold ? 0 : Number(process.argv[4] ?? 5);
  const undici = process.env.UNDICI;
  const modes = (process.argv[5]?.split(',') ?? ['http', 'transport', 'net', ...(undici ? ['undici'] : [])]) as ExchangeMode[];
  const scenario = scenarios.find((s) => s.name === (command === 'genm' ? 'GENM, PBM' : 'IR, PBM'))!;
  delete process.env.NODE_EXTRA_CA_CERTS;

  await withPbmIrMock(async ({ pki, mock }) => {
    const address = ['-server', `127.0.0.1:${mock.port}`, '-path', 'pkix/'];
    const files = scenario.floorRequests!.map((f) => path.join(pki.dir, f));
    const saved = await measureProcess('openssl', ['cmp', '-config', '', ...scenario.args(pki), ...address, '-reqout', files.join(',')], {
      cwd: pki.dir,
    });
    if (saved.code !== 0) throw new Error(`openssl cmp -reqout failed:\n${saved.stderr}`);
    const args = (mode: ExchangeMode, coldOnly = false): ExchangeArgs => ({
      mode,
      port: mock.port,
      requests: files,
      bodyTypes: BODY_TYPES[command],
      transactions: n,
      ...(coldOnly ? { coldOnly } : {}),
      ...(undici ? { undici } : {}),
    });

    if (hold) {
      for (const mode of modes)
        console.log(`${mode}: ${process.execPath} ${compiledChild('transport-exchange.ts')} '${JSON.stringify(args(mode, true))}'`);
      console.log(`openssl: cd ${pki.dir} && openssl cmp -config '' ${[...scenario.args(pki), ...address].join(' ')} -repeat ${n}`);
      const keepUp = setInterval(() => {}, 1 << 30);
      await new Promise<void>((resolve) => {
        process.once('SIGINT', resolve);
        process.once('SIGTERM', resolve);
      });
      clearInterval(keepUp);
      return;
    }

    const samples = new Map<string, { cpu: number[]; sys: number[]; wall: number[]; faults: number[] }>();
    const add = (name: string, cpu: number, sys: number, wall: number, faults: number) => {
      const s = samples.get(name) ?? { cpu: [], sys: [], wall: [], faults: [] };
      s.cpu.push(cpu);
      s.sys.push(sys);
      s.wall.push(wall);
      s.faults.push(faults);
      samples.set(name, s);
    };
    const contenders = ['openssl', ...modes];
    for (let r = 0; r < rounds; r++) {
      const order = contenders.map((_, i) => contenders[(i + r) % contenders.length]!);
      for (const who of order) {
        if (who === 'openssl') {
          const p = await measureProcess('openssl', ['cmp', '-config', '', ...scenario.args(pki), ...address, '-repeat', String(n)], {
            cwd: pki.dir,
          });
          if (p.code !== 0) throw new Error(`openssl cmp failed:\n${p.stderr}`);
          add('openssl cmp (command)', p.cpuMs / n, p.systemMs / n, p.wallMs / n, NaN);
          continue;
        }
        const res = await runChild<ExchangeResult>('transport-exchange.ts', [JSON.stringify(args(who as ExchangeMode))]);
        add(
          `${who} cold`,
          res.cold.cpuMsPerTransaction,
          res.cold.systemMsPerTransaction,
          res.cold.wallMsPerTransaction,
          res.cold.faultsPerTransaction,
        );
        add(
          `${who} warm`,
          res.warm!.cpuMsPerTransaction,
          res.warm!.systemMsPerTransaction,
          res.warm!.wallMsPerTransaction,
          res.warm!.faultsPerTransaction,
        );
        add(`${who} load`, res.load.cpuMs, NaN, res.load.wallMs, NaN);
        if (r === 0) console.error(`${who}: response bytes ${res.lastResponseBytes.join(', ')}`);
      }
      console.error(`round ${r + 1}/${rounds} done`);
    }
    const openssl = median(samples.get('openssl cmp (command)')!.cpu);
    console.log(`${command} x ${n} transactions, ${rounds} rounds, medians (load is one-off, ms):`);
    console.log('| client | CPU ms/transaction | of which system | / openssl | wall ms | minor faults |');
    console.log('| --- | --- | --- | --- | --- | --- |');
    for (const [name, s] of samples) {
      const cpu = median(s.cpu);
      console.log(
        `| ${name} | ${cpu.toFixed(3)} | ${median(s.sys).toFixed(3)} | ${(cpu / openssl).toFixed(2)}x | ${median(s.wall).toFixed(3)} | ${median(s.faults).toFixed(1)} |`,
      );
    }
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
