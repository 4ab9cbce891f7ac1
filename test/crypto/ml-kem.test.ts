/**
 * ML-KEM (FIPS 203) through src/crypto/ml-kem.ts, checked against published values: NIST ACVP
 * encapsulation/decapsulation vectors, and the example of the ML-KEM-in-CMS specification
 * (draft-ietf-lamps-cms-kyber, appendix C), whose KEMRecipientInfo cmpflow opens with the example's
 * private key (seed form) to the listed shared secret, key-encryption key and content-encryption key,
 * and whose content then decrypts to the listed plaintext. Key formats (seed, expanded, both) round-trip,
 * and inconsistent or corrupted keys are refused.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { createDecipheriv } from 'crypto';
import { inspect } from 'util';
import { KeyUsageFlags, KeyUsagesExtension, X509Certificate } from '@peculiar/x509';
import { AsnConvert, AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { ContentInfo, EncryptedContentInfo } from '@peculiar/asn1-cms';
import { RecipientInfos } from '../../src/asn1/cms';
import { parsePem } from '../../src/credentials/pem';
import {
  checkMlKemKeyPair,
  generateMlKemKey,
  isMlKemPkcs8,
  ML_KEM_VARIANTS,
  mlKemEncapsulate,
  mlKemPrivateKeyFromPkcs8,
  mlKemPublicKey,
  mlKemSpki,
  MlKemPrivateKey,
} from '../../src/crypto/ml-kem';
import { kemRecipientInfo, openKemRecipient } from '../../src/cms/kem-recipient';

const vectors = path.join(__dirname, '..', 'vectors', 'ml-kem');
const hex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const toHex = (b: Uint8Array | ArrayBuffer) =>
  Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b))
    .toString('hex')
    .toUpperCase();

describe('NIST ACVP ML-KEM-512 encapsulation vectors', () => {
  const acvp = JSON.parse(readFileSync(path.join(vectors, 'acvp-encap-decap-512.json'), 'utf8')) as {
    tests: { tcId: number; dk: string; c: string; k: string; m: string }[];
  };

  it.each(acvp.tests.map((t) => [t.tcId, t] as const))('tcId %s: encapsulates to c and k, and the expanded key decapsulates c to k', (_id, t) => {
    const dk = hex(t.dk);
    // FIPS 203: dk = dkPKE (384k bytes) || ek || H(ek) || z.
    const ek = dk.subarray(768, 768 + 800);
    const encapsulated = mlKemEncapsulate(mlKemSpki('ml-kem-512', ek), hex(t.m));
    expect(toHex(encapsulated.cipherText)).toBe(t.c);
    expect(toHex(encapsulated.sharedSecret)).toBe(t.k);
    const key = mlKemPrivateKeyFromPkcs8(new MlKemPrivateKey('ml-kem-512', dk, ek).pkcs8('expandedKey'));
    expect(toHex(key.publicKey)).toBe(toHex(ek));
    expect(toHex(key.decapsulate(hex(t.c)))).toBe(t.k);
  });
});

/**
 * ```asn1
 * AuthEnvelopedData ::= SEQUENCE {
 *   version CMSVersion, originatorInfo [0] IMPLICIT OriginatorInfo OPTIONAL, recipientInfos RecipientInfos,
 *   authEncryptedContentInfo EncryptedContentInfo, authAttrs [1] IMPLICIT AuthAttributes OPTIONAL,
 *   mac MessageAuthenticationCode, unauthAttrs [2] IMPLICIT UnauthAttributes OPTIONAL }
 * ```
 * RFC 5083, as much of it as the example uses (no originatorInfo, no attributes): the test's own reader.
 */
class AuthEnvelopedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  public version = 0;

  @AsnProp({ type: RecipientInfos })
  public recipientInfos = new RecipientInfos();

  @AsnProp({ type: EncryptedContentInfo })
  public authEncryptedContentInfo = new EncryptedContentInfo();

  @AsnProp({ type: OctetString })
  public mac = new OctetString();
}

/** GCMParameters ::= SEQUENCE { aes-nonce OCTET STRING, aes-ICVlen INTEGER DEFAULT 12 } (RFC 5084). */
class GcmParameters {
  @AsnProp({ type: OctetString })
  public nonce = new OctetString();

  @AsnProp({ type: AsnPropTypes.Integer, defaultValue: 12 })
  public icvLength = 12;
}

