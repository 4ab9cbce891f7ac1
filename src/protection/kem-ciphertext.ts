/**
 * The KEM half of KEM-based MAC: the party holding the peer's ML-KEM public key encapsulates and sends the
 * ciphertext as KemCiphertextInfo (id-it-KemCiphertextInfo); the key holder decapsulates it to the same ss.
 * The ciphertext comes from the peer, so its algorithm and size are checked before ML-KEM sees it.
 */
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { KemCiphertextInfo } from '../asn1/cmp/info_values';
import { ML_KEM_OIDS, mlKemEncapsulate, type MlKemPrivateKey } from '../crypto/ml-kem';
import { CmpError, ErrorCodes } from '../errors';
import { toArrayBuffer } from '../bytes';

/** FIPS 203 ciphertext sizes. */
const ciphertextLength: Record<string, number> = { 'ml-kem-512': 768, 'ml-kem-768': 1088, 'ml-kem-1024': 1568 };

/** Encapsulates to an ML-KEM SubjectPublicKeyInfo: the KemCiphertextInfo to send and the shared secret to keep. */
export function encapsulateForKemMac(spkiDer: Uint8Array): { info: KemCiphertextInfo; sharedSecret: Uint8Array } {
  const { variant, cipherText, sharedSecret } = mlKemEncapsulate(spkiDer);
  const info = new KemCiphertextInfo({ kem: new AlgorithmIdentifier({ algorithm: ML_KEM_OIDS[variant] }), ct: toArrayBuffer(cipherText) });
  return { info, sharedSecret };
}

/** The shared secret of a received KemCiphertextInfo, after checking it names this key's ML-KEM variant and size. */
export function decapsulateKemCiphertext(key: MlKemPrivateKey, info: KemCiphertextInfo): Uint8Array {
  if (info.kem.algorithm !== ML_KEM_OIDS[key.variant] || info.kem.parameters) {
    throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `KemCiphertextInfo names ${info.kem.algorithm}, the key is ${key.variant}`);
  }
  if (info.ct.byteLength !== ciphertextLength[key.variant]) {
    throw new CmpError(
      ErrorCodes.ERR_PROTECTION_INVALID,
      `KemCiphertextInfo ciphertext of ${info.ct.byteLength} bytes, ${key.variant} needs ${ciphertextLength[key.variant]}`,
    );
  }
  return key.decapsulate(new Uint8Array(info.ct));
}
