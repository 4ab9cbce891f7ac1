/**
 * EnvelopedData (RFC 5652 section 6) for the three ways RFC 9483 section 4.1.6 delivers a centrally
 * generated key: key transport to an RSA key (RSA-OAEP, RFC 8017), ephemeral-static ECDH key agreement
 * (RFC 5753, X9.63 KDF + AES key wrap; with X25519 and X448 keys as RFC 8418 specifies) and a password
 * (RFC 3211, PBKDF2). The content is AES-CBC encrypted.
 *
 * node:crypto is used directly, as the credentials floor does: the CryptoProvider seam has no ciphers.
 */
import {
  constants,
  createCipheriv,
  createDecipheriv,
  createECDH,
  createHash,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  pbkdf2Sync,
  privateDecrypt,
  publicEncrypt,
  randomBytes,
  type KeyObject,
} from 'node:crypto';
import { AsnConvert, AsnProp, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { RsaEsOaepParams, id_mgf1, id_RSAES_OAEP, pSpecifiedEmpty } from '@peculiar/asn1-rsa';
import {
  EncryptedContent,
  EncryptedContentInfo,
  IssuerAndSerialNumber,
  KeyAgreeRecipientIdentifier,
  KeyAgreeRecipientInfo,
  KeyTransRecipientInfo,
  OriginatorIdentifierOrKey,
  OriginatorPublicKey,
  RecipientEncryptedKey,
  RecipientEncryptedKeys,
  RecipientIdentifier,
  CMSVersion,
} from '@peculiar/asn1-cms';
import { PBKDF2Params, PBKDF2Salt } from '../asn1/cmp/pbmac1';
import { EnvelopedData, PasswordRecipientInfo, RecipientInfo, RecipientInfos } from '../asn1/cms';
import { Oids } from '../crypto/algorithms';
import { sameBytes } from '../bytes';
import { CmpError, ErrorCodes } from '../errors';
import { aesUnwrap, aesWrap, pwriKekUnwrap, pwriKekWrap } from './key-wrap';
import { mlKemPublicKey, type MlKemPrivateKey } from '../crypto/ml-kem';
import { kemRecipient, kemRecipientInfo, openKemRecipient } from './kem-recipient';

export const CmsOids = {
  signedData: '1.2.840.113549.1.7.2',
  envelopedData: '1.2.840.113549.1.7.3',
  pbkdf2: '1.2.840.113549.1.5.12',
  pwriKek: '1.2.840.113549.1.9.16.3.9',
  aes128Wrap: '2.16.840.1.101.3.4.1.5',
  aes192Wrap: '2.16.840.1.101.3.4.1.25',
  aes256Wrap: '2.16.840.1.101.3.4.1.45',
  aes128Cbc: '2.16.840.1.101.3.4.1.2',
  aes192Cbc: '2.16.840.1.101.3.4.1.22',
  aes256Cbc: '2.16.840.1.101.3.4.1.42',
  dhSinglePassStdDhSha1Kdf: '1.3.133.16.840.63.0.2',
  dhSinglePassStdDhSha224Kdf: '1.3.132.1.11.0',
  dhSinglePassStdDhSha256Kdf: '1.3.132.1.11.1',
  dhSinglePassStdDhSha384Kdf: '1.3.132.1.11.2',
  dhSinglePassStdDhSha512Kdf: '1.3.132.1.11.3',
} as const;

const hashOids: Record<string, string> = {
  [Oids.sha1]: 'sha1',
  '2.16.840.1.101.3.4.2.4': 'sha224',
  [Oids.sha256]: 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};
const kdfHashes: Record<string, string> = {
  [CmsOids.dhSinglePassStdDhSha1Kdf]: 'sha1',
  [CmsOids.dhSinglePassStdDhSha224Kdf]: 'sha224',
  [CmsOids.dhSinglePassStdDhSha256Kdf]: 'sha256',
  [CmsOids.dhSinglePassStdDhSha384Kdf]: 'sha384',
  [CmsOids.dhSinglePassStdDhSha512Kdf]: 'sha512',
};
const prfHashes: Record<string, string> = {
  [Oids.hmacWithSHA1]: 'sha1',
  [Oids.hmacWithSHA224]: 'sha224',
  [Oids.hmacWithSHA256]: 'sha256',
  [Oids.hmacWithSHA384]: 'sha384',
  [Oids.hmacWithSHA512]: 'sha512',
};
const wrapKeyLengths: Record<string, number> = { [CmsOids.aes128Wrap]: 16, [CmsOids.aes192Wrap]: 24, [CmsOids.aes256Wrap]: 32 };
const cbcKeyLengths: Record<string, number> = { [CmsOids.aes128Cbc]: 16, [CmsOids.aes192Cbc]: 24, [CmsOids.aes256Cbc]: 32 };
const cbcNames: Record<number, string> = { 16: 'aes-128-cbc', 24: 'aes-192-cbc', 32: 'aes-256-cbc' };

/** A hostile message could otherwise make the client hash for hours; OpenSSL writes 2048. */
export const MAX_PWRI_ITERATIONS = 10_000_000;
const PWRI_ITERATIONS = 100_000;

/** Who can open the envelope: the holder of a certificate's key, or whoever knows a password. */
export type EnvelopeRecipient = { kind: 'certificate'; certificate: Uint8Array } | { kind: 'password'; password: Uint8Array };

/**
 * What opens it: the recipient's private key (with its certificate, to pick the RecipientInfo), an ML-KEM
 * private key (KEMRecipientInfo, RFC 9629; node:crypto has no ML-KEM KeyObject), or the password.
 */
export type EnvelopeKey =
  | { kind: 'privateKey'; privateKey: KeyObject; certificate?: Uint8Array }
  | { kind: 'kem'; key: MlKemPrivateKey; certificate?: Uint8Array }
  | { kind: 'password'; password: Uint8Array };

function unsupported(what: string, oid: string): CmpError {
  return new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported ${what} ${oid} in EnvelopedData`);
}

function undecryptable(what: string, cause?: unknown): CmpError {
  return new CmpError(ErrorCodes.ERR_CMS_DECRYPT, `cannot decrypt the EnvelopedData: ${what}`, cause ? { cause } : {});
}

function buf(data: ArrayBuffer | Uint8Array): Buffer {
  return data instanceof Uint8Array ? Buffer.from(data.buffer, data.byteOffset, data.byteLength) : Buffer.from(data);
}

function algorithm(oid: string, parameters?: ArrayBuffer): AlgorithmIdentifier {
  return new AlgorithmIdentifier(parameters ? { algorithm: oid, parameters } : { algorithm: oid });
}

function derNull(): ArrayBuffer {
  return new Uint8Array([0x05, 0x00]).buffer;
}

function issuerAndSerial(certificate: Uint8Array): IssuerAndSerialNumber {
  const cert = AsnConvert.parse(buf(certificate), Certificate);
  return new IssuerAndSerialNumber({ issuer: cert.tbsCertificate.issuer, serialNumber: cert.tbsCertificate.serialNumber });
}

function sameIssuerAndSerial(a: IssuerAndSerialNumber | undefined, b: IssuerAndSerialNumber): boolean {
  return a !== undefined && sameBytes(AsnConvert.serialize(a), AsnConvert.serialize(b));
}

/**
 * ```asn1
 * ECC-CMS-SharedInfo ::= SEQUENCE {
 *   keyInfo      AlgorithmIdentifier,
 *   entityUInfo  [0] EXPLICIT OCTET STRING OPTIONAL,
 *   suppPubInfo  [2] EXPLICIT OCTET STRING }
 * ```
 * RFC 5753 section 7.2: the KDF's SharedInfo.
 */
class EccCmsSharedInfo {
  @AsnProp({ type: AlgorithmIdentifier })
  public keyInfo = new AlgorithmIdentifier();

  @AsnProp({ type: OctetString, context: 0, optional: true })
  public entityUInfo?: OctetString;

  @AsnProp({ type: OctetString, context: 2 })
  public suppPubInfo = new OctetString();

  public constructor(params: Partial<EccCmsSharedInfo> = {}) {
    Object.assign(this, params);
  }
}

/** ANSI X9.63 KDF as RFC 5753 section 7.2 uses it: hash(Z || counter || SharedInfo) until enough bytes. */
function x963Kdf(hash: string, z: Buffer, wrapOid: string, keyLength: number, ukm?: ArrayBuffer): Buffer {
  const suppPubInfo = Buffer.alloc(4);
  suppPubInfo.writeUInt32BE(keyLength * 8);
  const sharedInfo = Buffer.from(
    AsnConvert.serialize(
      new EccCmsSharedInfo({
        keyInfo: algorithm(wrapOid),
        ...(ukm ? { entityUInfo: new OctetString(ukm) } : {}),
        suppPubInfo: new OctetString(suppPubInfo),
      }),
    ),
  );
  const out: Buffer[] = [];
  for (let counter = 1, have = 0; have < keyLength; counter++) {
    const c = Buffer.alloc(4);
    c.writeUInt32BE(counter);
    const block = createHash(hash).update(z).update(c).update(sharedInfo).digest();
    out.push(block);
    have += block.length;
  }
  return Buffer.concat(out).subarray(0, keyLength);
}

/** The curve's raw public point, from a key's SubjectPublicKeyInfo. */
function ecPoint(key: KeyObject): Buffer {
  const spki = AsnConvert.parse(key.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo);
  return Buffer.from(spki.subjectPublicKey);
}

function ecCurve(key: KeyObject): string {
  const curve = key.asymmetricKeyDetails?.namedCurve;
  if (!curve) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, 'the EC key has no named curve');
  return curve;
}

function oaepParams(): ArrayBuffer {
  const sha256 = algorithm(Oids.sha256);
  return AsnConvert.serialize(new RsaEsOaepParams({ hashAlgorithm: sha256, maskGenAlgorithm: algorithm(id_mgf1, AsnConvert.serialize(sha256)) }));
}

function keyTransport(certificate: Uint8Array, recipientKey: KeyObject, cek: Buffer): RecipientInfo {
  const encryptedKey = publicEncrypt({ key: recipientKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: 'sha256' }, cek);
  return new RecipientInfo({
    ktri: new KeyTransRecipientInfo({
      version: CMSVersion.v0,
      rid: new RecipientIdentifier({ issuerAndSerialNumber: issuerAndSerial(certificate) }),
      keyEncryptionAlgorithm: algorithm(id_RSAES_OAEP, oaepParams()),
      encryptedKey: new OctetString(encryptedKey),
    }),
  });
}

/** RFC 8418's curves: the KDF hash this code uses with each (SHA-256 for X25519, SHA-512 for X448, as RFC 8418 pairs them). */
const montgomery: Record<string, { oid: string; kdf: string; kdfHash: string }> = {
  x25519: { oid: Oids.x25519, kdf: CmsOids.dhSinglePassStdDhSha256Kdf, kdfHash: 'sha256' },
  x448: { oid: Oids.x448, kdf: CmsOids.dhSinglePassStdDhSha512Kdf, kdfHash: 'sha512' },
};

/**
 * The ephemeral-static agreement for `recipientKey`: the originator's public key as KARI carries it
 * (an EC point under id-ecPublicKey, RFC 5753; the raw u-coordinate under id-X25519 or id-X448, parameters
 * absent, RFC 8418 section 2), the shared secret Z, and the X9.63 KDF that turns Z into the key-encryption key.
 */
function ephemeralAgreement(recipientKey: KeyObject): { originator: OriginatorPublicKey; z: Buffer; kdf: string; kdfHash: string } {
  const curve = montgomery[recipientKey.asymmetricKeyType ?? ''];
  if (curve) {
    const ephemeral = recipientKey.asymmetricKeyType === 'x448' ? generateKeyPairSync('x448') : generateKeyPairSync('x25519');
    const z = diffieHellman({ privateKey: ephemeral.privateKey, publicKey: recipientKey });
    const raw = AsnConvert.parse(ephemeral.publicKey.export({ format: 'der', type: 'spki' }), SubjectPublicKeyInfo).subjectPublicKey;
    return { originator: new OriginatorPublicKey({ algorithm: algorithm(curve.oid), publicKey: raw }), z, kdf: curve.kdf, kdfHash: curve.kdfHash };
  }
  const ephemeral = createECDH(ecCurve(recipientKey));
  ephemeral.generateKeys();
  const z = ephemeral.computeSecret(ecPoint(recipientKey));
  const originator = new OriginatorPublicKey({
    algorithm: algorithm(Oids.ecPublicKey),
    publicKey: ephemeral.getPublicKey() as unknown as ArrayBuffer,
  });
  return { originator, z, kdf: CmsOids.dhSinglePassStdDhSha256Kdf, kdfHash: 'sha256' };
}

function keyAgreement(certificate: Uint8Array, recipientKey: KeyObject, cek: Buffer): RecipientInfo {
  const { originator, z, kdf, kdfHash } = ephemeralAgreement(recipientKey);
  const kek = x963Kdf(kdfHash, z, CmsOids.aes256Wrap, 32);
  return new RecipientInfo({
    kari: new KeyAgreeRecipientInfo({
      version: CMSVersion.v3,
      originator: new OriginatorIdentifierOrKey({ originatorKey: originator }),
      keyEncryptionAlgorithm: algorithm(kdf, AsnConvert.serialize(algorithm(CmsOids.aes256Wrap))),
      recipientEncryptedKeys: new RecipientEncryptedKeys([
        new RecipientEncryptedKey({
          rid: new KeyAgreeRecipientIdentifier({ issuerAndSerialNumber: issuerAndSerial(certificate) }),
          encryptedKey: new OctetString(aesWrap(kek, cek)),
        }),
      ]),
    }),
  });
}

/**
 * PWRI-KEK rather than RFC 9481's plain AES key wrap: it is the only password wrap OpenSSL's CMS code
 * (and so OpenSSL's CMP client) reads, and RFC 3211 allows either; openEnvelope reads both.
 */
function password(secret: Uint8Array, cek: Buffer): RecipientInfo {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const kek = pbkdf2Sync(buf(secret), salt, PWRI_ITERATIONS, 32, 'sha256');
  const params = new PBKDF2Params({
    salt: new PBKDF2Salt({ specified: salt as unknown as ArrayBuffer }),
    iterationCount: BigInt(PWRI_ITERATIONS),
    prf: algorithm(Oids.hmacWithSHA256, derNull()),
  });
  return new RecipientInfo({
    pwri: new PasswordRecipientInfo({
      version: CMSVersion.v0,
      keyDerivationAlgorithm: algorithm(CmsOids.pbkdf2, AsnConvert.serialize(params)),
      keyEncryptionAlgorithm: algorithm(
        CmsOids.pwriKek,
        AsnConvert.serialize(algorithm(CmsOids.aes256Cbc, AsnConvert.serialize(new OctetString(iv)))),
      ),
      encryptedKey: new OctetString(pwriKekWrap(kek, iv, cek)),
    }),
  });
}

/** Encrypts `content` (of type `contentType`) for one recipient with a fresh AES-256 key. */
export function envelope(content: Uint8Array, contentType: string, recipient: EnvelopeRecipient): Uint8Array {
  const cek = randomBytes(32);
  const iv = randomBytes(16);
  let info: RecipientInfo;
  if (recipient.kind === 'password') {
    info = password(recipient.password, cek);
  } else {
    const cert = AsnConvert.parse(buf(recipient.certificate), Certificate);
    const spki = new Uint8Array(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo));
    const recipientKey = mlKemPublicKey(spki) ? undefined : createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' });
    if (!recipientKey) info = kemRecipient(spki, new RecipientIdentifier({ issuerAndSerialNumber: issuerAndSerial(recipient.certificate) }), cek);
    else if (recipientKey.asymmetricKeyType === 'rsa') info = keyTransport(recipient.certificate, recipientKey, cek);
    else if (recipientKey.asymmetricKeyType === 'ec' || montgomery[recipientKey.asymmetricKeyType ?? ''])
      info = keyAgreement(recipient.certificate, recipientKey, cek);
    else throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `cannot encrypt to a ${recipientKey.asymmetricKeyType} key`);
  }
  const cipher = createCipheriv('aes-256-cbc', cek, iv);
  const encrypted = Buffer.concat([cipher.update(content), cipher.final()]);
  // RFC 5652 section 6.1: version 3 with a password or other recipient, 2 with key agreement, 0 with key transport by issuer and serial.
  const version = info.pwri || info.ori ? CMSVersion.v3 : info.kari ? CMSVersion.v2 : CMSVersion.v0;
  const env = new EnvelopedData({
    version,
    recipientInfos: new RecipientInfos([info]),
    encryptedContentInfo: new EncryptedContentInfo({
      contentType,
      contentEncryptionAlgorithm: algorithm(CmsOids.aes256Cbc, AsnConvert.serialize(new OctetString(iv))),
      encryptedContent: new EncryptedContent({ value: new OctetString(encrypted) }),
    }),
  });
  return new Uint8Array(AsnConvert.serialize(env));
}

function parseParameters<T>(alg: AlgorithmIdentifier, type: new () => T, what: string): T {
  try {
    if (!alg.parameters) throw new Error('parameters absent');
    return AsnConvert.parse(alg.parameters, type);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `the ${what} parameters of the EnvelopedData are malformed`, { cause: e });
  }
}

function openKeyTransport(ktri: KeyTransRecipientInfo, privateKey: KeyObject): Buffer {
  if (ktri.keyEncryptionAlgorithm.algorithm !== id_RSAES_OAEP) throw unsupported('key transport algorithm', ktri.keyEncryptionAlgorithm.algorithm);
  // Absent parameters mean RFC 8017's defaults: SHA-1 for both the hash and MGF1.
  const params = ktri.keyEncryptionAlgorithm.parameters
    ? parseParameters(ktri.keyEncryptionAlgorithm, RsaEsOaepParams, 'RSAES-OAEP')
    : new RsaEsOaepParams();
  const hash = hashOids[params.hashAlgorithm.algorithm];
  if (!hash) throw unsupported('OAEP hash', params.hashAlgorithm.algorithm);
  const mgfHash = params.maskGenAlgorithm.parameters
    ? AsnConvert.parse(params.maskGenAlgorithm.parameters, AlgorithmIdentifier).algorithm
    : Oids.sha1;
  if (params.maskGenAlgorithm.algorithm !== id_mgf1 || hashOids[mgfHash] !== hash) throw unsupported('OAEP mask generation', mgfHash);
  // @peculiar/asn1-rsa fills an absent pSourceAlgorithm with SHA-1('') as the label, not RFC 8017's empty
  // label; that stand-in means the field was absent.
  const pSource = params.pSourceAlgorithm.parameters;
  const absent = pSource === undefined || pSource === null || sameBytes(pSource, pSpecifiedEmpty.parameters!);
  const label = absent ? 0 : AsnConvert.parse(pSource, OctetString).byteLength;
  if (label !== 0) throw unsupported('OAEP label', params.pSourceAlgorithm.algorithm);
  try {
    return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, buf(ktri.encryptedKey.buffer));
  } catch (e) {
    throw undecryptable('the key transport does not open with this key', e);
  }
}

function openKeyAgreement(kari: KeyAgreeRecipientInfo, encryptedKey: OctetString, privateKey: KeyObject): Buffer {
  const hash = kdfHashes[kari.keyEncryptionAlgorithm.algorithm];
  if (!hash) throw unsupported('key agreement algorithm', kari.keyEncryptionAlgorithm.algorithm);
  const wrap = parseParameters(kari.keyEncryptionAlgorithm, AlgorithmIdentifier, 'key wrap');
  const keyLength = wrapKeyLengths[wrap.algorithm];
  if (!keyLength) throw unsupported('key wrap algorithm', wrap.algorithm);
  const originator = kari.originator.originatorKey;
  if (!originator) throw undecryptable('only an ephemeral originator key is supported');
  const z = sharedSecret(originator, privateKey);
  const kek = x963Kdf(hash, z, wrap.algorithm, keyLength, kari.ukm?.buffer);
  return Buffer.from(aesUnwrap(kek, new Uint8Array(encryptedKey.buffer)));
}

/** Z of the originator's ephemeral key and our static one, each of the curve of the other. */
function sharedSecret(originator: OriginatorPublicKey, privateKey: KeyObject): Buffer {
  const curve = montgomery[privateKey.asymmetricKeyType ?? ''];
  if (curve) {
    // RFC 8418 section 2: id-X25519 or id-X448, parameters absent, the public key its raw octets.
    if (originator.algorithm.algorithm !== curve.oid || originator.algorithm.parameters !== undefined)
      throw undecryptable(`the originator's key is ${originator.algorithm.algorithm}, not of the recipient's ${privateKey.asymmetricKeyType}`);
    const spki = new SubjectPublicKeyInfo({ algorithm: algorithm(curve.oid), subjectPublicKey: originator.publicKey });
    try {
      const publicKey = createPublicKey({ key: Buffer.from(AsnConvert.serialize(spki)), format: 'der', type: 'spki' });
      // OpenSSL refuses an all-zero result (a small-order point), as RFC 7748 section 6 allows and RFC 8418 asks.
      return diffieHellman({ privateKey, publicKey });
    } catch (e) {
      throw undecryptable(`the originator's public key is not a usable ${privateKey.asymmetricKeyType} key`, e);
    }
  }
  const ecdh = createECDH(ecCurve(privateKey));
  const jwk = privateKey.export({ format: 'jwk' });
  ecdh.setPrivateKey(Buffer.from(jwk.d!, 'base64url'));
  try {
    return ecdh.computeSecret(Buffer.from(originator.publicKey));
  } catch (e) {
    throw undecryptable("the originator's public key is not a point of the recipient's curve", e);
  }
}

