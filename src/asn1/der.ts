/**
 * A small, strict reader of DER's tag-length-value layout. It runs before asn1js/asn1-schema see
 * any byte, so that hostile input (indefinite lengths, lengths past the end, trailing bytes,
 * absurd nesting) is rejected with a precise CmpError code instead of reaching a general-purpose
 * BER parser, and it hands out the exact byte ranges of elements, which protection needs.
 */
import { sameBytes } from '../bytes';
import { CmpError, ErrorCodes } from '../errors';

export interface DerNode {
  /** Offset of the first identifier octet. */
  start: number;
  headerLength: number;
  contentLength: number;
  /** Offset just past the content. */
  end: number;
  /** 0 universal, 1 application, 2 context-specific, 3 private. */
  tagClass: number;
  constructed: boolean;
  tagNumber: number;
  /** Present for constructed elements, in encoding order. */
  children?: DerNode[];
}

export interface DerReadOptions {
  /** Deepest nesting of constructed elements accepted; the outer element is depth 1. */
  maxDepth?: number;
  /** Most elements accepted in one input. */
  maxNodes?: number;
}

export const DEFAULT_MAX_DEPTH = 64;
const DEFAULT_MAX_NODES = 500_000;

/** Universal tags that DER (and sane BER) allows in constructed form. */
const CONSTRUCTED_UNIVERSAL = new Set([8, 11, 16, 17, 29]);

interface ReadState {
  bytes: Uint8Array;
  maxDepth: number;
  maxNodes: number;
  nodes: number;
}

function lengthError(message: string): CmpError {
  return new CmpError(ErrorCodes.ERR_ASN1_LENGTH, message);
}

function decodeError(message: string): CmpError {
  return new CmpError(ErrorCodes.ERR_ASN1_DECODE, message);
}

function readNode(state: ReadState, pos: number, limit: number, depth: number): DerNode {
  const { bytes } = state;
  if (++state.nodes > state.maxNodes) throw decodeError(`more than ${state.maxNodes} ASN.1 elements`);
  const start = pos;
  if (pos >= limit) throw lengthError(`ASN.1 element expected at offset ${pos} but the data ends`);
  const id = bytes[pos++];
  const tagClass = id >> 6;
  const constructed = (id & 0x20) !== 0;
  let tagNumber = id & 0x1f;
  if (tagNumber === 0x1f) {
    tagNumber = 0;
    let octets = 0;
    for (;;) {
      if (pos >= limit) throw lengthError(`identifier at offset ${start} is cut off`);
      const b = bytes[pos++];
      if (octets === 0 && b === 0x80) throw decodeError(`identifier at offset ${start} is not minimally encoded`);
      if (++octets > 4) throw decodeError(`tag number at offset ${start} is too large`);
      tagNumber = tagNumber * 128 + (b & 0x7f);
      if ((b & 0x80) === 0) break;
    }
  }
  if (pos >= limit) throw lengthError(`length of the element at offset ${start} is missing`);
  const first = bytes[pos++];
  let contentLength: number;
  if (first < 0x80) {
    contentLength = first;
  } else if (first === 0x80) {
    throw new CmpError(ErrorCodes.ERR_ASN1_INDEFINITE_LENGTH, `element at offset ${start} uses the indefinite length form, which DER forbids`);
  } else {
    const count = first & 0x7f;
    if (count > 4) throw lengthError(`length of the element at offset ${start} takes ${count} octets`);
    if (pos + count > limit) throw lengthError(`length of the element at offset ${start} is cut off`);
    contentLength = 0;
    for (let i = 0; i < count; i++) contentLength = contentLength * 256 + bytes[pos++];
  }
  const headerLength = pos - start;
  const end = pos + contentLength;
  if (end > limit) {
    throw lengthError(`element at offset ${start} announces ${contentLength} content octets but only ${limit - pos} remain`);
  }
  if (tagClass === 0) {
    if (tagNumber === 0) throw decodeError(`end-of-contents octets at offset ${start} outside an indefinite length`);
    if (constructed !== CONSTRUCTED_UNIVERSAL.has(tagNumber)) {
      throw decodeError(`universal tag ${tagNumber} at offset ${start} is ${constructed ? 'constructed' : 'primitive'}, which DER forbids`);
    }
  }
  const node: DerNode = { start, headerLength, contentLength, end, tagClass, constructed, tagNumber };
  if (constructed) {
    if (depth >= state.maxDepth) throw decodeError(`ASN.1 nesting deeper than ${state.maxDepth} levels`);
    const children: DerNode[] = [];
    let p = pos;
    while (p < end) {
      const child = readNode(state, p, end, depth + 1);
      children.push(child);
      p = child.end;
    }
    node.children = children;
  }
  return node;
}

