import * as crypto from 'node:crypto';
import { promisify } from 'node:util';
import { BoundedMap } from '../bounded-map';
import { toB64 } from '../bytes';
import { CmpError, ErrorCodes } from '../errors';
import { hashLength, SCHEME_KEY_TYPES } from './algorithms';
import { PrivateKey } from './private-key';
import {
  exportMlDsaPrivateKey,
  generateMlDsaKey,
  importMlDsaPrivateKey,
  isMlDsaKey,
  isMlDsaScheme,
  isMlDsaVariant,
  mlDsaSign,
  mlDsaVariantOfPkcs8,
  mlDsaVerify,
} from './ml-dsa';
import { nextTurn, SLICE_MS } from './event-loop-turns';
import { iterateSha256 } from './sha256-iteration';
import type { CryptoProvider, HashName, KeySpec, KeyType, PrivateKeyHandle, SignatureAlgorithm } from './provider';

const pbkdf2 = promisify(crypto.pbkdf2);
const generateKeyPair = promisify(crypto.generateKeyPair);

const nodeHashNames: Record<HashName, string> = {
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA3-256': 'sha3-256',
  'SHA3-384': 'sha3-384',
  'SHA3-512': 'sha3-512',
  SHAKE128: 'shake128',
  SHAKE256: 'shake256',
};

const curvesByNodeName: Record<string, string> = { prime256v1: 'P-256', secp384r1: 'P-384', secp521r1: 'P-521' };
const nodeNamesByCurve: Record<string, string> = { 'P-256': 'prime256v1', 'P-384': 'secp384r1', 'P-521': 'secp521r1' };

/** A copy that owns its ArrayBuffer: Node Buffers may be views into a shared pool. */
function bytes(buf: Uint8Array): Uint8Array {
  return new Uint8Array(buf);
}

/** The node:crypto name of a hash, e.g. 'sha256'. */
export function nodeHash(hash: HashName): string {
  const name = nodeHashNames[hash];
  if (name === undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported hash ${String(hash)}`);
  return name;
}

/** A fixed-length hash: SHAKE is used with the output length of RFC 8702. */
function createHash(hash: HashName): crypto.Hash {
  const name = nodeHash(hash);
  return hash.startsWith('SHAKE') ? crypto.createHash(name, { outputLength: hashLength(hash) }) : crypto.createHash(name);
}

/**
 * One digest. crypto.hash (Node 20.12 and later) skips the Hash object and its stream plumbing,
 * which is most of the cost of hashing 32 bytes: PBM's hundreds of rounds run about twice as fast.
 * It has no output length option, so the XOFs keep createHash.
 */
const oneShotHash = (crypto as { hash?: typeof crypto.hash }).hash;

function digestOnce(hash: HashName, name: string, data: Uint8Array): Buffer {
  return oneShotHash && !hash.startsWith('SHAKE') ? oneShotHash(name, data, 'buffer') : createHash(hash).update(data).digest();
}

/** Hashes usable inside HMAC, PBKDF2 and signatures: not the XOFs. */
function fixedHash(hash: HashName | undefined, use: string): string {
  if (hash === undefined || hash.startsWith('SHAKE')) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported hash ${String(hash)} for ${use}`);
  }
  return nodeHash(hash);
}

function keyObjectOf(key: PrivateKeyHandle): crypto.KeyObject {
  const handle = key.handle;
  if (!(handle instanceof crypto.KeyObject) || handle.type !== 'private') {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'private key handle does not belong to the Node crypto provider');
  }
  return handle;
}

function checkScheme(alg: SignatureAlgorithm): void {
  if (SCHEME_KEY_TYPES[alg.scheme] === undefined) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported signature scheme ${String(alg.scheme)}`);
  }
}

/** The hash argument and key options of crypto.sign/verify for a signature algorithm. */
function signParams(alg: SignatureAlgorithm): { hash: string | null; options: Omit<crypto.SignKeyObjectInput, 'key'> } {
  checkScheme(alg);
  switch (alg.scheme) {
    case 'rsa-pkcs1':
      return { hash: fixedHash(alg.hash, 'RSA signatures'), options: { padding: crypto.constants.RSA_PKCS1_PADDING } };
    case 'rsa-pss': {
      const hash = fixedHash(alg.hash, 'RSA-PSS signatures');
      return {
        hash,
        options: { padding: crypto.constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength ?? hashLength(alg.hash!) },
      };
    }
    case 'ecdsa':
      // X.509 and CMS carry ECDSA signatures as DER Ecdsa-Sig-Value, not IEEE P1363 r||s.
      return { hash: fixedHash(alg.hash, 'ECDSA signatures'), options: { dsaEncoding: 'der' } };
    default:
      return { hash: null, options: {} };
  }
}

function keyTypeOf(key: crypto.KeyObject): KeyType {
  switch (key.asymmetricKeyType) {
    case 'rsa':
    case 'rsa-pss':
      return 'rsa';
    case 'ec':
      return 'ec';
    case 'ed25519':
      return 'ed25519';
    case 'ed448':
      return 'ed448';
    case 'x25519':
      return 'x25519';
    case 'x448':
      return 'x448';
    default:
      throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported key type ${String(key.asymmetricKeyType)}`);
  }
}