function openPassword(pwri: PasswordRecipientInfo, secret: Uint8Array): Buffer {
  const derivation = pwri.keyDerivationAlgorithm;
  if (!derivation || derivation.algorithm !== CmsOids.pbkdf2) throw unsupported('key derivation', derivation?.algorithm ?? '(absent)');
  const params = parseParameters(derivation, PBKDF2Params, 'PBKDF2');
  const prf = prfHashes[params.prf.algorithm];
  if (!prf) throw unsupported('PBKDF2 PRF', params.prf.algorithm);
  if (!params.salt.specified) throw unsupported('PBKDF2 salt source', params.salt.otherSource?.algorithm ?? '(absent)');
  if (params.iterationCount < 1n || params.iterationCount > BigInt(MAX_PWRI_ITERATIONS))
    throw new CmpError(ErrorCodes.ERR_CMS_DECRYPT, `the PBKDF2 iteration count ${params.iterationCount} is outside 1..${MAX_PWRI_ITERATIONS}`);
  const wrapOid = pwri.keyEncryptionAlgorithm.algorithm;
  const derive = (length: number): Buffer => pbkdf2Sync(buf(secret), buf(params.salt.specified!), Number(params.iterationCount), length, prf);
  if (wrapOid === CmsOids.pwriKek) {
    const inner = parseParameters(pwri.keyEncryptionAlgorithm, AlgorithmIdentifier, 'PWRI-KEK');
    const length = cbcKeyLengths[inner.algorithm];
    if (!length) throw unsupported('PWRI-KEK cipher', inner.algorithm);
    const iv = parseParameters(inner, OctetString, 'PWRI-KEK IV');
    return Buffer.from(pwriKekUnwrap(derive(length), new Uint8Array(iv.buffer), new Uint8Array(pwri.encryptedKey.buffer)));
  }
  const length = wrapKeyLengths[wrapOid];
  if (!length) throw unsupported('password key encryption', wrapOid);
  return Buffer.from(aesUnwrap(derive(length), new Uint8Array(pwri.encryptedKey.buffer)));
}

