/**
 * The answer to a certificate request (ip, cp, kup), checked as OpenSSL's cert_response and
 * get1_cert_status do and RFC 9483 section 4.1 asks: one CertResponse for our certReqId, its
 * status, the certificate and its key, caPubs, extraCerts and the new certificate's chain.
 *
 * caPubs (RFC 9810 section 5.3.2, RFC 9483 section 4.1.1) are only taken from an authenticated
 * response. With MAC protection the shared secret authenticates the CA itself, so its caPubs may
 * be trusted directly as root CA certificates: they then also anchor the new certificate's chain.
 * With signature protection they are vouched for by a sender we validated against our own trust
 * anchors, so they are handed on, but only serve as intermediates when building the chain; turning
 * them into trust anchors is the caller's decision. An unauthenticated response (possible only
 * through unprotectedErrors) never yields caPubs: ERR_CAPUBS_UNTRUSTED.
 */
import { parseDer } from '../asn1/der-reader';
import { openCertificate, openGeneratedKey } from '../cms';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { checkMlKemKeyPair, isMlKemPkcs8, mlKemPrivateKeyFromPkcs8 } from '../crypto/ml-kem';
import { getCryptoProvider } from '../crypto'; // also registers WebCrypto with @peculiar/x509 for certificate signature checks
import { CmpOids, PKIStatus, pkiBodyType, type CertRepMessage, type CertResponse, type PKIMessage } from '../asn1';
import { CmpError, ErrorCodes, isCmpError } from '../errors';
import { sameBytes } from '../bytes';
import type { ResponseExpectations, ResponseProtection } from './expectations';
import { checkSenderNonce } from './header';
import { verificationParameters } from '../protection/sender-cert';
import { certRepBytes, extraCertsBytes } from '../asn1/message-certs';
import { certificateFromDer } from '../pki/certificate-cache';
import { validatePath } from '../pki/path';
import type { CertResponseResult } from './results';
import { statusError, statusName, statusView } from './status';

/**
 * Throws CmpError ERR_UNEXPECTED_BODY, ERR_WRONG_CERT_RESPONSE_COUNT, ERR_CERT_REQ_ID_MISMATCH,
 * ERR_UNEXPECTED_STATUS, ERR_NO_CERTIFICATE, ERR_ENCRYPTED_CERT_UNSUPPORTED, ERR_PUBLIC_KEY_MISMATCH,
 * ERR_CAPUBS_UNTRUSTED, ERR_PROTECTION_MISSING or ERR_NEW_CERT_UNTRUSTED.
 */
