/**
 * General messages (genm, RFC 9810 section 5.3.19, RFC 9483 section 4.3): the CA certificates
 * (id-it-caCerts), a root CA key update (id-it-rootCaCert / id-it-rootCaKeyUpdate), the
 * certificate request template (id-it-certReqTemplate), CRLs newer than the client's
 * (id-it-crlStatusList -> id-it-crls), and the key types this CA certifies
 * (id-it-signKeyPairTypes). An ITAV the server does not know is listed in id-it-unsupportedOIDs.
 * Where the server has nothing to say, the ITAV comes back without value, as RFC 9483 asks.
 */
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, CertificateList } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import {
  frozenCmpCertificate,
  CaCertsValue,
  CmpOids,
  createInfoTypeAndValue,
  CRLStatusListValue,
  CRLsValue,
  decodeInfoValue,
  GenRepContent,
  PKIBody,
  RootCaKeyUpdateContent,
  UnsupportedOIDsValue,
  SignKeyPairTypesValue,
  type InfoTypeAndValue,
} from '../asn1';
import { Oids } from '../crypto';
import { nameKey } from '../pki/name-matching';
import type { Reply, ServerContext, IncomingRequest } from './context';
import { refuse } from './refusal';

/** Certificates this server sends again and again are decoded once (frozen, shared copies). */
const asn1Certificate = (cert: X509Certificate): Certificate => frozenCmpCertificate(new Uint8Array(cert.rawData));

function value<T>(itav: InfoTypeAndValue, type: new () => T, what: string): T {
  try {
    return decodeInfoValue(itav, type);
  } catch (e) {
    return refuse('badDataFormat', `the ${what} value of the genm is malformed`, { cause: e });
  }
}

function caCerts(ctx: ServerContext): InfoTypeAndValue {
  const certs = ctx.ca?.certificates ?? ctx.config.source.rspCaPubs ?? [];
  return createInfoTypeAndValue(CmpOids.idItCaCerts, certs.length ? new CaCertsValue(certs.map(asn1Certificate)) : undefined);
}

/**
 * RFC 9483 4.3.2: the update for the root the client names (or for our root, when it names none).
 * Without a configured oldRoot, a root is ours when it has the new root's subject (a root CA keeps
 * its name across a key update), as OpenSSL's mock server (3.2 to 3.5) decides for -rsp_newwithnew.
 */
function rootCaKeyUpdate(ctx: ServerContext, oldRoot: Certificate | undefined): InfoTypeAndValue {
  const update = ctx.config.source.rootCaKeyUpdate;
  const subjectKey = (cert: Certificate) => nameKey(cert.tbsCertificate.subject);
  const sameRoot =
    !oldRoot ||
    !update ||
    (update.oldRoot
      ? Buffer.from(AsnConvert.serialize(oldRoot)).equals(Buffer.from(update.oldRoot.rawData))
      : subjectKey(oldRoot) === subjectKey(asn1Certificate(update.newWithNew)));
  if (!update || !sameRoot) return createInfoTypeAndValue(CmpOids.idItRootCaKeyUpdate);
  const content = new RootCaKeyUpdateContent({
    newWithNew: asn1Certificate(update.newWithNew),
    ...(update.newWithOld ? { newWithOld: asn1Certificate(update.newWithOld) } : {}),
    ...(update.oldWithNew ? { oldWithNew: asn1Certificate(update.oldWithNew) } : {}),
  });
  return createInfoTypeAndValue(CmpOids.idItRootCaKeyUpdate, content);
}

/**
 * id-it-crls with our CRL (the -rsp_crl one, else the CA's) when one of the client's CRLStatus
 * entries names its issuer and is older, or has none.
 */
