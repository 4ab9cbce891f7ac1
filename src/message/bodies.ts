/**
 * The small request bodies: pollReq, error (used to abort a transaction), rr and genm, shaped as
 * OpenSSL 3.0 sends them.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { CRLReason, Extension, Extensions, Name, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import {
  CertTemplate,
  ErrorMsgContent,
  GenMsgContent,
  InfoTypeAndValue,
  PKIFailureInfo,
  PKIFreeText,
  PKIStatus,
  PKIStatusInfo,
  PkixOids,
  PollReqContent,
  PollReqContentEntry,
  RevDetails,
  RevReqContent,
} from '../asn1';
import { toArrayBuffer } from '../bytes';
import { issuerAndSerial, type IssuerAndSerial } from './cert-identity';

export function buildPollReq(certReqId: bigint): PollReqContent {
  return new PollReqContent([new PollReqContentEntry({ certReqId })]);
}

/** An error message telling the server we give up: rejection, with the reason as text. */
export function buildErrorMsg(text: string, failInfo?: string[]): ErrorMsgContent {
  return new ErrorMsgContent({
    pKIStatusInfo: new PKIStatusInfo({
      status: PKIStatus.rejection,
      statusString: new PKIFreeText([text]),
      ...(failInfo?.length ? { failInfo: PKIFailureInfo.fromNames(failInfo) } : {}),
    }),
  });
}

/**
 * What an rr names: a certificate (by issuer and serial number, RFC 9483 4.2), or, without one,
 * the subject and public key of a PKCS#10 request, as OpenSSL 3.0 does for `-cmd rr -csr`.
 */
/** The certificate itself, its issuer and serial number alone (OpenSSL -issuer and -serial), or a CSR's subject and key. */
export type RevocationTarget = { cert: X509Certificate } | IssuerAndSerial | { subject: Name; publicKey: SubjectPublicKeyInfo };

/** rr for one certificate; the CRL reason, when not -1, goes into crlEntryDetails as OpenSSL does. */
export function buildRevReq(target: RevocationTarget, reason: number): RevReqContent {
  const certDetails =
    'cert' in target
      ? new CertTemplate(issuerAndSerial(target.cert))
      : 'serialNumber' in target
        ? new CertTemplate({ issuer: target.issuer, serialNumber: target.serialNumber })
        : new CertTemplate({ subject: target.subject, publicKey: target.publicKey });
  const details = new RevDetails({ certDetails });
  if (reason >= 0) {
    const value = AsnConvert.serialize(new CRLReason(reason));
    details.crlEntryDetails = new Extensions([new Extension({ extnID: PkixOids.cRLReason, critical: false, extnValue: new OctetString(value) })]);
  }
  return new RevReqContent([details]);
}

export function buildGenMsg(itavs: { infoType: string; value?: Uint8Array }[]): GenMsgContent {
  return new GenMsgContent(
    itavs.map((i) => new InfoTypeAndValue({ infoType: i.infoType, ...(i.value ? { infoValue: toArrayBuffer(i.value) } : {}) })),
  );
}