/**
 * Reads exactly one DER element spanning all of `bytes`, with every constructed element opened.
 * Throws CmpError ERR_ASN1_LENGTH, ERR_ASN1_INDEFINITE_LENGTH, ERR_ASN1_TRAILING_DATA or
 * ERR_ASN1_DECODE.
 */
export function readDer(bytes: Uint8Array, options: DerReadOptions = {}): DerNode {
  if (bytes.length === 0) throw decodeError('no data: an ASN.1 element was expected');
  const state: ReadState = {
    bytes,
    maxDepth: options.maxDepth ?? DEFAULT_MAX_DEPTH,
    maxNodes: options.maxNodes ?? DEFAULT_MAX_NODES,
    nodes: 0,
  };
  const node = readNode(state, 0, bytes.length, 1);
  if (node.end !== bytes.length) {
    throw new CmpError(ErrorCodes.ERR_ASN1_TRAILING_DATA, `${bytes.length - node.end} bytes follow the end of the ASN.1 element`);
  }
  return node;
}

/** The complete encoding (identifier, length and content) of `node` inside `bytes`. */
export function nodeBytes<T extends ArrayBufferLike>(bytes: Uint8Array<T>, node: DerNode): Uint8Array<T> {
  return bytes.subarray(node.start, node.end);
}

/** The content octets of `node` inside `bytes`. */
export function nodeContent<T extends ArrayBufferLike>(bytes: Uint8Array<T>, node: DerNode): Uint8Array<T> {
  return bytes.subarray(node.start + node.headerLength, node.end);
}

/** The exact encodings of the elements of the SEQUENCE that `bytes` holds (strictly read). */
export function sequenceElements<T extends ArrayBufferLike>(bytes: Uint8Array<T>): Uint8Array<T>[] {
  const root = readDer(bytes);
  if (root.tagClass !== 0 || root.tagNumber !== 16) {
    throw decodeError(`a SEQUENCE was expected but the element has tag ${describeTag(root)}`);
  }
  return root.children!.map((child) => nodeBytes(bytes, child));
}

function describeTag(node: Pick<DerNode, 'tagClass' | 'tagNumber'>): string {
  const names = ['UNIVERSAL', 'APPLICATION', '', 'PRIVATE'];
  return node.tagClass === 2 ? `[${node.tagNumber}]` : `[${names[node.tagClass]} ${node.tagNumber}]`;
}

/** Number of identifier octets of the element starting at `start` (high tag numbers take more). */
function identifierLength(bytes: Uint8Array, start: number): number {
  if ((bytes[start]! & 0x1f) !== 0x1f) return 1;
  let i = start + 1;
  while ((bytes[i]! & 0x80) !== 0) i++;
  return i - start + 1;
}

/**
 * `bytes` (read into `root` by readDer) with each element of `targets` replaced by `replacement`,
 * the lengths of the elements around them encoded anew (definite, minimal), everything else
 * copied. Returns the new encoding and, per target in order, where its replacement starts.
 * Targets must be distinct elements of the tree, none inside another.
 */
export function replaceElements(
  bytes: Uint8Array,
  root: DerNode,
  targets: readonly DerNode[],
  replacement: Uint8Array,
): { bytes: Uint8Array<ArrayBuffer>; offsets: number[] } {
  const chunks: Uint8Array[] = [];
  // Elements are identified by where they start (no two elements start at the same octet).
  const where = new Map<number, number>();
  const starts = new Set(targets.map((t) => t.start));
  let size = 0;
  const contains = (node: DerNode) => targets.some((t) => node.start < t.start && t.end <= node.end);
  // Returns the encoded size of `node` and appends its chunks.
  const emit = (node: DerNode): number => {
    if (starts.has(node.start)) {
      where.set(node.start, size);
      chunks.push(replacement);
      size += replacement.length;
      return replacement.length;
    }
    if (!node.children || !contains(node)) {
      chunks.push(nodeBytes(bytes, node));
      size += node.end - node.start;
      return node.end - node.start;
    }
    const headerIndex = chunks.length;
    chunks.push(new Uint8Array(0));
    const headerStart = size;
    let contentLength = 0;
    const children = node.children;
    for (let i = 0; i < children.length; i++) contentLength += emit(children[i]!);
    const idLength = identifierLength(bytes, node.start);
    const header = new Uint8Array([...bytes.subarray(node.start, node.start + idLength), ...encodeLength(contentLength)]);
    chunks[headerIndex] = header;
    // Offsets recorded inside this element move by the header's size.
    for (const [target, offset] of where) if (offset >= headerStart) where.set(target, offset + header.length);
    size += header.length;
    return header.length + contentLength;
  };
  emit(root);
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  if (where.size !== starts.size) throw new Error('replaceElements: a target is not an element of the tree');
  return { bytes: out, offsets: targets.map((t) => where.get(t.start)!) };
}

