/**
 * The two ways CMS wraps a content-encryption key under a key-encryption key: AES key wrap (RFC 3394,
 * used by key agreement and by RFC 9481's password recipients) and RFC 3211's PWRI-KEK (CBC twice over
 * a length- and check-byte-framed key, the only password wrap OpenSSL's CMS code reads).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CmpError, ErrorCodes } from '../errors';

const aesWrapCiphers: Record<number, string> = { 16: 'id-aes128-wrap', 24: 'id-aes192-wrap', 32: 'id-aes256-wrap' };
// RFC 3394 section 2.2.3.1's default initial value.
const defaultIv = Buffer.from('A6A6A6A6A6A6A6A6', 'hex');

function undecryptable(what: string, cause?: unknown): CmpError {
  return new CmpError(ErrorCodes.ERR_CMS_DECRYPT, `cannot unwrap the content-encryption key: ${what}`, cause ? { cause } : {});
}

export function aesWrap(kek: Uint8Array, key: Uint8Array): Uint8Array {
  const cipher = createCipheriv(aesWrapCiphers[kek.length]!, kek, defaultIv);
  return new Uint8Array(Buffer.concat([cipher.update(key), cipher.final()]));
}

export function aesUnwrap(kek: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const name = aesWrapCiphers[kek.length];
  if (!name) throw undecryptable(`a ${kek.length}-byte key-encryption key`);
  try {
    const decipher = createDecipheriv(name, kek, defaultIv);
    return new Uint8Array(Buffer.concat([decipher.update(wrapped), decipher.final()]));
  } catch (e) {
    // The integrity check of the wrap is what tells a wrong key or password apart.
    throw undecryptable('the integrity check failed (wrong key or password)', e);
  }
}

const cbcCiphers: Record<number, string> = { 16: 'aes-128-cbc', 24: 'aes-192-cbc', 32: 'aes-256-cbc' };

function cbc(encrypt: boolean, kek: Uint8Array, iv: Uint8Array, data: Uint8Array): Buffer {
  const name = cbcCiphers[kek.length]!;
  const c = encrypt ? createCipheriv(name, kek, iv) : createDecipheriv(name, kek, iv);
  c.setAutoPadding(false);
  return Buffer.concat([c.update(data), c.final()]);
}

const BLOCK = 16;

/** RFC 3211 section 2.3.1. */
export function pwriKekWrap(kek: Uint8Array, iv: Uint8Array, key: Uint8Array): Uint8Array {
  const framed = 4 + key.length;
  const length = Math.max(2 * BLOCK, Math.ceil(framed / BLOCK) * BLOCK);
  const block = Buffer.alloc(length);
  block[0] = key.length;
  for (let i = 0; i < 3; i++) block[1 + i] = ~key[i]! & 0xff;
  block.set(key, 4);
  randomBytes(length - framed).copy(block, framed);
  const first = cbc(true, kek, iv, block);
  return new Uint8Array(cbc(true, kek, first.subarray(length - BLOCK), first));
}

/** RFC 3211 section 2.3.2: the inner pass is undone block by block, its IV being the outer ciphertext's last block. */
export function pwriKekUnwrap(kek: Uint8Array, iv: Uint8Array, wrapped: Uint8Array): Uint8Array {
  const n = wrapped.length;
  if (n < 2 * BLOCK || n % BLOCK !== 0) throw undecryptable('the wrapped key has an impossible length');
  const last = cbc(false, kek, wrapped.subarray(n - 2 * BLOCK, n - BLOCK), wrapped.subarray(n - BLOCK));
  const rest = cbc(false, kek, last, wrapped.subarray(0, n - BLOCK));
  const inner = cbc(false, kek, iv, Buffer.concat([rest, last]));
  const keyLength = inner[0]!;
  const checks = inner[1]! ^ inner[4]!,
    check2 = inner[2]! ^ inner[5]!,
    check3 = inner[3]! ^ inner[6]!;
  if (keyLength < 16 || keyLength + 4 > n || (checks & check2 & check3) !== 0xff)
    throw undecryptable('the check bytes do not match (wrong password)');
  return new Uint8Array(inner.subarray(4, 4 + keyLength));
}
