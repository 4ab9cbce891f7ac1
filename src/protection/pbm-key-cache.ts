/**
 * A password-based MAC key (PasswordBasedMac's iterated hash, PBMAC1's PBKDF2) depends only on
 * secret, salt and the derivation's parameters, and deriving it (hundreds to many thousands of
 * rounds) is most of what such a MAC costs. A peer that keeps its salt for a while, as cmpflow does
 * for what it sends (see reusablePbmSalt), therefore needs the rounds once, not once per message.
 *
 * Entries are found by a SHA-256 over everything the key depends on, so a hit needs the secret
 * itself: a different secret with the same salt never finds another's key, and the map holds no
 * secret in a readable form. Bounded, least recently used first out.
 */
import { BoundedMap } from '../bounded-map';
import type { CryptoProvider, HashName } from '../crypto/provider';
import { toB64 } from '../bytes';

/** Enough for every secret a server shares with its clients' current salts, and then some. */
export const PBM_KEY_CACHE_SIZE = 1024;

const keys = new BoundedMap<string, Uint8Array>(PBM_KEY_CACHE_SIZE);

/** What an entry is found by: the digest of a label, the secret and the salt, lengths included. */
async function lookupId(provider: CryptoProvider, what: string, secret: Uint8Array, salt: Uint8Array): Promise<string> {
  const label = new TextEncoder().encode(`${what}/${secret.length}/${salt.length}/`);
  const input = new Uint8Array(label.length + secret.length + salt.length);
  input.set(label, 0);
  input.set(secret, label.length);
  input.set(salt, label.length + secret.length);
  const id = toB64(await provider.digest('SHA-256', input));
  input.fill(0);
  return id;
}

/** The PBM base key h^iterations(secret || salt), derived once per distinct input. */
export async function cachedPbmKey(
  provider: CryptoProvider,
  owf: HashName,
  secret: Uint8Array,
  salt: Uint8Array,
  iterations: number,
): Promise<Uint8Array> {
  return remembered(await lookupId(provider, `key/${owf}/${iterations}`, secret, salt), async () => {
    const base = new Uint8Array(secret.length + salt.length);
    base.set(secret, 0);
    base.set(salt, secret.length);
    const key = await provider.iteratedDigest(owf, base, iterations);
    base.fill(0);
    return key;
  });
}

/** The key under `id`, or `derive`'s, remembered (least recently used first out). */
async function remembered(id: string, derive: () => Promise<Uint8Array>): Promise<Uint8Array> {
  return keys.get(id) ?? keys.set(id, await derive());
}

/**
 * The PBMAC1 key PBKDF2(prf, secret, salt, iterations, keyLength), derived once per distinct input
 * (in the same bounded cache as the PBM keys, under another label).
 */
export async function cachedPbkdf2Key(
  provider: CryptoProvider,
  prf: HashName,
  secret: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  keyLength: number,
): Promise<Uint8Array> {
  const id = await lookupId(provider, `pbkdf2/${prf}/${iterations}/${keyLength}`, secret, salt);
  return remembered(id, () => provider.pbkdf2(prf, secret, salt, iterations, keyLength));
}

/** Forgets every derived key (tests, and applications that rotate secrets and want them gone). */
export function clearPbmKeyCache(): void {
  keys.clear();
  salts.clear();
}

/**
 * How long, in messages and in time, a sender keeps one salt for a secret and PBM settings. RFC 4211
 * section 4.4 asks for a random salt, not for a new one per message: reusing it does not help an
 * eavesdropper (guessing the password costs the same rounds per guess, with one message or many),
 * and the receiver's cost is the same or, if it caches as we do, lower.
 */
export const PBM_SALT_USES = 10_000;
export const PBM_SALT_LIFETIME_MS = 10 * 60 * 1000;

interface SaltInUse {
  salt: Uint8Array;
  uses: number;
  since: number;
}

const salts = new BoundedMap<string, SaltInUse>(PBM_KEY_CACHE_SIZE);

/**
 * The salt to send with `secret` and these settings: a fresh random one, kept for PBM_SALT_USES
 * messages or PBM_SALT_LIFETIME_MS, whichever ends first. Found, like the keys, by a digest that
 * needs the secret.
 */
export async function reusablePbmSalt(
  provider: CryptoProvider,
  secret: Uint8Array,
  settings: string,
  saltLength: number,
  limits: { uses: number; lifetimeMs: number } = { uses: PBM_SALT_USES, lifetimeMs: PBM_SALT_LIFETIME_MS },
): Promise<Uint8Array> {
  const id = await lookupId(provider, `salt/${settings}/${saltLength}`, secret, new Uint8Array(0));
  const now = Date.now();
  const current = salts.peek(id);
  if (current && current.uses < limits.uses && now - current.since < limits.lifetimeMs && now >= current.since) {
    current.uses++;
    return current.salt.slice();
  }
  const fresh: SaltInUse = { salt: provider.randomBytes(saltLength), uses: 1, since: now };
  salts.set(id, fresh);
  return fresh.salt.slice();
}
