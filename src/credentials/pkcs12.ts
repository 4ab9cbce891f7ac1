/**
 * Reading PKCS#12 (RFC 7292) files as OpenSSL writes them: password integrity mode (HMAC with the
 * PKCS#12 key derivation), certificates in an encrypted SafeContents and the key in a
 * pkcs8ShroudedKeyBag, encrypted with PBES2 (OpenSSL 3 default) or pbeWithSHAAnd3-KeyTripleDES-CBC
 * (older OpenSSL and other tools). RC2 and RC4, which `-legacy` uses for certificates, are not
 * supported.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { AsnParser, OctetString } from '@peculiar/asn1-schema';
import {
  AuthenticatedSafe,
  CertBag,
  PFX,
  PKCS12Attribute,
  SafeBag,
  SafeContents,
  id_certBag,
  id_keyBag,
  id_pkcs8ShroudedKeyBag,
  id_SafeContents,
  id_x509Certificate,
} from '@peculiar/asn1-pfx';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { X509Certificate } from '@peculiar/x509';
import { getCryptoProvider } from '../crypto';
import { hashFromOid, hashLength, oidName } from '../crypto/algorithms';
import { nodeHash } from '../crypto/node';
import type { CryptoProvider, HashName, PrivateKeyHandle } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';
import { importPrivateKeyInfo, publicKeyMatches } from './keys';
import { MAX_PBE_ITERATIONS, decryptPrivateKeyInfo, pbeDecrypt } from './pbe';
import { CmsEncryptedData } from './pbe-params';
import { Pkcs12KeyId, bmpPassword, pkcs12Kdf } from './pkcs12-kdf';
import { type CredentialInput, readCredentialInput } from './source';
import { hex } from '../bytes';

export interface Pkcs12Contents {
  key: PrivateKeyHandle;
  /** The certificate of `key`. */
  cert: X509Certificate;
  /** The other certificates of the file, in file order (typically the CA chain). */
  chain: X509Certificate[];
}

const idData = '1.2.840.113549.1.7.1';
const idEncryptedData = '1.2.840.113549.1.7.6';
const idLocalKeyId = '1.2.840.113549.1.9.21';

interface Bags {
  keys: { pkcs8: Uint8Array; localKeyId?: string }[];
  certs: { cert: X509Certificate; localKeyId?: string }[];
}

/**
 * Loads the private key and certificates of a PKCS#12 file (path or DER bytes). A wrong pass
 * phrase gives ERR_BAD_PASSPHRASE; a file without a key, or without the key's certificate,
 * ERR_CREDENTIALS.
 */
export async function loadPkcs12(
  input: string | Uint8Array,
  passphrase: string,
  provider: CryptoProvider = getCryptoProvider(),
): Promise<Pkcs12Contents> {
  return pkcs12In(readCredentialInput(input, 'PKCS#12'), passphrase, provider);
}

export async function pkcs12In(source: CredentialInput, passphrase: string, provider: CryptoProvider = getCryptoProvider()): Promise<Pkcs12Contents> {
  const name = source.name;
  const pfx = parse(source.bytes, PFX, `${name} is not a PKCS#12 file`);
  if (pfx.version !== 3) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `${name}: unsupported PKCS#12 version ${pfx.version}`);
  if (pfx.authSafe.contentType !== idData) {
    // The other mode, public-key integrity (signedData), is practically unused.
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `${name}: unsupported PKCS#12 integrity mode ${oidName(pfx.authSafe.contentType)}`);
  }
  const authSafeBytes = octets(pfx.authSafe.content, name);
  // The parser leaves an absent MacData at its empty default, so an empty MAC value means "no MAC" (`-nomac`).
  const hasMac = (pfx.macData?.mac?.digest?.byteLength ?? 0) > 0;
  const password = hasMac ? checkMac(pfx, authSafeBytes, passphrase, name) : passphrase;

  const bags: Bags = { keys: [], certs: [] };
  const authSafe = parse(authSafeBytes, AuthenticatedSafe, `${name}: malformed PKCS#12 AuthenticatedSafe`);
  for (const info of authSafe) {
    if (info.contentType === idData) {
      await collectBags(parse(octets(info.content, name), SafeContents, `${name}: malformed SafeContents`), password, name, bags);
    } else if (info.contentType === idEncryptedData) {
      const plain = await decryptSafeContents(info.content, password, name);
      await collectBags(
        parse(plain, SafeContents, `${name}: cannot decrypt SafeContents: wrong pass phrase`, ErrorCodes.ERR_BAD_PASSPHRASE),
        password,
        name,
        bags,
      );
    } else {
      throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `${name}: unsupported PKCS#12 content ${oidName(info.contentType)}`);
    }
  }
  return pickKeyAndCertificates(bags, name, provider);
}

async function pickKeyAndCertificates(bags: Bags, name: string, provider: CryptoProvider): Promise<Pkcs12Contents> {
  const keyBag = bags.keys[0];
  if (keyBag === undefined) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `no private key in ${name}`);
  const key = await importPrivateKeyInfo(keyBag.pkcs8, name, provider);
  // localKeyId ties key and certificate together; when a writer left it out the public key does.
  const index = keyBag.localKeyId !== undefined ? bags.certs.findIndex((c) => c.localKeyId === keyBag.localKeyId) : -1;
  const certIndex = index >= 0 ? index : bags.certs.findIndex((c) => publicKeyMatches(key, c.cert));
  if (certIndex < 0) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `no certificate for the private key in ${name}`);
  return {
    key,
    cert: bags.certs[certIndex]!.cert,
    chain: bags.certs.filter((_, i) => i !== certIndex).map((c) => c.cert),
  };
}