export async function validateCertResponse(msg: PKIMessage, exp: ResponseExpectations, protection: ResponseProtection): Promise<CertResponseResult> {
  const rep = certRepMessageOf(msg);
  const senderNonce = checkSenderNonce(msg.header);
  const response = checkSingleCertResponse(rep);
  const certReqId = checkCertReqId(response, expectedCertReqId(exp));
  const outcome = checkCertStatus(response, exp, pkiBodyType(msg.body) === 'kup');

  if (outcome === 'rejected') {
    return {
      kind: 'rejected',
      senderNonce,
      error: statusError(response.status, 'certificate request rejected'),
      ...statusView(response.status),
    };
  }
  if (outcome === 'waiting') {
    // An ip/cp/kup saying "waiting" carries no checkAfter: as OpenSSL does, poll at once.
    return { kind: 'waiting', senderNonce, certReqId, checkAfter: 0, receivedAt: (exp.now ?? Date.now)(), ...statusView(response.status) };
  }

  const bytes = certRepBytes(msg, rep);
  const certificate = certificateFromDer(checkCertificatePresent(response, bytes.issued[0], exp), 'the issued certificate');
  const caPubs = checkCaPubs(bytes.caPubs, protection);
  checkIssuanceAuthenticated(protection);
  const extraCerts = extraCertsBytes(msg);
  // A certificate that fails our own checks is refused, not dropped: as OpenSSL's default certConf
  // callback does, the session answers with a negative certConf (incorrectData) so the CA learns it.
  let refusal: CmpError | undefined;
  let chain: X509Certificate[] = [];
  try {
    checkPublicKey(certificate, exp.requestedPublicKey);
    // Under a MAC the shared secret already authenticates the whole answer, the key package included, so
    // the certificates it carries (caPubs and extraCerts) may anchor the KGA, as caPubs anchor the new certificate.
    const macAnchors =
      protection.kind === 'mac' ? [...caPubs, ...extraCerts].map((c, i) => certificateFromDer(c, `MAC-authenticated certificate ${i + 1}`)) : [];
    if (exp.generatedKey) await receiveGeneratedKey(response, certificate, exp, macAnchors);
    chain = await newCertificateChain(certificate, {
      caPubs: caPubs.map((c, i) => certificateFromDer(c, `caPubs certificate ${i + 1}`)),
      caPubsTrusted: protection.kind === 'mac',
      extraCerts: extraCerts.map((c, i) => certificateFromDer(c, `extraCerts certificate ${i + 1}`)),
      exp,
    });
  } catch (e) {
    const refused = [ErrorCodes.ERR_PUBLIC_KEY_MISMATCH, ErrorCodes.ERR_NEW_CERT_UNTRUSTED, ErrorCodes.ERR_CMS_DECRYPT, ErrorCodes.ERR_CMS_SIGNATURE];
    if (!refused.some((code) => isCmpError(e, code))) throw e;
    if (!isCmpError(e)) throw e;
    refusal = new CmpError(e.code, e.message, { ...e.toJSON(), failInfo: ['incorrectData'], cause: e });
  }
  return {
    ...(refusal ? { refusal } : {}),
    kind: 'certificate',
    senderNonce,
    certReqId,
    certificate,
    chain,
    caPubs,
    extraCerts,
    implicitConfirmGranted: implicitConfirmGranted(msg),
    ...statusView(response.status),
  };
}

/**
 * The centrally generated key (RFC 9483 section 4.1.6): decrypted, signed by a key generation authority
 * whose certificate validates against our trust anchors, and the key of the new certificate. A failure
 * refuses the certificate with a negative certConf, as a wrong public key does.
 */
async function receiveGeneratedKey(
  response: CertResponse,
  certificate: X509Certificate,
  exp: ResponseExpectations,
  macAnchors: X509Certificate[],
): Promise<void> {
  const enveloped = response.certifiedKeyPair?.privateKey?.envelopedData;
  if (!enveloped) throw new CmpError(ErrorCodes.ERR_CMS_DECRYPT, 'central key generation was requested but the response carries no private key');
  const opened = openGeneratedKey(enveloped, exp.generatedKey!.decryptWith);
  const carried = opened.certificates.map((c, i) => certificateFromDer(c, `key package certificate ${i + 1}`));
  const kga = certificateFromDer(opened.signer, "the key generation authority's certificate");
  try {
    await validatePath(kga, {
      trusted: [...(exp.verify.trusted ?? []), ...macAnchors],
      untrusted: [...(exp.verify.untrusted ?? []), ...carried],
      ...(exp.now ? { at: new Date(exp.now()) } : {}),
    });
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CMS_SIGNATURE, "the key generation authority's certificate does not validate against the trust anchors", {
      cause: e,
    });
  }
  // An ML-KEM key is no provider key (it signs nothing): it is checked against the certificate by itself.
  if (isMlKemPkcs8(opened.pkcs8)) checkMlKemKeyPair(mlKemPrivateKeyFromPkcs8(opened.pkcs8), new Uint8Array(certificate.publicKey.rawData));
  else checkPublicKey(certificate, (await getCryptoProvider().importPrivateKey(opened.pkcs8)).spki);
  exp.generatedKey!.onKey(opened.pkcs8);
}

function certRepMessageOf(msg: PKIMessage): CertRepMessage {
  const rep = msg.body.ip ?? msg.body.cp ?? msg.body.kup;
  if (!rep) {
    throw new CmpError(ErrorCodes.ERR_UNEXPECTED_BODY, `expected ip, cp or kup, received ${pkiBodyType(msg.body) ?? 'an empty body'}`);
  }
  return rep;
}

