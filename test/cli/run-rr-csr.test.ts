/**
 * `-cmd rr -csr FILE` without `-oldcert`: OpenSSL 3.0 names the certificate to revoke by the
 * subject and public key of the PKCS#10 request. cmpflow sends the same rr body, byte for byte,
 * and OpenSSL's mock server accepts it; so does cmpflow's with -rsp_cert, while its CA refuses it.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { decodePkiMessage } from '../../src/asn1';
import { AsnConvert } from '@peculiar/asn1-schema';
import { runCmp, startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';

const MOCK = path.join(__dirname, '../openssl-rows/data/Mock');
let dir: string;
let ca: MockServer;

beforeAll(async () => {
  dir = scratchDir();
  ca = await startMockServer(
    [
      '-srv_cert',
      'server.crt',
      '-srv_key',
      'server.key',
      '-srv_secret',
      'pass:test',
      '-srv_trusted',
      'signer_root.crt',
      '-rsp_cert',
      'signer_only.crt',
    ],
    { cwd: MOCK },
  );
});
afterAll(async () => ca?.stop());

const rr = (reqout: string) => [
  '-server',
  ca.url.replace(/^http:\/\//, '').replace(/\/pkix\/$/, ''),
  '-ref',
  'client',
  '-secret',
  'pass:test',
  '-srvcert',
  'server.crt',
  '-cmd',
  'rr',
  '-revreason',
  '0',
  '-csr',
  'csr.pem',
  '-reqout',
  path.join(dir, reqout),
];
const rrBody = (file: string) => {
  const message = decodePkiMessage(new Uint8Array(readFileSync(path.join(dir, file))));
  return Buffer.from(AsnConvert.serialize(message.body.rr!)).toString('hex');
};

describe('rr naming the certificate by a CSR', () => {
  it('revokes by the subject and key of -csr when no -oldcert is given, with the rr body openssl cmp sends', async () => {
    const ours = await cmpflow(['-config', '', ...rr('cmpflow-rr.der')], { cwd: MOCK });
    expect(ours.errors).toEqual([]);
    expect(ours.code).toBe(0);
    const theirs = await runCmp(rr('openssl-rr.der'), { cwd: MOCK });
    expect(theirs.code).toBe(0);
    expect(rrBody('cmpflow-rr.der')).toBe(rrBody('openssl-rr.der'));
  });

  it("is accepted by cmpflow's mock server with -rsp_cert, as by OpenSSL 3.2-3.5's mock, and refused by its CA, which needs issuer and serial number (RFC 9483 section 4.2)", async () => {
    const client = ['-config', '', '-ref', 'client', '-secret', 'pass:test', '-cmd', 'rr', '-csr', 'csr.pem'];
    const server = ['-use_mock_srv', '-srv_ref', 'srv', '-srv_secret', 'pass:test'];
    const mock = await cmpflow([...client, ...server, '-rsp_cert', 'signer_only.crt', '-rspout', path.join(dir, 'mock-rp.der')], { cwd: MOCK });
    expect({ code: mock.code, errors: mock.errors }).toEqual({ code: 0, errors: [] });
    const rp = decodePkiMessage(new Uint8Array(readFileSync(path.join(dir, 'mock-rp.der')))).body.rp!;
    expect(rp.status.map((s) => s.status)).toEqual([0]);
    expect(rp.revCerts).toBeUndefined();

    const ca = await cmpflow([...client, ...server], { cwd: MOCK });
    expect(ca.code).toBe(1);
    expect(ca.errors).toEqual([expect.stringContaining('the revocation request must name the certificate by issuer and serial number')]);
  });

  it('still refuses an rr that names no certificate at all, naming both options', async () => {
    const run = await cmpflow(['-config', '', ...rr('none.der').filter((a) => a !== '-csr' && a !== 'csr.pem')], { cwd: MOCK });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringContaining('missing -oldcert or -issuer and -serial for certificate to be revoked and no -csr given')]);
  });
});
