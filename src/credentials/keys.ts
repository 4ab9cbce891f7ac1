/**
 * Loading private keys from the formats OpenSSL writes: PKCS#8 (plain and encrypted), PKCS#1 RSA
 * and SEC1 EC keys (plain and with traditional PEM encryption), as PEM or DER. Every format is
 * turned into a PKCS#8 PrivateKeyInfo and imported through the CryptoProvider.
 */
import { AsnConvert, AsnParser, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { EncryptedPrivateKeyInfo, PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { ECParameters, ECPrivateKey } from '@peculiar/asn1-ecc';
import type { X509Certificate } from '@peculiar/x509';
import { getCryptoProvider } from '../crypto';
import { Oids } from '../crypto/algorithms';
import type { CryptoProvider, PrivateKeyHandle } from '../crypto/provider';
import { CmpError, ErrorCodes, isCmpError } from '../errors';
import { sequenceChildTags } from './der-shape';
import { decryptLegacyPem, isLegacyEncrypted } from './legacy-pem';
import { decryptPrivateKeyInfo } from './pbe';
import { parsePem, PemBlock } from './pem';
import { CredentialInput, pemText } from './source';
import { sameBytes } from '../bytes';

type KeyFormat = 'pkcs8' | 'encrypted-pkcs8' | 'rsa' | 'ec';

const pemLabels: Record<string, KeyFormat> = {
  'PRIVATE KEY': 'pkcs8',
  'ENCRYPTED PRIVATE KEY': 'encrypted-pkcs8',
  'RSA PRIVATE KEY': 'rsa',
  'EC PRIVATE KEY': 'ec',
};

const INTEGER = 0x02;
const OCTET_STRING = 0x04;
const SEQUENCE = 0x30;

/** The format of a DER private key, told apart by the tags of its first fields. */
function derFormat(der: Uint8Array): KeyFormat | undefined {
  const tags = sequenceChildTags(der);
  if (tags === undefined) return undefined;
  if (tags[0] === SEQUENCE && tags[1] === OCTET_STRING && tags.length === 2) return 'encrypted-pkcs8';
  if (tags[0] !== INTEGER) return undefined;
  if (tags[1] === SEQUENCE && tags[2] === OCTET_STRING) return 'pkcs8';
  // RSAPrivateKey: version, n, e, d, p, q, dP, dQ, qInv (+ otherPrimeInfos for multi-prime).
  if (tags.length >= 9 && tags.slice(0, 9).every((t) => t === INTEGER)) return 'rsa';
  if (tags[1] === OCTET_STRING) return 'ec';
  return undefined;
}

/**
 * The private key of PEM or DER input (loader.ts adds PKCS#12). Encrypted keys need `passphrase`
 * (ERR_MISSING_OPTION without, ERR_BAD_PASSPHRASE when wrong). Other failures are ERR_PEM
 * (broken PEM), ERR_CREDENTIALS (no or a malformed key) or ERR_UNSUPPORTED_ALGORITHM (encryption
 * or key type we do not support).
 */
export async function privateKeyIn(
  source: CredentialInput,
  passphrase: string | undefined,
  provider: CryptoProvider = getCryptoProvider(),
): Promise<PrivateKeyHandle> {
  const pkcs8 = await privateKeyInfoOf(source, passphrase);
  return importPrivateKeyInfo(pkcs8, source.name, provider);
}

/** Imports a DER PrivateKeyInfo, turning provider failures into errors that name the key's source. */
export async function importPrivateKeyInfo(
  pkcs8: Uint8Array,
  name: string,
  provider: CryptoProvider = getCryptoProvider(),
): Promise<PrivateKeyHandle> {
  try {
    return await provider.importPrivateKey(pkcs8);
  } catch (e) {
    if (isCmpError(e, ErrorCodes.ERR_UNSUPPORTED_ALGORITHM)) throw e;
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `cannot use the private key in ${name}`, { cause: e });
  }
}

async function privateKeyInfoOf(source: CredentialInput, passphrase: string | undefined): Promise<Uint8Array> {
  const text = pemText(source);
  if (text === undefined) {
    const format = derFormat(source.bytes);
    if (format === undefined)
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `no private key in a known format (PKCS#8, PKCS#1, SEC1) in ${source.name}`);
    return toPrivateKeyInfo(format, source.bytes, source.name, passphrase);
  }
  const block = firstKeyBlock(text, source.name);
  const format = pemLabels[block.label]!;
  let der = block.der;
  if (isLegacyEncrypted(block)) {
    der = decryptLegacyPem(block, requirePassphrase(passphrase, source.name), `the private key in ${source.name}`);
    // A wrong pass phrase passes the CBC padding check about once in 256 tries.
    if (derFormat(der) !== format)
      throw new CmpError(ErrorCodes.ERR_BAD_PASSPHRASE, `cannot decrypt the private key in ${source.name}: wrong pass phrase`);
  } else if (derFormat(der) !== format) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `malformed ${block.label} in ${source.name}`);
  }
  return toPrivateKeyInfo(format, der, source.name, passphrase);
}

