import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { KemCiphertextInfo } from '../../src/asn1/cmp/info_values';
import { decodeDer, encodeDer } from '../../src/asn1/der-codec';
import { ML_KEM_OIDS, generateMlKemKey } from '../../src/crypto/ml-kem';
import { ErrorCodes } from '../../src/errors';
import { decapsulateKemCiphertext, encapsulateForKemMac } from '../../src/protection/kem-ciphertext';

describe('KemCiphertextInfo for KEM-based MAC', () => {
  const key = generateMlKemKey('ml-kem-768');

  it('the key holder decapsulates the sent KemCiphertextInfo, after a DER round trip, to the sender’s shared secret', () => {
    const { info, sharedSecret } = encapsulateForKemMac(key.spki());
    expect(info.kem.algorithm).toBe(ML_KEM_OIDS['ml-kem-768']);
    const received = decodeDer(encodeDer(info), KemCiphertextInfo);
    expect(Buffer.from(decapsulateKemCiphertext(key, received)).equals(Buffer.from(sharedSecret))).toBe(true);
  });

  it('refuses a ciphertext for another ML-KEM variant or of the wrong size before decapsulating', () => {
    const { info } = encapsulateForKemMac(key.spki());
    const otherVariant = new KemCiphertextInfo({ kem: new AlgorithmIdentifier({ algorithm: ML_KEM_OIDS['ml-kem-1024'] }), ct: info.ct });
    expect(() => decapsulateKemCiphertext(key, otherVariant)).toThrow(expect.objectContaining({ code: ErrorCodes.ERR_UNSUPPORTED_ALGORITHM }));
    const truncated = new KemCiphertextInfo({ kem: info.kem, ct: info.ct.slice(1) });
    expect(() => decapsulateKemCiphertext(key, truncated)).toThrow(expect.objectContaining({ code: ErrorCodes.ERR_PROTECTION_INVALID }));
  });
});
