/**
 * The RFC 9480 general-message requests, as OpenSSL 3.2+ offers them (OSSL_CMP_get1_caCerts,
 * OSSL_CMP_get1_rootCaKeyUpdate, OSSL_CMP_get1_certReqTemplate, OSSL_CMP_get1_crlUpdate): one
 * ITAV out, exactly one ITAV of the matching type back, its value decoded and checked.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { serializeDer } from '../asn1/der-writer';
import {
  AuthorityKeyIdentifier,
  Certificate,
  CertificateList,
  CRLDistributionPoints,
  DistributionPointName,
  GeneralName,
  GeneralNames,
  id_ce_authorityKeyIdentifier,
  id_ce_cRLDistributionPoints,
  id_ce_issuingDistributionPoint,
  IssuingDistributionPoint,
} from '@peculiar/asn1-x509';
import { X509Certificate, X509Crl } from '@peculiar/x509';
import { CaCertsValue, CertReqTemplateContent, CmpOids, CRLSource, CRLStatus, CRLStatusListValue, CRLsValue, RootCaKeyUpdateContent } from '../asn1';
import { CmpError } from '../errors';
import { sameBytes, toArrayBuffer } from '../bytes';
import type { InfoTypeAndValueInput } from '../options';
import { validatePath } from '../pki/path';

type Genm = (itavs: InfoTypeAndValueInput[]) => Promise<{ itavs: { infoType: string; value?: Uint8Array }[] }>;

/** The one ITAV of `infoType` a genp must carry (OpenSSL get_genm_itav). */
async function exchange(genm: Genm, request: InfoTypeAndValueInput, expected: string): Promise<Uint8Array | undefined> {
  const { itavs } = await genm([request]);
  if (itavs.length !== 1) {
    throw new CmpError('ERR_UNEXPECTED_BODY', `genp should hold one InfoTypeAndValue, but holds ${itavs.length}`);
  }
  if (itavs[0].infoType !== expected) {
    throw new CmpError('ERR_UNEXPECTED_BODY', `genp holds InfoType ${itavs[0].infoType} instead of ${expected}`);
  }
  return itavs[0].value;
}

function decode<T>(der: Uint8Array, type: new () => T, what: string): T {
  try {
    return AsnConvert.parse(der, type);
  } catch (e) {
    throw new CmpError('ERR_ASN1_DECODE', `malformed ${what} in genp`, { cause: e });
  }
}

const x509 = (c: Certificate) => new X509Certificate(serializeDer(c));

/** id-it-caCerts: the CA certificates the server wants us to know (may be none). */
export async function getCaCerts(genm: Genm): Promise<X509Certificate[]> {
  const value = await exchange(genm, { infoType: CmpOids.idItCaCerts }, CmpOids.idItCaCerts);
  if (!value) return [];
  return [...decode(value, CaCertsValue, 'caCerts')].map(x509);
}

export interface RootCaUpdate {
  newWithNew: X509Certificate;
  newWithOld?: X509Certificate;
  oldWithNew?: X509Certificate;
}

async function signedBy(cert: X509Certificate, issuer: X509Certificate): Promise<boolean> {
  return cert.verify({ publicKey: issuer.publicKey, signatureOnly: true }).catch(() => false);
}

const sameKey = (a: X509Certificate, b: X509Certificate) => sameBytes(a.publicKey.rawData, b.publicKey.rawData);

/**
 * id-it-rootCaCert → id-it-rootCaKeyUpdate: the new root CA certificate, accepted only as RFC 9480
 * section 4.3 asks: newWithOld must chain to the old root we trust, carry the same key as
 * newWithNew, and newWithNew must be self-signed; oldWithNew, if sent, must carry the old key
 * and be signed with the new one. Without `oldRoot` the genm names no root and, as OpenSSL does
 * without -oldwithold, newWithOld must chain to one of `trusted` instead (oldWithNew then cannot
 * be checked). `undefined` when the server has no update.
 */
export async function getRootCaUpdate(
  genm: Genm,
  oldRoot: X509Certificate | undefined,
  at?: Date,
  trusted: readonly X509Certificate[] = [],
): Promise<RootCaUpdate | undefined> {
  const request: InfoTypeAndValueInput = oldRoot
    ? { infoType: CmpOids.idItRootCaCert, value: new Uint8Array(oldRoot.rawData) }
    : { infoType: CmpOids.idItRootCaCert };
  const value = await exchange(genm, request, CmpOids.idItRootCaKeyUpdate);
  if (!value) return undefined;
  const content = decode(value, RootCaKeyUpdateContent, 'rootCaKeyUpdate');
  const update: RootCaUpdate = {
    newWithNew: x509(content.newWithNew),
    ...(content.newWithOld ? { newWithOld: x509(content.newWithOld) } : {}),
    ...(content.oldWithNew ? { oldWithNew: x509(content.oldWithNew) } : {}),
  };
  const fail = (why: string): never => {
    throw new CmpError('ERR_ROOT_CA_KEY_UPDATE', `root CA key update refused: ${why}`);
  };
  if (!update.newWithOld) fail('newWithOld is missing, so the new root cannot be authenticated by the old one');
  const newWithOld = update.newWithOld!;
  if (!(await signedBy(update.newWithNew, update.newWithNew))) fail('newWithNew is not self-signed with its own key');
  if (!sameKey(newWithOld, update.newWithNew)) fail('newWithOld and newWithNew carry different keys');
  const anchors = oldRoot ? [oldRoot] : [...trusted];
  if (anchors.length === 0) fail('there is neither an old root nor a trusted certificate to authenticate newWithOld');
  try {
    await validatePath(newWithOld, { trusted: anchors, partialChain: true, ...(at ? { at } : {}) });
  } catch (e) {
    const under = oldRoot ? 'the old root' : 'the trusted certificates';
    throw new CmpError('ERR_ROOT_CA_KEY_UPDATE', `root CA key update refused: newWithOld does not validate under ${under}`, { cause: e });
  }
  if (update.oldWithNew && oldRoot) {
    if (!sameKey(update.oldWithNew, oldRoot)) fail('oldWithNew does not carry the old root key');
    if (!(await signedBy(update.oldWithNew, update.newWithNew))) fail('oldWithNew is not signed with the new root key');
  }
  return update;
}

