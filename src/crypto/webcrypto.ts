/**
 * A CryptoProvider on WebCrypto (`crypto.subtle`), for browsers and other runtimes without
 * node:crypto. WebCrypto lacks SHA-224, SHA-3 and SHAKE, and cannot import RSASSA-PSS-restricted
 * keys; those give ERR_UNSUPPORTED_ALGORITHM.
 */
import { AsnParser } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { ECParameters } from '@peculiar/asn1-ecc';
import { CmpError, ErrorCodes } from '../errors';
import { Oids, hashLength, oidName, SCHEME_KEY_TYPES } from './algorithms';
import { derToP1363, p1363ToDer } from './ecdsa-signature';
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
import type { CryptoProvider, HashName, KeySpec, KeyType, PrivateKeyHandle, SignatureAlgorithm } from './provider';

type WebHash = 'SHA-1' | 'SHA-256' | 'SHA-384' | 'SHA-512';
const webHashes: ReadonlySet<string> = new Set(['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512']);

const curvesByOid: Record<string, string> = { [Oids.prime256v1]: 'P-256', [Oids.secp384r1]: 'P-384', [Oids.secp521r1]: 'P-521' };
/** Bytes of each of r and s in a P1363 signature. */
const curveSizes: Record<string, number> = { 'P-256': 32, 'P-384': 48, 'P-521': 66 };

interface KeyDescription {
  keyType: KeyType;
  curve?: string;
}

function webHash(hash: HashName | undefined, use: string): WebHash {
  if (hash === undefined || !webHashes.has(hash)) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `WebCrypto does not support ${String(hash)} for ${use}`);
  }
  return hash as WebHash;
}

/** WebCrypto wants BufferSource backed by an ArrayBuffer; a copy also detaches us from the caller's buffer. */
function buf(data: Uint8Array): Uint8Array<ArrayBuffer> {
  return new Uint8Array(data);
}

/** The key type (and curve) an AlgorithmIdentifier of a key names. */
function describeKeyAlgorithm(algorithm: string, parameters: ArrayBuffer | null | undefined): KeyDescription {
  switch (algorithm) {
    case Oids.rsaEncryption:
      return { keyType: 'rsa' };
    case Oids.ed25519:
      return { keyType: 'ed25519' };
    case Oids.ed448:
      return { keyType: 'ed448' };
    case Oids.ecPublicKey: {
      const namedCurve = parameters ? AsnParser.parse(parameters, ECParameters).namedCurve : undefined;
      const curve = namedCurve && curvesByOid[namedCurve];
      if (!curve)
        throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported EC curve ${namedCurve ? oidName(namedCurve) : '(not named)'}`);
      return { keyType: 'ec', curve };
    }
    default:
      throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `WebCrypto provider does not support ${oidName(algorithm)} keys`);
  }
}

/** The WebCrypto import parameters for a key used with a signature algorithm. */
function importParams(alg: SignatureAlgorithm, key: KeyDescription): RsaHashedImportParams | EcKeyImportParams | Algorithm {
  switch (alg.scheme) {
    case 'rsa-pkcs1':
      return { name: 'RSASSA-PKCS1-v1_5', hash: webHash(alg.hash, 'RSA signatures') };
    case 'rsa-pss':
      return { name: 'RSA-PSS', hash: webHash(alg.hash, 'RSA-PSS signatures') };
    case 'ecdsa':
      return { name: 'ECDSA', namedCurve: key.curve! };
    case 'ed25519':
      return { name: 'Ed25519' };
    case 'ed448':
      return { name: 'Ed448' };
    default:
      throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported signature scheme ${String(alg.scheme)}`);
  }
}

function signParams(alg: SignatureAlgorithm): Algorithm | RsaPssParams | EcdsaParams {
  switch (alg.scheme) {
    case 'rsa-pss':
      return { name: 'RSA-PSS', saltLength: alg.saltLength ?? hashLength(alg.hash!) } as RsaPssParams;
    case 'ecdsa':
      return { name: 'ECDSA', hash: webHash(alg.hash, 'ECDSA signatures') } as EcdsaParams;
    case 'rsa-pkcs1':
      return { name: 'RSASSA-PKCS1-v1_5' };
    case 'ed25519':
      return { name: 'Ed25519' };
    default:
      return { name: 'Ed448' };
  }
}

