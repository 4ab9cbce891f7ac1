/**
 * PKIMessage codec that keeps what it received. Protection is computed over the bytes of header and
 * body exactly as the peer sent them, and a message relayed or re-sent must stay byte-identical, so
 * a decoded message remembers its input (in a WeakMap, leaving the object a plain asn1-schema
 * instance) and encoding reuses those bytes for every part that has not changed since.
 */
import { CmpError, ErrorCodes } from '../errors';
import { bytesOf, sameBytes } from '../bytes';
import { DerNode, encodeTlv, nodeBytes, readDer } from './der';
import { decodeDerChecked, encodeDer } from './der-codec';
import { PKIMessage } from './cmp/message';

export { decodeDer, encodeDer } from './der-codec';

/** The exact received encodings of a decoded PKIMessage and of its top-level elements. */
export interface RawPkiMessage {
  message: Uint8Array<ArrayBuffer>;
  header: Uint8Array<ArrayBuffer>;
  body: Uint8Array<ArrayBuffer>;
  /** The whole `[0] PKIProtection` element. */
  protection?: Uint8Array<ArrayBuffer>;
  /** The whole `[1] SEQUENCE OF CMPCertificate` element. */
  extraCerts?: Uint8Array<ArrayBuffer>;
}

type Bytes = Uint8Array<ArrayBuffer>;

interface MessageParts {
  header: Bytes;
  body: Bytes;
  protection?: Bytes;
  extraCerts?: Bytes;
}

interface Remembered {
  received: Bytes;
  receivedParts: MessageParts;
  /** Our own encoding of each part, made right after decoding: the reference for "unchanged". */
  reencodedParts: MessageParts;
}

const remembered = new WeakMap<PKIMessage, Remembered>();

function splitMessage(bytes: Bytes, root: DerNode = readDer(bytes)): MessageParts {
  if (root.tagClass !== 0 || root.tagNumber !== 16) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'not a PKIMessage: the outer element is not a SEQUENCE');
  }
  const children = root.children!;
  if (children.length < 2) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'not a PKIMessage: header and body are required');
  }
  const parts: MessageParts = { header: nodeBytes(bytes, children[0]), body: nodeBytes(bytes, children[1]) };
  const isContext = (n: DerNode, tag: number) => n.tagClass === 2 && n.tagNumber === tag && n.constructed;
  let i = 2;
  if (i < children.length && isContext(children[i], 0)) parts.protection = nodeBytes(bytes, children[i++]);
  if (i < children.length && isContext(children[i], 1)) parts.extraCerts = nodeBytes(bytes, children[i++]);
  if (i !== children.length) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'PKIMessage has elements after header, body, protection and extraCerts');
  }
  return parts;
}

/**
 * Decodes a DER PKIMessage strictly. Throws CmpError ERR_ASN1_DECODE, ERR_ASN1_LENGTH,
 * ERR_ASN1_INDEFINITE_LENGTH or ERR_ASN1_TRAILING_DATA.
 */
export function decodePkiMessage(der: Uint8Array | ArrayBuffer): PKIMessage {
  const received = Uint8Array.from(bytesOf(der));
  const root = readDer(received);
  const receivedParts = splitMessage(received, root);
  const { value, reencoded, identical } = decodeDerChecked(received, PKIMessage, root);
  // Equal bytes have the same tree: the received one splits the re-encoding without reading it again.
  remembered.set(value, { received, receivedParts, reencodedParts: splitMessage(reencoded, identical ? root : undefined) });
  return value;
}

function samePart(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  return a === undefined || b === undefined ? a === b : sameBytes(a, b);
}

function checkSizes(msg: PKIMessage): void {
  if (msg.extraCerts !== undefined && msg.extraCerts.length === 0) {
    throw new CmpError(ErrorCodes.ERR_ASN1_ENCODE, 'extraCerts must hold at least one certificate or be absent');
  }
  if (msg.header.generalInfo !== undefined && msg.header.generalInfo.length === 0) {
    throw new CmpError(ErrorCodes.ERR_ASN1_ENCODE, 'generalInfo must hold at least one entry or be absent');
  }
}

/**
 * DER of `msg`. For a decoded message, each of header, body, protection and extraCerts that is
 * unchanged since decoding is emitted exactly as received; an entirely unchanged message yields
 * exactly the received bytes. Throws CmpError ERR_ASN1_ENCODE.
 */
export function encodePkiMessage(msg: PKIMessage): Bytes {
  checkSizes(msg);
  const fresh = encodeDer(msg);
  const memory = remembered.get(msg);
  if (!memory) return fresh;
  const now = splitMessage(fresh);
  const keys: (keyof MessageParts)[] = ['header', 'body', 'protection', 'extraCerts'];
  const chosen: Bytes[] = [];
  let allReceived = true;
  for (const key of keys) {
    if (samePart(now[key], memory.reencodedParts[key])) {
      const part = memory.receivedParts[key];
      if (part) chosen.push(part);
    } else {
      allReceived = false;
      const part = now[key];
      if (part) chosen.push(part);
    }
  }
  return allReceived ? memory.received.slice() : encodeTlv(0x30, ...chosen);
}

/** The exact bytes `msg` was decoded from, or undefined for a message built in memory. */
export function rawPkiMessage(msg: PKIMessage): RawPkiMessage | undefined {
  const memory = remembered.get(msg);
  if (!memory) return undefined;
  const { header, body, protection, extraCerts } = memory.receivedParts;
  return {
    message: memory.received.slice(),
    header: header.slice(),
    body: body.slice(),
    ...(protection ? { protection: protection.slice() } : {}),
    ...(extraCerts ? { extraCerts: extraCerts.slice() } : {}),
  };
}

/**
 * One top-level element of a decoded message as received (the whole `[0] PKIProtection` for
 * `protection`), or undefined (built in memory, or absent). Not a copy, unlike rawPkiMessage's
 * parts, which copy the whole message and each part: for reading only.
 */
export function receivedElement(msg: PKIMessage, part: keyof MessageParts): Readonly<Bytes> | undefined {
  return remembered.get(msg)?.receivedParts[part];
}

/**
 * ProtectedPart ::= SEQUENCE { header, body } around the header and body exactly as received, or
 * undefined for a message built in memory. Only for a message known not to have been changed since
 * it was decoded (say, by the function that just decoded it): protectedPartBytes gives the same
 * bytes then, but has to encode header and body again to find out.
 */
export function receivedProtectedPart(msg: PKIMessage): Bytes | undefined {
  const memory = remembered.get(msg);
  return memory ? encodeTlv(0x30, memory.receivedParts.header, memory.receivedParts.body) : undefined;
}

/**
 * DER of ProtectedPart ::= SEQUENCE { header, body }, the input of protection. Header and body of a
 * decoded message that are unchanged contribute their received bytes, so protection computed by a
 * peer with a different (even non-DER) encoder still verifies.
 */
export function protectedPartBytes(msg: PKIMessage): Bytes {
  const memory = remembered.get(msg);
  const header = encodeDer(msg.header);
  const body = encodeDer(msg.body);
  const useHeader = memory && sameBytes(header, memory.reencodedParts.header) ? memory.receivedParts.header : header;
  const useBody = memory && sameBytes(body, memory.reencodedParts.body) ? memory.receivedParts.body : body;
  return encodeTlv(0x30, useHeader, useBody);
}
