/**
 * An ML-KEM private key from a file, PEM text or DER bytes: a PKCS#8 PrivateKeyInfo ("PRIVATE KEY") in any
 * of the LAMPS forms (seed, expanded, both), or one encrypted with a pass phrase ("ENCRYPTED PRIVATE KEY",
 * PBES2 as cmpflow's -newkeyout writes it). Other inputs are not ML-KEM keys and are left to the general key
 * loader, which reads the keys that sign.
 */
import { AsnParser } from '@peculiar/asn1-schema';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { isMlKemPkcs8, mlKemPrivateKeyFromPkcs8, type MlKemPrivateKey } from '../crypto/ml-kem';
import { decryptPrivateKeyInfo } from './pbe';
import { parsePem } from './pem';
import { pemText, readCredentialInput, type CredentialInput } from './source';
import { isPkcs11Uri } from '../crypto/pkcs11-uri';

/** The key's DER and whether it is encrypted, or undefined when `read` holds no PKCS#8 key at all. */
function pkcs8In(read: CredentialInput): { der: Uint8Array; encrypted: boolean } | undefined {
  const text = pemText(read);
  if (text === undefined) {
    try {
      AsnParser.parse(read.bytes, EncryptedPrivateKeyInfo);
      return { der: read.bytes, encrypted: true };
    } catch {
      return { der: read.bytes, encrypted: false };
    }
  }
  try {
    const block = parsePem(text).find((b) => b.label === 'PRIVATE KEY' || b.label === 'ENCRYPTED PRIVATE KEY');
    return block && { der: block.der, encrypted: block.label === 'ENCRYPTED PRIVATE KEY' };
  } catch {
    // Not ours to report: the general loader reads it again and names the PEM error.
    return undefined;
  }
}

/**
 * The ML-KEM key in `input`, or undefined when it holds another kind of key (or none that is readable here).
 * An encrypted key is opened with `passphrase` (a wrong one is ERR_BAD_PASSPHRASE, as the general loader
 * reports it); without one it is left to the general loader, which asks for it. An encrypted key of
 * another type is thus decrypted twice, here and there: one more PBKDF2 run, bounded as every received
 * iteration count is, for keys the general loader reads anyway.
 */
export async function mlKemPrivateKeyIn(input: string | Uint8Array, what: string, passphrase?: string): Promise<MlKemPrivateKey | undefined> {
  // A key in a token is opened by the general loader; it is no file to read here.
  if (isPkcs11Uri(input)) return undefined;
  const read = readCredentialInput(input, what);
  const found = pkcs8In(read);
  if (!found) return undefined;
  let der = found.der;
  if (found.encrypted) {
    if (passphrase === undefined) return undefined;
    der = await decryptPrivateKeyInfo(AsnParser.parse(der, EncryptedPrivateKeyInfo), passphrase, `the private key in ${read.name}`);
  }
  return isMlKemPkcs8(der) ? mlKemPrivateKeyFromPkcs8(der) : undefined;
}
