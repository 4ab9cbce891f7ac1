/**
 * The certificates a response carries, as the exact bytes the server sent. A certificate's
 * signature, its hash in certConf and its identity in a trust store all depend on its encoding,
 * and the strict decoder tolerates re-encodings that differ in primitive contents, so re-encoding
 * the decoded objects is only the fallback for messages built in memory.
 */
import type { Certificate } from '@peculiar/asn1-x509';
import type { CertRepMessage } from './cmp/cert_rep';
import type { PKIMessage } from './cmp/message';
import { rawPkiMessage } from './codec';
import { nodeBytes, readDer, type DerNode } from './der';
import { encodeDer } from './der-codec';

const isContext = (node: DerNode | undefined, tag: number): node is DerNode =>
  node !== undefined && node.tagClass === 2 && node.tagNumber === tag && node.constructed;
const isSequence = (node: DerNode | undefined): node is DerNode =>
  node !== undefined && node.tagClass === 0 && node.tagNumber === 16 && node.constructed;

/** `[n] EXPLICIT SEQUENCE OF Certificate` -> the certificates' encodings, or undefined if the shape differs. */
function taggedCertificateList(bytes: Uint8Array, tagged: DerNode): Uint8Array[] | undefined {
  const list = tagged.children?.[0];
  if (tagged.children?.length !== 1 || !isSequence(list)) return undefined;
  return list.children!.map((c) => nodeBytes(bytes, c));
}

function reencoded(certs: Certificate[] | undefined): Uint8Array[] {
  return (certs ?? []).map((c) => encodeDer(c));
}

/** The received encodings of `msg.extraCerts`, in order. */
export function extraCertsBytes(msg: PKIMessage): Uint8Array[] {
  const count = msg.extraCerts?.length ?? 0;
  const raw = rawPkiMessage(msg)?.extraCerts;
  if (raw && count > 0) {
    const found = taggedCertificateList(raw, readDer(raw));
    if (found?.length === count) return found;
  }
  return reencoded(msg.extraCerts);
}

export interface CertRepBytes {
  caPubs: Uint8Array[];
  /** Per CertResponse, the encoding of its certificate when it carries one in the clear. */
  issued: (Uint8Array | undefined)[];
}

/** The received encodings of caPubs and of the issued certificates of an ip/cp/kup. */
export function certRepBytes(msg: PKIMessage, rep: CertRepMessage): CertRepBytes {
  const fallback = (): CertRepBytes => ({
    caPubs: reencoded(rep.caPubs),
    issued: rep.response.map((r) => {
      const cert = r.certifiedKeyPair?.certOrEncCert.certificate;
      return cert ? encodeDer(cert) : undefined;
    }),
  });
  const raw = rawPkiMessage(msg)?.body;
  if (!raw) return fallback();
  const body = readDer(raw);
  const content = body.children?.[0];
  if (!isSequence(content)) return fallback();
  const parts = content.children!;
  const caPubsNode = isContext(parts[0], 1) ? parts[0] : undefined;
  const responses = parts[parts.length - 1];
  const caPubs = caPubsNode ? taggedCertificateList(raw, caPubsNode) : [];
  if (!caPubs || caPubs.length !== (rep.caPubs?.length ?? 0) || !isSequence(responses)) return fallback();
  if (responses.children!.length !== rep.response.length) return fallback();
  const hasCertificate = rep.response.map((r) => r.certifiedKeyPair?.certOrEncCert.certificate !== undefined);
  const issued = responses.children!.map((response, i) => (hasCertificate[i] ? issuedCertificate(raw, response) : undefined));
  if (issued.some((bytes, i) => (bytes !== undefined) !== hasCertificate[i])) return fallback();
  return { caPubs, issued };
}

/** CertResponse { certReqId, status, certifiedKeyPair { [0] certificate | [1] encryptedCert, ... }, ... }. */
function issuedCertificate(bytes: Uint8Array, response: DerNode): Uint8Array | undefined {
  const keyPair = response.children?.[2];
  if (!isSequence(keyPair)) return undefined;
  const certOrEncCert = keyPair.children![0];
  if (!isContext(certOrEncCert, 0) || certOrEncCert.children?.length !== 1) return undefined;
  return nodeBytes(bytes, certOrEncCert.children[0]);
}
