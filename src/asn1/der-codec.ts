/**
 * Strict decoding and DER encoding of any asn1-schema type. Every failure below this line, whatever
 * asn1js or asn1-schema throw, leaves as a CmpError with an ERR_ASN1_* code; nothing half-decoded
 * is ever returned.
 */
import * as asn1js from 'asn1js';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { CmpError, ErrorCodes } from '../errors';
import { bytesEqual, DEFAULT_MAX_DEPTH, nodeBytes, readDer, replaceElements, sameStructure, type DerNode } from './der';

export type AsnClass<T> = new () => T;

export function toBytes(data: Uint8Array | ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export interface StrictDecodeResult<T> {
  value: T;
  /** asn1-schema's encoding of `value` right after decoding. */
  reencoded: Uint8Array<ArrayBuffer>;
}

export interface StrictDecodeOptions {
  /**
   * Elements (from readDer of the same bytes) of a type that decodes them from their own bytes,
   * such as CMPCertificate: asn1js does not read them as part of the whole, and the type gets
   * their encoding from separatelyDecoded. Every one of them must be taken up by such a type.
   */
  separately?: readonly DerNode[];
}

/** What asn1js reads in place of an element decoded separately: an empty SEQUENCE. */
const STAND_IN = Uint8Array.of(0x30, 0x00);

interface SeparateElements {
  buffer: ArrayBufferLike;
  /** By offset of the stand-in in `buffer`: the element's own encoding. */
  elements: Map<number, Uint8Array>;
}

let separate: SeparateElements | undefined;
let reencoding = 0;

/**
 * For types that decode separately (see StrictDecodeOptions): the encoding of the element that
 * `asn` stands in for, once; undefined for anything else.
 */
export function separatelyDecoded(asn: asn1js.AsnType): Uint8Array | undefined {
  const view = (asn as asn1js.BaseBlock).valueBeforeDecodeView;
  if (!separate || !view || view.buffer !== separate.buffer) return undefined;
  const element = separate.elements.get(view.byteOffset);
  separate.elements.delete(view.byteOffset);
  return element;
}

/**
 * True while decodeDerChecked encodes a value it has just decoded, nothing having run in between:
 * a type that remembers how its decoded values encode may give that encoding then.
 */
export function reencodingJustDecoded(): boolean {
  return reencoding > 0;
}

/** `own`: `bytes` belong to the caller alone and will not change, so asn1js need not copy them. */
function parse<T>(bytes: Uint8Array, type: AsnClass<T>, limitFor: Uint8Array, own = false): T {
  const parsed = asn1js.fromBER(bytes, {
    ...(own ? { copyInput: false } : {}),
    maxDepth: DEFAULT_MAX_DEPTH + 2,
    maxNodes: limitFor.length * 16 + 1024,
    maxContentLength: limitFor.length,
  });
  if (parsed.offset === -1 || parsed.result.error) {
    throw new Error(parsed.result.error || 'asn1js could not read the data');
  }
  return AsnParser.fromASN<T>(parsed.result, type);
}

/** decodeDer that also returns the re-encoding it checked the input against. */
export function decodeDerChecked<T>(data: Uint8Array | ArrayBuffer, type: AsnClass<T>, options: StrictDecodeOptions = {}): StrictDecodeResult<T> {
  const bytes = toBytes(data);
  const root = readDer(bytes);
  let value: T;
  const outer = separate;
  try {
    const targets = options.separately ?? [];
    if (targets.length === 0) {
      separate = undefined;
      value = parse(bytes, type, bytes);
    } else {
      const replaced = replaceElements(bytes, root, targets, STAND_IN);
      const elements = new Map(replaced.offsets.map((offset, i) => [offset, nodeBytes(bytes, targets[i]!)]));
      separate = { buffer: replaced.bytes.buffer, elements };
      // Not copied: separatelyDecoded finds the stand-ins by their place in this very buffer.
      value = parse(replaced.bytes, type, bytes, true);
      if (elements.size > 0) throw new Error('an element was not where its type expected it');
    }
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `not a valid ${type.name}: ${errorText(e)}`, { cause: e });
  } finally {
    separate = outer;
  }
  let reencoded: Uint8Array<ArrayBuffer>;
  reencoding++;
  try {
    reencoded = new Uint8Array(AsnSerializer.serialize(value));
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${type.name} decoded to a value that cannot be encoded`, {
      cause: e,
    });
  } finally {
    reencoding--;
  }
  // Against the bytes received, whole: separately decoded elements re-encode as themselves.
  if (!bytesEqual(bytes, reencoded) && !sameStructure(bytes, reencoded)) {
    throw new CmpError(
      ErrorCodes.ERR_ASN1_DECODE,
      `${type.name} contains elements that do not fit its ASN.1 definition`,
    );
  }
  return { value, reencoded };
}

/**
 * Decodes one DER-encoded value of `type`: strict TLV checks first (definite lengths, no trailing
 * data, bounded nesting), then asn1-schema, then a check that every received element was taken up
 * by the schema. Throws CmpError (ERR_ASN1_DECODE, ERR_ASN1_LENGTH, ERR_ASN1_INDEFINITE_LENGTH,
 * ERR_ASN1_TRAILING_DATA).
 */
export function decodeDer<T>(data: Uint8Array | ArrayBuffer, type: AsnClass<T>): T {
  return decodeDerChecked(data, type).value;
}

/** The DER encoding of an asn1-schema value. Throws CmpError ERR_ASN1_ENCODE. */
export function encodeDer(value: object): Uint8Array<ArrayBuffer> {
  try {
    return new Uint8Array(AsnSerializer.serialize(value));
  } catch (e) {
    const name = (value as { constructor?: { name?: string } })?.constructor?.name ?? 'value';
    throw new CmpError(ErrorCodes.ERR_ASN1_ENCODE, `cannot encode ${name}: ${errorText(e)}`, { cause: e });
  }
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
