/**
 * A revocation tells its outcome as `openssl cmp -cmd rr` 3.0 does: `revocation accepted
 * (PKIStatus=NAME)` at info level, or at warning level for a revocationNotification. Both tools
 * run the same rr against their in-process mock server, answering with each accepting status, and
 * print the same line.
 */
import * as path from 'path';
import { makeTestPki, type TestPki } from '../support/pki';
import { runCmp } from '../support/openssl';
import { cmpflow } from './run-support';

const SECRET = 'rr-result-secret';
let pki: TestPki;

beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => pki?.cleanup());

/** The options both tools take: an rr of a certificate the mock server was told to know, answered with -pkistatus. */
const rr = (pkiStatus: number) => [
  '-use_mock_srv',
  '-srv_ref',
  'srv',
  '-srv_secret',
  `pass:${SECRET}`,
  '-rsp_cert',
  pki.enrolled.certPath,
  '-pkistatus',
  String(pkiStatus),
  '-ref',
  'client',
  '-secret',
  `pass:${SECRET}`,
  '-recipient',
  '/CN=CA',
  '-cmd',
  'rr',
  '-oldcert',
  pki.enrolled.certPath,
];

/** OpenSSL 3.0 logs `file:line:` before some lines (not these) and, as a client, to stdout. */
const revocationLines = (text: string) => text.split('\n').filter((l) => /revocation accepted/.test(l));

describe('cmpflow -cmd rr', () => {
  it.each([
    [0, 'CMP info: revocation accepted (PKIStatus=accepted)'],
    [1, 'CMP info: revocation accepted (PKIStatus=grantedWithMods)'],
    [4, 'CMP info: revocation accepted (PKIStatus=revocationWarning)'],
    [5, 'CMP warning: revocation accepted (PKIStatus=revocationNotification)'],
  ])('answered with -pkistatus %i, prints "%s" as openssl cmp does', async (status, line) => {
    const openssl = await runCmp(rr(status), { cwd: path.dirname(pki.enrolled.certPath) });
    expect(openssl.code).toBe(0);
    expect(revocationLines(openssl.stdout + openssl.stderr)).toEqual([line]);

    const ours = await cmpflow(['-config', '', ...rr(status)]);
    expect({ code: ours.code, errors: ours.errors }).toEqual({ code: 0, errors: [] });
    expect(revocationLines(ours.stderr)).toEqual([line]);
    expect(ours.stdout).toBe('');
  });

  it('prints no revocation line below info level, and the notification still at warning level', async () => {
    const quiet = await cmpflow(['-config', '', ...rr(0), '-verbosity', '4']);
    expect(quiet.code).toBe(0);
    expect(revocationLines(quiet.stderr)).toEqual([]);

    const notified = await cmpflow(['-config', '', ...rr(5), '-verbosity', '4']);
    expect(notified.code).toBe(0);
    expect(revocationLines(notified.stderr)).toEqual(['CMP warning: revocation accepted (PKIStatus=revocationNotification)']);
  });
});