function contentKey(env: EnvelopedData, key: EnvelopeKey): Buffer {
  const infos = [...env.recipientInfos];
  if (key.kind === 'password') {
    const pwri = infos.find((i) => i.pwri)?.pwri;
    if (!pwri) throw undecryptable('it has no password recipient');
    return openPassword(pwri, key.password);
  }
  const wanted = key.certificate ? issuerAndSerial(key.certificate) : undefined;
  if (key.kind === 'kem') {
    for (const info of infos) {
      const kemri = info.ori && kemRecipientInfo(info.ori);
      if (kemri && (!wanted || sameIssuerAndSerial(kemri.rid.issuerAndSerialNumber, wanted))) return Buffer.from(openKemRecipient(kemri, key.key));
    }
    throw undecryptable('no KEM recipient names this certificate');
  }
  const type = key.privateKey.asymmetricKeyType;
  if (type === 'rsa') {
    const ktris = infos.flatMap((i) => (i.ktri ? [i.ktri] : []));
    const ktri = wanted ? ktris.find((k) => sameIssuerAndSerial(k.rid.issuerAndSerialNumber, wanted)) : ktris[0];
    if (!ktri) throw undecryptable('no key transport recipient names this certificate');
    return openKeyTransport(ktri, key.privateKey);
  }
  if (type === 'ec' || montgomery[type ?? '']) {
    for (const info of infos) {
      if (!info.kari) continue;
      const match = info.kari.recipientEncryptedKeys.find((r) => !wanted || sameIssuerAndSerial(r.rid.issuerAndSerialNumber, wanted));
      if (match) return openKeyAgreement(info.kari, match.encryptedKey, key.privateKey);
    }
    throw undecryptable('no key agreement recipient names this certificate');
  }
  throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `cannot decrypt with a ${type} key`);
}

