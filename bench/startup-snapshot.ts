/**
 * Whether a Node.js start-up snapshot (`node --build-snapshot`, run with `--snapshot-blob`) would
 * make one `cmpflow -cmd ir` cheaper than the bundle and its V8 code cache do (bin/cli-loader.js).
 * A snapshot holds a heap after a script ran: the bundle's modules with their top levels done, so
 * nothing is read, compiled or initialised at start. The snapshots are built here from this
 * repository's dist/, into a temporary folder, by the Node.js running the bench:
 *
 * - `empty`: a snapshot of an empty script, to price a user-land snapshot as such;
 * - `bundle`: the bundle run at build time, its functions compiled lazily from source at run time;
 * - `bundle+cache`: the bundle compiled at build time with the build's code cache, so that the
 *   bytecode of every function the build's IR compiled is in the snapshot's heap;
 * - `bundle+IR`: the bundle after one in-process IR (`-use_mock_srv`), which would also hold the
 *   IR's lazily created state. Node 20 refuses to build it (node:http's parser is a native handle
 *   it cannot serialise); the table says how it failed instead of timing it.
 *
 * Each snapshot's main function does what bin/cli-loader.js does before the command runs (the
 * transaction's built-ins, then its V8 flags) and then the command, so that only the loading
 * differs. Rows are whole processes timed by bash (user+system CPU to the millisecond),
 * alternating their order each round; the table gives medians. NODE_EXTRA_CA_CERTS is left out of
 * every environment (docs/benchmarks.md, "Start-up").
 *
 *   npx ts-node --transpile-only bench/startup-snapshot.ts [ROUNDS]
 */
import { execFile } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';
import { timeProcess } from './support/cpu-time';
import { loader, transactionBuiltinsSource } from './support/cli-loader';
import { CLI } from './support/dist';
import { irCommandArgs } from './support/ir-command';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { mockServerArgs } from './openssl-comparison';
import { fixed, median, table } from './support/stats';
import { withoutExtraCaCerts } from './support/node-env';

const run = promisify(execFile);

type Variant = 'bundle' | 'bundle+cache' | 'bundle+IR';

/**
 * The snapshot's entry script. `require` there loads built-ins only, which is all the bundle asks
 * of it before a command runs; process.argv has no script name under --snapshot-blob, so main gets
 * one put back.
 */
function entryScript(variant: Variant, warmUp: { cwd: string; args: string[] }): string {
  const file = JSON.stringify(loader.BUNDLE);
  const compile =
    variant === 'bundle+cache'
      ? `const script = new (require('vm').Script)(require('fs').readFileSync(${file}, 'latin1'), { filename: ${file}, cachedData: require('fs').readFileSync(${JSON.stringify(loader.CACHE)}) });
if (script.cachedDataRejected) throw new Error('the code cache was rejected');
const bundle = script.runInThisContext();`
      : `const bundle = ${readFileSync(loader.BUNDLE, 'latin1')};`;
  const warm =
    variant === 'bundle+IR'
      ? `const sink = { write() { return true; }, isTTY: false };
cli.exports.main(${JSON.stringify(warmUp.args)}, { stdout: sink, stderr: sink, env: {}, cwd: ${JSON.stringify(warmUp.cwd)}, stopSignal: () => new AbortController().signal, onInterrupt() {} });`
      : '';
  return `'use strict';
${compile}
const cli = { exports: {} };
bundle(cli.exports, require, cli, ${file}, ${JSON.stringify(path.dirname(loader.BUNDLE))}, (s) => import(s));
${warm}
require('v8').startupSnapshot.setDeserializeMainFunction(() => {
${transactionBuiltinsSource}
  require('v8').setFlagsFromString(${JSON.stringify(loader.TIERING_FLAGS)});
  process.argv.splice(1, 0, ${JSON.stringify(CLI)});
  cli.exports.runAsProcess();
});
`;
}

