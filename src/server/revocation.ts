/**
 * Revocation requests (rr, RFC 9810 section 5.3.9, RFC 9483 section 4.2): one RevDetails naming a
 * certificate of this CA by issuer and serial number, optionally with a reason code and an
 * invalidity date. The request must be signed by the certificate to revoke or by one of the RA
 * certificates the operator configured (raCerts), or MAC-protected with an RA secret
 * (secrets[].ra). The ordinary shared secret is not enough: every enrolling device knows it, and
 * would otherwise revoke everyone. The answer (rp) echoes the CertId of what was revoked.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CRLReason, GeneralName, Name, Time, type Extension } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { CertId, decodeDer, PkixOids, PKIBody, PKIStatus, RevRepContent } from '../asn1';
import { identifies } from './ca';
import type { IncomingRequest, Reply, ServerContext } from './context';
import { Refusal, refuse } from './refusal';
import { statusInfo } from './response';

/** Reason codes an rr may give (RFC 5280 5.3.1); removeFromCRL (8) only belongs in delta CRLs. */
const acceptedReasons = new Set([0, 1, 2, 3, 4, 5, 6, 9, 10]);

function reasonOf(extensions: Extension[]): { reason: number; invalidityDate?: Date } {
  let reason = 0;
  let invalidityDate: Date | undefined;
  const seen = new Set<string>();
  for (const ext of extensions) {
    if (seen.has(ext.extnID)) refuse('badRequest', `crlEntryDetails names ${ext.extnID} more than once`);
    seen.add(ext.extnID);
    try {
      if (ext.extnID === PkixOids.cRLReason) reason = decodeDer(ext.extnValue.buffer, CRLReason).reason;
      else if (ext.extnID === PkixOids.invalidityDate) invalidityDate = decodeDer(ext.extnValue.buffer, Time).getTime();
      else if (ext.critical) refuse('badRequest', `unsupported critical crlEntryDetails extension ${ext.extnID}`);
    } catch (e) {
      if (e instanceof Refusal) throw e;
      refuse('badDataFormat', 'crlEntryDetails holds a malformed extension', { cause: e });
    }
  }
  if (!acceptedReasons.has(reason)) refuse('badRequest', `CRL reason ${reason} cannot be requested`);
  return { reason, ...(invalidityDate ? { invalidityDate } : {}) };
}

export async function handleRevocation(ctx: ServerContext, req: IncomingRequest): Promise<Reply> {
  const content = req.msg.body.rr!;
  if (content.length !== 1) refuse('badRequest', `exactly one certificate per revocation request is supported, got ${content.length}`);
  const details = content[0]!;
  const issuer = details.certDetails.issuer;
  const serial = details.certDetails.serialNumber;
  const { reason, invalidityDate } = reasonOf(details.crlEntryDetails ?? []);
  if (!issuer || !serial) {
    // An rr naming its certificate by subject and key, as openssl cmp -csr sends it: OpenSSL's mock
    // server (3.2 to 3.5) accepts any such rr with its fixed answer; a CA needs issuer and serial
    // number to know what to revoke (RFC 9483 section 4.2).
    if (!ctx.config.source.rspCert) return refuse('badCertId', 'the revocation request must name the certificate by issuer and serial number');
    const status = statusInfo(ctx.config.source.pkiStatus ?? PKIStatus.accepted, ctx.config.source.statusString, ctx.config.forcedFailInfo);
    return { body: new PKIBody({ rp: new RevRepContent({ status: [status] }) }) };
  }
  const certId = new CertId({
    issuer: new GeneralName({ directoryName: AsnConvert.parse(AsnConvert.serialize(issuer), Name) }),
    serialNumber: serial.slice(0),
  });
  const source = ctx.config.source;
  const forced = source.pkiStatus;

  if (source.refCert && !identifies(source.refCert, issuer, serial)) refuse('badCertId', 'this server expects another certificate to revoke');
  if (source.rspCert) {
    // Fixed answers, as OpenSSL's mock server: only the fixed (or -ref_cert) certificate can be revoked.
    if (!source.refCert && !identifies(source.rspCert, issuer, serial)) refuse('badCertId', 'this server knows no such certificate to revoke');
  } else {
    const ca = ctx.ca;
    if (!ca) return refuse('badCertId', 'this server issues no certificates');
    const record = ca.record(serial);
    if (!record || !identifies(record.cert, issuer, serial))
      return refuse('badCertId', 'no certificate with this issuer and serial number was issued by this CA');
    if (record.revocation) refuse('certRevoked', 'the certificate is already revoked');
    if (!mayRevoke(ctx, req, record.der)) {
      refuse(
        'notAuthorized',
        'a revocation request must be signed with the certificate to revoke, or come from an RA certificate or RA secret this server is configured with',
      );
    }
    if (forced === undefined || forced === PKIStatus.accepted || forced === PKIStatus.grantedWithMods) {
      await ca.revoke(serial, reason, invalidityDate);
    }
  }
  const status = statusInfo(forced ?? PKIStatus.accepted, source.statusString, ctx.config.forcedFailInfo);
  const rejected = status.status === PKIStatus.rejection;
  return { body: new PKIBody({ rp: new RevRepContent({ status: [status], ...(rejected ? {} : { revCerts: [certId] }) }) }) };
}

/** The holder of the certificate, a configured RA certificate, or a configured RA secret. */
function mayRevoke(ctx: ServerContext, req: IncomingRequest, der: Uint8Array): boolean {
  const protection = req.protection;
  if (protection.kind === 'mac') return ctx.config.raSecrets.has(protection.secret.id);
  // Only a server told to accept unprotected requests gets here: its operator chose no authentication.
  if (protection.kind !== 'signature') return ctx.config.source.acceptUnprotected === true;
  const signer = Buffer.from(new Uint8Array(protection.signer.rawData));
  if (signer.equals(Buffer.from(der))) return true;
  return (ctx.config.source.raCerts ?? []).some((ra: X509Certificate) => signer.equals(Buffer.from(new Uint8Array(ra.rawData))));
}