/** We send one request per message, so one response is expected; OpenSSL refuses more as well. */
function checkSingleCertResponse(rep: CertRepMessage): CertResponse {
  if (rep.response.length !== 1) {
    throw new CmpError(ErrorCodes.ERR_WRONG_CERT_RESPONSE_COUNT, `expected exactly one CertResponse, received ${rep.response.length}`);
  }
  return rep.response[0];
}

/** The certReqId of our request: as configured, else 0, or -1 for a p10cr (RFC 9483 section 4.1.4). */
export function expectedCertReqId(exp: Pick<ResponseExpectations, 'certReqId' | 'requestType' | 'pollingFor'>): bigint {
  if (exp.certReqId !== undefined) return exp.certReqId;
  return exp.requestType === 'p10cr' || exp.pollingFor === 'p10cr' ? -1n : 0n;
}

function checkCertReqId(response: CertResponse, expected: bigint): bigint {
  if (response.certReqId !== expected) {
    throw new CmpError(
      ErrorCodes.ERR_CERT_REQ_ID_MISMATCH,
      `CertResponse has certReqId ${response.certReqId.toString()}, our request had ${expected.toString()}`,
    );
  }
  return expected;
}

type CertOutcome = 'issued' | 'waiting' | 'rejected';

/**
 * RFC 9810 section 5.2.3 read for a certificate response: accepted and grantedWithMods issue;
 * revocationWarning and revocationNotification still issue (the status is kept, the caller warns);
 * keyUpdateWarning issues only in a kup, the one answer where "update already done" makes sense;
 * waiting means polling, except once polling has begun (OpenSSL: "polling already started").
 */
function checkCertStatus(response: CertResponse, exp: Pick<ResponseExpectations, 'requestType'>, isKup: boolean): CertOutcome {
  const status = response.status.status;
  switch (status) {
    case PKIStatus.accepted:
    case PKIStatus.grantedWithMods:
    case PKIStatus.revocationWarning:
    case PKIStatus.revocationNotification:
      return 'issued';
    case PKIStatus.keyUpdateWarning:
      if (isKup) return 'issued';
      break;
    case PKIStatus.rejection:
      return 'rejected';
    case PKIStatus.waiting:
      if (exp.requestType !== 'pollReq') return 'waiting';
      break;
  }
  throw statusError(response.status, `unexpected status ${statusName(status)} in a certificate response`, ErrorCodes.ERR_UNEXPECTED_STATUS);
}

/**
 * A positive status promises a certificate: in the clear, or encrypted for the new key after indirect proof
 * of possession, the only case where we hold a key to open it with. Decrypting is the proof: certConf's
 * certHash is then computed over the decrypted DER, which the CA checks (RFC 9810 section 5.2.8.3).
 */
function checkCertificatePresent(
  response: CertResponse,
  issued: Uint8Array | undefined,
  exp: Pick<ResponseExpectations, 'encryptedCert'>,
): Uint8Array {
  const certOrEncCert = response.certifiedKeyPair?.certOrEncCert;
  if (certOrEncCert?.encryptedCert) {
    if (!exp.encryptedCert) {
      throw new CmpError(
        ErrorCodes.ERR_ENCRYPTED_CERT_UNSUPPORTED,
        'the certificate was returned encrypted, but we used no indirect proof of possession',
      );
    }
    return openCertificate(certOrEncCert.encryptedCert, exp.encryptedCert.decryptWith);
  }
  if (!certOrEncCert?.certificate || !issued) {
    throw new CmpError(ErrorCodes.ERR_NO_CERTIFICATE, `status ${statusName(response.status.status)} but no certificate in the response`);
  }
  return issued;
}

const rsaKeyAlgorithms = new Set(['1.2.840.113549.1.1.1', '1.2.840.113549.1.1.10']);

