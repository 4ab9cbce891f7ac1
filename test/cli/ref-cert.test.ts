/**
 * `-ref_cert` (OpenSSL 3.5's mock server option): the only certificate an rr may revoke and a kur's
 * oldCertID may name. Without it the fixed-answer server expects its -rsp_cert, as OpenSSL's mock
 * does; with it, that certificate and no other.
 */
import { makeTestPki, type TestPki } from '../support/pki';
import { cmpflow } from './run-support';

const SECRET = 'ref-cert-secret';
let pki: TestPki;

beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => pki?.cleanup());

/** cmpflow's embedded mock answering with -rsp_cert, MAC-protected both ways. */
const mock = (...server: string[]) => [
  '-config',
  '',
  '-use_mock_srv',
  '-srv_ref',
  'srv',
  '-srv_secret',
  `pass:${SECRET}`,
  '-rsp_cert',
  pki.enrolled.certPath,
  ...server,
  '-ref',
  'client',
  '-secret',
  `pass:${SECRET}`,
  '-recipient',
  '/CN=CA',
];
const rr = (certPath: string) => ['-cmd', 'rr', '-oldcert', certPath, '-revreason', '1'];

describe('-ref_cert on the mock server', () => {
  it('without it, the server revokes only its -rsp_cert', async () => {
    expect((await cmpflow([...mock(), ...rr(pki.enrolled.certPath)])).code).toBe(0);
    const other = await cmpflow([...mock(), ...rr(pki.client.certPath)]);
    expect(other.code).toBe(1);
    expect(other.errors).toEqual([expect.stringMatching(/badCertId/)]);
  });

  it('with it, the server revokes that certificate and refuses the -rsp_cert', async () => {
    const expected = await cmpflow([...mock('-ref_cert', pki.client.certPath), ...rr(pki.client.certPath)]);
    expect(expected.errors).toEqual([]);
    expect(expected.code).toBe(0);
    const fixed = await cmpflow([...mock('-ref_cert', pki.client.certPath), ...rr(pki.enrolled.certPath)]);
    expect(fixed.code).toBe(1);
    expect(fixed.errors).toEqual([
      expect.stringMatching(/badCertId.*expects another certificate to revoke|expects another certificate to revoke.*badCertId/),
    ]);
  });

  it('names the option and the file when the certificate cannot be read', async () => {
    const run = await cmpflow([...mock('-ref_cert', '/nonexistent/ref.pem'), ...rr(pki.enrolled.certPath)]);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/-ref_cert: .*\/nonexistent\/ref\.pem/)]);
  });
});
