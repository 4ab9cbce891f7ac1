/**
 * The protocol's request vocabulary, in the words of PKIBody (RFC 9810 5.1.2): the one definition every
 * floor uses, from the machines to the embedded CA. It imports nothing, so any layer may depend on it.
 */

/** The certificate requests (RFC 9810 5.3.1-5.3.5): initialization, certification, PKCS#10 and key update. */
export const CERT_REQUEST_KINDS = ['ir', 'cr', 'p10cr', 'kur'] as const;
export type CertRequestKind = (typeof CERT_REQUEST_KINDS)[number];

/** Every body a client sends: a certificate request, a poll, a confirmation, a revocation, a general message or an error. */
export type RequestKind = CertRequestKind | 'pollReq' | 'certConf' | 'rr' | 'genm' | 'error';

/** The requests whose answer may be delayed and polled for (RFC 9810 section 5.3.22): all but pollReq itself. */
export type PolledRequestKind = Exclude<RequestKind, 'pollReq'>;

const certRequestKinds: ReadonlySet<string> = new Set(CERT_REQUEST_KINDS);

export function isCertRequestKind(kind: string): kind is CertRequestKind {
  return certRequestKinds.has(kind);
}
