/**
 * An encrypted certificate (CertOrEncCert encryptedCert, RFC 9810 section 5.2.8.3) that cmpflow did not
 * make: sealed by `openssl cms -encrypt` (EnvelopedData for an RSA key by RSA-OAEP and for an EC key by
 * ECDH) or by `openssl pkeyutl -encrypt` + `openssl enc` (the deprecated EncryptedValue of cmp2000 CAs,
 * PKCS#1 v1.5 as OpenSSL's CMP code writes it), opened by cmpflow with the certified key alone. A wrong
 * key is ERR_CMS_DECRYPT.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { createPrivateKey, generateKeyPairSync } from 'crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { ContentInfo } from '@peculiar/asn1-cms';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { EncryptedKey, EncryptedValue, EnvelopedData } from '../../src/asn1';
import { CmsOids, openCertificate } from '../../src/cms';
import { makeTestPki, type TestPki } from '../support/pki';
import { runOpenSsl } from '../support/openssl';

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(() => pki?.cleanup());

async function openssl(args: string[]): Promise<void> {
  const result = await runOpenSsl(args, { cwd: pki.dir });
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${result.stderr}`);
}

const read = (name: string) => fs.readFile(path.join(pki.dir, name));

/** The certificate `certDer` encrypted by openssl cms -encrypt for the holder of `recipientCert`. */
async function sealedByOpenssl(name: string, certDer: Uint8Array, recipientCert: string, extra: string[] = []): Promise<EncryptedKey> {
  await fs.writeFile(path.join(pki.dir, `${name}.cer`), certDer);
  await openssl([
    'cms',
    '-encrypt',
    '-binary',
    '-aes256',
    '-in',
    `${name}.cer`,
    '-outform',
    'DER',
    '-out',
    `${name}.p7`,
    '-recip',
    recipientCert,
    ...extra,
  ]);
  const info = AsnConvert.parse(await read(`${name}.p7`), ContentInfo);
  return new EncryptedKey({ envelopedData: AsnConvert.parse(info.content, EnvelopedData) });
}

it('opens EnvelopedData of openssl cms -encrypt for an RSA key (RSA-OAEP key transport) with that key', async () => {
  const encrypted = await sealedByOpenssl('rsa', pki.rsaClient.certDer, pki.rsaClient.certPath, ['-keyopt', 'rsa_padding_mode:oaep']);
  expect(encrypted.envelopedData!.recipientInfos[0]!.ktri).toBeDefined();
  const opened = openCertificate(encrypted, { kind: 'privateKey', privateKey: createPrivateKey(pki.rsaClient.keyPem) });
  expect(Buffer.from(opened)).toEqual(Buffer.from(pki.rsaClient.certDer));
});

it('opens EnvelopedData of openssl cms -encrypt for an EC key (ECDH key agreement) with that key', async () => {
  const encrypted = await sealedByOpenssl('ec', pki.client.certDer, pki.client.certPath);
  expect(encrypted.envelopedData!.recipientInfos[0]!.kari).toBeDefined();
  const opened = openCertificate(encrypted, { kind: 'privateKey', privateKey: createPrivateKey(pki.client.keyPem) });
  expect(Buffer.from(opened)).toEqual(Buffer.from(pki.client.certDer));
});

it('opens an EncryptedValue made with openssl pkeyutl (PKCS#1 v1.5) and openssl enc (AES-256-CBC)', async () => {
  const key = Buffer.alloc(32, 0x5a);
  const iv = Buffer.alloc(16, 0xa5);
  await fs.writeFile(path.join(pki.dir, 'ev.cer'), pki.rsaClient.certDer);
  await fs.writeFile(path.join(pki.dir, 'ev.symm'), key);
  await openssl(['pkeyutl', '-encrypt', '-certin', '-inkey', pki.rsaClient.certPath, '-in', 'ev.symm', '-out', 'ev.symm.enc']);
  await openssl(['enc', '-aes-256-cbc', '-K', key.toString('hex'), '-iv', iv.toString('hex'), '-in', 'ev.cer', '-out', 'ev.cer.enc']);
  const value = new EncryptedValue({
    symmAlg: new AlgorithmIdentifier({ algorithm: CmsOids.aes256Cbc, parameters: AsnConvert.serialize(new OctetString(iv)) }),
    encSymmKey: new Uint8Array(await read('ev.symm.enc')).buffer,
    keyAlg: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.1' }),
    encValue: new Uint8Array(await read('ev.cer.enc')).buffer,
  });
  // Through DER, as it would arrive.
  const received = AsnConvert.parse(AsnConvert.serialize(new EncryptedKey({ encryptedValue: value })), EncryptedKey);
  const opened = openCertificate(received, { kind: 'privateKey', privateKey: createPrivateKey(pki.rsaClient.keyPem) });
  expect(Buffer.from(opened)).toEqual(Buffer.from(pki.rsaClient.certDer));
});

it('refuses to open with another key: ERR_CMS_DECRYPT', async () => {
  const rsa = await sealedByOpenssl('other-rsa', pki.rsaClient.certDer, pki.rsaClient.certPath, ['-keyopt', 'rsa_padding_mode:oaep']);
  const otherRsa = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey;
  expect(() => openCertificate(rsa, { kind: 'privateKey', privateKey: otherRsa })).toThrow(expect.objectContaining({ code: 'ERR_CMS_DECRYPT' }));
  const ec = await sealedByOpenssl('other-ec', pki.client.certDer, pki.client.certPath);
  const otherEc = createPrivateKey(await fs.readFile(pki.newKeyPath, 'utf8'));
  expect(() => openCertificate(ec, { kind: 'privateKey', privateKey: otherEc })).toThrow(expect.objectContaining({ code: 'ERR_CMS_DECRYPT' }));
});
