/**
 * Starts the comparison's PKI and `openssl cmp -port 0` mock and prints the command line of one of
 * its PBM scenarios (ir or genm) for `-repeat N`, then keeps the mock up until SIGINT or SIGTERM: for
 * measuring the command under tools of its own (strace, perf, valgrind) against the bench's mock.
 *
 *   npx ts-node --transpile-only bench/client-mock.ts ir|genm [REPEAT]
 */
import { makeTestPki } from '../test/support/pki';
import { startMockServer } from '../test/support/openssl';
import { mockServerArgs, scenarios } from './openssl-comparison';

async function main(): Promise<void> {
  const command = process.argv[2] === 'genm' ? 'GENM, PBM' : 'IR, PBM';
  const repeat = process.argv[3] ?? '300';
  const pki = await makeTestPki();
  const mock = await startMockServer(mockServerArgs(pki), { cwd: pki.dir });
  const args = ['-config', "''", ...scenarios.find((s) => s.name === command)!.args(pki)];
  console.log(`cd ${pki.dir} && CMD="${args.join(' ')} -server 127.0.0.1:${mock.port} -path pkix/ -repeat ${repeat}"`);
  const stop = () => void mock.stop().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  setInterval(() => {}, 1 << 30);
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
