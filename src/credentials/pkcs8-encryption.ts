/**
 * Password-based encryption of a PKCS#8 key for a key file: PBES2 with PBKDF2 (HMAC-SHA256) and
 * AES-256-CBC, what OpenSSL 3 writes by default. node:crypto's KeyObject.export does the same, but only
 * for key types node:crypto knows; ML-DSA keys (RFC 9881) are not among them in Node 20, so their
 * PrivateKeyInfo is encrypted here, as bytes, whatever key it holds.
 */
import { createCipheriv, pbkdf2Sync, randomBytes } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { PBKDF2Params, PBKDF2Salt } from '../asn1/cmp/pbmac1';
import { Oids } from '../crypto/algorithms';
import { Pbes2Params } from './pbe-params';

/** OpenSSL 3's default for `openssl pkcs8 -topk8 -v2 aes-256-cbc` and PEM_write_PrivateKey. */
const ITERATIONS = 2048;

/** The EncryptedPrivateKeyInfo DER of `pkcs8` under `passphrase` (its UTF-8 octets, as OpenSSL reads a pass phrase). */
export function encryptPrivateKeyInfo(pkcs8: Uint8Array, passphrase: string): Uint8Array {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(Buffer.from(passphrase, 'utf8'), salt, ITERATIONS, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const kdf = new PBKDF2Params({
    salt: new PBKDF2Salt({ specified: new Uint8Array(salt).buffer }),
    iterationCount: BigInt(ITERATIONS),
    prf: new AlgorithmIdentifier({ algorithm: Oids.hmacWithSHA256, parameters: null }),
  });
  const params = new Pbes2Params();
  params.keyDerivationFunc = new AlgorithmIdentifier({ algorithm: Oids.pbkdf2, parameters: AsnConvert.serialize(kdf) });
  params.encryptionScheme = new AlgorithmIdentifier({ algorithm: Oids.aes256Cbc, parameters: AsnConvert.serialize(new OctetString(iv)) });
  const info = new EncryptedPrivateKeyInfo({
    encryptionAlgorithm: new AlgorithmIdentifier({ algorithm: Oids.pbes2, parameters: AsnConvert.serialize(params) }),
    encryptedData: new OctetString(encrypted),
  });
  return new Uint8Array(AsnConvert.serialize(info));
}
