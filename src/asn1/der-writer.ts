/**
 * DER encoding of asn1-schema values without asn1js: the same walk over the schema metadata as
 * asn1-schema's AsnSerializer, writing bytes instead of building an asn1js object per element,
 * which was a large share of a session's CPU time.
 *
 * The output is byte for byte what AsnSerializer.serialize gives, quirks included (SET OF left
 * unsorted, implicit tagging of a constructed value through a primitive tag, asn1js's INTEGER
 * encoding of negative bigints...), because the strict decoder compares against it and peers have
 * seen it. So only the converters and classes whose asn1js output is known exactly are written
 * here, and only for the inputs where that is certain; anything else is encoded, for that element
 * alone, by its own converter or toASN() through asn1js.
 */
import * as asn1js from 'asn1js';
import {
  AsnAnyConverter,
  AsnBitStringConverter,
  AsnBooleanConverter,
  AsnEnumeratedConverter,
  AsnGeneralizedTimeConverter,
  AsnIA5StringConverter,
  AsnIntegerArrayBufferConverter,
  AsnIntegerBigIntConverter,
  AsnIntegerConverter,
  AsnNullConverter,
  AsnNumericStringConverter,
  AsnObjectIdentifierConverter,
  AsnOctetStringConverter,
  AsnPrintableStringConverter,
  AsnPropTypes,
  AsnSerializer,
  AsnTypeTypes,
  AsnUTCTimeConverter,
  AsnUtf8StringConverter,
  AsnVisibleStringConverter,
  BitString,
  defaultConverter,
  OctetString,
  type IAsnConverter,
} from '@peculiar/asn1-schema';
import type { IAsnSchema, IAsnSchemaItem } from '@peculiar/asn1-schema/build/types/schema';
import { Certificate } from '@peculiar/asn1-x509';
import { GeneralizedTimeConverter, RawAnyConverter, SmallIntegerConverter } from './converters';
import { BoundedMap } from '../bounded-map';
import { sameBytes } from '../bytes';
import { readDer, type DerNode } from './der';

// Read once: compiled to CommonJS, these imports are getters of asn1-schema's, asn1-x509's and
// asn1js's re-export wrappers, a call and a megamorphic keyed load at each use in the walk below.
const TypeKinds: typeof AsnTypeTypes = AsnTypeTypes;
const OctetStringClass: typeof OctetString = OctetString;
const BitStringClass: typeof BitString = BitString;
const CertificateClass: typeof Certificate = Certificate;
const { BaseBlock } = asn1js;

interface SchemaStorage {
  get(target: object): IAsnSchema;
  cache(target: object): void;
}
// Not exported from the package root (see optional-choice.ts for why this path is safe).
const { schemaStorage } = require('@peculiar/asn1-schema/build/cjs/storage') as { schemaStorage: SchemaStorage };

/**
 * One element to write. `tag` null: `raw` is the complete encoding, and `asn` (when known) the
 * asn1js object it came from, needed to retag it the way asn1-schema does. Otherwise `content`
 * (primitive) or `children` (constructed) follow `tag`.
 */
interface Node {
  tag: Uint8Array | null;
  constructed: boolean;
  content?: Uint8Array;
  children?: Node[];
  raw?: Uint8Array;
  asn?: asn1js.AsnType;
  /** Content length; for a raw node, its whole length. */
  len: number;
  /**
   * Written with the indefinite length: asn1js gives it to every SEQUENCE, SET or constructed tag
   * above an element that has it (only ever an element asn1js parsed from BER and wrote back).
   */
  indef?: boolean;
  /** Whole encoded length. */
  size: number;
}

function lengthSize(len: number): number {
  if (len < 0x80) return 1;
  let n = 1;
  while (len > 0) {
    n++;
    len = Math.floor(len / 256);
  }
  return n;
}

function prim(tag: Uint8Array, content: Uint8Array): Node {
  return { tag, constructed: false, content, len: content.length, size: tag.length + lengthSize(content.length) + content.length };
}

