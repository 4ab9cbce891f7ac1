/**
 * -popo 2 (keyEncipherment) and -popo 3 (keyAgreement) on the command line: against the embedded CA
 * (-use_mock_srv) the certificate comes back encrypted for the new key, the CLI decrypts it, saves it and
 * confirms it; OpenSSL reads the saved certificate as the certificate of the key file. A key that cannot
 * serve the method is refused. And OpenSSL 3.0's own client, which sends -popo 2 as cmp2000 and reads only
 * EncryptedValue, enrolls an RSA key with the embedded CA over HTTP (`cmpflow -port`-style listener).
 */
import { readFileSync, writeFileSync } from 'fs';
import { X509Certificate } from '@peculiar/x509';
import { encodePem } from '../../src/credentials';
import { generateMlKemKey } from '../../src/crypto/ml-kem';
import * as path from 'path';
import { createCmpServer, createThrowawayCa, listen, type CmpServer, type Listener, type ThrowawayCa } from '../../src/server';
import { runCmp, runOpenSsl } from '../support/openssl';
import { embeddedMacArgs } from '../support/cli-args';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'popo-cli-secret';
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = scratchDir();
});

const embeddedMac = () => embeddedMacArgs(SECRET);

async function openssl(args: string[]): Promise<string> {
  const run = await runOpenSsl(args);
  if (run.code !== 0) throw new Error(`openssl ${args.join(' ')}:\n${run.stderr}`);
  return run.stdout;
}

async function keyFile(name: string, algorithm: 'RSA' | 'EC'): Promise<string> {
  const out = file(name);
  const opt = algorithm === 'RSA' ? ['-pkeyopt', 'rsa_keygen_bits:2048'] : ['-pkeyopt', 'ec_paramgen_curve:P-256'];
  await openssl(['genpkey', '-algorithm', algorithm, ...opt, '-out', out]);
  return out;
}

async function expectKeyOf(certFile: string, keyFile: string): Promise<void> {
  expect(await openssl(['x509', '-in', certFile, '-noout', '-pubkey'])).toBe(await openssl(['pkey', '-in', keyFile, '-pubout']));
}

describe.each([
  ['2', 'RSA' as const, 'keyEncipherment'],
  ['3', 'EC' as const, 'keyAgreement'],
])('-popo %s with an %s key (%s)', (popo: string, algorithm: 'RSA' | 'EC', _usage: string) => {
  it('enrolls with the embedded CA: the encrypted certificate is decrypted, saved and confirmed', async () => {
    const key = await keyFile(`popo${popo}.key`, algorithm);
    const cert = file(`popo${popo}.crt`);
    const run = await cmpflow([...embeddedMac(), '-cmd', 'ir', '-newkey', key, '-popo', popo, '-subject', `/CN=popo ${popo}`, '-certout', cert]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    await expectKeyOf(cert, key);
    expect(await openssl(['x509', '-in', cert, '-noout', '-subject'])).toContain(`CN = popo ${popo}`);
  });
});

it('enrolls an ML-KEM-768 key from a PKCS#8 file with the embedded CA: -popo 2 by default, the certificate decapsulated and saved', async () => {
  const kem = generateMlKemKey('ml-kem-768');
  const key = file('ml-kem.key');
  writeFileSync(key, encodePem('PRIVATE KEY', kem.pkcs8()));
  const cert = file('ml-kem.crt');
  const run = await cmpflow([...embeddedMac(), '-cmd', 'ir', '-newkey', key, '-subject', '/CN=ml-kem cli', '-certout', cert]);
  expect(run.errors).toEqual([]);
  expect(run.code).toBe(0);
  const saved = new X509Certificate(readFileSync(cert, 'utf8'));
  expect(Buffer.from(saved.publicKey.rawData)).toEqual(Buffer.from(kem.spki()));
  // OpenSSL 3.0 knows no ML-KEM but still reads the certificate and its algorithm OID.
  expect(await openssl(['x509', '-in', cert, '-noout', '-text'])).toContain('2.16.840.1.101.3.4.4.2');
});

it('refuses -popo 3 for an RSA key and -popo 2 for an EC key, naming the option', async () => {
  const rsa = await keyFile('wrong.rsa.key', 'RSA');
  const ec = await keyFile('wrong.ec.key', 'EC');
  const three = await cmpflow([...embeddedMac(), '-cmd', 'ir', '-newkey', rsa, '-popo', '3', '-subject', '/CN=wrong', '-certout', file('w1.crt')]);
  expect(three.code).not.toBe(0);
  expect(three.stderr).toContain('popo: 3 needs an EC key (key agreement)');
  const two = await cmpflow([...embeddedMac(), '-cmd', 'ir', '-newkey', ec, '-popo', '2', '-subject', '/CN=wrong', '-certout', file('w2.crt')]);
  expect(two.code).not.toBe(0);
  expect(two.stderr).toContain('popo: 2 needs an RSA or ML-KEM key (key encipherment)');
});

describe('openssl cmp (OpenSSL 3.0) -popo 2 against the embedded CA', () => {
  let ca: ThrowawayCa;
  let listener: Listener;
  let server: CmpServer;
  beforeAll(async () => {
    ca = await createThrowawayCa({ folder: true });
    server = createCmpServer({ ...ca.serverConfig(), srvSecret: SECRET });
    listener = await listen(server);
  });
  afterAll(async () => {
    await listener?.close();
    await ca?.cleanup();
  });

  it('gets the certificate as EncryptedValue, decrypts it with the new RSA key and confirms it', async () => {
    const key = await keyFile('openssl-popo2.key', 'RSA');
    const cert = file('openssl-popo2.crt');
    const run = await runCmp([
      '-server',
      `127.0.0.1:${listener.port}`,
      '-path',
      'pkix/',
      '-trusted',
      ca.files!.caCert,
      '-msg_timeout',
      '10',
      '-secret',
      `pass:${SECRET}`,
      '-ref',
      'openssl-client',
      '-cmd',
      'ir',
      '-newkey',
      key,
      '-popo',
      '2',
      '-subject',
      '/CN=openssl popo 2',
      '-certout',
      cert,
    ]);
    expect(`${run.stdout}\n${run.stderr}`).not.toContain('error');
    expect(run.code).toBe(0);
    await expectKeyOf(cert, key);
    // The certConf's certHash, over what OpenSSL decrypted, matched: the CA holds the certificate as confirmed.
    expect(server.state.ca!.issued.map((r) => r.confirmed)).toEqual([true]);
    expect(readFileSync(cert, 'utf8')).toContain('BEGIN CERTIFICATE');
  });
});