function checkAlgorithm(alg: SignatureAlgorithm): void {
  if (SCHEME_KEY_TYPES[alg.scheme] === undefined) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported signature scheme ${String(alg.scheme)}`);
  }
  if (alg.scheme !== 'ed25519' && alg.scheme !== 'ed448') webHash(alg.hash, `${alg.scheme} signatures`);
}

/**
 * What a WebCrypto PrivateKeyHandle holds. WebCrypto binds a key to one algorithm (and for RSA one
 * hash) at import time, so we keep the PKCS#8 bytes out of reach and import a non-extractable
 * CryptoKey per algorithm on first use.
 */
class WebPrivateKey {
  readonly #pkcs8: Uint8Array;
  readonly #keys = new Map<string, Promise<CryptoKey>>();

  constructor(
    pkcs8: Uint8Array,
    readonly description: KeyDescription,
    private readonly subtle: SubtleCrypto,
  ) {
    this.#pkcs8 = new Uint8Array(pkcs8);
  }

  cryptoKey(alg: SignatureAlgorithm): Promise<CryptoKey> {
    const params = importParams(alg, this.description);
    const cacheKey = JSON.stringify(params);
    let key = this.#keys.get(cacheKey);
    if (key === undefined) {
      key = Promise.resolve(this.subtle.importKey('pkcs8', buf(this.#pkcs8), params, false, ['sign']));
      this.#keys.set(cacheKey, key);
    }
    return key;
  }

  pkcs8(): Uint8Array {
    return new Uint8Array(this.#pkcs8);
  }

  toJSON(): string {
    return '[private key]';
  }
}

export class WebCryptoProvider implements CryptoProvider {
  private readonly crypto: Crypto;

  constructor(webCrypto: Crypto = globalThis.crypto) {
    if (!webCrypto?.subtle) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'no WebCrypto (crypto.subtle) available');
    this.crypto = webCrypto;
  }

  private get subtle(): SubtleCrypto {
    return this.crypto.subtle;
  }

  randomBytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    // getRandomValues fills at most 65536 bytes per call.
    for (let i = 0; i < length; i += 65536) this.crypto.getRandomValues(out.subarray(i, Math.min(length, i + 65536)));
    return out;
  }

  async digest(hash: HashName, data: Uint8Array): Promise<Uint8Array> {
    return new Uint8Array(await this.subtle.digest(webHash(hash, 'digests'), buf(data)));
  }

  async iteratedDigest(hash: HashName, data: Uint8Array, count: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(count) || count < 1) {
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `iteration count must be a positive integer, got ${count}`);
    }
    const name = webHash(hash, 'digests');
    let value: ArrayBuffer = buf(data).buffer;
    for (let i = 0; i < count; i++) value = await this.subtle.digest(name, value);
    return new Uint8Array(value);
  }

  async hmac(hash: HashName, key: Uint8Array, data: Uint8Array): Promise<Uint8Array> {
    // WebCrypto rejects an empty HMAC key; HMAC zero-pads keys to the block size, so one zero byte is the same key.
    const raw = key.length === 0 ? new Uint8Array(1) : buf(key);
    const cryptoKey = await this.subtle.importKey('raw', raw, { name: 'HMAC', hash: webHash(hash, 'HMAC') }, false, ['sign']);
    return new Uint8Array(await this.subtle.sign('HMAC', cryptoKey, buf(data)));
  }

  async pbkdf2(hash: HashName, password: Uint8Array, salt: Uint8Array, iterations: number, keyLength: number): Promise<Uint8Array> {
    const name = webHash(hash, 'PBKDF2');
    if (!Number.isSafeInteger(iterations) || iterations < 1 || !Number.isSafeInteger(keyLength) || keyLength < 1) {
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'PBKDF2 iteration count and key length must be positive integers');
    }
    const key = await this.subtle.importKey('raw', buf(password), 'PBKDF2', false, ['deriveBits']);
    const bits = await this.subtle.deriveBits({ name: 'PBKDF2', hash: name, salt: buf(salt), iterations }, key, keyLength * 8);
    return new Uint8Array(bits);
  }

  async sign(alg: SignatureAlgorithm, key: PrivateKeyHandle, data: Uint8Array): Promise<Uint8Array> {
    if (key.sign) return key.sign(alg, data);
    // WebCrypto has no ML-DSA (yet): those keys live in ml-dsa.ts for every provider.
    if (isMlDsaKey(key) || isMlDsaScheme(alg)) return mlDsaSign(alg, key, data);
    const webKey = this.webKeyOf(key);
    checkAlgorithm(alg);
    if (SCHEME_KEY_TYPES[alg.scheme] !== webKey.description.keyType) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `a ${webKey.description.keyType} key cannot sign with ${alg.scheme}`);
    }
    let signature: Uint8Array;
    try {
      signature = new Uint8Array(await this.subtle.sign(signParams(alg), await webKey.cryptoKey(alg), buf(data)));
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `signing with ${alg.scheme} failed`, { cause: e });
    }
    return alg.scheme === 'ecdsa' ? p1363ToDer(signature) : signature;
  }

  async verify(alg: SignatureAlgorithm, spki: Uint8Array, signature: Uint8Array, data: Uint8Array): Promise<boolean> {
    if (isMlDsaScheme(alg)) return mlDsaVerify(alg, spki, signature, data);
    checkAlgorithm(alg);
    try {
      const parsed = AsnParser.parse(buf(spki), SubjectPublicKeyInfo);
      const description = describeKeyAlgorithm(parsed.algorithm.algorithm, parsed.algorithm.parameters);
      if (SCHEME_KEY_TYPES[alg.scheme] !== description.keyType) return false;
      const publicKey = await this.subtle.importKey('spki', buf(spki), importParams(alg, description), false, ['verify']);
      const raw = alg.scheme === 'ecdsa' ? derToP1363(signature, curveSizes[description.curve!]!) : signature;
      return await this.subtle.verify(signParams(alg), publicKey, buf(raw), buf(data));
    } catch {
      // A malformed key or signature is a signature that does not verify.
      return false;
    }
  }

  async importPrivateKey(pkcs8: Uint8Array): Promise<PrivateKeyHandle> {
    if (mlDsaVariantOfPkcs8(pkcs8) !== undefined) return importMlDsaPrivateKey(pkcs8);
    let description: KeyDescription;
    try {
      const info = AsnParser.parse(buf(pkcs8), PrivateKeyInfo);
      description = describeKeyAlgorithm(info.privateKeyAlgorithm.algorithm, info.privateKeyAlgorithm.parameters);
    } catch (e) {
      if (e instanceof CmpError) throw e;
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'cannot import private key: not a valid unencrypted PKCS#8 PrivateKeyInfo', { cause: e });
    }
    try {
      const { spki, modulusLength } = await this.publicKeyOf(pkcs8, description);
      return new PrivateKey({
        ...description,
        handle: new WebPrivateKey(pkcs8, description, this.subtle),
        spki,
        ...(modulusLength !== undefined ? { modulusLength } : {}),
      });
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'cannot import private key', { cause: e });
    }
  }

  /**
   * WebCrypto cannot derive a public key from a private one directly; its JWK export carries the
   * public components, from which we import the public key and export the SubjectPublicKeyInfo.
   */
  private async publicKeyOf(pkcs8: Uint8Array, description: KeyDescription): Promise<{ spki: Uint8Array; modulusLength?: number }> {
    const alg = importParams(defaultAlgorithmFor(description), description);
    const privateKey = await this.subtle.importKey('pkcs8', buf(pkcs8), alg, true, ['sign']);
    const jwk = await this.subtle.exportKey('jwk', privateKey);
    const publicJwk: JsonWebKey =
      jwk.kty === 'RSA'
        ? { kty: 'RSA', n: jwk.n, e: jwk.e }
        : jwk.kty === 'EC'
          ? { kty: 'EC', crv: jwk.crv, x: jwk.x, y: jwk.y }
          : { kty: jwk.kty, crv: jwk.crv, x: jwk.x };
    const publicKey = await this.subtle.importKey('jwk', publicJwk, alg, true, ['verify']);
    const spki = new Uint8Array(await this.subtle.exportKey('spki', publicKey));
    const modulusLength = (privateKey.algorithm as Partial<RsaHashedKeyAlgorithm>).modulusLength;
    return modulusLength !== undefined ? { spki, modulusLength } : { spki };
  }

  async exportPrivateKey(key: PrivateKeyHandle): Promise<Uint8Array> {
    if (isMlDsaKey(key)) return exportMlDsaPrivateKey(key);
    return this.webKeyOf(key).pkcs8();
  }

  async generateKey(spec: KeySpec): Promise<PrivateKeyHandle> {
    if (isMlDsaVariant(spec.type)) return generateMlDsaKey(spec.type, (n) => this.randomBytes(n));
    let params: RsaHashedKeyGenParams | EcKeyGenParams | Algorithm;
    switch (spec.type) {
      case 'rsa':
        if (!Number.isSafeInteger(spec.modulusLength) || spec.modulusLength < 1024) {
          throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `RSA modulus length must be at least 1024 bits, got ${spec.modulusLength}`);
        }
        params = { name: 'RSASSA-PKCS1-v1_5', modulusLength: spec.modulusLength, publicExponent: new Uint8Array([1, 0, 1]), hash: 'SHA-256' };
        break;
      case 'ec':
        if (curveSizes[spec.curve] === undefined)
          throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported EC curve ${String(spec.curve)}`);
        params = { name: 'ECDSA', namedCurve: spec.curve };
        break;
      case 'ed25519':
        params = { name: 'Ed25519' };
        break;
      case 'ed448':
        params = { name: 'Ed448' };
        break;
      default:
        throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported key type ${String((spec as { type: unknown }).type)}`);
    }
    const pair = (await this.subtle.generateKey(params, true, ['sign', 'verify'])) as CryptoKeyPair;
    return this.importPrivateKey(new Uint8Array(await this.subtle.exportKey('pkcs8', pair.privateKey)));
  }

  private webKeyOf(key: PrivateKeyHandle): WebPrivateKey {
    if (!(key.handle instanceof WebPrivateKey)) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'private key handle does not belong to the WebCrypto provider');
    }
    return key.handle;
  }
}

function defaultAlgorithmFor(key: KeyDescription): SignatureAlgorithm {
  switch (key.keyType) {
    case 'rsa':
      return { scheme: 'rsa-pkcs1', hash: 'SHA-256' };
    case 'ec':
      return { scheme: 'ecdsa', hash: 'SHA-256' };
    case 'x25519':
    case 'x448':
      throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `a ${key.keyType} key cannot sign`);
    default:
      return { scheme: key.keyType };
  }
}