function cons(tag: Uint8Array, children: Node[]): Node {
  let len = 0;
  let indef = false;
  for (let i = 0; i < children.length; i++) {
    const c = children[i]!;
    len += c.size;
    if (c.indef) indef = true;
  }
  const size = tag.length + (indef ? 3 : lengthSize(len)) + len;
  return { tag, constructed: true, children, len, size, indef };
}

/** A primitive tag over the encodings of `children`: asn1-schema's implicit tagging of a constructed value. */
function primOver(tag: Uint8Array, children: Node[]): Node {
  let len = 0;
  for (let i = 0; i < children.length; i++) len += children[i]!.size;
  return { tag, constructed: false, children, len, size: tag.length + lengthSize(len) + len };
}

function raw(bytes: Uint8Array, asn?: asn1js.AsnType): Node {
  return { tag: null, constructed: false, raw: bytes, asn, len: bytes.length, size: bytes.length };
}

/** What asn1js writes for `asn`, which tells after writing whether it took the indefinite length. */
function rawOf(asn: asn1js.AsnType): Node {
  const node = raw(asBytes((asn as asn1js.BaseBlock).toBER(false)), asn);
  node.indef = !!(asn as Partial<asn1js.BaseBlock>).lenBlock?.isIndefiniteForm;
  return node;
}

const U = (n: number) => Uint8Array.of(n);
const T_BOOLEAN = U(0x01);
const T_INTEGER = U(0x02);
const T_BIT_STRING = U(0x03);
const T_OCTET_STRING = U(0x04);
const T_NULL = U(0x05);
const T_OID = U(0x06);
const T_ENUMERATED = U(0x0a);
const T_UTF8 = U(0x0c);
const T_SEQUENCE = U(0x30);
const T_SET = U(0x31);
const T_NUMERIC = U(0x12);
const T_PRINTABLE = U(0x13);
const T_IA5 = U(0x16);
const T_UTC = U(0x17);
const T_GENERALIZED = U(0x18);
const T_VISIBLE = U(0x1a);
const EMPTY = new Uint8Array(0);

const contextTags = new Map<string, Uint8Array>();

/** Identifier octets of a context-specific tag, high tag numbers included. */
function contextTag(num: number, constructed: boolean): Uint8Array {
  const key = constructed ? `c${num}` : `p${num}`;
  let tag = contextTags.get(key);
  if (!tag) {
    const first = 0x80 | (constructed ? 0x20 : 0);
    if (num < 31) {
      tag = Uint8Array.of(first | num);
    } else {
      const digits: number[] = [];
      let n = num;
      do {
        digits.unshift(n % 128);
        n = Math.floor(n / 128);
      } while (n > 0);
      for (let i = 0; i < digits.length - 1; i++) digits[i]! |= 0x80;
      tag = Uint8Array.of(first | 0x1f, ...digits);
    }
    if (contextTags.size < 256) contextTags.set(key, tag);
  }
  return tag;
}

function write(node: Node, out: Uint8Array, pos: number): number {
  if (node.tag === null) {
    out.set(node.raw!, pos);
    return pos + node.len;
  }
  out.set(node.tag, pos);
  pos += node.tag.length;
  const len = node.len;
  if (node.indef) {
    out[pos++] = 0x80;
    const children = node.children!;
    for (let i = 0; i < children.length; i++) pos = write(children[i]!, out, pos);
    out[pos++] = 0;
    out[pos++] = 0;
    return pos;
  }
  if (len < 0x80) {
    out[pos++] = len;
  } else {
    const n = lengthSize(len) - 1;
    out[pos++] = 0x80 | n;
    for (let i = n - 1; i >= 0; i--) out[pos++] = Math.floor(len / 2 ** (8 * i)) & 0xff;
  }
  const children = node.children;
  if (children) {
    for (let i = 0; i < children.length; i++) pos = write(children[i]!, out, pos);
  } else {
    out.set(node.content!, pos);
    pos += len;
  }
  return pos;
}

function bytesOfNode(node: Node): Uint8Array<ArrayBuffer> {
  // A copy even of raw bytes: they may be a cache's (CMPCertificate's known encoding).
  if (node.tag === null) return node.raw!.slice();
  const out = new Uint8Array(node.size);
  write(node, out, 0);
  return out;
}