/** Decrypts an EnvelopedData and returns its content type and content. */
export function openEnvelope(der: Uint8Array | EnvelopedData, key: EnvelopeKey): { contentType: string; content: Uint8Array } {
  let env: EnvelopedData;
  try {
    env = der instanceof EnvelopedData ? der : AsnConvert.parse(buf(der), EnvelopedData);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'the EnvelopedData is malformed', { cause: e });
  }
  const cek = contentKey(env, key);
  const info = env.encryptedContentInfo;
  const length = cbcKeyLengths[info.contentEncryptionAlgorithm.algorithm];
  if (!length) throw unsupported('content encryption', info.contentEncryptionAlgorithm.algorithm);
  if (cek.length !== length) throw undecryptable('the content-encryption key has the wrong length');
  const iv = parseParameters(info.contentEncryptionAlgorithm, OctetString, 'content encryption IV');
  const encrypted =
    info.encryptedContent?.value ??
    (info.encryptedContent?.constructedValue
      ? new OctetString(Buffer.concat(info.encryptedContent.constructedValue.map((o) => Buffer.from(o.buffer))))
      : undefined);
  if (!encrypted) throw undecryptable('it carries no encrypted content');
  try {
    const decipher = createDecipheriv(cbcNames[length]!, cek, buf(iv.buffer));
    const content = Buffer.concat([decipher.update(buf(encrypted.buffer)), decipher.final()]);
    return { contentType: info.contentType, content: new Uint8Array(content) };
  } catch (e) {
    throw undecryptable('the content does not decrypt (wrong key)', e);
  }
}
