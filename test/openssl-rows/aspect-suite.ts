/**
 * The jest tests for one aspect of OpenSSL's `openssl cmp` CLI rows: one test per row, named
 * `<aspect> <n>: <title> (expects success|failure)`, in the CSV's order (later rows read what
 * earlier ones wrote); after each row that must succeed, a test that the files cmpflow wrote are
 * those `openssl cmp` writes for the same row.
 *
 * No row is skipped or marked as an expected failure: a row cmpflow does not pass yet fails here.
 * Only rows OpenSSL itself does not run (expected result other than 0 or 1) are left out, as
 * replay.py leaves them out.
 */
import { clientFromEnv, firstError, ROW_TIMEOUT_MS, RowReplay, type RowRun } from './replay';
import { describeCommand, loadRows, type Aspect } from './rows';
import { compareWritten } from './written-files';

/** What a failed expectation shows: enough to rerun the row by hand, no pass phrase. */
function report(run: RowRun): object {
  return {
    command: describeCommand(run.client, run.row.argv),
    exit: run.code,
    firstError: run.code === 0 ? undefined : firstError(run),
    stderr: run.stderr
      .split('\n')
      .filter((l) => l.trim() !== '')
      .slice(-8),
  };
}

export function replayAspect(aspect: Aspect): void {
  const client = clientFromEnv();
  // Names and order only: the real expansion needs the server's port, known once it runs.
  const rows = loadRows(aspect, { host: '127.0.0.1', port: 0, resultDir: 'res' });
  const runs = new Map<number, RowRun>();
  let replay: RowReplay;

  beforeAll(async () => {
    // ts-jest compiles the CLI's lazily loaded modules on first use; doing it here keeps that
    // time out of the first row's timeout.
    await Promise.all([import('../../src/cli/options'), import('../../src/cli/run-client')]);
    replay = await RowReplay.start(aspect);
  }, 120_000);

  afterAll(async () => {
    await replay?.stop();
  });

  describe(`OpenSSL's ${aspect} rows for openssl cmp, replayed with ${client}`, () => {
    for (const { n, title, expectSuccess } of rows) {
      test(
        `${aspect} ${n}: ${title} (expects ${expectSuccess ? 'success' : 'failure'})`,
        async () => {
          const run = await replay.run(replay.row(n), client);
          runs.set(n, run);
          const seen = { outcome: run.code === 0 ? 'success' : 'failure', ...report(run) };
          // Compared whole so that a failure shows the command and what the client said.
          expect(seen).toEqual({ ...seen, outcome: expectSuccess ? 'success' : 'failure' });
          if (!expectSuccess && client === 'cmpflow') {
            // One clear error: a single `cmpflow: error:` line, whatever else was logged.
            expect({ errorLines: run.errors.length, ...report(run) }).toEqual({ ...report(run), errorLines: 1 });
          }
        },
        ROW_TIMEOUT_MS + 5_000,
      );

      if (expectSuccess) {
        test(
          `${aspect} ${n}: ${title} writes the files openssl cmp writes`,
          async () => {
            // The reference run comes first and always: later reference rows read its files.
            const reference = await replay.run(replay.row(n, 'reference'), 'openssl', 'reference');
            const seen = { outcome: reference.code === 0 ? 'success' : 'failure', ...report(reference) };
            expect(seen).toEqual({ ...seen, outcome: 'success' });
            // The row's own test above tells why, if the client under test did not succeed.
            const run = runs.get(n);
            expect(run?.code).toBe(0);
            expect(compareWritten(run!.written, reference.written)).toEqual([]);
          },
          ROW_TIMEOUT_MS + 5_000,
        );
      }
    }
  });
}