/** DER length octets for a content of `length` octets. */
function encodeLength(length: number): Uint8Array<ArrayBuffer> {
  if (length < 0x80) return Uint8Array.of(length);
  const octets: number[] = [];
  for (let n = length; n > 0; n = Math.floor(n / 256)) octets.unshift(n % 256);
  return Uint8Array.of(0x80 | octets.length, ...octets);
}

/** One TLV with a single-octet identifier around the concatenation of `parts`. */
export function encodeTlv(identifier: number, ...parts: Uint8Array[]): Uint8Array<ArrayBuffer> {
  const contentLength = parts.reduce((n, p) => n + p.length, 0);
  const length = encodeLength(contentLength);
  const out = new Uint8Array(1 + length.length + contentLength);
  out[0] = identifier;
  out.set(length, 1);
  let offset = 1 + length.length;
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/**
 * Encodings of DEFAULT values that BER writers sometimes spell out and DER omits, and that an
 * asn1-schema re-encoding therefore drops: BOOLEAN FALSE (Extension.critical) and [0] EXPLICIT
 * INTEGER 0 (certificate version v1).
 */
const OMITTABLE_DEFAULTS = [Uint8Array.of(0x01, 0x01, 0x00), Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x00)];

function isOmittableDefault(bytes: Uint8Array, node: DerNode): boolean {
  const enc = nodeBytes(bytes, node);
  return OMITTABLE_DEFAULTS.some((d) => sameBytes(d, enc));
}

/**
 * `[n] SEQUENCE {}`: an explicitly tagged list with no element. Every such list in CMP is
 * SIZE (1..MAX) OPTIONAL, so an empty one carries nothing; OpenSSL's mock server sends one as the
 * revCerts of an rp for a request without issuer and serial, and OpenSSL reads it as absent.
 */
function isEmptyTaggedList(node: DerNode): boolean {
  const only = node.tagClass === 2 && node.constructed && node.children?.length === 1 ? node.children[0]! : undefined;
  return only !== undefined && only.tagClass === 0 && only.tagNumber === 16 && only.constructed && only.children?.length === 0;
}

function sameShape(a: Uint8Array, na: DerNode, b: Uint8Array, nb: DerNode): boolean {
  if (na.tagClass !== nb.tagClass || na.tagNumber !== nb.tagNumber || na.constructed !== nb.constructed) return false;
  if (!na.constructed) return true;
  const ca = na.children!;
  const cb = nb.children!;
  let j = 0;
  for (let i = 0; i < ca.length; i++) {
    if (j < cb.length && sameShape(a, ca[i], b, cb[j])) {
      j++;
    } else if (!isOmittableDefault(a, ca[i]) && !isEmptyTaggedList(ca[i])) {
      return false;
    }
  }
  return j === cb.length;
}

/**
 * True when `reencoded` has the same tree of elements as `received`: same tags in the same places,
 * primitive contents free to differ (time formats, integer padding), and only spelled-out DEFAULT
 * values and empty tagged lists missing. A decoder that silently skipped or misplaced an element fails this test.
 */
export function sameStructure(received: Uint8Array, reencoded: Uint8Array): boolean {
  const options = { maxDepth: Number.MAX_SAFE_INTEGER, maxNodes: Number.MAX_SAFE_INTEGER };
  return sameShape(received, readDer(received, options), reencoded, readDer(reencoded, options));
}

/** INTEGER content in its one DER form: not empty, no octet that only repeats the sign. */
export function shortestInteger(bytes: Uint8Array, start: number, end: number): boolean {
  if (end - start < 2) return end > start;
  const first = bytes[start]!;
  const second = bytes[start + 1]!;
  return !((first === 0 && second < 0x80) || (first === 0xff && second >= 0x80));
}

/** Identifier and length octets in the shortest form, the only one DER and our writers use. */
export function shortestHeader(node: DerNode): boolean {
  let id = 1;
  if (node.tagNumber >= 31) for (let t = node.tagNumber; t > 0; t = Math.floor(t / 128)) id++;
  const n = node.contentLength;
  return node.headerLength === id + (n < 0x80 ? 1 : n < 0x100 ? 2 : n < 0x10000 ? 3 : n < 0x1000000 ? 4 : 5);
}
