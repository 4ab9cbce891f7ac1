/**
 * The rows replay outside jest, for debugging:
 *
 *   npx ts-node --transpile-only test/openssl-rows/replay-cli.ts [--compare] [aspect...]
 *
 * prints one line per row (and, for a mismatch, its command and first error line), then
 * `N/M rows as expected; positive rows passing: P/Q` as run.sh does; exit status 0 only when all
 * rows are as expected. CMP_ROWS_CLIENT=openssl replays with `openssl cmp`. With --compare every
 * positive row runs a second time with `openssl cmp` and the files both wrote are compared.
 */
// The CLI's bin entry loads the polyfill that @peculiar/x509's dependency injection needs; so must this one.
import 'reflect-metadata';
import { clientFromEnv, firstError, RowReplay } from './replay';
import { ASPECTS, describeCommand, type Aspect } from './rows';
import { compareWritten } from './written-files';

async function replayAspect(aspect: Aspect, compare: boolean): Promise<{ ok: number; all: number; posOk: number; pos: number; files: number }> {
  const client = clientFromEnv();
  const replay = await RowReplay.start(aspect);
  const tally = { ok: 0, all: 0, posOk: 0, pos: 0, files: 0 };
  try {
    for (const row of replay.rows()) {
      const run = await replay.run(row, client);
      const ok = (run.code === 0) === row.expectSuccess;
      tally.all++;
      if (ok) tally.ok++;
      if (row.expectSuccess) tally.pos++;
      if (ok && row.expectSuccess) tally.posOk++;
      const exp = row.expectSuccess ? 1 : 0;
      const act = run.code === 0 ? 1 : 0;
      console.log(
        `${aspect.padEnd(12)} ${String(row.n).padStart(3)} exp=${exp} act=${act} ${ok ? 'OK      ' : 'MISMATCH'} ${row.title} (${run.ms} ms)`,
      );
      if (!ok) {
        console.log(`    ${describeCommand(client, row.argv)}`);
        console.log(`    ${run.code === 0 ? 'succeeded' : firstError(run)}`);
      }
      if (compare && row.expectSuccess) {
        const reference = await replay.run(replay.row(row.n, 'reference'), 'openssl', 'reference');
        const differences = run.code === 0 && reference.code === 0 ? compareWritten(run.written, reference.written) : [];
        if (differences.length > 0) tally.files++;
        for (const d of differences) console.log(`    ${aspect} ${row.n} written files differ: ${d}`);
      }
    }
  } finally {
    await replay.stop();
  }
  return tally;
}

async function cli(args: string[]): Promise<number> {
  const compare = args.includes('--compare');
  const named = args.filter((a) => a !== '--compare');
  const unknown = named.filter((a) => !(ASPECTS as readonly string[]).includes(a));
  if (unknown.length > 0) {
    console.error(`unknown aspect(s) ${unknown.join(', ')}; the aspects are ${ASPECTS.join(', ')}`);
    return 2;
  }
  const total = { ok: 0, all: 0, posOk: 0, pos: 0, files: 0 };
  for (const aspect of named.length > 0 ? (named as Aspect[]) : ASPECTS) {
    const t = await replayAspect(aspect, compare);
    for (const k of Object.keys(total) as (keyof typeof total)[]) total[k] += t[k];
  }
  console.log(`negative rows failing as expected: ${total.ok - total.posOk}/${total.all - total.pos} (counts only beside the positives)`);
  if (compare) console.log(`positive rows whose written files differ from openssl cmp's: ${total.files}`);
  console.log(`${total.ok}/${total.all} rows as expected; positive rows passing: ${total.posOk}/${total.pos}`);
  return total.ok === total.all && total.all > 0 && total.files === 0 ? 0 : 1;
}

cli(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
