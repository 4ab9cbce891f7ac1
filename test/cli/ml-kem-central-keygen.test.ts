/**
 * `-centralkeygen` of ML-KEM keys against the embedded CA (kept in a -srv_store folder): an ML-KEM
 * `-newkey` names the variant (the request carries only its algorithm), the CA makes a key of it,
 * certified for keyEncipherment alone, and sends it in RFC 9935's seed form; `-newkeyout` writes it (0600,
 * PBES2 with -newkeypass), and that encrypted file is read again as `-newkey` with `-newkeypass`. Delivered
 * under the MAC secret (PWRI) and by RSA-OAEP key transport to the RSA key of a signed request, which
 * OpenSSL 3.0 opens (`openssl cms -decrypt`) and verifies (`openssl cms -verify`, signer id-kp-cmKGA).
 */
import { readFileSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { decodePkiMessage } from '../../src/asn1';
import { encodePem } from '../../src/credentials';
import { mlKemPrivateKeyIn } from '../../src/credentials/ml-kem-key';
import { generateMlKemKey, mlKemPrivateKeyFromPkcs8, ML_KEM_OIDS, type MlKemVariant } from '../../src/crypto/ml-kem';
import { createThrowawayCa } from '../../src/server';
import { runOpenSsl } from '../support/openssl';
import { CM_KGA_NAME, opensslKeyPackage } from '../support/openssl-key-package';
import { macClientArgs, mockServerArgs } from '../support/cli-args';
import { cmpflow, scratchDir } from './run-support';
import { certificateIn, deliveredKey, signedClientArgs, spkiOf } from './central-keygen-files';

const SECRET = 'ml-kem-central-keygen-secret';
let dir: string;
let store: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = scratchDir();
  store = file('ca');
  await createThrowawayCa({ folder: store });
});

const mockServer = () => mockServerArgs(SECRET, store);

/** A key file of `variant`, which as -newkey only names the variant to generate; returns its SPKI. */
function namingKey(name: string, variant: MlKemVariant): Buffer {
  const key = generateMlKemKey(variant);
  writeFileSync(file(name), encodePem('PRIVATE KEY', key.pkcs8()), { mode: 0o600 });
  return Buffer.from(key.spki());
}

const spkiIn = (name: string) => spkiOf(certificateIn(file(name)));

async function keyUsageText(certFile: string): Promise<string> {
  const run = await runOpenSsl(['x509', '-in', certFile, '-noout', '-ext', 'keyUsage']);
  if (run.code !== 0) throw new Error(run.stderr);
  return run.stdout;
}

it('-newkey naming ML-KEM-512 gets such a key under the MAC secret (PWRI), written encrypted by -newkeyout and read back as -newkey with -newkeypass', async () => {
  const named = namingKey('names-512.key', 'ml-kem-512');
  const run = await cmpflow(
    [
      ...mockServer(),
      ...macClientArgs(SECRET),
      '-cmd',
      'ir',
      '-centralkeygen',
      '-newkey',
      file('names-512.key'),
      '-subject',
      '/CN=central ml-kem',
      '-certout',
      file('central.crt'),
      '-newkeyout',
      file('central.key'),
      '-newkeypass',
      'pass:kem-key-pass',
      '-reqout',
      'ir.der',
    ],
    { cwd: dir },
  );
  expect(run.errors).toEqual([]);
  expect(run.code).toBe(0);

  const template = decodePkiMessage(new Uint8Array(readFileSync(file('ir.der')))).body.ir![0]!.certReq.certTemplate.publicKey!;
  expect([template.algorithm.algorithm, template.subjectPublicKey.byteLength]).toEqual([ML_KEM_OIDS['ml-kem-512'], 0]);
  const certified = spkiIn('central.crt');
  expect(certified).not.toEqual(named);
  expect((await keyUsageText(file('central.crt'))).trim().split('\n').pop()!.trim()).toBe('Key Encipherment');

  expect(statSync(file('central.key')).mode & 0o777).toBe(0o600);
  expect(readFileSync(file('central.key'), 'utf8')).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
  expect(run.stderr).not.toContain('kem-key-pass');
  const saved = await mlKemPrivateKeyIn(file('central.key'), 'key', 'kem-key-pass');
  expect(Buffer.from(saved!.spki())).toEqual(certified);
  await expect(mlKemPrivateKeyIn(file('central.key'), 'key', 'wrong')).rejects.toMatchObject({ code: 'ERR_BAD_PASSPHRASE' });

  // The encrypted key file as -newkey: enrolled with indirect proof of possession (popo 2), the certificate decapsulated.
  const again = await cmpflow(
    [
      ...mockServer(),
      ...macClientArgs(SECRET, 'again'),
      '-cmd',
      'ir',
      '-newkey',
      file('central.key'),
      '-newkeypass',
      'pass:kem-key-pass',
      '-subject',
      '/CN=central ml-kem again',
      '-certout',
      file('again.crt'),
    ],
    { cwd: dir },
  );
  expect(again.errors).toEqual([]);
  expect(spkiIn('again.crt')).toEqual(certified);
});

it('an RSA-signed cr gets an ML-KEM-1024 key by RSA-OAEP key transport, which OpenSSL 3.0 opens and verifies as the KGA’s', async () => {
  const rsa = await runOpenSsl(['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', file('signer.key')]);
  expect(rsa.code).toBe(0);
  const enrolled = await cmpflow(
    [
      ...mockServer(),
      ...macClientArgs(SECRET, 'signer'),
      '-cmd',
      'ir',
      '-newkey',
      file('signer.key'),
      '-subject',
      '/CN=rsa signer',
      '-certout',
      file('signer.crt'),
    ],
    { cwd: dir },
  );
  expect(enrolled.errors).toEqual([]);
  namingKey('names-1024.key', 'ml-kem-1024');
  const run = await cmpflow(
    [
      ...mockServer(),
      ...signedClientArgs(file('signer.crt'), file('signer.key'), path.join(store, 'ca.crt')),
      '-cmd',
      'cr',
      '-centralkeygen',
      '-newkey',
      file('names-1024.key'),
      '-certout',
      file('central1024.crt'),
      '-newkeyout',
      file('central1024.key'),
      '-rspout',
      'cp.der',
    ],
    { cwd: dir },
  );
  expect(run.errors).toEqual([]);
  expect(run.code).toBe(0);
  const certified = spkiIn('central1024.crt');
  expect(readFileSync(file('central1024.key'), 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
  expect(Buffer.from((await mlKemPrivateKeyIn(file('central1024.key'), 'key'))!.spki())).toEqual(certified);

  const enveloped = deliveredKey(file('cp.der'));
  expect(enveloped.recipientInfos[0]!.ktri).toBeDefined();
  const { keys, signerExtKeyUsage } = await opensslKeyPackage(
    dir,
    'cp1024',
    enveloped,
    ['-recip', file('signer.crt'), '-inkey', file('signer.key')],
    path.join(store, 'ca.crt'),
  );
  expect(signerExtKeyUsage).toContain(CM_KGA_NAME);
  expect(Buffer.from(mlKemPrivateKeyFromPkcs8(new Uint8Array(AsnConvert.serialize(keys[0]!))).spki())).toEqual(certified);
});
