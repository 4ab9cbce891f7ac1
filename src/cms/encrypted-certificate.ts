/**
 * The certificate returned encrypted for indirect proof of possession (RFC 9810 sections 5.2.8.3 and
 * 5.3.4, CertOrEncCert encryptedCert): in EnvelopedData (cmp2021) or EncryptedValue (cmp2000) for the
 * key being certified, so that only its holder can read the certificate, and confirm it by certHash.
 */
import type { KeyObject } from 'node:crypto';
import { EncryptedKey } from '../asn1/crmf/encrypted_key';
import { EnvelopedData } from '../asn1/cms';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CmpError, ErrorCodes } from '../errors';
import { envelope, openEnvelope, type EnvelopeKey } from './enveloped-data';
import { openEncryptedValue, sealEncryptedValue } from './encrypted-value';

/** id-data: RFC 9810 wraps the certificate's DER as plain data. */
export const idData = '1.2.840.113549.1.7.1';
const certificateAlgorithm = '1.2.840.113549.1.9.22.1'; // id-certTypes x509Certificate, EncryptedValue's intendedAlg for a certificate

/** EnvelopedData for the certificate `certificate` (DER), whose own public key is the recipient's. */
export function sealCertificate(certificate: Uint8Array, format: 'envelopedData' | 'encryptedValue', recipientKey?: KeyObject): EncryptedKey {
  if (format === 'encryptedValue') {
    if (!recipientKey) throw new CmpError(ErrorCodes.ERR_INTERNAL, 'EncryptedValue needs the recipient key');
    return new EncryptedKey({ encryptedValue: sealEncryptedValue(certificate, recipientKey, certificateAlgorithm) });
  }
  const der = envelope(certificate, idData, { kind: 'certificate', certificate });
  return new EncryptedKey({ envelopedData: AsnConvert.parse(der, EnvelopedData) });
}

/** Decrypts encryptedCert with the private key of the certified key; returns the certificate's DER as the CA encoded it. */
export function openCertificate(encrypted: EncryptedKey, key: EnvelopeKey): Uint8Array {
  if (encrypted.envelopedData) {
    const opened = openEnvelope(encrypted.envelopedData, key);
    if (opened.contentType !== idData)
      throw new CmpError(ErrorCodes.ERR_CMS_DECRYPT, `the encrypted certificate has content type ${opened.contentType}, expected id-data`);
    return opened.content;
  }
  if (encrypted.encryptedValue) {
    if (key.kind !== 'privateKey') throw new CmpError(ErrorCodes.ERR_CMS_DECRYPT, 'an EncryptedValue opens only with a private key');
    return openEncryptedValue(encrypted.encryptedValue, key.privateKey);
  }
  throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'encryptedCert carries neither EnvelopedData nor EncryptedValue');
}