function firstKeyBlock(text: string, name: string): PemBlock {
  let blocks: PemBlock[];
  try {
    blocks = parsePem(text);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_PEM, `${name}: ${(e as Error).message}`, { cause: e });
  }
  const block = blocks.find((b) => pemLabels[b.label] !== undefined);
  if (block === undefined) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `no private key in ${name}`);
  return block;
}

function requirePassphrase(passphrase: string | undefined, name: string): string {
  if (passphrase === undefined)
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, `the private key in ${name} is encrypted and no pass phrase was given`);
  return passphrase;
}

async function toPrivateKeyInfo(format: KeyFormat, der: Uint8Array, name: string, passphrase: string | undefined): Promise<Uint8Array> {
  switch (format) {
    case 'pkcs8':
      return der;
    case 'encrypted-pkcs8': {
      const encrypted = parse(der, EncryptedPrivateKeyInfo, name);
      return decryptPrivateKeyInfo(encrypted, requirePassphrase(passphrase, name), `the private key in ${name}`);
    }
    case 'rsa':
      return wrap(new AlgorithmIdentifier({ algorithm: Oids.rsaEncryption, parameters: null }), der);
    case 'ec': {
      // SEC1 keys name their curve inside; PKCS#8 wants it in the AlgorithmIdentifier.
      const namedCurve = parse(der, ECPrivateKey, name).parameters?.namedCurve;
      if (namedCurve === undefined) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `the EC private key in ${name} does not name its curve`);
      const parameters = AsnConvert.serialize(new ECParameters({ namedCurve }));
      return wrap(new AlgorithmIdentifier({ algorithm: Oids.ecPublicKey, parameters }), der);
    }
  }
}

function parse<T>(der: Uint8Array, type: new () => T, name: string): T {
  try {
    return AsnParser.parse(der, type);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `malformed private key in ${name}`, { cause: e });
  }
}

function wrap(privateKeyAlgorithm: AlgorithmIdentifier, der: Uint8Array): Uint8Array {
  const info = new PrivateKeyInfo({ version: 0, privateKeyAlgorithm, privateKey: new OctetString(der) });
  return new Uint8Array(AsnConvert.serialize(info));
}

const rsaKeyOids = new Set<string>([Oids.rsaEncryption, Oids.rsassaPss]);

/**
 * Whether a certificate certifies the public key of `key`. Compares the key itself, not the DER
 * of the SubjectPublicKeyInfo: an RSA key may be labelled rsaEncryption in one and RSASSA-PSS in
 * the other, and NULL and absent parameters mean the same.
 */
export function publicKeyMatches(key: PrivateKeyHandle, certificate: X509Certificate): boolean {
  let ours: SubjectPublicKeyInfo;
  let theirs: SubjectPublicKeyInfo;
  try {
    ours = AsnParser.parse(key.spki, SubjectPublicKeyInfo);
    theirs = AsnParser.parse(certificate.publicKey.rawData, SubjectPublicKeyInfo);
  } catch {
    return false;
  }
  if (!sameBytes(ours.subjectPublicKey, theirs.subjectPublicKey)) return false;
  const [a, b] = [ours.algorithm, theirs.algorithm];
  if (rsaKeyOids.has(a.algorithm) && rsaKeyOids.has(b.algorithm)) return true;
  return a.algorithm === b.algorithm && (a.parameters && b.parameters ? sameBytes(a.parameters, b.parameters) : !a.parameters && !b.parameters);
}
