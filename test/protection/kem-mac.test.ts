import { createHmac, hkdfSync } from 'node:crypto';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { CmpOids } from '../../src/asn1/oids';
import { generateMlKemKey, mlKemEncapsulate } from '../../src/crypto/ml-kem';
import { ErrorCodes } from '../../src/errors';
import { deriveKemSsk, KemKdfOids, kemMacAlgorithm, kemMacProtect, kemMacVerify, kemOtherInfoDer } from '../../src/protection/kem-mac';

/** DER written byte by byte (short lengths only), independent of the ASN.1 classes under test. */
function tlv(tag: number, content: Uint8Array): Uint8Array {
  expect(content.length).toBeLessThan(128);
  return Uint8Array.from([tag, content.length, ...content]);
}
function handKemOtherInfo(tid: Uint8Array, ctx?: Uint8Array): Uint8Array {
  const staticString = tlv(0x30, tlv(0x0c, new TextEncoder().encode('CMP-KEM')));
  const parts = [...staticString, ...tlv(0x04, tid), ...(ctx ? tlv(0xa0, tlv(0x04, ctx)) : [])];
  return tlv(0x30, Uint8Array.from(parts));
}

const tid = Uint8Array.from({ length: 16 }, (_, i) => i + 1);
const protectedPart = new TextEncoder().encode('DER of ProtectedPart stands here');

describe('KEM-based MAC (RFC 9810 section 5.1.3.4)', () => {
  const key = generateMlKemKey('ml-kem-768');
  const { cipherText, sharedSecret } = mlKemEncapsulate(key.spki());
  const ss = key.decapsulate(cipherText);

  it('the decapsulating side obtains the encapsulating side’s shared secret', () => {
    expect(Buffer.from(ss).equals(Buffer.from(sharedSecret))).toBe(true);
  });

  it('KemOtherInfo is DER of staticString "CMP-KEM", the transactionID and the explicitly tagged kemContext', () => {
    expect(Buffer.from(kemOtherInfoDer(tid)).toString('hex')).toBe(Buffer.from(handKemOtherInfo(tid)).toString('hex'));
    const ctx = Uint8Array.of(9, 8, 7);
    expect(Buffer.from(kemOtherInfoDer(tid, ctx)).toString('hex')).toBe(Buffer.from(handKemOtherInfo(tid, ctx)).toString('hex'));
  });

  it('ssk is HKDF over ss with empty salt and DER(KemOtherInfo) as info, and the MAC is HMAC over the protected part with it', () => {
    const alg = kemMacAlgorithm();
    const ssk = hkdfSync('sha256', ss, new Uint8Array(0), handKemOtherInfo(tid), 32);
    expect(Buffer.from(deriveKemSsk(KemKdfOids.hkdfSha256, ss, 32, tid)).equals(Buffer.from(ssk))).toBe(true);
    const expected = createHmac('sha256', Buffer.from(ssk)).update(protectedPart).digest();
    const bits = kemMacProtect(alg, ss, tid, protectedPart);
    expect(Buffer.from(bits).equals(expected)).toBe(true);
    expect(() => kemMacVerify(alg, ss, tid, protectedPart, bits)).not.toThrow();
  });

  it('SHA-512 HKDF with a kemContext and HMAC-SHA-384 derive and verify the same way', () => {
    const ctx = Uint8Array.of(1, 2, 3, 4);
    const alg = kemMacAlgorithm({ kdf: 'hkdfSha512', mac: 'SHA-384', len: 48, kemContext: ctx });
    const ssk = hkdfSync('sha512', ss, new Uint8Array(0), handKemOtherInfo(tid, ctx), 48);
    const expected = createHmac('sha384', Buffer.from(ssk)).update(protectedPart).digest();
    expect(Buffer.from(kemMacProtect(alg, ss, tid, protectedPart)).equals(expected)).toBe(true);
  });

  it('a tampered protected part, protection, shared secret or another transactionID fails verification', () => {
    const alg = kemMacAlgorithm();
    const bits = kemMacProtect(alg, ss, tid, protectedPart);
    const otherTid = Uint8Array.from(tid);
    otherTid[0] ^= 1;
    const tamperedPart = Uint8Array.from(protectedPart);
    tamperedPart[3] ^= 1;
    const tamperedBits = Uint8Array.from(bits);
    tamperedBits[0] ^= 1;
    const otherSs = Uint8Array.from(ss);
    otherSs[5] ^= 1;
    const invalid = expect.objectContaining({ code: ErrorCodes.ERR_PROTECTION_INVALID });
    expect(() => kemMacVerify(alg, ss, otherTid, protectedPart, bits)).toThrow(invalid);
    expect(() => kemMacVerify(alg, ss, tid, tamperedPart, bits)).toThrow(invalid);
    expect(() => kemMacVerify(alg, ss, tid, protectedPart, tamperedBits)).toThrow(invalid);
    expect(() => kemMacVerify(alg, otherSs, tid, protectedPart, bits)).toThrow(invalid);
    expect(() => kemMacVerify(alg, ss, tid, protectedPart, bits.subarray(1))).toThrow(invalid);
  });

  it('refuses unknown KDF and MAC algorithms with a typed error', () => {
    const unsupported = expect.objectContaining({ code: ErrorCodes.ERR_UNSUPPORTED_ALGORITHM });
    expect(() => deriveKemSsk('1.2.3.4', ss, 32, tid)).toThrow(unsupported);
    const alg = kemMacAlgorithm();
    const withSha1Mac = kemMacAlgorithm({ kdf: 'hkdfSha256', mac: 'SHA-256', len: 32 });
    // Rewrite the MAC OID in the encoded parameters to hmacWithSHA1 (…2.7 instead of …2.9).
    const params = Buffer.from(withSha1Mac.parameters!);
    const at = params.lastIndexOf(Buffer.from([0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x02, 0x09]));
    params[at + 7] = 0x07;
    const badMac = new AlgorithmIdentifier({
      algorithm: CmpOids.kemBasedMac,
      parameters: params.buffer.slice(params.byteOffset, params.byteOffset + params.length),
    });
    expect(() => kemMacProtect(badMac, ss, tid, protectedPart)).toThrow(unsupported);
    expect(() => kemMacProtect(new AlgorithmIdentifier({ algorithm: '1.2.3' }), ss, tid, protectedPart)).toThrow(
      expect.objectContaining({ code: ErrorCodes.ERR_PROTECTION_ALG_MISMATCH }),
    );
    expect(alg.algorithm).toBe(CmpOids.kemBasedMac);
  });

  it('bounds the key length and kemContext a received message may ask for', () => {
    const invalid = expect.objectContaining({ code: ErrorCodes.ERR_PROTECTION_INVALID });
    expect(() => deriveKemSsk(KemKdfOids.hkdfSha256, ss, 1 << 20, tid)).toThrow(invalid);
    expect(() => deriveKemSsk(KemKdfOids.hkdfSha256, ss, 4, tid)).toThrow(invalid);
    expect(() => deriveKemSsk(KemKdfOids.hkdfSha256, ss, 32, tid, new Uint8Array(4096))).toThrow(invalid);
    expect(() => kemMacProtect(kemMacAlgorithm({ kdf: 'hkdfSha256', mac: 'SHA-256', len: 1000 }), ss, tid, protectedPart)).toThrow(invalid);
  });
});
