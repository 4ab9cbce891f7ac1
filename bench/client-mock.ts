/**
 * Starts the comparison's PKI and `openssl cmp -port 0` mock and prints the command line of one of
 * its PBM scenarios (ir or genm) for `-repeat N`, then keeps the mock up until SIGINT or SIGTERM: for
 * measuring the command under tools of its own (strace, perf, valgrind) against the bench's mock.
 *
 *   npx ts-node --transpile-only bench/client-mock.ts ir|genm [REPEAT]
 */
import { scenarios } from './openssl-comparison';
import { withPbmIrMock } from './support/pbm-ir-mock';

async function main(): Promise<void> {
  const command = process.argv[2] === 'genm' ? 'GENM, PBM' : 'IR, PBM';
  const repeat = process.argv[3] ?? '300';
  await withPbmIrMock(async ({ pki, mock }) => {
    const args = ['-config', "''", ...scenarios.find((s) => s.name === command)!.args(pki)];
    console.log(`cd ${pki.dir} && CMD="${args.join(' ')} -server 127.0.0.1:${mock.port} -path pkix/ -repeat ${repeat}"`);
    // The mock's process is unreferenced (test/support/openssl.ts): this timer keeps us up meanwhile.
    const keepUp = setInterval(() => {}, 1 << 30);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
    clearInterval(keepUp);
  });
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
