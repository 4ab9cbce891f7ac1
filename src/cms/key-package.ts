/**
 * A centrally generated key as the key generation authority delivers it (RFC 9483 section 4.1.6): an
 * AsymmetricKeyPackage (RFC 5958) with one OneAsymmetricKey, signed (SignedData) and then encrypted
 * (EnvelopedData) for the requester.
 */
import { createPrivateKey, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AsymmetricKeyPackage, OneAsymmetricKey } from '@peculiar/asn1-asym-key';
import { CmpError, ErrorCodes } from '../errors';
import { importMlDsaPrivateKey, mlDsaVariantOfPkcs8 } from '../crypto/ml-dsa';
import { isMlKemPkcs8, mlKemPrivateKeyFromPkcs8 } from '../crypto/ml-kem';
import type { PrivateKeyHandle } from '../crypto/provider';
import { CmsOids, envelope, openEnvelope, type EnvelopeKey, type EnvelopeRecipient } from './enveloped-data';
import { isKeyGenerationAuthority, signContent, verifySignedContent } from './signed-data';

/** id-ct-KP-aKeyPackage (RFC 5958 section 4). */
export const idCtKpAKeyPackage = '2.16.840.1.101.2.1.2.78.5';

export interface KeyGenerationAuthority {
  /** RSA or EC (node:crypto), or an ML-DSA key handle: the KGA signs with the algorithm of the CA that certified it. */
  key: KeyObject | PrivateKeyHandle;
  certificate: Uint8Array;
  chain?: readonly Uint8Array[];
}

/**
 * The EnvelopedData DER that carries `privateKey` (a node:crypto key, or PKCS#8 DER for keys node:crypto
 * cannot hold, such as ML-DSA and ML-KEM in the seed forms of RFC 9881 and RFC 9935) to `recipient`, signed by `kga`.
 */
export function sealGeneratedKey(privateKey: KeyObject | Uint8Array, kga: KeyGenerationAuthority, recipient: EnvelopeRecipient): Uint8Array {
  const pkcs8 = privateKey instanceof Uint8Array ? privateKey : privateKey.export({ format: 'der', type: 'pkcs8' });
  const packageDer = AsnConvert.serialize(new AsymmetricKeyPackage([AsnConvert.parse(pkcs8, OneAsymmetricKey)]));
  const signed = signContent({
    contentType: idCtKpAKeyPackage,
    content: new Uint8Array(packageDer),
    signerKey: kga.key,
    signerCertificate: kga.certificate,
    ...(kga.chain ? { extraCertificates: kga.chain } : {}),
  });
  return envelope(signed, CmsOids.signedData, recipient);
}

export interface OpenedGeneratedKey {
  /** The key as PKCS#8 DER (OneAsymmetricKey, RFC 5958), the form it is written or imported in. */
  pkcs8: Uint8Array;
  /** The key generation authority's certificate, DER, and all certificates the SignedData carried, for path validation. */
  signer: Uint8Array;
  certificates: Uint8Array[];
}

/**
 * Decrypts, checks the inner signature and that its signer is a key generation authority (id-kp-cmKGA, as
 * OpenSSL 3.5 requires), and returns the one key of the package. The signer's path is the caller's to validate.
 */
export function openGeneratedKey(envelopedData: Parameters<typeof openEnvelope>[0], key: EnvelopeKey): OpenedGeneratedKey {
  const opened = openEnvelope(envelopedData, key);
  if (opened.contentType !== CmsOids.signedData)
    throw new CmpError(ErrorCodes.ERR_CMS_SIGNATURE, `the EnvelopedData must hold a SignedData, holds ${opened.contentType}`);
  const verified = verifySignedContent(opened.content);
  if (verified.contentType !== idCtKpAKeyPackage)
    throw new CmpError(ErrorCodes.ERR_CMS_SIGNATURE, `the SignedData must hold an AsymmetricKeyPackage, holds ${verified.contentType}`);
  if (!isKeyGenerationAuthority(verified.signer))
    throw new CmpError(ErrorCodes.ERR_CMS_SIGNATURE, "the key package's signer is not a key generation authority (no id-kp-cmKGA)");
  let keys: AsymmetricKeyPackage;
  try {
    keys = AsnConvert.parse(verified.content, AsymmetricKeyPackage);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'the AsymmetricKeyPackage is malformed', { cause: e });
  }
  if (keys.length !== 1) throw new CmpError(ErrorCodes.ERR_CMS_SIGNATURE, `the key package must hold exactly one key, holds ${keys.length}`);
  const pkcs8 = new Uint8Array(AsnConvert.serialize(keys[0]!));
  readableKey(pkcs8);
  return { pkcs8, signer: verified.signer, certificates: verified.certificates };
}

/**
 * Refuses a delivered key that cannot be read; an ML-DSA or ML-KEM key must also be consistent in itself
 * (RFC 9881 section 8; RFC 9935: a "both" key's seed and expanded key agree, an expanded key's H(ek) holds).
 */
function readableKey(pkcs8: Uint8Array): void {
  try {
    if (mlDsaVariantOfPkcs8(pkcs8) !== undefined) importMlDsaPrivateKey(pkcs8);
    else if (isMlKemPkcs8(pkcs8)) mlKemPrivateKeyFromPkcs8(pkcs8);
    else createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'the delivered private key cannot be read', { cause: e });
  }
}
