/**
 * `-ref_cert` (OpenSSL 3.5's mock server option): the only certificate an rr may revoke and a kur's
 * oldCertID may name. Without it the fixed-answer server expects its -rsp_cert, as OpenSSL's mock
 * does; with it, that certificate and no other (a kur then returns the -rsp_cert; one without
 * oldCertID is refused too, test/server/mock-options.test.ts).
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { parsePem } from '../../src/credentials/pem';
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
/** A MAC-protected kur of `certPath` (its oldCertID control names it) for a new key. */
const kur = (certPath: string) => ['-cmd', 'kur', '-oldcert', certPath, '-newkey', pki.newKeyPath, '-certout', path.join(pki.dir, 'kur-out.pem')];

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

describe('-ref_cert for kur on the mock server', () => {
  it('without it, the server updates only its -rsp_cert', async () => {
    const own = await cmpflow([...mock(), ...kur(pki.enrolled.certPath)]);
    expect({ code: own.code, errors: own.errors }).toEqual({ code: 0, errors: [] });
    const other = await cmpflow([...mock(), ...kur(pki.client.certPath)]);
    expect(other.code).toBe(1);
    expect(other.errors).toEqual([expect.stringMatching(/badCertId/)]);
  });

  it('with it, the oldCertID must name that certificate, and the -rsp_cert is returned', async () => {
    const expected = await cmpflow([...mock('-ref_cert', pki.client.certPath), ...kur(pki.client.certPath)]);
    expect({ code: expected.code, errors: expected.errors }).toEqual({ code: 0, errors: [] });
    expect(parsePem(readFileSync(path.join(pki.dir, 'kur-out.pem'), 'utf8')).map((b) => Buffer.from(b.der))).toEqual([
      Buffer.from(pki.enrolled.certDer),
    ]);
    const fixed = await cmpflow([...mock('-ref_cert', pki.client.certPath), ...kur(pki.enrolled.certPath)]);
    expect(fixed.code).toBe(1);
    expect(fixed.errors).toEqual([
      expect.stringMatching(
        /badCertId.*does not name the certificate this server expects|does not name the certificate this server expects.*badCertId/,
      ),
    ]);
  });
});