/** id-it-certReqTemplate: the template the CA wants requests to follow, `undefined` if it has none. */
export async function getCertReqTemplate(genm: Genm): Promise<CertReqTemplateContent | undefined> {
  const value = await exchange(genm, { infoType: CmpOids.idItCertReqTemplate }, CmpOids.idItCertReqTemplate);
  return value ? decode(value, CertReqTemplateContent, 'certReqTemplate') : undefined;
}

/** gennames_allowed() with only_DN: exactly one name, a directory name. */
function singleDirectoryName(names: GeneralName[] | undefined): GeneralNames | undefined {
  return names?.length === 1 && names[0]!.directoryName ? new GeneralNames(names) : undefined;
}

function extensionValue<T>(
  extensions: { extnID: string; extnValue: { buffer: ArrayBuffer } }[] | undefined,
  oid: string,
  type: new () => T,
): T | undefined {
  const found = extensions?.find((e) => e.extnID === oid);
  return found ? AsnConvert.parse(found.extnValue.buffer, type) : undefined;
}

/**
 * The CRLSource OSSL_CMP_CRLSTATUS_create(crl, cert, only_DN = 1) names: the first distribution point
 * name of `cert` (else, with no `cert`, the one of `crl`'s issuing distribution point); failing
 * that a single directory name: a distribution point's cRLIssuer, the authority key identifier's
 * issuer, then the issuer DN, of `cert` if given, else of `crl`.
 */
function crlSource(cert: Certificate | undefined, crl: CertificateList | undefined): CRLSource | undefined {
  let dpn: DistributionPointName | undefined;
  let issuer: GeneralNames | undefined;
  if (cert) {
    const points = extensionValue(cert.tbsCertificate.extensions, id_ce_cRLDistributionPoints, CRLDistributionPoints) ?? [];
    dpn = points.find((p) => p.distributionPoint)?.distributionPoint;
    if (!dpn) issuer = points.map((p) => singleDirectoryName(p.cRLIssuer)).find((n) => n !== undefined);
  } else if (crl) {
    dpn = extensionValue(crl.tbsCertList.crlExtensions, id_ce_issuingDistributionPoint, IssuingDistributionPoint)?.distributionPoint;
  }
  if (dpn) return new CRLSource({ dpn });
  if (!issuer) {
    const [extensions, issuerName] = cert
      ? [cert.tbsCertificate.extensions, cert.tbsCertificate.issuer]
      : [crl?.tbsCertList.crlExtensions, crl?.tbsCertList.issuer];
    if (!issuerName) return undefined;
    const akid = extensionValue(extensions, id_ce_authorityKeyIdentifier, AuthorityKeyIdentifier);
    issuer = singleDirectoryName(akid?.authorityCertIssuer) ?? new GeneralNames([new GeneralName({ directoryName: issuerName })]);
  }
  return new CRLSource({ issuer });
}

/**
 * id-it-crlStatusList → id-it-crls: a CRL newer than `crl`, from the CRL source `cert` (else `crl`)
 * names, as OSSL_CMP_get1_crlUpdate asks (thisUpdate copied from `crl` as it is encoded there).
 * `undefined` when the server has nothing newer.
 */
export async function getCrlUpdate(genm: Genm, from: { cert?: X509Certificate; crl?: X509Crl }): Promise<X509Crl | undefined> {
  const cert = from.cert ? AsnConvert.parse(from.cert.rawData, Certificate) : undefined;
  const crl = from.crl ? AsnConvert.parse(from.crl.rawData, CertificateList) : undefined;
  const source = crlSource(cert, crl);
  if (!source) throw new CmpError('ERR_MISSING_OPTION', 'a CRL update needs a certificate or a CRL to name the CRL source');
  const status = new CRLStatus({
    source,
    ...(crl ? { thisUpdate: crl.tbsCertList.thisUpdate } : {}),
  });
  const value = await exchange(
    genm,
    { infoType: CmpOids.idItCrlStatusList, value: new Uint8Array(AsnConvert.serialize(new CRLStatusListValue([status]))) },
    CmpOids.idItCrls,
  );
  if (!value) return undefined;
  const crls = decode(value, CRLsValue, 'crls');
  if (crls.length !== 1) throw new CmpError('ERR_UNEXPECTED_BODY', `expected one CRL in the genp, got ${crls.length}`);
  return new X509Crl(toArrayBuffer(new Uint8Array(AsnConvert.serialize(crls[0]))));
}
