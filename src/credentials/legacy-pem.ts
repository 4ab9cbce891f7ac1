/**
 * OpenSSL's traditional PEM encryption (RFC 1421 headers `Proc-Type: 4,ENCRYPTED` and
 * `DEK-Info: CIPHER,IV`), still written by `openssl rsa|ec -aes256 -traditional` and found in many
 * older key files. The key is EVP_BytesToKey with MD5, one round, salted with the IV's first 8 bytes.
 */
import { createDecipheriv, createHash } from 'node:crypto';
import { CmpError, ErrorCodes } from '../errors';
import type { PemBlock } from './pem';

const ciphers: Record<string, { name: string; keyLength: number; ivLength: number }> = {
  'AES-128-CBC': { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  'AES-192-CBC': { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  'AES-256-CBC': { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  'DES-EDE3-CBC': { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

export function isLegacyEncrypted(block: PemBlock): boolean {
  return /ENCRYPTED/i.test(block.headers['Proc-Type'] ?? '');
}

function bytesToKey(password: Buffer, salt: Uint8Array, length: number): Buffer {
  const parts: Buffer[] = [];
  let previous = Buffer.alloc(0);
  for (let have = 0; have < length; have += previous.length) {
    previous = createHash('md5').update(previous).update(password).update(salt).digest();
    parts.push(previous);
  }
  return Buffer.concat(parts).subarray(0, length);
}

/** The DER inside a legacy-encrypted PEM block; ERR_BAD_PASSPHRASE when the padding does not check out. */
export function decryptLegacyPem(block: PemBlock, passphrase: string, what: string): Uint8Array {
  const [cipherName, ivHex] = (block.headers['DEK-Info'] ?? '').split(',').map((s) => s.trim());
  const cipher = ciphers[(cipherName ?? '').toUpperCase()];
  if (cipher === undefined) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported PEM encryption ${JSON.stringify(cipherName ?? '')} in ${what}`);
  }
  const iv = Buffer.from(ivHex ?? '', 'hex');
  if (iv.length !== cipher.ivLength || !/^[0-9a-f]+$/i.test(ivHex ?? '')) throw new CmpError(ErrorCodes.ERR_PEM, `malformed DEK-Info IV in ${what}`);
  const key = bytesToKey(Buffer.from(passphrase, 'utf8'), iv.subarray(0, 8), cipher.keyLength);
  try {
    const d = createDecipheriv(cipher.name, key, iv);
    return new Uint8Array(Buffer.concat([d.update(block.der), d.final()]));
  } catch {
    throw new CmpError(ErrorCodes.ERR_BAD_PASSPHRASE, `cannot decrypt ${what}: wrong pass phrase`);
  }
}
