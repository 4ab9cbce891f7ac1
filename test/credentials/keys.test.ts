import { readFileSync } from 'node:fs';
import { webcrypto } from 'node:crypto';
import { loadCertificate } from '../../src/credentials/certificates';
import { publicKeyMatches } from '../../src/credentials/keys';
import { loadPrivateKey } from '../../src/credentials/loader';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { MAX_PBE_ITERATIONS } from '../../src/credentials/pbe';
import { PBKDF2Params } from '../../src/asn1';
import { Pbes2Params } from '../../src/credentials/pbe-params';
import { PrivateKey } from '../../src/crypto/private-key';
import { WebCryptoProvider } from '../../src/crypto/webcrypto';
import { NodeCryptoProvider } from '../../src/crypto/node';
import { CmpError, isCmpError } from '../../src/errors';
import { openssl, TempDir } from '../crypto/openssl-cli';
import { makeTestPki, TestPki } from './credential-files';

const passphrase = 'Tr0ub4dor&3 süß';

let dir: TempDir;
let pki: TestPki;
const files: Record<string, string> = {};
const spkis: Record<string, Buffer> = {};

/** Key files in every format `openssl` writes, each with the DER SubjectPublicKeyInfo of its key. */
beforeAll(() => {
  dir = new TempDir();
  pki = makeTestPki();
  const write = (name: string, args: string[], spkiOf: string): void => {
    files[name] = dir.file(name);
    openssl([...args, '-out', files[name]!]);
    spkis[name] = spkis[spkiOf]!;
  };
  for (const [name, alg] of [
    ['rsa', ['-algorithm', 'RSA']],
    ['ec', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384']],
    ['ed25519', ['-algorithm', 'ED25519']],
    ['ed448', ['-algorithm', 'ED448']],
  ] as const) {
    files[name] = dir.file(`${name}.pem`);
    openssl(['genpkey', ...alg, '-out', files[name]!]);
    spkis[name] = openssl(['pkey', '-in', files[name]!, '-pubout', '-outform', 'DER']);
  }
  const pass = ['-passout', `pass:${passphrase}`];
  write('pkcs8.der', ['pkcs8', '-topk8', '-nocrypt', '-in', files.ec!, '-outform', 'DER'], 'ec');
  write('pkcs1.pem', ['rsa', '-in', files.rsa!, '-traditional'], 'rsa');
  write('pkcs1.der', ['rsa', '-in', files.rsa!, '-traditional', '-outform', 'DER'], 'rsa');
  write('sec1.pem', ['ec', '-in', files.ec!], 'ec');
  write('sec1.der', ['ec', '-in', files.ec!, '-outform', 'DER'], 'ec');
  write('ecparam-genkey.pem', ['ecparam', '-name', 'prime256v1', '-genkey'], 'none');
  spkis['ecparam-genkey.pem'] = openssl(['pkey', '-in', files['ecparam-genkey.pem']!, '-pubout', '-outform', 'DER']);
  write('pbes2-aes256.pem', ['pkcs8', '-topk8', '-in', files.rsa!, ...pass], 'rsa');
  write('pbes2-aes256.der', ['pkcs8', '-topk8', '-in', files.ec!, ...pass, '-outform', 'DER'], 'ec');
  write('pbes2-aes128-sha512.pem', ['pkcs8', '-topk8', '-in', files.ed25519!, '-v2', 'aes-128-cbc', '-v2prf', 'hmacWithSHA512', ...pass], 'ed25519');
  write('pbes2-des3-sha1.pem', ['pkcs8', '-topk8', '-in', files.ed448!, '-v2', 'des3', '-v2prf', 'hmacWithSHA1', ...pass], 'ed448');
  write('pkcs12-3des.pem', ['pkcs8', '-topk8', '-in', files.ec!, '-v1', 'PBE-SHA1-3DES', ...pass], 'ec');
  write('legacy-aes128.pem', ['rsa', '-in', files.rsa!, '-traditional', '-aes128', ...pass], 'rsa');
  write('legacy-des3.pem', ['ec', '-in', files.ec!, '-des3', ...pass], 'ec');
  write('scrypt.pem', ['pkcs8', '-topk8', '-in', files.ec!, '-scrypt', ...pass], 'ec');
});

afterAll(() => {
  dir.cleanup();
  pki.dir.cleanup();
});

async function errorOf(promise: Promise<unknown>): Promise<CmpError> {
  try {
    await promise;
  } catch (e) {
    if (isCmpError(e)) return e;
    throw e;
  }
  throw new Error('expected a CmpError');
}

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('loadPrivateKey', () => {
  test.each([
    ['PKCS#8 PEM (RSA)', 'rsa', 'rsa'],
    ['PKCS#8 PEM (P-384)', 'ec', 'ec'],
    ['PKCS#8 PEM (Ed25519)', 'ed25519', 'ed25519'],
    ['PKCS#8 PEM (Ed448)', 'ed448', 'ed448'],
    ['PKCS#8 DER', 'pkcs8.der', 'ec'],
    ['PKCS#1 RSA PEM', 'pkcs1.pem', 'rsa'],
    ['PKCS#1 RSA DER', 'pkcs1.der', 'rsa'],
    ['SEC1 EC PEM', 'sec1.pem', 'ec'],
    ['SEC1 EC DER', 'sec1.der', 'ec'],
    ['SEC1 after EC PARAMETERS (openssl ecparam -genkey)', 'ecparam-genkey.pem', 'ec'],
  ])('reads %s as the key openssl sees in it', async (_format, file, keyType) => {
    const key = await loadPrivateKey(files[file]!);
    expect(key.keyType).toBe(keyType);
    expect(hex(key.spki)).toBe(hex(spkis[file]!));
  });

  test.each([
    ['encrypted PKCS#8 PEM, PBES2 AES-256-CBC (OpenSSL 3 default)', 'pbes2-aes256.pem'],
    ['encrypted PKCS#8 DER, PBES2 AES-256-CBC', 'pbes2-aes256.der'],
    ['encrypted PKCS#8, PBES2 AES-128-CBC with hmacWithSHA512', 'pbes2-aes128-sha512.pem'],
    ['encrypted PKCS#8, PBES2 DES-EDE3-CBC with hmacWithSHA1', 'pbes2-des3-sha1.pem'],
    ['encrypted PKCS#8, pbeWithSHAAnd3-KeyTripleDES-CBC', 'pkcs12-3des.pem'],
    ['traditional PEM encryption, AES-128-CBC (RSA)', 'legacy-aes128.pem'],
    ['traditional PEM encryption, DES-EDE3-CBC (EC)', 'legacy-des3.pem'],
  ])('decrypts %s with the pass phrase', async (_format, file) => {
    const key = await loadPrivateKey(files[file]!, passphrase);
    expect(hex(key.spki)).toBe(hex(spkis[file]!));
  });

  test.each(['pbes2-aes256.pem', 'pbes2-aes256.der', 'pkcs12-3des.pem', 'legacy-aes128.pem', 'legacy-des3.pem'])(
    'a wrong pass phrase for %s is ERR_BAD_PASSPHRASE, and the message holds neither pass phrase',
    async (file) => {
      const wrong = 'not-the-passphrase-42';
      const error = await errorOf(loadPrivateKey(files[file]!, wrong));
      expect(error.code).toBe('ERR_BAD_PASSPHRASE');
      expect(error.message).toContain(files[file]!);
      expect(error.message).not.toContain(wrong);
      expect(error.message).not.toContain(passphrase);
      expect(JSON.stringify(error)).not.toContain(wrong);
    },
  );

  test('wrong pass phrases are detected every time, not only when CBC padding fails', async () => {
    const codes = new Set<string>();
    for (let i = 0; i < 300; i++) codes.add((await errorOf(loadPrivateKey(files['pbes2-aes256.der']!, `wrong ${i}`))).code);
    expect([...codes]).toEqual(['ERR_BAD_PASSPHRASE']);
  });

  test('an encrypted key without a pass phrase is ERR_MISSING_OPTION', async () => {
    expect((await errorOf(loadPrivateKey(files['pbes2-aes256.pem']!))).code).toBe('ERR_MISSING_OPTION');
    expect((await errorOf(loadPrivateKey(files['legacy-aes128.pem']!))).code).toBe('ERR_MISSING_OPTION');
  });

  test('an encrypted key demanding more than MAX_PBE_ITERATIONS is refused with ERR_CREDENTIALS before any hashing', async () => {
    const encrypted = AsnConvert.parse(readFileSync(files['pbes2-aes256.der']!), EncryptedPrivateKeyInfo);
    const pbes2 = AsnConvert.parse(encrypted.encryptionAlgorithm.parameters!, Pbes2Params);
    const kdf = AsnConvert.parse(pbes2.keyDerivationFunc.parameters!, PBKDF2Params);
    kdf.iterationCount = BigInt(MAX_PBE_ITERATIONS + 1);
    pbes2.keyDerivationFunc.parameters = AsnConvert.serialize(kdf);
    encrypted.encryptionAlgorithm.parameters = AsnConvert.serialize(pbes2);
    const started = Date.now();
    const error = await errorOf(loadPrivateKey(new Uint8Array(AsnConvert.serialize(encrypted)), passphrase));
    expect(error.code).toBe('ERR_CREDENTIALS');
    expect(Date.now() - started).toBeLessThan(1000);
  });

  test('a scrypt-encrypted key is ERR_UNSUPPORTED_ALGORITHM', async () => {
    expect((await errorOf(loadPrivateKey(files['scrypt.pem']!, passphrase))).code).toBe('ERR_UNSUPPORTED_ALGORITHM');
  });

  test('reads PEM text and PEM bytes as well as files', async () => {
    const text = readFileSync(files['sec1.pem']!, 'utf8');
    expect(hex((await loadPrivateKey(text)).spki)).toBe(hex(spkis.ec!));
    expect(hex((await loadPrivateKey(Buffer.from(text))).spki)).toBe(hex(spkis.ec!));
    expect(hex((await loadPrivateKey(readFileSync(files['pkcs1.der']!))).spki)).toBe(hex(spkis.rsa!));
  });

  test('finds the key in a file that also holds certificates', async () => {
    const combined = dir.file('combined.pem', Buffer.concat([readFileSync(pki.eeCert), readFileSync(files.ed25519!)]));
    expect(hex((await loadPrivateKey(combined)).spki)).toBe(hex(spkis.ed25519!));
  });

  test('imports through the given provider', async () => {
    const key = await loadPrivateKey(files['pbes2-aes256.pem']!, passphrase, new WebCryptoProvider(webcrypto as unknown as Crypto));
    expect(hex(key.spki)).toBe(hex(spkis.rsa!));
    await expect(new NodeCryptoProvider().sign({ scheme: 'rsa-pkcs1', hash: 'SHA-256' }, key, Uint8Array.of(1))).rejects.toThrow(CmpError);
  });

  test('a missing file is ERR_FILE naming it', async () => {
    const error = await errorOf(loadPrivateKey('/nonexistent/key.pem'));
    expect(error.code).toBe('ERR_FILE');
    expect(error.message).toContain('/nonexistent/key.pem');
  });

  test('a file without a key is ERR_CREDENTIALS naming it without quoting it', async () => {
    const error = await errorOf(loadPrivateKey(pki.eeCert));
    expect(error.code).toBe('ERR_CREDENTIALS');
    expect(error.message).toContain(pki.eeCert);
    expect(error.message).not.toContain(readFileSync(pki.eeCert, 'utf8').split('\n')[1]!);
  });

  test('DER that is no key format is ERR_CREDENTIALS', async () => {
    expect((await errorOf(loadPrivateKey(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x00)))).code).toBe('ERR_CREDENTIALS');
  });

  test('a PRIVATE KEY block whose content is not PKCS#8 is ERR_CREDENTIALS', async () => {
    const rsaBody = readFileSync(files['pkcs1.pem']!, 'utf8').replace(/RSA PRIVATE KEY/g, 'PRIVATE KEY');
    expect((await errorOf(loadPrivateKey(rsaBody))).code).toBe('ERR_CREDENTIALS');
  });
});

