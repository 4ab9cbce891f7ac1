/**
 * An ip whose certificate comes encrypted (CertOrEncCert encryptedCert) after indirect proof of
 * possession, as validateCertResponse reads it: decrypted with the new key, it is the certificate of the
 * result (the bytes certConf's certHash is computed over); a decrypted certificate of another key is
 * refused with a negative certConf (ERR_PUBLIC_KEY_MISMATCH, incorrectData); one that does not decrypt, or
 * whose content is not id-data, is ERR_CMS_DECRYPT.
 */
import { createPrivateKey, webcrypto, type KeyObject } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertifiedKeyPair, CertOrEncCert, CertResponse, EncryptedKey, EnvelopedData, PKIStatus } from '../../src/asn1';
import { envelope, idData, sealCertificate } from '../../src/cms';
import { processResponse, type ResponseExpectations } from '../../src/validation';
import { buildResponse, certRepBody, expectationsFor, makePki, newTransaction, spkiOf, statusInfo, type TestPki } from './response-factory';
import type { Issued } from '../pki/certificate-factory';

let pki: TestPki;
beforeAll(async () => {
  pki = await makePki();
});

async function keyOf(entity: Issued): Promise<KeyObject> {
  const pkcs8 = await webcrypto.subtle.exportKey('pkcs8', entity.key.pair.privateKey);
  return createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
}

function encryptedAnswer(encryptedCert: EncryptedKey): CertResponse {
  return new CertResponse({
    certReqId: 0n,
    status: statusInfo(PKIStatus.accepted),
    certifiedKeyPair: new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ encryptedCert }) }),
  });
}

async function expectations(decryptWith: Issued): Promise<(t: ReturnType<typeof newTransaction>) => ResponseExpectations> {
  const privateKey = await keyOf(decryptWith);
  return (t) =>
    expectationsFor(t, 'ir', {
      requestedPublicKey: spkiOf(pki.enrolled.cert),
      encryptedCert: { decryptWith: { kind: 'privateKey', privateKey } },
      now: () => 1_700_000_000_000,
    });
}

const enveloped = (content: Uint8Array, contentType: string, recipient: Issued) =>
  new EncryptedKey({
    envelopedData: AsnConvert.parse(
      envelope(content, contentType, { kind: 'certificate', certificate: new Uint8Array(recipient.cert.rawData) }),
      EnvelopedData,
    ),
  });

it('decrypts the certificate with the new key: the result carries it as the CA encoded it', async () => {
  const t = newTransaction();
  const sealed = sealCertificate(new Uint8Array(pki.enrolled.cert.rawData), 'envelopedData');
  const der = await buildResponse(t, certRepBody('ip', [encryptedAnswer(sealed)]));
  const result = await processResponse(der, (await expectations(pki.enrolled))(t));
  if (result.kind !== 'certificate') throw new Error(`expected a certificate, got ${result.kind}`);
  expect(result.refusal).toBeUndefined();
  expect(Buffer.from(result.certificate.rawData)).toEqual(Buffer.from(pki.enrolled.cert.rawData));
});

it('refuses a decrypted certificate of another key with a negative certConf (ERR_PUBLIC_KEY_MISMATCH)', async () => {
  const t = newTransaction();
  // Encrypted for our key, but certifying the intermediate's.
  const der = await buildResponse(
    t,
    certRepBody('ip', [encryptedAnswer(enveloped(new Uint8Array(pki.intermediate.cert.rawData), idData, pki.enrolled))]),
  );
  const result = await processResponse(der, (await expectations(pki.enrolled))(t));
  if (result.kind !== 'certificate') throw new Error(`expected a certificate, got ${result.kind}`);
  expect(result.refusal).toMatchObject({ code: 'ERR_PUBLIC_KEY_MISMATCH', failInfo: ['incorrectData'] });
});

it('fails with ERR_CMS_DECRYPT when the certificate is encrypted for another key, or is not id-data', async () => {
  const forOther = newTransaction();
  const other = await buildResponse(
    forOther,
    certRepBody('ip', [encryptedAnswer(sealCertificate(new Uint8Array(pki.intermediate.cert.rawData), 'envelopedData'))]),
  );
  await expect(processResponse(other, (await expectations(pki.enrolled))(forOther))).rejects.toMatchObject({ code: 'ERR_CMS_DECRYPT' });

  const wrongType = newTransaction();
  const signedData = '1.2.840.113549.1.7.2';
  const typed = await buildResponse(
    wrongType,
    certRepBody('ip', [encryptedAnswer(enveloped(new Uint8Array(pki.enrolled.cert.rawData), signedData, pki.enrolled))]),
  );
  await expect(processResponse(typed, (await expectations(pki.enrolled))(wrongType))).rejects.toMatchObject({ code: 'ERR_CMS_DECRYPT' });
});