/**
 * Verifies the password-integrity MAC and returns the pass phrase to decrypt with. An empty pass
 * phrase is tried both as an empty BMPString and as no password at all, as OpenSSL does, since
 * writers disagree on which one "no password" means.
 */
function checkMac(pfx: PFX, authSafe: Uint8Array, passphrase: string, name: string): string {
  const { mac, macSalt, iterations } = pfx.macData;
  let hash: HashName;
  try {
    hash = hashFromOid(mac.digestAlgorithm.algorithm);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `${name}: unsupported PKCS#12 MAC ${oidName(mac.digestAlgorithm.algorithm)}`, {
      cause: e,
    });
  }
  const count = iterations ?? 1;
  if (!Number.isSafeInteger(count) || count < 1 || count > MAX_PBE_ITERATIONS) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `${name}: refusing a PKCS#12 MAC with ${count} iterations`);
  }
  const expected = new Uint8Array(mac.digest.buffer);
  const salt = new Uint8Array(macSalt.buffer);
  const candidates = passphrase === '' ? [bmpPassword(''), bmpPassword(null)] : [bmpPassword(passphrase)];
  for (const password of candidates) {
    const key = pkcs12Kdf(hash, password, salt, count, Pkcs12KeyId.mac, hashLength(hash));
    const actual = createHmac(nodeHash(hash), key).update(authSafe).digest();
    if (actual.length === expected.length && timingSafeEqual(actual, expected)) return passphrase;
  }
  throw new CmpError(ErrorCodes.ERR_BAD_PASSPHRASE, `${name}: PKCS#12 MAC does not verify: wrong pass phrase or damaged file`);
}

async function decryptSafeContents(content: ArrayBuffer, passphrase: string, name: string): Promise<Uint8Array> {
  const { encryptedContentInfo } = parse(content, CmsEncryptedData, `${name}: malformed PKCS#12 EncryptedData`);
  const encrypted = encryptedContentInfo.encryptedContent;
  const parts = encrypted?.value ? [encrypted.value] : (encrypted?.constructedValue ?? []);
  const ciphertext = Buffer.concat(parts.map((p) => new Uint8Array(p.buffer)));
  return pbeDecrypt(encryptedContentInfo.contentEncryptionAlgorithm, ciphertext, passphrase, `the certificates in ${name}`);
}

async function collectBags(contents: SafeBag[], passphrase: string, name: string, bags: Bags, depth = 0): Promise<void> {
  for (const bag of contents) {
    const localKeyId = localKeyIdOf(bag.bagAttributes);
    const tag = localKeyId !== undefined ? { localKeyId } : {};
    switch (bag.bagId) {
      case id_keyBag:
        bags.keys.push({ pkcs8: new Uint8Array(bag.bagValue), ...tag });
        break;
      case id_pkcs8ShroudedKeyBag: {
        const encrypted = parse(bag.bagValue, EncryptedPrivateKeyInfo, `${name}: malformed pkcs8ShroudedKeyBag`);
        bags.keys.push({ pkcs8: await decryptPrivateKeyInfo(encrypted, passphrase, `the private key in ${name}`), ...tag });
        break;
      }
      case id_certBag: {
        const certBag = parse(bag.bagValue, CertBag, `${name}: malformed certBag`);
        if (certBag.certId !== id_x509Certificate) break;
        bags.certs.push({ cert: certificate(octets(certBag.certValue, name), name), ...tag });
        break;
      }
      case id_SafeContents:
        // Nesting is legal but no writer goes deep; a limit keeps hostile files from recursing forever.
        if (depth >= 8) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `${name}: SafeContents nested too deeply`);
        await collectBags(parse(bag.bagValue, SafeContents, `${name}: malformed SafeContents`), passphrase, name, bags, depth + 1);
        break;
      default:
        // CRLs and secrets are not credentials we use.
        break;
    }
  }
}

function localKeyIdOf(attributes: PKCS12Attribute[] | undefined): string | undefined {
  const value = attributes?.find((a) => a.attrId === idLocalKeyId)?.attrValues[0];
  if (value === undefined) return undefined;
  try {
    return hex(AsnParser.parse(value, OctetString).buffer);
  } catch {
    return undefined;
  }
}

function certificate(der: Uint8Array, name: string): X509Certificate {
  try {
    return new X509Certificate(new Uint8Array(der));
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `${name}: malformed certificate in certBag`, { cause: e });
  }
}

function octets(content: ArrayBuffer, name: string): Uint8Array {
  return new Uint8Array(parse(content, OctetString, `${name}: malformed PKCS#12 content`).buffer);
}

function parse<T>(
  der: ArrayBuffer | Uint8Array,
  type: new () => T,
  message: string,
  code: typeof ErrorCodes.ERR_CREDENTIALS | typeof ErrorCodes.ERR_BAD_PASSPHRASE = ErrorCodes.ERR_CREDENTIALS,
): T {
  try {
    return AsnParser.parse(der instanceof Uint8Array ? new Uint8Array(der) : der, type);
  } catch (e) {
    throw new CmpError(code, message, { cause: e });
  }
}
