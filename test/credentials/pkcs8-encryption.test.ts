/**
 * cmpflow's own PBES2 encryption of PKCS#8 key files (used for keys node:crypto cannot export, ML-DSA):
 * OpenSSL 3.0 decrypts what it writes, and cmpflow's loader reads it back under the right pass phrase only.
 */
import { generateKeyPairSync } from 'crypto';
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { encodePem, loadPrivateKey } from '../../src/credentials';
import { encryptPrivateKeyInfo } from '../../src/credentials/pkcs8-encryption';
import { getCryptoProvider } from '../../src/crypto';
import { isCmpError } from '../../src/errors';
import { runOpenSsl } from '../support/openssl';
import { scratchDir } from '../cli/run-support';

const rejection = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('encryptPrivateKeyInfo (PBES2, PBKDF2-HMAC-SHA256, AES-256-CBC)', () => {
  it('writes an EC key that `openssl pkey` decrypts with the pass phrase to the same key', async () => {
    const dir = scratchDir();
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'prime256v1' });
    const pkcs8 = new Uint8Array(privateKey.export({ format: 'der', type: 'pkcs8' }));
    const file = path.join(dir, 'enc.key');
    writeFileSync(file, encodePem('ENCRYPTED PRIVATE KEY', encryptPrivateKeyInfo(pkcs8, 'pässwort')));
    const run = await runOpenSsl(['pkey', '-in', file, '-passin', 'pass:pässwort', '-pubout', '-outform', 'DER', '-out', path.join(dir, 'pub.der')]);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(readFileSync(path.join(dir, 'pub.der'))).toEqual(publicKey.export({ format: 'der', type: 'spki' }));
    const wrong = await runOpenSsl(['pkey', '-in', file, '-passin', 'pass:other', '-noout']);
    expect(wrong.code).not.toBe(0);
  });

  it('writes an ML-DSA key that cmpflow loads back with the pass phrase, and refuses a wrong one', async () => {
    const provider = getCryptoProvider();
    const key = await provider.generateKey({ type: 'ml-dsa-65' });
    const encrypted = encodePem('ENCRYPTED PRIVATE KEY', encryptPrivateKeyInfo(await provider.exportPrivateKey(key), 'kp'));
    const loaded = await loadPrivateKey(encrypted, 'kp');
    expect(Buffer.from(loaded.spki)).toEqual(Buffer.from(key.spki));
    expect(isCmpError(await rejection(loadPrivateKey(encrypted, 'not-kp')), 'ERR_BAD_PASSPHRASE')).toBe(true);
  });
});