/** Builds a snapshot; the first line of Node's complaint when it cannot. */
async function buildSnapshot(dir: string, name: string, entry: string): Promise<{ blob?: string; failure?: string }> {
  const script = path.join(dir, `snapshot-${name}.js`);
  const blob = path.join(dir, `${name}.blob`);
  writeFileSync(script, entry);
  try {
    await run(process.execPath, ['--snapshot-blob', blob, '--build-snapshot', script], { cwd: dir, maxBuffer: 16 << 20 });
    return { blob };
  } catch (e) {
    // V8 prints the object it could not serialise on standard output, then aborts.
    const { stdout = '', stderr = '', signal } = e as { stdout?: string; stderr?: string; signal?: string };
    const said = `${stdout}\n${stderr}`.split('\n');
    const what = said.find((l) => /not serialized/.test(l)) ?? said.find((l) => /Check failed|Error/.test(l)) ?? `exit ${signal ?? 'failed'}`;
    const holder = said.map((l) => /#(HTTPParser|ConnectionsList)\b/.exec(l)?.[1]).find(Boolean);
    return { failure: `${what.trim().replace(/: 0x[0-9a-f]+.*$/, '')}${holder ? ` (an object holding node:http's ${holder})` : ''}` };
  }
}

async function main(): Promise<void> {
  const rounds = Number(process.argv[2] ?? 11);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-startup-snapshot-'));
  try {
    await withPbmIrMock(async ({ pki, mock }) => {
      const irArgs = irCommandArgs(pki, mock.port);
      // The same IR, answered in-process: the request options, then the mock's own options.
      const serverAt = irArgs.indexOf('-server');
      const inProcess = [...irArgs.slice(0, serverAt), ...irArgs.slice(serverAt + 4), '-use_mock_srv', ...mockServerArgs(pki)];
      writeFileSync(path.join(dir, 'empty.js'), '');
      const snapshots: Record<string, { blob?: string; failure?: string }> = {
        // A main function of its own: without one, Node runs the script named on the command line.
        empty: await buildSnapshot(dir, 'empty', "require('v8').startupSnapshot.setDeserializeMainFunction(() => {});"),
      };
      for (const variant of ['bundle', 'bundle+cache', 'bundle+IR'] as const) {
        snapshots[variant] = await buildSnapshot(dir, variant.replace('+', '-'), entryScript(variant, { cwd: pki.dir, args: inProcess }));
      }
      const snapshot = (name: string) => ['--snapshot-blob', snapshots[name]!.blob!, '--'];
      const rows: { name: string; command: string; args: string[] }[] = [
        { name: 'node, empty script', command: process.execPath, args: [path.join(dir, 'empty.js')] },
        { name: 'node, a start-up snapshot of an empty script', command: process.execPath, args: [...snapshot('empty')] },
        { name: 'cmpflow -cmd ir as installed (bundle and its code cache)', command: process.execPath, args: [CLI, ...irArgs] },
        { name: 'cmpflow -version from the `bundle+cache` snapshot', command: process.execPath, args: [...snapshot('bundle+cache'), '-version'] },
        { name: 'cmpflow -cmd ir from the `bundle` snapshot', command: process.execPath, args: [...snapshot('bundle'), ...irArgs] },
        { name: 'cmpflow -cmd ir from the `bundle+cache` snapshot', command: process.execPath, args: [...snapshot('bundle+cache'), ...irArgs] },
        { name: 'openssl cmp -cmd ir', command: 'openssl', args: ['cmp', ...irArgs] },
      ];
      const env = withoutExtraCaCerts();
      const cpu = rows.map((): number[] => []);
      const loads: number[] = [];
      const once = async (i: number) => {
        const t = await timeProcess(rows[i]!.command, rows[i]!.args, { cwd: pki.dir, env });
        if (t.code !== 0) throw new Error(`${rows[i]!.name} failed with status ${t.code}:\n${t.stderr}`);
        return t.cpuMs;
      };
      // One untimed pass: the file cache, the mock's first connection.
      for (let i = 0; i < rows.length; i++) await once(i);
      for (let round = 0; round < rounds; round++) {
        loads.push(os.loadavg()[0]!);
        const order = rows.map((_, i) => i);
        if (round % 2) order.reverse();
        for (const i of order) cpu[i]!.push(await once(i));
      }
      console.log(
        `Node.js ${process.version}, ${rounds} alternating rounds, 1-minute load ${fixed(Math.min(...loads), 2)} to ${fixed(Math.max(...loads), 2)}\n`,
      );
      const out = [['process', 'CPU (median)', 'min..max']];
      rows.forEach((row, i) =>
        out.push([row.name, `${fixed(median(cpu[i]!))} ms`, `${fixed(Math.min(...cpu[i]!), 0)}..${fixed(Math.max(...cpu[i]!), 0)}`]),
      );
      console.log(table(out));
      const failed = snapshots['bundle+IR']!;
      console.log(`\nthe \`bundle+IR\` snapshot: ${failed.blob ? 'built (not timed)' : `not built: ${failed.failure}`}`);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