/** The CA must certify the key we asked for and not some other one (OpenSSL: X509_check_private_key). */
function checkPublicKey(certificate: X509Certificate, requested: Uint8Array | undefined): void {
  if (!requested) return;
  let ours: SubjectPublicKeyInfo;
  try {
    ours = parseDer(requested, SubjectPublicKeyInfo);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'the requested public key is not a DER SubjectPublicKeyInfo', { cause: e });
  }
  const theirs = parseDer(new Uint8Array(certificate.publicKey.rawData), SubjectPublicKeyInfo);
  const [a, b] = [ours.algorithm, theirs.algorithm];
  const sameAlgorithm =
    (rsaKeyAlgorithms.has(a.algorithm) && rsaKeyAlgorithms.has(b.algorithm)) ||
    (a.algorithm === b.algorithm && sameParameters(a.parameters, b.parameters));
  if (!sameAlgorithm || !sameBytes(ours.subjectPublicKey, theirs.subjectPublicKey)) {
    throw new CmpError(ErrorCodes.ERR_PUBLIC_KEY_MISMATCH, 'the public key in the new certificate is not the key we requested a certificate for');
  }
}

function sameParameters(a: ArrayBuffer | null | undefined, b: ArrayBuffer | null | undefined): boolean {
  const nullish = (p: ArrayBuffer | null | undefined) => p === null || p === undefined || sameBytes(p, Uint8Array.of(0x05, 0x00));
  if (nullish(a) || nullish(b)) return nullish(a) && nullish(b);
  return sameBytes(a!, b!);
}

/** See the file comment: caPubs need an authenticated response. */
function checkCaPubs(caPubs: Uint8Array[], protection: ResponseProtection): Uint8Array[] {
  if (caPubs.length > 0 && protection.kind === 'none') {
    throw new CmpError(ErrorCodes.ERR_CAPUBS_UNTRUSTED, 'caPubs in a response that is not protected cannot be trusted');
  }
  return caPubs;
}

/** A certificate is never taken from an unauthenticated response, whatever led here. */
function checkIssuanceAuthenticated(protection: ResponseProtection): void {
  if (protection.kind === 'none') {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_MISSING, 'a certificate response that issues a certificate must be protected');
  }
}

/** The server waived certConf: id-it-implicitConfirm in the response header's generalInfo (RFC 9810 section 5.1.1.1). */
function implicitConfirmGranted(msg: PKIMessage): boolean {
  return msg.header.generalInfo?.some((itav) => itav.infoType === CmpOids.idItImplicitConfirm) ?? false;
}

interface ChainInput {
  caPubs: X509Certificate[];
  caPubsTrusted: boolean;
  extraCerts: X509Certificate[];
  exp: ResponseExpectations;
}

/**
 * The new certificate's chain [cert, ..., anchor]. With outTrusted it must validate against those
 * anchors (ERR_NEW_CERT_UNTRUSTED), as OpenSSL's certConf callback checks -out_trusted. Without,
 * the chain is built only as far as our own trust reaches (the message trust anchors, plus caPubs
 * of a MAC-protected response), and is empty when it cannot be: CMP does not require that the
 * client can validate what it is given.
 */
async function newCertificateChain(certificate: X509Certificate, input: ChainInput): Promise<X509Certificate[]> {
  const { exp } = input;
  const verification = exp.verify.verification ?? {};
  // OpenSSL builds this chain from its context's untrusted certificates, where received extraCerts
  // land unless -no_cache_extracerts keeps them out.
  const untrusted = [...(exp.noCacheExtraCerts ? [] : input.extraCerts), ...input.caPubs, ...(exp.verify.untrusted ?? [])];
  const options = {
    untrusted,
    ...(verification.at !== undefined ? { at: verification.at } : {}),
    ...(verification.noCheckTime !== undefined ? { noCheckTime: verification.noCheckTime } : {}),
    ...(verification.partialChain !== undefined ? { partialChain: verification.partialChain } : {}),
  };
  if (exp.outTrusted) {
    try {
      // OpenSSL's -out_trusted store gets the generic verification parameters too (not the CRL checks).
      return await validatePath(certificate, { ...options, ...verificationParameters(verification), trusted: exp.outTrusted });
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new CmpError(ErrorCodes.ERR_NEW_CERT_UNTRUSTED, `the new certificate does not validate against the out-trusted anchors: ${reason}`, {
        cause: e,
      });
    }
  }
  const trusted = [...(exp.verify.trusted ?? []), ...(input.caPubsTrusted ? input.caPubs : [])];
  if (trusted.length === 0) return [];
  try {
    return await validatePath(certificate, { trusted, ...options });
  } catch {
    return [];
  }
}
