/**
 * What a certificate request asks for, decided as OpenSSL 3.0's crm_new and determine_subj do:
 * the key (new key, else the CSR's, else the reference certificate's, else our own), the subject
 * (-subject, else the CSR's, else the reference certificate's when it applies), the issuer,
 * and extensions (the CSR's, -reqexts, -sans or the reference certificate's SANs, -policy_oids).
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import {
  CertificatePolicies,
  Extension,
  Extensions,
  GeneralName,
  GeneralNames,
  id_ce_certificatePolicies,
  id_ce_subjectAltName,
  Name,
  PolicyInformation,
  SubjectAlternativeName,
} from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { CmpError } from '../errors';
import type { GeneralNameInput } from '../options';
import type { ClientSetup } from './setup';

export interface RequestTemplate {
  publicKey?: Uint8Array;
  subject?: Name;
  issuer?: Name;
  extensions: Extension[];
}

/** PKCS#9 extensionRequest: the attribute of a CSR that carries the requested extensions. */
const id_pkcs9_at_extensionRequest = '1.2.840.113549.1.9.14';

const nameOf = (c: X509Certificate, which: 'subject' | 'issuer') =>
  AsnConvert.parse((which === 'subject' ? c.subjectName : c.issuerName).toArrayBuffer(), Name);

const isNullDn = (n: Name | undefined) => n !== undefined && n.length === 0;

/** The SPKI the request asks a certificate for; the response's certificate must carry it. */
export function requestedPublicKey(setup: ClientSetup, refCert: X509Certificate | undefined): Uint8Array | undefined {
  if (setup.newKey) return setup.newKey.spki;
  if (setup.newKemKey) return setup.newKemKey.spki();
  // The CA makes the key: there is nothing to request, and the new certificate is checked against the key it returns.
  if (setup.options.centralKeyGeneration) return undefined;
  if (setup.csr) {
    const csr = AsnConvert.parse(setup.csr, CertificationRequest);
    return new Uint8Array(AsnConvert.serialize(csr.certificationRequestInfo.subjectPKInfo));
  }
  if (refCert) return new Uint8Array(refCert.publicKey.rawData);
  if (setup.key) return setup.key.spki;
  throw new CmpError('ERR_MISSING_OPTION', 'newKey: missing; no key to request a certificate for', { options: ['newKey'] });
}

function csrExtensions(csrDer: Uint8Array): Extension[] {
  const csr = AsnConvert.parse(csrDer, CertificationRequest);
  const request = csr.certificationRequestInfo.attributes.find((a) => a.type === id_pkcs9_at_extensionRequest);
  if (!request || request.values.length === 0) return [];
  return [...AsnConvert.parse(request.values[0], Extensions)];
}

function generalName(input: string | GeneralNameInput): GeneralName {
  if (typeof input !== 'string') {
    switch (input.type) {
      case 'dns':
        return new GeneralName({ dNSName: input.value });
      case 'email':
        return new GeneralName({ rfc822Name: input.value });
      case 'uri':
        return new GeneralName({ uniformResourceIdentifier: input.value });
      case 'ip':
        return ipName(input.value);
    }
  }
  // OpenSSL -sans: an IP address, a URI (has "://"), an email (has "@"), else a DNS name.
  if (/^[\d.]+$/.test(input) || (input.includes(':') && !input.includes('://'))) return ipName(input);
  if (input.includes('://')) return new GeneralName({ uniformResourceIdentifier: input });
  if (input.includes('@')) return new GeneralName({ rfc822Name: input });
  return new GeneralName({ dNSName: input });
}

function ipName(text: string): GeneralName {
  const net = require('net') as typeof import('net');
  if (net.isIPv4(text)) return new GeneralName({ iPAddress: text });
  if (net.isIPv6(text)) return new GeneralName({ iPAddress: text });
  throw new CmpError('ERR_INVALID_OPTION', `sans: '${text}' is not an IP address`, { options: ['sans'] });
}

/** Replaces an extension of the same type, as X509v3_add_extensions does when augmenting. */
function put(exts: Extension[], ext: Extension): void {
  const i = exts.findIndex((e) => e.extnID === ext.extnID);
  if (i >= 0) exts[i] = ext;
  else exts.push(ext);
}

export function buildRequestTemplate(setup: ClientSetup, kind: 'ir' | 'cr' | 'kur'): RequestTemplate {
  const o = setup.options;
  // OpenSSL: the reference certificate is -oldcert, else our own protection certificate.
  const refCert = setup.oldCert ?? setup.cert;
  if (kind === 'kur' && !refCert)
    throw new CmpError('ERR_MISSING_OPTION', 'kur needs the certificate to update (oldCert or cert)', { options: ['oldCert', 'cert'] });
  const hasSans = (o.sans?.length ?? 0) > 0;

  let subject: Name | undefined;
  if (setup.subject) subject = isNullDn(setup.subject) ? undefined : setup.subject;
  else if (setup.csr) subject = AsnConvert.parse(setup.csr, CertificationRequest).certificationRequestInfo.subject;
  else if (refCert && (setup.oldCert || kind === 'ir' || !hasSans)) subject = nameOf(refCert, 'subject');

  const issuer = setup.issuer !== undefined || !refCert ? (isNullDn(setup.issuer) ? undefined : setup.issuer) : nameOf(refCert, 'issuer');

  const extensions: Extension[] = setup.csr ? csrExtensions(setup.csr) : [];
  if (o.reqExtensions) for (const e of AsnConvert.parse(o.reqExtensions, Extensions)) put(extensions, e);
  // RFC 5280: subjectAltName must be critical when the subject is empty.
  const sanCritical = subject === undefined;
  if (hasSans) {
    const names = new SubjectAlternativeName(o.sans!.map(generalName));
    put(extensions, new Extension({ extnID: id_ce_subjectAltName, critical: sanCritical, extnValue: new OctetString(AsnConvert.serialize(names)) }));
  } else if (refCert && !o.sanNoDefault) {
    const san = refCert.extensions.find((e) => e.type === id_ce_subjectAltName);
    if (san) {
      const names = AsnConvert.parse(san.value, GeneralNames);
      put(
        extensions,
        new Extension({ extnID: id_ce_subjectAltName, critical: sanCritical, extnValue: new OctetString(AsnConvert.serialize(names)) }),
      );
    }
  }
  if (o.policyOids?.length) {
    const policies = new CertificatePolicies(o.policyOids.map((oid) => new PolicyInformation({ policyIdentifier: oid })));
    put(
      extensions,
      new Extension({
        extnID: id_ce_certificatePolicies,
        critical: o.policyOidsCritical ?? false,
        extnValue: new OctetString(AsnConvert.serialize(policies)),
      }),
    );
  }
  return {
    publicKey: requestedPublicKey(setup, refCert),
    ...(subject ? { subject } : {}),
    ...(issuer ? { issuer } : {}),
    extensions,
  };
}
