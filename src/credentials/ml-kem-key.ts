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

/** What a key source holds, as far as telling an ML-KEM key from the others needs to open it. */
export type KeySourceContent =
  | { kind: 'mlKem'; key: MlKemPrivateKey }
  /** An encrypted PKCS#8 key of another type, opened already: the general loader imports this DER, not the file again. */
  | { kind: 'decrypted'; pkcs8: Uint8Array; name: string }
  /** Anything else (another key type, a token, PKCS#12, an encrypted key without a pass phrase): the general loader's. */
  | { kind: 'other' };

/**
 * Reads `input` once and says whether it is an ML-KEM key. An encrypted key is opened with
 * `passphrase` (a wrong one is ERR_BAD_PASSPHRASE, as the general loader reports it), and when it
 * turns out to be another kind of key its decrypted PrivateKeyInfo comes back, so that no key is
 * decrypted twice (PBKDF2 iteration counts in key files reach the millions).
 */
export async function readKeySource(input: string | Uint8Array, what: string, passphrase?: string): Promise<KeySourceContent> {
  // A key in a token is opened by the general loader; it is no file to read here.
  if (isPkcs11Uri(input)) return { kind: 'other' };
  const read = readCredentialInput(input, what);
  const found = pkcs8In(read);
  if (!found || (found.encrypted && passphrase === undefined)) return { kind: 'other' };
  const der = found.encrypted
    ? await decryptPrivateKeyInfo(AsnParser.parse(found.der, EncryptedPrivateKeyInfo), passphrase!, `the private key in ${read.name}`)
    : found.der;
  if (isMlKemPkcs8(der)) return { kind: 'mlKem', key: mlKemPrivateKeyFromPkcs8(der) };
  return found.encrypted ? { kind: 'decrypted', pkcs8: der, name: read.name } : { kind: 'other' };
}

/** The ML-KEM key in `input`, or undefined when it holds another kind of key (or none that is readable here). */
export async function mlKemPrivateKeyIn(input: string | Uint8Array, what: string, passphrase?: string): Promise<MlKemPrivateKey | undefined> {
  const content = await readKeySource(input, what, passphrase);
  return content.kind === 'mlKem' ? content.key : undefined;
}