function wrapKeyObject(key: crypto.KeyObject): PrivateKeyHandle {
  const keyType = keyTypeOf(key);
  const details = key.asymmetricKeyDetails ?? {};
  let curve: string | undefined;
  if (keyType === 'ec') {
    curve = curvesByNodeName[details.namedCurve ?? ''];
    if (curve === undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported EC curve ${String(details.namedCurve)}`);
  }
  const spki = bytes(crypto.createPublicKey(key).export({ type: 'spki', format: 'der' }));
  return new PrivateKey({
    keyType,
    handle: key,
    spki,
    ...(curve !== undefined ? { curve } : {}),
    ...(keyType === 'rsa' && details.modulusLength !== undefined ? { modulusLength: details.modulusLength } : {}),
  });
}

/**
 * Public keys by their SubjectPublicKeyInfo: a CA's key verifies a certificate in every session,
 * and importing it is most of the cost of an ECDSA verification. KeyObjects are immutable; the
 * cache is bounded, least recently used first out.
 */
const PUBLIC_KEY_CACHE_SIZE = 256;
const publicKeys = new BoundedMap<string, crypto.KeyObject>(PUBLIC_KEY_CACHE_SIZE);

/**
 * The node:crypto KeyObject of a DER SubjectPublicKeyInfo, from the same cache the provider's
 * verify uses (so code that must inspect a key, like the embedded CA's issuance policy, does not
 * import it a second time). Throws what node:crypto throws for a malformed key.
 */
export function cachedPublicKeyObject(spki: Uint8Array): crypto.KeyObject {
  return publicKeyOf(spki);
}

function publicKeyOf(spki: Uint8Array): crypto.KeyObject {
  const key = toB64(spki);
  return publicKeys.get(key) ?? publicKeys.set(key, crypto.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
}

/** Rounds between two looks at the clock: well under a millisecond of any hash. */
const ROUNDS_PER_CHECK = 500;
/** What is left of a derivation is done at once up to this many rounds (OpenSSL's default count is 500). */
const ROUNDS_WITHOUT_TURN = 1000;
/**
 * SHA-256 rounds a process hashes through node:crypto before the JavaScript compression takes over.
 * Until V8 has optimised it, the JavaScript is the slower one: one 500-round PBM derivation in a fresh
 * process costs about 11 ms of CPU in JavaScript and 1.3 ms through node:crypto. A single command
 * (`cmpflow -cmd ir`: three derivations) stays native; a long-running process pays the warm-up once.
 */
const NATIVE_SHA256_ROUNDS_FIRST = 2000;
let nativeSha256RoundsLeft = NATIVE_SHA256_ROUNDS_FIRST;

/** The default provider, on node:crypto. */
export class NodeCryptoProvider implements CryptoProvider {
  randomBytes(length: number): Uint8Array {
    return bytes(crypto.randomBytes(length));
  }

  async digest(hash: HashName, data: Uint8Array): Promise<Uint8Array> {
    return bytes(digestOnce(hash, nodeHash(hash), data));
  }

  async iteratedDigest(hash: HashName, data: Uint8Array, count: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `iteration count must be a positive integer, got ${count}`);
    }
    const name = nodeHash(hash);
    // PBM may ask for tens of thousands of rounds: synchronous hashing keeps each round cheap, and
    // SHA-256 (the usual one-way function) rounds after the first run in JavaScript, cheaper still
    // once the process has warmed it up (NATIVE_SHA256_ROUNDS_FIRST).
    // More than a few rounds run in slices of about SLICE_MS that take turns with everything else
    // on the event loop (event-loop-turns.ts), so a server deriving keys for some requests still
    // answers the others.
    let value: Uint8Array = digestOnce(hash, name, data);
    let done = 1;
    while (done < count) {
      if (count - done > ROUNDS_WITHOUT_TURN) await nextTurn();
      const sliceEnd = performance.now() + SLICE_MS;
      do {
        const rounds = Math.min(ROUNDS_PER_CHECK, count - done);
        if (hash === 'SHA-256' && nativeSha256RoundsLeft <= 0) value = iterateSha256(value, rounds);
        else {
          for (let i = 0; i < rounds; i++) value = digestOnce(hash, name, value);
          if (hash === 'SHA-256') nativeSha256RoundsLeft -= rounds;
        }
        done += rounds;
      } while (done < count && performance.now() < sliceEnd);
    }
    return bytes(value);
  }

  async hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    return bytes(crypto.createHmac(fixedHash(hash, 'HMAC'), key).update(data).digest());
  }

  async pbkdf2(hash: HashName, password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Promise<Uint8Array> {
    const name = fixedHash(hash, 'PBKDF2');
    if (!Number.isSafeInteger(iterations) || iterations < 1 || !Number.isSafeInteger(keyLength) || keyLength < 1) {
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'PBKDF2 iteration count and key length must be positive integers');
    }
    return bytes(await pbkdf2(password, salt, iterations, keyLength, name));
  }

  async sign(alg: SignatureAlgorithm, key: PrivateKeyHandle, data: Uint8Array): Promise<Uint8Array> {
    if (key.sign) return key.sign(alg, data);
    // Node 20's OpenSSL has no ML-DSA: those keys live in ml-dsa.ts for every provider.
    if (isMlDsaKey(key) || isMlDsaScheme(alg)) return mlDsaSign(alg, key, data);
    const keyObject = keyObjectOf(key);
    const { hash, options } = signParams(alg);
    if (SCHEME_KEY_TYPES[alg.scheme] !== keyTypeOf(keyObject)) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `a ${keyTypeOf(keyObject)} key cannot sign with ${alg.scheme}`);
    }
    try {
      return bytes(crypto.sign(hash, data, { key: keyObject, ...options }));
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `signing with ${alg.scheme} failed`, { cause: e });
    }
  }

  async verify(alg: SignatureAlgorithm, spki: Uint8Array, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
    if (isMlDsaScheme(alg)) return mlDsaVerify(alg, spki, signature, data);
    const { hash, options } = signParams(alg);
    try {
      const publicKey = publicKeyOf(spki);
      if (SCHEME_KEY_TYPES[alg.scheme] !== keyTypeOf(publicKey)) return false;
      return crypto.verify(hash, data, { key: publicKey, ...options }, signature);
    } catch {
      // A malformed key or signature is a signature that does not verify.
      return false;
    }
  }

  async importPrivateKey(pkcs8: Uint8Array): Promise<PrivateKeyHandle> {
    if (mlDsaVariantOfPkcs8(pkcs8) !== undefined) return importMlDsaPrivateKey(pkcs8);
    let key: crypto.KeyObject;
    try {
      key = crypto.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'cannot import private key: not a valid unencrypted PKCS#8 PrivateKeyInfo', { cause: e });
    }
    return wrapKeyObject(key);
  }

  async exportPrivateKey(key: PrivateKeyHandle): Promise<Uint8Array> {
    if (isMlDsaKey(key)) return exportMlDsaPrivateKey(key);
    return bytes(keyObjectOf(key).export({ type: 'pkcs8', format: 'der' }));
  }

  async generateKey(spec: KeySpec): Promise<PrivateKeyHandle> {
    if (isMlDsaVariant(spec.type)) return generateMlDsaKey(spec.type, (n) => this.randomBytes(n));
    switch (spec.type) {
      case 'rsa': {
        if (!Number.isSafeInteger(spec.modulusLength) || spec.modulusLength < 1024) {
          throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `RSA modulus length must be at least 1024 bits, got ${spec.modulusLength}`);
        }
        const { privateKey } = await generateKeyPair('rsa', { modulusLength: spec.modulusLength, publicExponent: 0x10001 });
        return wrapKeyObject(privateKey);
      }
      case 'ec': {
        const namedCurve = nodeNamesByCurve[spec.curve];
        if (namedCurve === undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported EC curve ${String(spec.curve)}`);
        const { privateKey } = await generateKeyPair('ec', { namedCurve });
        return wrapKeyObject(privateKey);
      }
      case 'ed25519':
        return wrapKeyObject((await generateKeyPair('ed25519', {})).privateKey);
      case 'ed448':
        return wrapKeyObject((await generateKeyPair('ed448', {})).privateKey);
      default:
        throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported key type ${String((spec as { type: unknown }).type)}`);
    }
  }
}