describe('publicKeyMatches', () => {
  test('is true for the key of a certificate and false for another key', async () => {
    const cert = loadCertificate(pki.eeCert);
    expect(publicKeyMatches(await loadPrivateKey(pki.eeKey), cert)).toBe(true);
    expect(publicKeyMatches(await loadPrivateKey(pki.caKey), cert)).toBe(false);
    expect(publicKeyMatches(await loadPrivateKey(files.ed25519!), cert)).toBe(false);
  });

  test('treats an RSA key labelled rsaEncryption and the same key labelled RSASSA-PSS as one key', async () => {
    const pssKeyFile = dir.file('pss.pem');
    openssl(['genpkey', '-algorithm', 'RSA-PSS', '-out', pssKeyFile]);
    const pssCertFile = dir.file('pss-cert.pem');
    openssl(['req', '-new', '-x509', '-key', pssKeyFile, '-subj', '/CN=pss', '-out', pssCertFile]);
    const pssCert = loadCertificate(pssCertFile);
    expect(pssCert.publicKey.algorithm.name).toBe('RSA-PSS');

    const pssKey = await loadPrivateKey(pssKeyFile);
    const spki = AsnConvert.parse(pssKey.spki, SubjectPublicKeyInfo);
    spki.algorithm = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.1', parameters: null });
    const relabelled = new PrivateKey({ keyType: 'rsa', handle: pssKey.handle, spki: new Uint8Array(AsnConvert.serialize(spki)) });

    expect(publicKeyMatches(pssKey, pssCert)).toBe(true);
    expect(publicKeyMatches(relabelled, pssCert)).toBe(true);
    expect(publicKeyMatches(await loadPrivateKey(files.rsa!), pssCert)).toBe(false);
  });
});
