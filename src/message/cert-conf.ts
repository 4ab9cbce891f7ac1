/**
 * certConf (RFC 9810 section 5.3.18): the hash of the new certificate, computed with the hash of
 * the certificate's own signature algorithm; where that algorithm has none (EdDSA, ML-DSA), with
 * the hash hashlessCertHash picks for it (RFC 9481 section 3.3 for EdDSA, SHA-512 for ML-DSA),
 * sent in CertStatus.hashAlg, which needs pvno 3 (cmp2021).
 */
import { CertConfirmContent, CertStatus, PKIFailureInfo, PKIFreeText, PKIStatus, PKIStatusInfo } from '../asn1';
import { certHashAlgorithm, getCryptoProvider, hashAlgorithmId, hashlessCertHash, type HashName } from '../crypto';
import { certificateFromDer } from '../pki/certificate-cache';
import { viewOf } from '../pki/certificate-view';
import { toArrayBuffer } from '../bytes';

export interface CertHash {
  hash: HashName;
  value: Uint8Array;
  /** True when the hash is not implied by the certificate and must be named in hashAlg. */
  explicit: boolean;
}

async function certHash(certificateDer: Uint8Array): Promise<CertHash> {
  // The certificate was parsed when its response was checked: the cache has it.
  const cert = viewOf(certificateFromDer(certificateDer, 'the certificate to confirm')).asn;
  const implied = certHashAlgorithm(cert.signatureAlgorithm);
  const hash = implied ?? hashlessCertHash(cert.signatureAlgorithm) ?? 'SHA-512';
  return { hash, value: await getCryptoProvider().digest(hash, certificateDer), explicit: implied === undefined };
}

export interface CertConfInput {
  certificateDer: Uint8Array;
  certReqId: bigint;
  accept: boolean;
  failInfo?: string[];
  text?: string;
}

export interface BuiltCertConf {
  content: CertConfirmContent;
  /** pvno the message must carry: 3 when hashAlg is used. */
  pvno: 2 | 3;
}

export async function buildCertConf(input: CertConfInput): Promise<BuiltCertConf> {
  const h = await certHash(input.certificateDer);
  const status = new CertStatus({ certHash: toArrayBuffer(h.value), certReqId: input.certReqId });
  if (h.explicit) status.hashAlg = hashAlgorithmId(h.hash);
  // As OpenSSL 3.0 (ossl_cmp_certConf_new): a statusInfo always, `accepted` spelled out too.
  status.statusInfo = new PKIStatusInfo({
    status: input.accept ? PKIStatus.accepted : PKIStatus.rejection,
    ...(input.text ? { statusString: new PKIFreeText([input.text]) } : {}),
    ...(!input.accept && input.failInfo?.length ? { failInfo: PKIFailureInfo.fromNames(input.failInfo) } : {}),
  });
  return { content: new CertConfirmContent([status]), pvno: h.explicit ? 3 : 2 };
}
