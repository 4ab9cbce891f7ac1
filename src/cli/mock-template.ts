/**
 * The certReqTemplate answer of the mock server (`-port`, `-use_mock_srv`), shaped as OpenSSL's
 * mock sends it (apps/lib/cmp_mock_srv.c): a template naming only the issuer, and a keySpec
 * offering an EC key (any curve) or a 4096-bit RSA key.
 */
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Name } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { AttributeTypeAndValue, CertReqTemplateContent, CertTemplate, CmpOids, Controls } from '../asn1';
import { Oids } from '../crypto';

/** `cert` is the enrolled certificate the mock returns (its issuer is named) or the CA's own (its subject is). */
export function mockCertReqTemplate(cert: X509Certificate, isEnrolledCert: boolean): CertReqTemplateContent {
  const issuer = AsnConvert.parse((isEnrolledCert ? cert.issuerName : cert.subjectName).toArrayBuffer(), Name);
  const ecKey = new AlgorithmIdentifier({ algorithm: Oids.ecPublicKey });
  return new CertReqTemplateContent({
    certTemplate: new CertTemplate({ issuer }),
    keySpec: new Controls([
      new AttributeTypeAndValue({ type: CmpOids.idRegCtrlAlgId, value: AsnConvert.serialize(ecKey) }),
      new AttributeTypeAndValue({ type: CmpOids.idRegCtrlRsaKeyLen, value: new asn1js.Integer({ value: 4096 }).toBER(false) }),
    ]),
  });
}
