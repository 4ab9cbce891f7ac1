/**
 * A check value of the shared secret that protected a waiting session, kept with it so that a
 * resume refuses a mistyped secret before anything is sent. OpenSSL 3.0's mock server (like any
 * server that closes a transaction on an error) ends the transaction when a poll fails its MAC
 * check, so a wrong secret sent once would lose the enrollment.
 *
 * The check is scrypt of the secret with a random salt: it reveals less about the secret than
 * the PBM-protected messages of the transaction, which travel in the clear over plain HTTP.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'crypto';
import { CmpError } from '../errors';

export interface PbmCheck {
  kdf: 'scrypt';
  /** base64 */
  salt: string;
  n: number;
  r: number;
  p: number;
  /** base64 of 32 bytes */
  value: string;
}

const N = 16384;
const R = 8;
const P = 1;
const LENGTH = 32;
/** Bounds a tampered file's cost parameters: at most what a check of this version takes, 16 MiB. */
const MAX_N = N;

function derive(secret: Uint8Array, salt: Buffer, n: number, r: number, p: number): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    scrypt(secret, salt, LENGTH, { N: n, r, p, maxmem: 64 * 1024 * 1024 }, (e, key) => (e ? reject(e) : resolve(key))),
  );
}

export async function makePbmCheck(secret: Uint8Array): Promise<PbmCheck> {
  const salt = randomBytes(16);
  const value = await derive(secret, salt, N, R, P);
  return { kdf: 'scrypt', salt: salt.toString('base64'), n: N, r: R, p: P, value: value.toString('base64') };
}

/** Throws ERR_SNAPSHOT_INVALID, naming the field, unless `value` is a check this version makes. */
export function parsePbmCheck(value: unknown): PbmCheck {
  const bad = (field: string) => new CmpError('ERR_SNAPSHOT_INVALID', `persisted session field pbmCheck${field} is not valid`);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw bad('');
  const c = value as Record<string, unknown>;
  for (const key of Object.keys(c)) if (!['kdf', 'salt', 'n', 'r', 'p', 'value'].includes(key)) throw bad(`.${key}`);
  if (c.kdf !== 'scrypt') throw bad('.kdf');
  const b64 = (v: unknown, bytes: number) => typeof v === 'string' && Buffer.from(v, 'base64').length === bytes && Buffer.from(v, 'base64').toString('base64') === v;
  if (!b64(c.salt, 16)) throw bad('.salt');
  if (!b64(c.value, LENGTH)) throw bad('.value');
  if (c.n !== N && !(Number.isSafeInteger(c.n) && (c.n as number) >= 2 && (c.n as number) <= MAX_N && ((c.n as number) & ((c.n as number) - 1)) === 0)) throw bad('.n');
  if (c.r !== R) throw bad('.r');
  if (c.p !== P) throw bad('.p');
  return { kdf: 'scrypt', salt: c.salt as string, n: c.n as number, r: R, p: P, value: c.value as string };
}

/** Whether `secret` is the one the check was made of. */
export async function secretMatches(check: PbmCheck, secret: Uint8Array): Promise<boolean> {
  const expected = Buffer.from(check.value, 'base64');
  const actual = await derive(secret, Buffer.from(check.salt, 'base64'), check.n, check.r, check.p);
  return timingSafeEqual(expected, actual);
}
