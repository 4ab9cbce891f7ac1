/**
 * EncryptedValue (RFC 4211 section 2.2), deprecated by RFC 9810 in favour of EnvelopedData but still what
 * CMP peers speaking cmp2000 (pvno 2, e.g. OpenSSL 3.0's client) send and read for an encrypted certificate:
 * the value encrypted with a symmetric key (symmAlg, AES-CBC with its IV as parameters), that key encrypted
 * to the recipient's RSA key (keyAlg: rsaEncryption, PKCS#1 v1.5, as OpenSSL writes and reads it, or RSAES-OAEP).
 */
import { constants, createCipheriv, createDecipheriv, privateDecrypt, publicEncrypt, randomBytes, type KeyObject } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { RsaEsOaepParams, id_RSAES_OAEP } from '@peculiar/asn1-rsa';
import { EncryptedValue } from '../asn1/crmf/encrypted_key';
import { Oids } from '../crypto/algorithms';
import { CmpError, ErrorCodes } from '../errors';
import { CmsOids } from './enveloped-data';

const cbcCiphers: Record<string, { name: string; keyLength: number }> = {
  [CmsOids.aes128Cbc]: { name: 'aes-128-cbc', keyLength: 16 },
  [CmsOids.aes192Cbc]: { name: 'aes-192-cbc', keyLength: 24 },
  [CmsOids.aes256Cbc]: { name: 'aes-256-cbc', keyLength: 32 },
  '1.2.840.113549.3.7': { name: 'des-ede3-cbc', keyLength: 24 },
};
const oaepHashes: Record<string, string> = {
  [Oids.sha1]: 'sha1',
  [Oids.sha256]: 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

function undecryptable(what: string, cause?: unknown): CmpError {
  return new CmpError(ErrorCodes.ERR_CMS_DECRYPT, `cannot decrypt the EncryptedValue: ${what}`, cause ? { cause } : {});
}

/** Encrypts `value` for the holder of the RSA key `recipient` the way OpenSSL 3.0's CMP code reads it. */
export function sealEncryptedValue(value: Uint8Array, recipient: KeyObject, intendedAlg?: string): EncryptedValue {
  if (recipient.asymmetricKeyType !== 'rsa') throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, 'EncryptedValue is only written for RSA keys');
  const key = randomBytes(32);
  const iv = randomBytes(16);
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(value), cipher.final()]);
  const encSymmKey = publicEncrypt({ key: recipient, padding: constants.RSA_PKCS1_PADDING }, key);
  return new EncryptedValue({
    ...(intendedAlg ? { intendedAlg: new AlgorithmIdentifier({ algorithm: intendedAlg }) } : {}),
    symmAlg: new AlgorithmIdentifier({ algorithm: CmsOids.aes256Cbc, parameters: AsnConvert.serialize(new OctetString(iv)) }),
    encSymmKey: new Uint8Array(encSymmKey).buffer,
    keyAlg: new AlgorithmIdentifier({ algorithm: Oids.rsaEncryption, parameters: new Uint8Array([0x05, 0x00]).buffer }),
    encValue: new Uint8Array(encrypted).buffer,
  });
}

/**
 * RFC 8017 section 7.2.2 step 3, done here because Node refuses PKCS#1 v1.5 private decryption (the
 * Marvin attack): the padding is checked without early exit and a wrong one only says "cannot decrypt".
 * The client decrypts once per response, so there is no oracle to query.
 */
function pkcs1v15Unpad(block: Buffer, keyLength: number): Buffer | undefined {
  let bad = block[0]! | (block[1]! ^ 2);
  let separator = 0;
  for (let i = 2; i < block.length; i++) {
    const isZero = block[i] === 0 ? 1 : 0;
    if (separator === 0 && isZero) separator = i;
  }
  bad |= separator < 10 ? 1 : 0;
  const key = block.subarray(separator + 1);
  bad |= key.length !== keyLength ? 1 : 0;
  return bad === 0 ? key : undefined;
}

function symmetricKey(value: EncryptedValue, privateKey: KeyObject, keyLength: number): Buffer {
  if (!value.encSymmKey) throw undecryptable('it carries no encrypted symmetric key (encSymmKey)');
  if (privateKey.asymmetricKeyType !== 'rsa') throw undecryptable(`only RSA keys open it, not ${privateKey.asymmetricKeyType}`);
  const encrypted = Buffer.from(value.encSymmKey);
  const keyAlg = value.keyAlg?.algorithm ?? Oids.rsaEncryption;
  if (keyAlg === id_RSAES_OAEP) {
    const params = value.keyAlg!.parameters ? AsnConvert.parse(value.keyAlg!.parameters, RsaEsOaepParams) : new RsaEsOaepParams();
    const hash = oaepHashes[params.hashAlgorithm.algorithm];
    if (!hash) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported OAEP hash ${params.hashAlgorithm.algorithm} in EncryptedValue`);
    try {
      return privateDecrypt({ key: privateKey, padding: constants.RSA_PKCS1_OAEP_PADDING, oaepHash: hash }, encrypted);
    } catch (e) {
      throw undecryptable('the symmetric key does not open with this key', e);
    }
  }
  if (keyAlg !== Oids.rsaEncryption) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported keyAlg ${keyAlg} in EncryptedValue`);
  let block: Buffer;
  try {
    block = privateDecrypt({ key: privateKey, padding: constants.RSA_NO_PADDING }, encrypted);
  } catch (e) {
    throw undecryptable('the symmetric key does not open with this key', e);
  }
  const key = pkcs1v15Unpad(block, keyLength);
  if (!key) throw undecryptable('the symmetric key does not open with this key');
  return key;
}

/** Decrypts an EncryptedValue with the recipient's RSA private key. */
export function openEncryptedValue(value: EncryptedValue, privateKey: KeyObject): Uint8Array {
  const symmAlg = value.symmAlg;
  const cipher = symmAlg ? cbcCiphers[symmAlg.algorithm] : undefined;
  if (!cipher) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported symmAlg ${symmAlg?.algorithm ?? '(absent)'} in EncryptedValue`);
  let iv: Buffer;
  try {
    iv = Buffer.from(AsnConvert.parse(symmAlg!.parameters!, OctetString).buffer);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'the symmAlg IV of the EncryptedValue is malformed', { cause: e });
  }
  const key = symmetricKey(value, privateKey, cipher.keyLength);
  try {
    const decipher = createDecipheriv(cipher.name, key, iv);
    return new Uint8Array(Buffer.concat([decipher.update(Buffer.from(value.encValue)), decipher.final()]));
  } catch (e) {
    throw undecryptable('the value does not decrypt (wrong key)', e);
  }
}