const asBytes = (buf: ArrayBuffer) => new Uint8Array(buf);

function isConvertible(obj: unknown): obj is { toASN(): asn1js.AsnType } {
  return !!(obj && typeof obj === 'object' && 'toASN' in obj && 'fromASN' in obj);
}

function isConvertibleType(target: unknown): boolean {
  if (typeof target === 'function' && target.prototype) {
    if (target.prototype.toASN && target.prototype.fromASN) return true;
    return isConvertibleType(target.prototype);
  }
  return isConvertible(target);
}

// ---------------------------------------------------------------------------------------------
// Content octets for the values whose asn1js encoding is known exactly.

/** INTEGER content as asn1js writes a JS number (minimal two's complement), for |v| < 2^47. */
function smallIntegerContent(v: number): Uint8Array {
  const out: number[] = [];
  let n = v;
  for (;;) {
    const byte = ((n % 256) + 256) % 256;
    out.unshift(byte);
    n = (n - byte) / 256;
    if ((n === 0 && (byte & 0x80) === 0) || (n === -1 && (byte & 0x80) !== 0)) break;
  }
  return Uint8Array.from(out);
}

function bigMagnitudeBytes(v: bigint): Uint8Array {
  let hex = v.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** INTEGER content exactly as asn1js's Integer.fromBigInt writes it (not always minimal). */
function bigIntContent(v: bigint): Uint8Array {
  if (v >= 0n) {
    const view = bigMagnitudeBytes(v);
    if (view[0]! & 0x80) {
      const out = new Uint8Array(view.length + 1);
      out.set(view, 1);
      return out;
    }
    return view;
  }
  const view = bigMagnitudeBytes(-v);
  const firstLength = view.length + (view[0]! & 0x80 ? 1 : 0);
  const second = bigMagnitudeBytes((1n << BigInt(8 * firstLength - 1)) + v);
  second[0]! |= 0x80;
  return second;
}

const oidCache = new BoundedMap<string, Uint8Array>(512);
const OID_PATTERN = /^[0-2](\.(0|[1-9]\d{0,8}))+$/;

/** OBJECT IDENTIFIER content for a plain dotted string; undefined where asn1js's reading is not certain. */
function oidContent(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  const hit = oidCache.peek(value);
  if (hit) return hit;
  if (!OID_PATTERN.test(value)) return undefined;
  const arcs = value.split('.').map(Number);
  if (arcs[0]! < 2 && arcs[1]! >= 40) return undefined;
  const sids = [arcs[0]! * 40 + arcs[1]!, ...arcs.slice(2)];
  const out: number[] = [];
  for (const sid of sids) {
    const digits: number[] = [];
    let n = sid;
    do {
      digits.unshift(n % 128);
      n = Math.floor(n / 128);
    } while (n > 0);
    for (let i = 0; i < digits.length - 1; i++) digits[i]! |= 0x80;
    out.push(...digits);
  }
  const bytes = Uint8Array.from(out);
  oidCache.set(value, bytes);
  return bytes;
}

/** Bytes of a string asn1js writes one octet per character; only plain ASCII is taken here. */
function asciiContent(value: unknown): Uint8Array | undefined {
  if (typeof value !== 'string') return undefined;
  const out = new Uint8Array(value.length);
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x80) return undefined;
    out[i] = c;
  }
  return out;
}

const pad = (n: number, width: number) => String(n).padStart(width, '0');

function utcTimeContent(value: unknown): Uint8Array | undefined {
  if (!(value instanceof Date)) return undefined;
  const year = value.getUTCFullYear();
  if (!(year >= 1950 && year <= 2049)) return undefined;
  return asciiContent(
    pad(year % 100, 2) +
      pad(value.getUTCMonth() + 1, 2) +
      pad(value.getUTCDate(), 2) +
      pad(value.getUTCHours(), 2) +
      pad(value.getUTCMinutes(), 2) +
      pad(value.getUTCSeconds(), 2) +
      'Z',
  );
}

