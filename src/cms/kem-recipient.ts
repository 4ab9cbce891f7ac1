/**
 * KEMRecipientInfo (RFC 9629) for ML-KEM recipients (RFC 9936, "ML-KEM in the CMS"): the originator
 * encapsulates a shared secret to the recipient's ML-KEM key, derives the key-encryption key from it with
 * HKDF-SHA256 over CMSORIforKEMOtherInfo (salt empty) and wraps the content-encryption key with AES key
 * wrap: AES-128 for ML-KEM-512, AES-256 for ML-KEM-768 and -1024, the combinations that RFC requires.
 */
import { hkdfSync } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { OtherRecipientInfo, type RecipientIdentifier } from '@peculiar/asn1-cms';
import { CMSORIforKEMOtherInfo, idOriKem, KEMRecipientInfo, RecipientInfo } from '../asn1/cms';
import { ML_KEM_OIDS, mlKemEncapsulate, type MlKemPrivateKey } from '../crypto/ml-kem';
import { CmpError, ErrorCodes } from '../errors';
import { aesUnwrap, aesWrap } from './key-wrap';

/** id-alg-hkdf-with-sha256 (RFC 8619), parameters absent. */
export const idAlgHkdfWithSha256 = '1.2.840.113549.1.9.16.3.28';
const wraps: Record<string, number> = { '2.16.840.1.101.3.4.1.5': 16, '2.16.840.1.101.3.4.1.25': 24, '2.16.840.1.101.3.4.1.45': 32 };
const aes128Wrap = '2.16.840.1.101.3.4.1.5';
const aes256Wrap = '2.16.840.1.101.3.4.1.45';

function keyEncryptionKey(sharedSecret: Uint8Array, wrap: AlgorithmIdentifier, kekLength: number, ukm?: OctetString): Buffer {
  const info = AsnConvert.serialize(new CMSORIforKEMOtherInfo({ wrap, kekLength, ...(ukm ? { ukm } : {}) }));
  return Buffer.from(hkdfSync('sha256', sharedSecret, new Uint8Array(0), new Uint8Array(info), kekLength));
}

/** The OtherRecipientInfo holding a KEMRecipientInfo that wraps `cek` for the ML-KEM key `spki`, named by `rid`. */
export function kemRecipient(spki: Uint8Array, rid: RecipientIdentifier, cek: Uint8Array): RecipientInfo {
  const { variant, cipherText, sharedSecret } = mlKemEncapsulate(spki);
  const wrapOid = variant === 'ml-kem-512' ? aes128Wrap : aes256Wrap;
  const wrap = new AlgorithmIdentifier({ algorithm: wrapOid });
  const kekLength = wraps[wrapOid]!;
  const kek = keyEncryptionKey(sharedSecret, wrap, kekLength);
  const kemri = new KEMRecipientInfo({
    rid,
    kem: new AlgorithmIdentifier({ algorithm: ML_KEM_OIDS[variant] }),
    kemct: new OctetString(cipherText),
    kdf: new AlgorithmIdentifier({ algorithm: idAlgHkdfWithSha256 }),
    kekLength,
    wrap,
    encryptedKey: new OctetString(aesWrap(kek, cek)),
  });
  return new RecipientInfo({ ori: new OtherRecipientInfo({ oriType: idOriKem, oriValue: AsnConvert.serialize(kemri) }) });
}

/** The KEMRecipientInfo of an OtherRecipientInfo, or undefined when it holds another kind. */
export function kemRecipientInfo(ori: OtherRecipientInfo): KEMRecipientInfo | undefined {
  if (ori.oriType !== idOriKem) return undefined;
  try {
    return AsnConvert.parse(ori.oriValue, KEMRecipientInfo);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'the KEMRecipientInfo of the EnvelopedData is malformed', { cause: e });
  }
}

/** Decapsulates, derives the key-encryption key and unwraps the content-encryption key of `kemri`. */
export function openKemRecipient(kemri: KEMRecipientInfo, key: MlKemPrivateKey): Uint8Array {
  if (kemri.kem.algorithm !== ML_KEM_OIDS[key.variant]) {
    throw new CmpError(
      ErrorCodes.ERR_CMS_DECRYPT,
      `cannot decrypt the EnvelopedData: its KEM ${kemri.kem.algorithm} is not that of the ${key.variant} key`,
    );
  }
  if (kemri.kdf.algorithm !== idAlgHkdfWithSha256) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported KEMRecipientInfo key derivation ${kemri.kdf.algorithm}`);
  }
  const kekLength = wraps[kemri.wrap.algorithm];
  if (!kekLength) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported KEMRecipientInfo key wrap ${kemri.wrap.algorithm}`);
  // RFC 9936: kekLength must be consistent with the key-encryption algorithm's key size.
  if (kemri.kekLength !== kekLength) {
    throw new CmpError(
      ErrorCodes.ERR_CMS_DECRYPT,
      `cannot decrypt the EnvelopedData: kekLength ${kemri.kekLength} does not fit ${kemri.wrap.algorithm}`,
    );
  }
  const sharedSecret = key.decapsulate(new Uint8Array(kemri.kemct.buffer));
  const kek = keyEncryptionKey(sharedSecret, kemri.wrap, kekLength, kemri.ukm);
  // A ciphertext for another key decapsulates to an implicit-rejection secret: the wrap's integrity check then fails.
  return aesUnwrap(kek, new Uint8Array(kemri.encryptedKey.buffer));
}
