/**
 * EnvelopedData with a KeyAgreeRecipientInfo for X25519 and X448 keys (RFC 8418), checked against
 * primitives cmpflow does not use: OpenSSL (3.0 and later alike) has no X25519/X448 recipients in CMS,
 * so the other side of each exchange is written here with @noble's X25519/X448, SHA-2, AES key wrap and
 * AES-CBC (the audited libraries @noble/post-quantum is built on) and with the ECC-CMS-SharedInfo written
 * out byte by byte: what cmpflow encrypts opens that way, and what is encrypted that way cmpflow opens.
 */
import { generateKeyPairSync, type KeyObject } from 'crypto';
import { x25519 } from '@noble/curves/ed25519.js';
import { x448 } from '@noble/curves/ed448.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';
import { aeskw, cbc } from '@noble/ciphers/aes.js';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import {
  CMSVersion,
  EncryptedContent,
  EncryptedContentInfo,
  IssuerAndSerialNumber,
  KeyAgreeRecipientIdentifier,
  KeyAgreeRecipientInfo,
  OriginatorIdentifierOrKey,
  OriginatorPublicKey,
  RecipientEncryptedKey,
  RecipientEncryptedKeys,
} from '@peculiar/asn1-cms';
import { Certificate } from '@peculiar/asn1-x509';
import { EnvelopedData, RecipientInfo, RecipientInfos } from '../../src/asn1/cms';
import { envelope, openEnvelope } from '../../src/cms';
import { Oids } from '../../src/crypto';
import { isCmpError } from '../../src/errors';
import { createThrowawayCa } from '../../src/server';
import { signCertificate } from '../../src/server/certificate-builder';
import { parseName } from '../../src/pki/names';

const AES256_WRAP = '2.16.840.1.101.3.4.1.45';
const AES256_CBC = '2.16.840.1.101.3.4.1.42';
const SHA256_KDF = '1.3.132.1.11.1';
const SHA512_KDF = '1.3.132.1.11.3';

/** ECC-CMS-SharedInfo for AES-256 key wrap, no entityUInfo (RFC 5753 section 7.2), as fixed bytes. */
// SEQUENCE { SEQUENCE { id-aes256-wrap }, [2] { OCTET STRING 00000100 (256 bits) } }
const SHARED_INFO = Buffer.from('3015' + '300b060960864801650304012d' + 'a206040400000100', 'hex');

type Hash = (message: Uint8Array) => Uint8Array;
const keyPair = (type: 'x25519' | 'x448') => (type === 'x448' ? generateKeyPairSync('x448') : generateKeyPairSync('x25519'));

const curves: Record<string, { oid: string; dh: typeof x25519; kdfOid: string; hash: Hash; node: 'x25519' | 'x448' }> = {
  X25519: { oid: Oids.x25519, dh: x25519, kdfOid: SHA256_KDF, hash: (m) => sha256(m), node: 'x25519' },
  X448: { oid: Oids.x448, dh: x448, kdfOid: SHA512_KDF, hash: (m) => sha512(m), node: 'x448' },
};

/** ANSI X9.63 KDF as RFC 5753 uses it, for the 32 bytes of an AES-256 key-encryption key. */
function x963(hash: Hash, z: Uint8Array): Uint8Array {
  const counter = new Uint8Array([0, 0, 0, 1]);
  return hash(new Uint8Array([...z, ...counter, ...SHARED_INFO])).subarray(0, 32);
}

const rawPrivate = (key: KeyObject) => new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).d!, 'base64url'));
const rawPublic = (key: KeyObject) => new Uint8Array(Buffer.from(key.export({ format: 'jwk' }).x!, 'base64url'));

let signer: Awaited<ReturnType<typeof createThrowawayCa>>;
beforeAll(async () => {
  signer = await createThrowawayCa();
});

/** A certificate of the CA for `publicKey`: the recipient that KARI names by issuer and serial number. */
async function certificateFor(publicKey: KeyObject): Promise<Uint8Array> {
  return signCertificate(
    {
      serialNumber: new Uint8Array([0x01, 0x23]),
      issuer: new Uint8Array(AsnConvert.serialize(AsnConvert.parse(signer.ca.cert.rawData, Certificate).tbsCertificate.subject)),
      subject: parseName('/CN=recipient'),
      notBefore: new Date(Date.now() - 60_000),
      notAfter: new Date(Date.now() + 86_400_000),
      spki: new Uint8Array(publicKey.export({ format: 'der', type: 'spki' })),
      extensions: [],
    },
    { key: signer.ca.key },
  );
}