async function crls(ctx: ServerContext, itav: InfoTypeAndValue): Promise<InfoTypeAndValue> {
  const statuses = value(itav, CRLStatusListValue, 'crlStatusList');
  const configured = ctx.config.source.rspCrl;
  if (configured !== undefined && statuses.length !== 1)
    refuse('badRequest', `crlStatusList must hold one CRLStatus, this one holds ${statuses.length}`);
  const der = configured ?? (ctx.ca ? await ctx.ca.crl() : undefined);
  if (!der) return createInfoTypeAndValue(CmpOids.idItCrls);
  const crl = AsnConvert.parse(der, CertificateList);
  const issuer = nameKey(crl.tbsCertList.issuer);
  const thisUpdate = crl.tbsCertList.thisUpdate.getTime();
  if (configured !== undefined) {
    // OpenSSL's mock (check_client_crl): an issuer named must be the -rsp_crl's, by its first name,
    // a directory name (RFC 9483 section 4.3.4); any distribution point name means the -rsp_crl.
    const first = statuses[0]!.source.issuer?.[0];
    if (first && !first.directoryName) refuse('badRequest', 'the CRL source names its issuer by another name than a directory name');
    if (first && nameKey(first.directoryName!) !== issuer) refuse('badRequest', 'unknown CRL issuer');
  }
  const wanted = statuses.some((status) => {
    const names = status.source.issuer ?? [];
    // The CA's certificates carry no CRL distribution point, so only an issuer name can point to
    // its CRL; a configured CRL is, as OpenSSL's mock has it, the one any distribution point means.
    const isOurs =
      names.some((n) => n.directoryName && nameKey(n.directoryName) === issuer) || (configured !== undefined && status.source.dpn !== undefined);
    return isOurs && (!status.thisUpdate || status.thisUpdate.getTime() < thisUpdate);
  });
  return createInfoTypeAndValue(CmpOids.idItCrls, wanted ? new CRLsValue([crl]) : undefined);
}

function keyTypes(): InfoTypeAndValue {
  const curve = (oid: string) =>
    new AlgorithmIdentifier({ algorithm: Oids.ecPublicKey, parameters: new asn1js.ObjectIdentifier({ value: oid }).toBER(false) });
  return createInfoTypeAndValue(
    CmpOids.idItSignKeyPairTypes,
    new SignKeyPairTypesValue([
      curve(Oids.prime256v1),
      curve(Oids.secp384r1),
      curve(Oids.secp521r1),
      new AlgorithmIdentifier({ algorithm: Oids.rsaEncryption, parameters: null }),
      new AlgorithmIdentifier({ algorithm: Oids.ed25519 }),
      new AlgorithmIdentifier({ algorithm: Oids.ed448 }),
    ]),
  );
}

/**
 * More ITAVs than this in one genm are refused: a genm repeating one request 80,000 times got a
 * 35 MB answer. RFC 9483 clients ask for one thing per genm, OpenSSL for one per -infotype.
 */
export const MAX_GENM_ITAVS = 32;

export async function handleGeneralMessage(ctx: ServerContext, req: IncomingRequest): Promise<Reply> {
  const asked = req.msg.body.genm!;
  if (asked.length > MAX_GENM_ITAVS) {
    refuse('badRequest', `a genm may ask for at most ${MAX_GENM_ITAVS} items, this one asks for ${asked.length}`);
  }
  const answers: InfoTypeAndValue[] = [];
  const unsupported: string[] = [];
  // Each kind of item is answered once, however often it is asked for.
  const seen = new Set<string>();
  let rootUpdateAnswered = false;
  for (const itav of asked) {
    if (seen.has(itav.infoType)) continue;
    seen.add(itav.infoType);
    switch (itav.infoType) {
      case CmpOids.idItCaCerts:
        answers.push(caCerts(ctx));
        break;
      case CmpOids.idItRootCaCert:
      case CmpOids.idItRootCaKeyUpdate: {
        const oldRoot = itav.infoType === CmpOids.idItRootCaCert && itav.infoValue ? value(itav, Certificate, 'rootCaCert') : undefined;
        if (!rootUpdateAnswered) answers.push(rootCaKeyUpdate(ctx, oldRoot));
        rootUpdateAnswered = true;
        break;
      }
      case CmpOids.idItCertReqTemplate: {
        const template = ctx.config.source.certReqTemplate;
        answers.push(createInfoTypeAndValue(CmpOids.idItCertReqTemplate, template));
        break;
      }
      case CmpOids.idItCrlStatusList:
        answers.push(await crls(ctx, itav));
        break;
      case CmpOids.idItSignKeyPairTypes:
        answers.push(keyTypes());
        break;
      default:
        unsupported.push(itav.infoType);
    }
  }
  if (unsupported.length) answers.push(createInfoTypeAndValue(CmpOids.idItUnsupportedOIDs, new UnsupportedOIDsValue(unsupported)));
  return { body: new PKIBody({ genp: new GenRepContent(answers) }) };
}
