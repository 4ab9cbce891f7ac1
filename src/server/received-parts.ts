/**
 * The exact bytes a client signed inside its request: a CertRequest (signature POPO, RFC 4211
 * section 4.1), a POPOSigningKeyInput, or a PKCS#10 CertificationRequestInfo. Signatures are over
 * what the client encoded, which the strict decoder's re-encoding may not reproduce bit for bit, so
 * these come from the received message; a message built in memory falls back to our encoding.
 */
import { encodeDer, nodeBytes, readDer, type DerNode, type PKIMessage } from '../asn1';
import { receivedElement } from '../asn1/codec';
import { encodeTlv } from '../asn1/der';

/**
 * The content element of the received body ([n] EXPLICIT content), or undefined when not available.
 * `bytes` is the codec's own copy of the body, not to be changed: what leaves this module is copied.
 */
function bodyContent(msg: PKIMessage): { bytes: Uint8Array; node: DerNode } | undefined {
  const raw = receivedElement(msg, 'body');
  if (!raw) return undefined;
  const body = readDer(raw);
  const content = body.children?.[0];
  return content ? { bytes: raw, node: content } : undefined;
}

function certReqMsgNode(msg: PKIMessage, index: number): { bytes: Uint8Array; node: DerNode } | undefined {
  const content = bodyContent(msg);
  const node = content?.node.children?.[index];
  return content && node ? { bytes: content.bytes, node } : undefined;
}

/** DER of the CertRequest of CertReqMsg `index` of an ir/cr/kur body, as received. */
export function receivedCertRequest(msg: PKIMessage, index: number): Uint8Array {
  const found = certReqMsgNode(msg, index);
  const request = found?.node.children?.[0];
  if (found && request) return nodeBytes(found.bytes, request).slice();
  const messages = msg.body.ir ?? msg.body.cr ?? msg.body.kur ?? msg.body.ccr ?? msg.body.krr;
  return encodeDer(messages![index]!.certReq);
}

/**
 * DER of the POPOSigningKeyInput of CertReqMsg `index`, as signed: the element is implicitly
 * tagged [0] in the message, the signature is over its SEQUENCE encoding.
 */
export function receivedPoposkInput(msg: PKIMessage, index: number): Uint8Array | undefined {
  const found = certReqMsgNode(msg, index);
  const popo = found?.node.children?.[1];
  const input = popo?.tagClass === 2 && popo.tagNumber === 1 ? popo.children?.[0] : undefined;
  if (found && input && input.tagClass === 2 && input.tagNumber === 0 && input.constructed) {
    const element = nodeBytes(found.bytes, input);
    return encodeTlv(0x30, element.subarray(input.headerLength));
  }
  const messages = msg.body.ir ?? msg.body.cr ?? msg.body.kur ?? msg.body.ccr ?? msg.body.krr;
  const decoded = messages?.[index]?.popo?.signature?.poposkInput;
  return decoded ? encodeDer(decoded) : undefined;
}

/** DER of the CertificationRequestInfo of a p10cr body, as received. */
export function receivedCertificationRequestInfo(msg: PKIMessage): Uint8Array {
  const content = bodyContent(msg);
  const info = content?.node.children?.[0];
  if (content && info) return nodeBytes(content.bytes, info).slice();
  return encodeDer(msg.body.p10cr!.certificationRequestInfo);
}
