/**
 * -reqin and -reqin_new_tid against OpenSSL's own mock server, replaying what OpenSSL's CLI test
 * rows "reqin old tid", "reqin new tid" and "reqin wrong req" do: requests recorded with -reqout
 * in one run are sent in a later run in place of the ones cmpflow builds. The server checks their
 * PBM protection and, for certConf, that recipNonce echoes its last senderNonce; so a request whose
 * header cmpflow changed goes through only if cmpflow protected it again.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { decodePkiMessage } from '../../src/asn1/codec';
import { dumpPkiMessage } from '../../src/asn1/dump';
import { makeTestPki, type TestPki } from '../support/pki';
import { runOpenSsl, startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'cli-reqin-secret';
let pki: TestPki;
let server: MockServer;
let dir: string;
const file = (name: string) => path.join(dir, name);

type Header = { transactionID: string; senderNonce: string; recipNonce?: string };
const headerOf = (name: string) =>
  (dumpPkiMessage(decodePkiMessage(new Uint8Array(readFileSync(file(name))))) as { bodyType: string; header: Header }).header;
const bodyTypeOf = (name: string) => (dumpPkiMessage(decodePkiMessage(new Uint8Array(readFileSync(file(name))))) as { bodyType: string }).bodyType;

const request = (cmd: string, certOut: string) => [
  '-config',
  '',
  '-server',
  server.url,
  '-ref',
  'client-ref',
  '-secret',
  `pass:${SECRET}`,
  '-cmd',
  cmd,
  '-newkey',
  pki.newKeyPath,
  '-subject',
  '/CN=replayed',
  '-certout',
  file(certOut),
];

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
  server = await startMockServer(['-srv_ref', 'mock', '-srv_secret', `pass:${SECRET}`, '-rsp_cert', pki.enrolled.certPath]);
  const ir = await cmpflow([...request('ir', 'first.pem'), '-reqout', `${file('ir.der')},${file('certConf.der')}`]);
  const cr = await cmpflow([...request('cr', 'cr.pem'), '-reqout', file('cr.der')]);
  expect([ir.code, cr.code]).toEqual([0, 0]);
});
afterAll(async () => {
  await server?.stop();
  await pki?.cleanup();
});

describe('-reqin', () => {
  it('sends the recorded ir and certConf in their old transaction, the certConf answering the new ip, and enrolls', async () => {
    const run = await cmpflow([
      ...request('ir', 'old-tid.pem'),
      '-reqin',
      `${file('ir.der')},${file('certConf.der')}`,
      '-rspout',
      `${file('old-ip.der')},${file('old-pkiConf.der')}`,
    ]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const [ir, ip, pkiConf] = [headerOf('ir.der'), headerOf('old-ip.der'), headerOf('old-pkiConf.der')];
    expect(ip.transactionID).toBe(ir.transactionID);
    expect(pkiConf.transactionID).toBe(ir.transactionID);
    expect(ip.recipNonce).toBe(ir.senderNonce);
    expect(readFileSync(file('old-tid.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('with -reqin_new_tid sends them in the transaction of this run, protected again, and enrolls', async () => {
    const run = await cmpflow([
      ...request('ir', 'new-tid.pem'),
      '-reqin',
      `${file('ir.der')},${file('certConf.der')}`,
      '-reqin_new_tid',
      '-reqout',
      `${file('built-ir.der')},${file('built-certConf.der')}`,
      '-rspout',
      `${file('new-ip.der')},${file('new-pkiConf.der')}`,
    ]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const [recorded, built, ip, pkiConf] = [headerOf('ir.der'), headerOf('built-ir.der'), headerOf('new-ip.der'), headerOf('new-pkiConf.der')];
    expect(ip.transactionID).not.toBe(recorded.transactionID);
    expect(ip.transactionID).toBe(built.transactionID);
    expect(pkiConf.transactionID).toBe(built.transactionID);
    // The recorded senderNonce is kept: the ip answers the recorded ir, not the one built.
    expect(ip.recipNonce).toBe(recorded.senderNonce);
    expect(readFileSync(file('new-tid.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('goes on in the recorded transaction when the -reqin files run out, as openssl does: the certConf it builds itself is accepted', async () => {
    const reference = await runOpenSsl(['cmp', ...request('ir', 'openssl-short.pem'), '-reqin', file('ir.der')]);
    expect(reference.code).toBe(0);
    const run = await cmpflow([
      ...request('ir', 'short.pem'),
      '-reqin',
      file('ir.der'),
      '-rspout',
      `${file('short-ip.der')},${file('short-pkiConf.der')}`,
    ]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(headerOf('short-pkiConf.der').transactionID).toBe(headerOf('ir.der').transactionID);
  });

  it('fails with one line when the recorded request is not what the command asks for (a cr in place of an ir)', async () => {
    const run = await cmpflow([
      ...request('ir', 'wrong.pem'),
      '-reqin',
      `${file('cr.der')},${file('certConf.der')}`,
      '-rspout',
      file('wrong-rsp.der'),
    ]);
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(bodyTypeOf('wrong-rsp.der')).toBe('cp');
  });

  it('warns that -reqin_new_tid is ignored without -reqin, as openssl does, and goes on', async () => {
    const run = await cmpflow([...request('ir', 'no-reqin.pem'), '-reqin_new_tid']);
    expect(run.code).toBe(0);
    expect(run.stderrLines).toContain('CMP warning: -reqin_new_tid is ignored since -reqin is not present');
  });
});

describe('-reqin_new_tid with signature-protected requests', () => {
  let signing: MockServer;
  const signed = (certOut: string) => [
    '-config',
    '',
    '-server',
    signing.url,
    '-cert',
    pki.client.certPath,
    '-key',
    pki.client.keyPath,
    '-untrusted',
    pki.untrustedPath,
    '-trusted',
    pki.trustedPath,
    '-cmd',
    'ir',
    '-newkey',
    pki.newKeyPath,
    '-subject',
    '/CN=replayed signed',
    '-certout',
    file(certOut),
  ];

  beforeAll(async () => {
    signing = await startMockServer([
      '-srv_cert',
      pki.server.certPath,
      '-srv_key',
      pki.server.keyPath,
      '-srv_untrusted',
      pki.untrustedPath,
      '-srv_trusted',
      pki.trustedPath,
      '-rsp_cert',
      pki.enrolled.certPath,
      '-rsp_extracerts',
      pki.chainPath,
    ]);
  });
  afterAll(async () => {
    await signing?.stop();
  });

  it('signs the recorded requests again with -cert and -key, which the server verifies, and enrolls', async () => {
    const record = await cmpflow([...signed('signed-first.pem'), '-reqout', `${file('signed-ir.der')},${file('signed-certConf.der')}`]);
    expect(record.errors).toEqual([]);
    const run = await cmpflow([
      ...signed('signed-new-tid.pem'),
      '-reqin',
      `${file('signed-ir.der')},${file('signed-certConf.der')}`,
      '-reqin_new_tid',
      '-rspout',
      `${file('signed-ip.der')},${file('signed-pkiConf.der')}`,
    ]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(headerOf('signed-ip.der').transactionID).not.toBe(headerOf('signed-ir.der').transactionID);
    expect(bodyTypeOf('signed-pkiConf.der')).toBe('pkiconf');
  });
});