describe.each(Object.entries(curves))('%s key agreement in EnvelopedData', (name, curve) => {
  const content = new TextEncoder().encode(`a certificate for an ${name} key, or anything else`);

  it('what cmpflow encrypts opens with the independent primitives: Z, X9.63 KDF, AES key unwrap, AES-256-CBC', async () => {
    const { privateKey, publicKey } = keyPair(curve.node);
    const certificate = await certificateFor(publicKey);
    const env = AsnConvert.parse(Buffer.from(envelope(content, '1.2.840.113549.1.7.1', { kind: 'certificate', certificate })), EnvelopedData);
    expect(env.version).toBe(CMSVersion.v2);
    const kari = env.recipientInfos[0]!.kari!;
    expect(kari.version).toBe(CMSVersion.v3);
    const originator = kari.originator.originatorKey!;
    expect(originator.algorithm.algorithm).toBe(curve.oid);
    expect(originator.algorithm.parameters).toBeUndefined();
    expect(kari.keyEncryptionAlgorithm.algorithm).toBe(curve.kdfOid);
    expect(AsnConvert.parse(kari.keyEncryptionAlgorithm.parameters!, AlgorithmIdentifier).algorithm).toBe(AES256_WRAP);

    const z = curve.dh.getSharedSecret(rawPrivate(privateKey), new Uint8Array(originator.publicKey));
    const cek = aeskw(x963(curve.hash, z)).decrypt(new Uint8Array(kari.recipientEncryptedKeys[0]!.encryptedKey.buffer));
    const info = env.encryptedContentInfo;
    expect(info.contentEncryptionAlgorithm.algorithm).toBe(AES256_CBC);
    const iv = new Uint8Array(AsnConvert.parse(info.contentEncryptionAlgorithm.parameters!, OctetString).buffer);
    expect(cbc(cek, iv).decrypt(new Uint8Array(info.encryptedContent!.value!.buffer))).toEqual(content);
  });

  it('cmpflow opens what the independent primitives encrypt to its key', async () => {
    const { privateKey, publicKey } = keyPair(curve.node);
    const certificate = await certificateFor(publicKey);
    const ephemeral = curve.dh.utils.randomSecretKey();
    const z = curve.dh.getSharedSecret(ephemeral, rawPublic(publicKey));
    const cek = new Uint8Array(32).map((_, i) => i * 7);
    const iv = new Uint8Array(16).map((_, i) => 255 - i);
    const tbs = AsnConvert.parse(Buffer.from(certificate), Certificate).tbsCertificate;
    const kari = new KeyAgreeRecipientInfo({
      version: CMSVersion.v3,
      originator: new OriginatorIdentifierOrKey({
        originatorKey: new OriginatorPublicKey({
          algorithm: new AlgorithmIdentifier({ algorithm: curve.oid }),
          publicKey: curve.dh.getPublicKey(ephemeral).slice().buffer,
        }),
      }),
      keyEncryptionAlgorithm: new AlgorithmIdentifier({
        algorithm: curve.kdfOid,
        parameters: AsnConvert.serialize(new AlgorithmIdentifier({ algorithm: AES256_WRAP })),
      }),
      recipientEncryptedKeys: new RecipientEncryptedKeys([
        new RecipientEncryptedKey({
          rid: new KeyAgreeRecipientIdentifier({
            issuerAndSerialNumber: new IssuerAndSerialNumber({ issuer: tbs.issuer, serialNumber: tbs.serialNumber }),
          }),
          encryptedKey: new OctetString(aeskw(x963(curve.hash, z)).encrypt(cek)),
        }),
      ]),
    });
    const env = new EnvelopedData({
      version: CMSVersion.v2,
      recipientInfos: new RecipientInfos([new RecipientInfo({ kari })]),
      encryptedContentInfo: new EncryptedContentInfo({
        contentType: '1.2.840.113549.1.7.1',
        contentEncryptionAlgorithm: new AlgorithmIdentifier({ algorithm: AES256_CBC, parameters: AsnConvert.serialize(new OctetString(iv)) }),
        encryptedContent: new EncryptedContent({ value: new OctetString(cbc(cek, iv).encrypt(content)) }),
      }),
    });
    const opened = openEnvelope(new Uint8Array(AsnConvert.serialize(env)), { kind: 'privateKey', privateKey, certificate });
    expect(opened.content).toEqual(content);

    // An originator key of the other curve, or one of small order (all-zero shared secret), does not open it.
    const otherOid = curve.oid === Oids.x25519 ? Oids.x448 : Oids.x25519;
    kari.originator.originatorKey!.algorithm = new AlgorithmIdentifier({ algorithm: otherOid });
    expect(refusal(() => openEnvelope(new Uint8Array(AsnConvert.serialize(env)), { kind: 'privateKey', privateKey, certificate }))).toBe(true);
    kari.originator.originatorKey!.algorithm = new AlgorithmIdentifier({ algorithm: curve.oid });
    kari.originator.originatorKey!.publicKey = new Uint8Array(curve.oid === Oids.x25519 ? 32 : 56).buffer;
    expect(refusal(() => openEnvelope(new Uint8Array(AsnConvert.serialize(env)), { kind: 'privateKey', privateKey, certificate }))).toBe(true);
  });
});

function refusal(open: () => unknown): boolean {
  try {
    open();
    return false;
  } catch (e) {
    return isCmpError(e, 'ERR_CMS_DECRYPT');
  }
}