function generalizedTimeContent(value: unknown, dropFraction: boolean): Uint8Array | undefined {
  if (!(value instanceof Date)) return undefined;
  const year = value.getUTCFullYear();
  if (!(year >= 1000 && year <= 9999)) return undefined;
  const ms = dropFraction ? 0 : value.getUTCMilliseconds();
  return asciiContent(
    pad(year, 4) +
      pad(value.getUTCMonth() + 1, 2) +
      pad(value.getUTCDate(), 2) +
      pad(value.getUTCHours(), 2) +
      pad(value.getUTCMinutes(), 2) +
      pad(value.getUTCSeconds(), 2) +
      (ms !== 0 ? `.${pad(ms, 3).replace(/0+$/, '')}` : '') +
      'Z',
  );
}

function bufferBytes(value: unknown): Uint8Array | undefined {
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (value instanceof Uint8Array) return value;
  return undefined;
}

function bitStringContent(bits: Uint8Array, unusedBits: number): Uint8Array {
  // asn1js writes an empty BIT STRING as one zero octet whatever its unused bits.
  const out = new Uint8Array(bits.length + 1);
  if (bits.length > 0) {
    out[0] = unusedBits;
    out.set(bits, 1);
  }
  return out;
}

/**
 * asn1js re-encodes what it parses, so ANY bytes are copied as they are only when made of elements
 * it writes back unchanged: definite minimal DER of a few universal types and context tags. (The
 * reader asks too, to know whether this writer gives back an ANY value it read: der-reader.ts.)
 */
export function anyIsVerbatim(bytes: Uint8Array, node: DerNode): boolean {
  if (node.tagClass === 2) {
    if (node.tagNumber >= 31) return false;
  } else if (node.tagClass === 0) {
    switch (node.tagNumber) {
      case 1:
        if (node.constructed || node.contentLength !== 1) return false;
        break;
      case 2:
        if (node.constructed || node.contentLength === 0) return false;
        break;
      case 4:
        if (node.constructed) return false;
        break;
      case 5:
        if (node.constructed || node.contentLength !== 0) return false;
        break;
      case 6:
        if (node.constructed || !oidBytesAreCanonical(bytes, node)) return false;
        break;
      case 16:
      case 17:
        if (!node.constructed) return false;
        break;
      default:
        return false;
    }
  } else {
    return false;
  }
  return (node.children ?? []).every((child) => anyIsVerbatim(bytes, child));
}

