/**
 * An ML-KEM private key from a file, PEM text or DER bytes: an unencrypted PKCS#8 PrivateKeyInfo
 * ("PRIVATE KEY") in any of the LAMPS forms (seed, expanded, both). Other inputs are not ML-KEM keys and
 * are left to the general key loader, which reads the keys that sign.
 */
import { isMlKemPkcs8, mlKemPrivateKeyFromPkcs8, type MlKemPrivateKey } from '../crypto/ml-kem';
import { parsePem } from './pem';
import { pemText, readCredentialInput } from './source';
import { isPkcs11Uri } from '../crypto/pkcs11-uri';

/** The ML-KEM key in `input`, or undefined when it holds another kind of key (or none that is readable here). */
export function mlKemPrivateKeyIn(input: string | Uint8Array, what: string): MlKemPrivateKey | undefined {
  // A key in a token is opened by the general loader; it is no file to read here.
  if (isPkcs11Uri(input)) return undefined;
  const read = readCredentialInput(input, what);
  const text = pemText(read);
  let der: Uint8Array | undefined = read.bytes;
  if (text !== undefined) {
    try {
      der = parsePem(text).find((b) => b.label === 'PRIVATE KEY')?.der;
    } catch {
      // Not ours to report: the general loader reads it again and names the PEM error.
      return undefined;
    }
  }
  return der && isMlKemPkcs8(der) ? mlKemPrivateKeyFromPkcs8(der) : undefined;
}
