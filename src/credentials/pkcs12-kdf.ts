/**
 * The key derivation of PKCS#12 (RFC 7292 appendix B.2), used for the MAC key and for the legacy
 * pbeWithSHAAnd*-CBC encryption schemes. It is not PBKDF2 and no crypto library we use offers it.
 */
import { createHash } from 'node:crypto';
import type { HashName } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';

export const Pkcs12KeyId = { key: 1, iv: 2, mac: 3 } as const;

/** Output length u and block length v of the hashes PKCS#12 is used with. */
const hashParams: Partial<Record<HashName, { name: string; u: number; v: number }>> = {
  'SHA-1': { name: 'sha1', u: 20, v: 64 },
  'SHA-224': { name: 'sha224', u: 28, v: 64 },
  'SHA-256': { name: 'sha256', u: 32, v: 64 },
  'SHA-384': { name: 'sha384', u: 48, v: 128 },
  'SHA-512': { name: 'sha512', u: 64, v: 128 },
};

/**
 * The password as PKCS#12 wants it: a BMPString (UTF-16BE) with a two-byte zero terminator, or no
 * bytes at all for an absent password (which some writers use instead of the empty string).
 */
export function bmpPassword(passphrase: string | null): Uint8Array {
  if (passphrase === null) return new Uint8Array(0);
  const out = new Uint8Array(passphrase.length * 2 + 2);
  for (let i = 0; i < passphrase.length; i++) {
    const unit = passphrase.charCodeAt(i);
    out[2 * i] = unit >> 8;
    out[2 * i + 1] = unit & 0xff;
  }
  return out;
}

/** Repeats `data` to fill a multiple of v bytes (empty input stays empty). */
function stretch(data: Uint8Array, v: number): Uint8Array {
  const out = new Uint8Array(v * Math.ceil(data.length / v));
  for (let i = 0; i < out.length; i++) out[i] = data[i % data.length]!;
  return out;
}

export function pkcs12Kdf(hash: HashName, password: Uint8Array, salt: Uint8Array, iterations: number, id: number, length: number): Uint8Array {
  const params = hashParams[hash];
  if (params === undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported hash ${hash} for the PKCS#12 key derivation`);
  const { name, u, v } = params;
  const diversifier = new Uint8Array(v).fill(id);
  const input = Buffer.concat([stretch(salt, v), stretch(password, v)]);
  const out = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += u) {
    let a: Uint8Array = createHash(name).update(diversifier).update(input).digest();
    for (let r = 1; r < iterations; r++) a = createHash(name).update(a).digest();
    out.set(a.subarray(0, Math.min(u, length - offset)), offset);
    if (offset + u >= length) break;
    // I_j = (I_j + B + 1) mod 2^(8v) for each v-byte block I_j of I, where B is A repeated to v bytes.
    const b = stretch(a, v);
    for (let j = 0; j < input.length; j += v) {
      let carry = 1;
      for (let k = v - 1; k >= 0; k--) {
        const sum = input[j + k]! + b[k]! + carry;
        input[j + k] = sum & 0xff;
        carry = sum >> 8;
      }
    }
  }
  return out;
}