/** Whether the OBJECT IDENTIFIER `node` holds is in the form oidContent writes (der-reader.ts asks too). */
export function oidBytesAreCanonical(bytes: Uint8Array, node: DerNode): boolean {
  const start = node.start + node.headerLength;
  if (node.contentLength === 0 || (bytes[node.end - 1]! & 0x80) !== 0) return false;
  let sidLength = 0;
  for (let i = start; i < node.end; i++) {
    const b = bytes[i]!;
    if (sidLength === 0 && b === 0x80) return false;
    sidLength++;
    if (sidLength > 4) return false;
    if ((b & 0x80) === 0) sidLength = 0;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// The walk, mirroring AsnSerializer.toASN / toAsnItem.

function converted(converter: IAsnConverter, value: unknown): Node {
  const fast = convertedFast(converter, value);
  if (fast) return fast;
  return rawOf(converter.toASN(value));
}

type FastPath = (value: unknown) => Node | undefined;

let fastPaths: Map<unknown, FastPath> | undefined;

/** By converter object (asn1-schema's exports compared by identity), the values written here. */
function fastPathFor(converter: IAsnConverter): FastPath | undefined {
  fastPaths ??= new Map<unknown, FastPath>([
    [
      AsnIntegerConverter,
      (value) => {
        const v = +(value as number);
        return Number.isInteger(v) && Math.abs(v) < 2 ** 47 ? prim(T_INTEGER, smallIntegerContent(v)) : undefined;
      },
    ],
    [
      AsnEnumeratedConverter,
      (value) =>
        typeof value === 'number' && Number.isInteger(value) && Math.abs(value) < 2 ** 47
          ? prim(T_ENUMERATED, smallIntegerContent(value))
          : undefined,
    ],
    [
      SmallIntegerConverter,
      (value) => (typeof value === 'number' && Number.isSafeInteger(value) ? prim(T_INTEGER, bigIntContent(BigInt(value))) : undefined),
    ],
    [AsnIntegerBigIntConverter, (value) => (typeof value === 'bigint' ? prim(T_INTEGER, bigIntContent(value)) : undefined)],
    [
      AsnIntegerArrayBufferConverter,
      (value) => {
        const bytes = bufferBytes(value);
        return bytes ? prim(T_INTEGER, bytes) : undefined;
      },
    ],
    [
      AsnOctetStringConverter,
      (value) => {
        const bytes = bufferBytes(value);
        return bytes ? prim(T_OCTET_STRING, bytes) : undefined;
      },
    ],
    [
      AsnBitStringConverter,
      (value) => {
        const bytes = bufferBytes(value);
        return bytes ? prim(T_BIT_STRING, bitStringContent(bytes, 0)) : undefined;
      },
    ],
    [
      AsnObjectIdentifierConverter,
      (value) => {
        const content = oidContent(value);
        return content ? prim(T_OID, content) : undefined;
      },
    ],
    [AsnBooleanConverter, (value) => (typeof value === 'boolean' ? prim(T_BOOLEAN, Uint8Array.of(value ? 0xff : 0)) : undefined)],
    [AsnNullConverter, () => prim(T_NULL, EMPTY)],
    [AsnUtf8StringConverter, (value) => stringNode(T_UTF8, value)],
    [AsnPrintableStringConverter, (value) => stringNode(T_PRINTABLE, value)],
    [AsnIA5StringConverter, (value) => stringNode(T_IA5, value)],
    [AsnNumericStringConverter, (value) => stringNode(T_NUMERIC, value)],
    [AsnVisibleStringConverter, (value) => stringNode(T_VISIBLE, value)],
    [
      AsnUTCTimeConverter,
      (value) => {
        const content = utcTimeContent(value);
        return content ? prim(T_UTC, content) : undefined;
      },
    ],
    [
      AsnGeneralizedTimeConverter,
      (value) => {
        const content = generalizedTimeContent(value, false);
        return content ? prim(T_GENERALIZED, content) : undefined;
      },
    ],
    [
      GeneralizedTimeConverter,
      (value) => {
        const content = generalizedTimeContent(value, true);
        return content ? prim(T_GENERALIZED, content) : undefined;
      },
    ],
    [
      AsnAnyConverter,
      (value) => {
        if (value === null) return prim(T_NULL, EMPTY);
        const bytes = bufferBytes(value);
        if (!bytes || bytes.length === 0) return undefined;
        let node: DerNode;
        try {
          node = readDer(bytes);
        } catch {
          return undefined;
        }
        return anyIsVerbatim(bytes, node) ? raw(bytes) : undefined;
      },
    ],
    [
      RawAnyConverter,
      (value) => {
        if (!(value instanceof ArrayBuffer)) return undefined;
        const bytes = new Uint8Array(value);
        readDer(bytes); // one complete, well-formed element or an error, as RawAnyConverter requires
        // No asn1js object: retagging it implicitly goes through the converter, which fails as it should.
        return raw(bytes);
      },
    ],
  ]);
  return fastPaths.get(converter);
}

function convertedFast(converter: IAsnConverter, value: unknown): Node | undefined {
  const fast = fastPathFor(converter);
  return fast ? fast(value) : undefined;
}

function stringNode(tag: Uint8Array, value: unknown): Node | undefined {
  const content = asciiContent(value);
  return content ? prim(tag, content) : undefined;
}

/** AsnSerializer.toASN */
function encodeObject(obj: unknown): Node {
  if (isConvertible(obj)) return encodeConvertible(obj);
  if (!(obj && typeof obj === 'object')) throw new TypeError('Parameter 1 should be type of Object.');
  return encodeSchema(obj, obj.constructor);
}

function encodeConvertible(obj: { toASN(): asn1js.AsnType }): Node {
  if (obj instanceof OctetStringClass) {
    if (obj.buffer instanceof ArrayBuffer) return prim(T_OCTET_STRING, new Uint8Array(obj.buffer));
  } else if (obj instanceof BitStringClass) {
    const u = obj.unusedBits;
    if (obj.value instanceof ArrayBuffer && Number.isInteger(u) && u >= 0 && u < 256) {
      return prim(T_BIT_STRING, bitStringContent(new Uint8Array(obj.value), u));
    }
  } else if (typeof (obj as { knownEncoding?: unknown }).knownEncoding === 'function' && obj instanceof CertificateClass) {
    // CMPCertificate: its toASN() is either its fixed encoding or the value encoded as a Certificate.
    const known = (obj as unknown as { knownEncoding(): Uint8Array | undefined }).knownEncoding();
    return known ? raw(known) : encodeSchema(obj, CertificateClass);
  }
  return rawOf(obj.toASN());
}

const cached = new WeakSet<object>();
/**
 * An item of a class's schema with the fields the walk reads copied out once: asn1-schema's item
 * objects come in many shapes (each decorator's options), so reading them made every load in the
 * loop below megamorphic.
 */
interface WriterItem {
  key: string;
  item: IAsnSchemaItem;
  type: IAsnSchemaItem['type'];
  converter: IAsnConverter | undefined;
  repeated: IAsnSchemaItem['repeated'];
  defaultValue: unknown;
  /** The context tag number, -1 for none. */
  context: number;
  implicit: boolean;
}

const itemLists = new WeakMap<object, WriterItem[]>();

/** The schema's items in AsnSerializer's order (for...in), listed once per class. */
function itemsOf(target: object, schema: IAsnSchema): WriterItem[] {
  let list = itemLists.get(target);
  if (!list) {
    list = [];
    const items = schema.items as Record<string, IAsnSchemaItem>;
    for (const key in items) {
      const item = items[key]!;
      list.push({
        key,
        item,
        type: item.type,
        converter: item.converter,
        repeated: item.repeated,
        defaultValue: item.defaultValue,
        context: typeof item.context === 'number' ? item.context : -1,
        implicit: !!item.implicit,
      });
    }
    itemLists.set(target, list);
  }
  return list;
}

/** A class's name, for error messages only (read off the hot path: classes differ in shape). */
function nameOf(target: object): string | undefined {
  return (target as { name?: string }).name;
}

function encodeSchema(obj: object, target: object): Node {
  const schema = schemaStorage.get(target);
  if (!cached.has(target)) {
    schemaStorage.cache(target);
    cached.add(target);
  }
  const values: Node[] = [];
  if (schema.itemType) {
    if (!Array.isArray(obj)) throw new TypeError('Parameter 1 should be type of Array.');
    if (typeof schema.itemType === 'number') {
      const converter = defaultConverter(schema.itemType);
      if (!converter) throw new Error(`Cannot get default converter for array item of ${nameOf(target)} ASN1 schema`);
      for (let i = 0; i < obj.length; i++) values.push(converted(converter, obj[i]));
    } else {
      for (let i = 0; i < obj.length; i++) values.push(encodeObject(obj[i]));
    }
  } else {
    const writerItems = itemsOf(target, schema);
    for (let i = 0; i < writerItems.length; i++) {
      const w = writerItems[i]!;
      const prop = (obj as Record<string, unknown>)[w.key];
      const defaultValue = w.defaultValue;
      if (
        prop === undefined ||
        defaultValue === prop ||
        (typeof defaultValue === 'object' &&
          typeof prop === 'object' &&
          sameBytes(serializeDer(defaultValue as object), serializeDer(prop as object)))
      ) {
        continue;
      }
      const node = encodeItem(w, target, prop);
      if (w.context >= 0) {
        values.push(w.implicit ? retag(w.item, w.key, target, prop, node) : cons(contextTag(w.context, true), [node]));
      } else {
        values.push(node);
      }
    }
  }
  switch (schema.type) {
    case TypeKinds.Sequence:
      return cons(T_SEQUENCE, values);
    case TypeKinds.Set:
      return cons(T_SET, values);
    case TypeKinds.Choice:
      if (!values[0]) throw new Error(`Schema '${nameOf(target)}' has wrong data. Choice cannot be empty.`);
      return values[0];
    default:
      // AsnSerializer returns undefined here, and encoding that fails.
      throw new TypeError(`Schema '${nameOf(target)}' has an unknown type`);
  }
}

/** AsnSerializer.toAsnItem */
function encodeItem(w: WriterItem, target: object, prop: unknown): Node {
  const { type, repeated } = w;
  if (typeof type === 'number') {
    const converter = w.converter;
    if (!converter) {
      throw new Error(`Property '${w.key}' doesn't have converter for type ${AsnPropTypes[type]} in schema '${nameOf(target)}'`);
    }
    if (repeated) {
      if (!Array.isArray(prop)) throw new TypeError("Parameter 'objProp' should be type of Array.");
      const children = Array.from(prop, (element) => converted(converter, element));
      return cons(repeated === 'sequence' ? T_SEQUENCE : T_SET, children);
    }
    return converted(converter, prop);
  }
  if (repeated) {
    if (!Array.isArray(prop)) throw new TypeError("Parameter 'objProp' should be type of Array.");
    const children = Array.from(prop, (element) => encodeObject(element));
    return cons(repeated === 'sequence' ? T_SEQUENCE : T_SET, children);
  }
  return encodeObject(prop);
}

/**
 * IMPLICIT [n], as AsnSerializer does it. A primitive node whose tag was replaced keeps its content; a
 * constructed one written under a primitive tag is asn1-schema's doing, and `cons` with a primitive tag writes it.
 */
function retag(item: IAsnSchemaItem, key: string, target: object, prop: unknown, node: Node): Node {
  const context = item.context!;
  if (!item.repeated && (typeof item.type === 'number' || isConvertibleType(item.type))) {
    // A primitive [n] holding the value's content octets, even when the value is constructed.
    // Below an indefinite length, asn1js's own order of writing decides which lengths are
    // indefinite: left to it.
    if (node.tag !== null && !node.indef) {
      if (!node.children) return prim(contextTag(context, false), node.content!);
      return primOver(contextTag(context, false), node.children);
    }
    const asn = ((!node.indef && node.asn) || literalItem(item, key, target, prop)) as asn1js.BaseBlock;
    const valueHex = asn instanceof asn1js.Null ? asn.valueBeforeDecodeView.slice().buffer : (asn.valueBlock.toBER() as ArrayBuffer);
    const out = new asn1js.Primitive({ optional: item.optional, idBlock: { tagClass: 3, tagNumber: context }, valueHex });
    return rawOf(out);
  }
  if (node.tag !== null && node.constructed) return cons(contextTag(context, true), node.children!);
  const asn = (node.asn ?? literalItem(item, key, target, prop)) as asn1js.Constructed;
  const out = new asn1js.Constructed({
    optional: item.optional,
    idBlock: { tagClass: 3, tagNumber: context },
    value: asn.valueBlock.value,
  });
  return rawOf(out);
}

/** The asn1js object AsnSerializer makes for an item, for the rare retagging not done here. */
function literalItem(item: IAsnSchemaItem, key: string, target: object, prop: unknown): asn1js.AsnType {
  const serializer = AsnSerializer as unknown as {
    toAsnItem(item: IAsnSchemaItem, key: string, target: object, prop: unknown): asn1js.AsnType;
  };
  return serializer.toAsnItem(item, key, target, prop);
}

/**
 * The DER encoding of an asn1-schema value, identical to AsnSerializer.serialize. Throws a plain
 * Error (or TypeError) wherever AsnSerializer would refuse the value.
 */
export function serializeDer(value: object): Uint8Array<ArrayBuffer> {
  if (value instanceof BaseBlock) return asBytes(value.toBER(false));
  return bytesOfNode(encodeObject(value));
}