describe('the ML-KEM CMS example of draft-ietf-lamps-cms-kyber', () => {
  const expected = JSON.parse(readFileSync(path.join(vectors, 'cms-kyber-example.json'), 'utf8')) as Record<string, string>;
  const pemDer = (file: string) => parsePem(readFileSync(path.join(vectors, file), 'utf8'))[0]!.der;

  it("opens the KEMRecipientInfo with Bob's seed-form key to the listed content-encryption key, which decrypts the content", () => {
    const pkcs8 = pemDer('cms-kyber-example.key.pem');
    expect(isMlKemPkcs8(pkcs8)).toBe(true);
    const key = mlKemPrivateKeyFromPkcs8(pkcs8);
    expect(key.variant).toBe('ml-kem-512');
    expect(toHex(key.seed!)).toBe(toHex(Uint8Array.from({ length: 64 }, (_, i) => i)));
    // Written back in the form it was read, byte for byte.
    expect(toHex(key.pkcs8())).toBe(toHex(pkcs8));

    const info = AsnConvert.parse(pemDer('cms-kyber-example.cms.pem'), ContentInfo);
    expect(info.contentType).toBe('1.2.840.113549.1.9.16.1.23');
    const auth = AsnConvert.parse(info.content, AuthEnvelopedData);
    const kemri = kemRecipientInfo(auth.recipientInfos[0]!.ori!)!;
    expect(toHex(kemri.rid.subjectKeyIdentifier!.buffer)).toBe(expected.keyId);
    expect(toHex(key.decapsulate(new Uint8Array(kemri.kemct.buffer)))).toBe(expected.sharedSecret);
    const cek = openKemRecipient(kemri, key);
    expect(toHex(cek)).toBe(expected.cek);

    const content = auth.authEncryptedContentInfo;
    expect(content.contentEncryptionAlgorithm.algorithm).toBe('2.16.840.1.101.3.4.1.6');
    const gcm = AsnConvert.parse(content.contentEncryptionAlgorithm.parameters!, GcmParameters);
    const decipher = createDecipheriv('aes-128-gcm', cek, Buffer.from(gcm.nonce.buffer), { authTagLength: gcm.icvLength });
    decipher.setAuthTag(Buffer.from(auth.mac.buffer));
    const plaintext = Buffer.concat([decipher.update(Buffer.from(content.encryptedContent!.value!.buffer)), decipher.final()]);
    expect(plaintext.toString()).toBe(expected.plaintext);
  });

  it('refuses to open it with another ML-KEM-512 key: the wrap check fails after implicit rejection', () => {
    const info = AsnConvert.parse(pemDer('cms-kyber-example.cms.pem'), ContentInfo);
    const kemri = kemRecipientInfo(AsnConvert.parse(info.content, AuthEnvelopedData).recipientInfos[0]!.ori!)!;
    expect(() => openKemRecipient(kemri, generateMlKemKey('ml-kem-512'))).toThrow(expect.objectContaining({ code: 'ERR_CMS_DECRYPT' }));
    expect(() => openKemRecipient(kemri, generateMlKemKey('ml-kem-768'))).toThrow(expect.objectContaining({ code: 'ERR_CMS_DECRYPT' }));
  });
});

describe('ML-KEM key formats', () => {
  it.each(ML_KEM_VARIANTS.map((v) => [v]))('%s: seed, expanded and both round-trip to the same key; the SPKI carries the key', (variant) => {
    const key = generateMlKemKey(variant);
    for (const form of ['seed', 'expandedKey', 'both'] as const) {
      const read = mlKemPrivateKeyFromPkcs8(key.pkcs8(form));
      expect(toHex(read.secretKey)).toBe(toHex(key.secretKey));
      expect(toHex(read.publicKey)).toBe(toHex(key.publicKey));
    }
    expect(mlKemPublicKey(key.spki())).toEqual({ variant, publicKey: key.publicKey });
    const { cipherText, sharedSecret } = mlKemEncapsulate(key.spki());
    expect(toHex(key.decapsulate(cipherText))).toBe(toHex(sharedSecret));
  });

  it('refuses a "both" key whose seed and expanded key disagree, and an expanded key whose H(ek) is wrong', () => {
    const a = generateMlKemKey('ml-kem-768');
    const b = generateMlKemKey('ml-kem-768');
    const mixed = new MlKemPrivateKey('ml-kem-768', b.secretKey, b.publicKey, a.seed);
    expect(() => mlKemPrivateKeyFromPkcs8(mixed.pkcs8('both'))).toThrow(/seed and expanded key disagree/);
    const corrupted = a.secretKey.slice();
    corrupted[corrupted.length - 40] ^= 1;
    expect(() => mlKemPrivateKeyFromPkcs8(new MlKemPrivateKey('ml-kem-768', corrupted, a.publicKey).pkcs8('expandedKey'))).toThrow(/hash check/);
  });

  it('keeps the key out of JSON and out of console.log', () => {
    const key = generateMlKemKey('ml-kem-768');
    expect(JSON.stringify({ key })).toBe('{"key":"[ml-kem-768 private key]"}');
    expect(inspect({ key })).toBe('{ key: [ml-kem-768 private key] }');
  });
});

