/**
 * The MAC-protected IR command line that the CA benchmark (bench/ca-server.ts, run by `openssl cmp`) and the
 * start-up benchmark (bench/startup.ts, run by `cmpflow`) both send to the OpenSSL mock server, kept in one place
 * so the two measure the same request.
 */
import type { TestPki } from '../../test/support/pki';

/** The shared secret of the mock server started with mockServerArgs (bench/openssl-comparison.ts). */
export const BENCH_SECRET = 'bench-secret';

/** The arguments after `cmp` (openssl) or the program name (cmpflow) for one IR to 127.0.0.1:port. */
export function irCommandArgs(pki: TestPki, port: number): string[] {
  return [
    '-config',
    '',
    '-cmd',
    'ir',
    '-ref',
    'client-ref',
    '-secret',
    `pass:${BENCH_SECRET}`,
    '-newkey',
    pki.newKeyPath,
    '-subject',
    '/CN=cmpflow bench device',
    '-certout',
    'bench-enrolled.pem',
    '-server',
    `127.0.0.1:${port}`,
    '-path',
    'pkix/',
  ];
}
