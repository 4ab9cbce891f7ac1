/**
 * Password-based decryption of key files: PBES2 (PBKDF2 + AES-CBC or 3DES-CBC, what OpenSSL 3
 * writes) and PKCS#12's pbeWithSHAAnd3-KeyTripleDES-CBC (what older tools and `-legacy` write).
 *
 * This uses node:crypto directly rather than the CryptoProvider seam: the seam has no ciphers, and
 * WebCrypto has no 3DES. Loading credentials from files is a Node concern anyway.
 */
import { createDecipheriv, pbkdf2 as pbkdf2Callback } from 'node:crypto';
import { promisify } from 'node:util';
import { AsnParser, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { Oids, hmacFromOid, oidName } from '../crypto/algorithms';
import { nodeHash } from '../crypto/node';
import type { HashName } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';
import { sequenceChildTags } from './der-shape';
import { PBKDF2Params } from '../asn1/cmp/pbmac1';
import { Pbes2Params, Pkcs12PbeParams } from './pbe-params';
import { Pkcs12KeyId, bmpPassword, pkcs12Kdf } from './pkcs12-kdf';

const pbkdf2 = promisify(pbkdf2Callback);

/**
 * Iteration counts above this are refused: a hostile file could otherwise make us hash for hours.
 * OpenSSL writes 2048; 10 million is far above any setting seen in practice.
 */
export const MAX_PBE_ITERATIONS = 10_000_000;

interface CipherSpec {
  name: string;
  keyLength: number;
  ivLength: number;
}

const pbes2Ciphers: Record<string, CipherSpec> = {
  [Oids.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16, ivLength: 16 },
  [Oids.aes192Cbc]: { name: 'aes-192-cbc', keyLength: 24, ivLength: 16 },
  [Oids.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32, ivLength: 16 },
  [Oids.desEde3Cbc]: { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
};

const pkcs12Ciphers: Record<string, CipherSpec> = {
  [Oids.pbeWithSHAAnd3KeyTripleDesCbc]: { name: 'des-ede3-cbc', keyLength: 24, ivLength: 8 },
  [Oids.pbeWithSHAAnd2KeyTripleDesCbc]: { name: 'des-ede-cbc', keyLength: 16, ivLength: 8 },
};

function unsupported(oid: string, what: string): CmpError {
  return new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported password-based encryption ${oidName(oid)} of ${what}`);
}

function badPassphrase(what: string): CmpError {
  return new CmpError(ErrorCodes.ERR_BAD_PASSPHRASE, `cannot decrypt ${what}: wrong pass phrase`);
}

function parseParams<T>(parameters: ArrayBuffer | null | undefined, type: new () => T, what: string): T {
  try {
    if (!parameters) throw new Error('parameters absent');
    return AsnParser.parse(parameters, type);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `malformed ${what} parameters`, { cause: e });
  }
}

function checkIterations(iterations: number): void {
  if (!Number.isSafeInteger(iterations) || iterations < 1 || iterations > MAX_PBE_ITERATIONS) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `refusing password-based encryption with ${iterations} iterations`);
  }
}

function decipher(spec: CipherSpec, key: Uint8Array, iv: Uint8Array, ciphertext: Uint8Array, what: string): Uint8Array {
  if (iv.length !== spec.ivLength) throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${spec.name} IV of ${iv.length} bytes`);
  try {
    const d = createDecipheriv(spec.name, key, iv);
    return new Uint8Array(Buffer.concat([d.update(ciphertext), d.final()]));
  } catch {
    // CBC padding that does not check out is what a wrong key (so a wrong pass phrase) looks like.
    throw badPassphrase(what);
  }
}

/**
 * Decrypts data protected with a password-based encryption scheme. `what` names the data for
 * messages. A wrong pass phrase gives ERR_BAD_PASSPHRASE in most cases; callers must also treat
 * a decryption that yields garbage as one, since CBC padding only catches 255 of 256 wrong keys.
 */
export async function pbeDecrypt(algorithm: AlgorithmIdentifier, ciphertext: Uint8Array, passphrase: string, what: string): Promise<Uint8Array> {
  if (algorithm.algorithm === Oids.pbes2) return pbes2Decrypt(algorithm, ciphertext, passphrase, what);
  const spec = pkcs12Ciphers[algorithm.algorithm];
  if (spec === undefined) throw unsupported(algorithm.algorithm, what);
  const params = parseParams(algorithm.parameters, Pkcs12PbeParams, 'PKCS#12 PBE');
  checkIterations(params.iterations);
  const salt = new Uint8Array(params.salt.buffer);
  const password = bmpPassword(passphrase);
  const key = pkcs12Kdf('SHA-1', password, salt, params.iterations, Pkcs12KeyId.key, spec.keyLength);
  const iv = pkcs12Kdf('SHA-1', password, salt, params.iterations, Pkcs12KeyId.iv, spec.ivLength);
  return decipher(spec, key, iv, ciphertext, what);
}

async function pbes2Decrypt(algorithm: AlgorithmIdentifier, ciphertext: Uint8Array, passphrase: string, what: string): Promise<Uint8Array> {
  const params = parseParams(algorithm.parameters, Pbes2Params, 'PBES2');
  const kdf = params.keyDerivationFunc;
  // scrypt (RFC 7914) is the other KDF OpenSSL can write here, with `-scrypt`.
  if (kdf.algorithm !== Oids.pbkdf2) throw unsupported(kdf.algorithm, what);
  const spec = pbes2Ciphers[params.encryptionScheme.algorithm];
  if (spec === undefined) throw unsupported(params.encryptionScheme.algorithm, what);
  const kdfParams = parseParams(kdf.parameters, PBKDF2Params, 'PBKDF2');
  checkIterations(Number(kdfParams.iterationCount));
  // RFC 8018 reserves the salt's otherSource for future use; OpenSSL writes only `specified`.
  const salt = kdfParams.salt.specified;
  if (salt === undefined) throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'malformed PBKDF2 parameters: the salt is not an OCTET STRING');
  if (kdfParams.keyLength !== undefined && kdfParams.keyLength !== BigInt(spec.keyLength)) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `PBKDF2 key length ${kdfParams.keyLength} does not fit ${spec.name}`);
  }
  let prf: HashName;
  try {
    prf = hmacFromOid(kdfParams.prf.algorithm);
  } catch {
    throw unsupported(kdfParams.prf.algorithm, what);
  }
  const iv = new Uint8Array(parseParams(params.encryptionScheme.parameters, OctetString, spec.name).buffer);
  // PBES2 takes the pass phrase as the octets the user typed: UTF-8, as OpenSSL reads them.
  const key = await pbkdf2(Buffer.from(passphrase, 'utf8'), new Uint8Array(salt), Number(kdfParams.iterationCount), spec.keyLength, nodeHash(prf));
  return decipher(spec, key, iv, ciphertext, what);
}

/** The DER PKCS#8 PrivateKeyInfo inside an EncryptedPrivateKeyInfo; `what` names the key for messages. */
export async function decryptPrivateKeyInfo(encrypted: EncryptedPrivateKeyInfo, passphrase: string, what: string): Promise<Uint8Array> {
  const plain = await pbeDecrypt(encrypted.encryptionAlgorithm, new Uint8Array(encrypted.encryptedData.buffer), passphrase, what);
  // PrivateKeyInfo (and its v2, OneAsymmetricKey) starts with INTEGER version, AlgorithmIdentifier.
  const tags = sequenceChildTags(plain);
  if (tags === undefined || tags[0] !== 0x02 || tags[1] !== 0x30) throw badPassphrase(what);
  return plain;
}