describe('checking a delivered ML-KEM key against the certified one (checkMlKemKeyPair)', () => {
  const key = generateMlKemKey('ml-kem-768');

  it("accepts the certificate's own key, in each form", () => {
    for (const form of ['seed', 'expandedKey', 'both'] as const)
      expect(() => checkMlKemKeyPair(mlKemPrivateKeyFromPkcs8(key.pkcs8(form)), key.spki())).not.toThrow();
  });

  it('refuses another key, and a key of another variant: ERR_PUBLIC_KEY_MISMATCH', () => {
    expect(() => checkMlKemKeyPair(generateMlKemKey('ml-kem-768'), key.spki())).toThrow(expect.objectContaining({ code: 'ERR_PUBLIC_KEY_MISMATCH' }));
    expect(() => checkMlKemKeyPair(generateMlKemKey('ml-kem-512'), key.spki())).toThrow(/it is ml-kem-512, the certificate's key ml-kem-768/);
  });

  it('refuses an expanded key that carries the certified encapsulation key but another secret part, which its hash check misses', () => {
    const other = generateMlKemKey('ml-kem-768');
    // The secret part of FIPS 203's decapsulation key (dk_PKE, 384·k bytes) from another key, the rest (ek, H(ek), z) ours.
    const spliced = key.secretKey.slice();
    spliced.set(other.secretKey.subarray(0, 384 * 3));
    const read = mlKemPrivateKeyFromPkcs8(new MlKemPrivateKey('ml-kem-768', spliced, key.publicKey).pkcs8('expandedKey'));
    expect(() => checkMlKemKeyPair(read, key.spki())).toThrow(/does not decapsulate what is encapsulated to the certificate/);
  });
});

describe("RFC 9935's ML-KEM-512 examples (appendix C)", () => {
  const der = (file: string) => parsePem(readFileSync(path.join(vectors, file), 'utf8'))[0]!.der;
  const certificate = new X509Certificate(Buffer.from(der('rfc9935-ML-KEM-512.crt')));

  it('the seed, expanded and both keys are one key, the key of the example certificate, which @peculiar/x509 reads', () => {
    const keys = ['seed', 'expanded', 'both'].map((form) => mlKemPrivateKeyFromPkcs8(der(`rfc9935-ML-KEM-512-${form}.priv`)));
    for (const key of keys) {
      expect(key.variant).toBe('ml-kem-512');
      expect(toHex(key.spki())).toBe(toHex(certificate.publicKey.rawData));
      expect(() => checkMlKemKeyPair(key, new Uint8Array(certificate.publicKey.rawData))).not.toThrow();
    }
    expect(certificate.getExtension(KeyUsagesExtension)!.usages).toBe(KeyUsageFlags.keyEncipherment);
    expect(toHex(new X509Certificate(certificate.rawData).rawData)).toBe(toHex(der('rfc9935-ML-KEM-512.crt')));
  });

  it('refuses the inconsistent examples: seed and expanded key disagreeing (1; 4 only in z), wrong H(ek) (3), and, against the certificate, a mutated s_0 under a valid H(ek) (2)', () => {
    expect(() => mlKemPrivateKeyFromPkcs8(der('rfc9935-bad-ML-KEM-512-1.priv'))).toThrow(/seed and expanded key disagree/);
    expect(() => mlKemPrivateKeyFromPkcs8(der('rfc9935-bad-ML-KEM-512-3.priv'))).toThrow(expect.objectContaining({ code: 'ERR_CREDENTIALS' }));
    expect(() => mlKemPrivateKeyFromPkcs8(der('rfc9935-bad-ML-KEM-512-4.priv'))).toThrow(/seed and expanded key disagree/);
    const mutated = mlKemPrivateKeyFromPkcs8(der('rfc9935-bad-ML-KEM-512-2.priv'));
    expect(() => checkMlKemKeyPair(mutated, new Uint8Array(certificate.publicKey.rawData))).toThrow(/does not decapsulate/);
  });
});
