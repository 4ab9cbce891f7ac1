/**
 * A password-based MAC key (PasswordBasedMac's iterated hash, PBMAC1's PBKDF2) depends only on
 * secret, salt and the derivation's parameters, and deriving it (hundreds to many thousands of
 * rounds) is most of what such a MAC costs. A peer that keeps its salt for a while, as cmpflow does
 * for what it sends (see reusablePbmSalt), therefore needs the rounds once, not once per message.
 *
 * Entries are found by a SHA-256 over everything the key depends on, so a hit needs the secret
 * itself: a different secret with the same salt never finds another's key, and the map holds no
 * secret in a readable form. Bounded, least recently used first out.
 *
 * A received key enters the cache only when its salt comes back: OpenSSL's client draws a fresh
 * salt for every message, so every one of its keys would be kept for nothing, pushing out the keys
 * of peers that do reuse their salt (cmpflow's own clients, for 10,000 messages). Until then it
 * waits in a small probation map, where the second message of such a peer finds it.
 */
import { BoundedMap } from '../bounded-map';
import type { CryptoProvider, HashName } from '../crypto/provider';
import { toB64 } from '../bytes';

/** Enough for every secret a server shares with its clients' current salts, and then some. */
export const PBM_KEY_CACHE_SIZE = 1024;

const keys = new BoundedMap<string, Uint8Array>(PBM_KEY_CACHE_SIZE);

/** Keys seen once, until their salt comes back (then into `keys`) or newer ones push them out. */
export const PBM_KEY_PROBATION_SIZE = 64;
const probation = new BoundedMap<string, Uint8Array>(PBM_KEY_PROBATION_SIZE);

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

/**
 * The PBM base key h^iterations(secret || salt), derived once per distinct input. `ours`: a salt of
 * our own (reusablePbmSalt's), used for many messages, so cached at once.
 */
export async function cachedPbmKey(
  provider: CryptoProvider,
  owf: HashName,
  secret: Uint8Array,
  salt: Uint8Array,
  iterations: number,
  ours = false,
): Promise<Uint8Array> {
  const id = await lookupId(provider, `key/${owf}/${iterations}`, secret, salt);
  return remembered(id, ours, async () => {
    const base = new Uint8Array(secret.length + salt.length);
    base.set(secret, 0);
    base.set(salt, secret.length);
    const key = await provider.iteratedDigest(owf, base, iterations);
    base.fill(0);
    return key;
  });
}

/** The key under `id`, or `derive`'s: kept at once when `ours`, else on probation until it is asked for again. */
async function remembered(id: string, ours: boolean, derive: () => Promise<Uint8Array>): Promise<Uint8Array> {
  const kept = keys.get(id);
  if (kept) return kept;
  const seenOnce = probation.peek(id);
  if (seenOnce) {
    probation.delete(id);
    return keys.set(id, seenOnce);
  }
  const key = await derive();
  return ours ? keys.set(id, key) : probation.set(id, key);
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
  return remembered(id, false, () => provider.pbkdf2(prf, secret, salt, iterations, keyLength));
}

/** Forgets every derived key (tests, and applications that rotate secrets and want them gone). */
export function clearPbmKeyCache(): void {
  keys.clear();
  probation.clear();
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
  /** What the sender made for this salt once (withReusablePbmSalt), for every message under it. */
  made?: Promise<unknown>;
}

type SaltLimits = { uses: number; lifetimeMs: number };
const saltLimits: SaltLimits = { uses: PBM_SALT_USES, lifetimeMs: PBM_SALT_LIFETIME_MS };

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
  limits: SaltLimits = saltLimits,
): Promise<Uint8Array> {
  return (await saltInUse(provider, secret, settings, saltLength, limits)).salt.slice();
}

/**
 * `make`'s result for the salt reusablePbmSalt would give: made once per salt (the parameters'
 * DER, the key) and kept with it, so a message under a salt in use finds it with one digest.
 * `settings` must name everything `make` depends on besides secret and salt.
 */
export async function withReusablePbmSalt<T>(
  provider: CryptoProvider,
  secret: Uint8Array,
  settings: string,
  saltLength: number,
  make: (salt: Uint8Array) => Promise<T>,
): Promise<T> {
  const entry = await saltInUse(provider, secret, `made/${settings}`, saltLength, saltLimits);
  if (!entry.made) {
    // Kept as a promise, so that messages protected at once under a new salt share one making.
    const made = make(entry.salt.slice());
    entry.made = made;
    made.catch(() => {
      if (entry.made === made) entry.made = undefined;
    });
  }
  return entry.made as Promise<T>;
}

async function saltInUse(provider: CryptoProvider, secret: Uint8Array, settings: string, saltLength: number, limits: SaltLimits): Promise<SaltInUse> {
  const id = await lookupId(provider, `salt/${settings}/${saltLength}`, secret, new Uint8Array(0));
  const now = Date.now();
  const current = salts.peek(id);
  if (current && current.uses < limits.uses && now - current.since < limits.lifetimeMs && now >= current.since) {
    current.uses++;
    return current;
  }
  return salts.set(id, { salt: provider.randomBytes(saltLength), uses: 1, since: now });
}
