/**
 * Strict decoding and DER encoding of any asn1-schema type. Every failure below this line, whatever
 * asn1js or asn1-schema throw, leaves as a CmpError with an ERR_ASN1_* code; nothing half-decoded
 * is ever returned.
 */
import * as asn1js from 'asn1js';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { CmpError, ErrorCodes } from '../errors';
import { bytesEqual, DEFAULT_MAX_DEPTH, readDer, sameStructure } from './der';

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

/** decodeDer that also returns the re-encoding it checked the input against. */
export function decodeDerChecked<T>(data: Uint8Array | ArrayBuffer, type: AsnClass<T>): StrictDecodeResult<T> {
  const bytes = toBytes(data);
  readDer(bytes);
  let value: T;
  try {
    const parsed = asn1js.fromBER(bytes, {
      maxDepth: DEFAULT_MAX_DEPTH + 2,
      maxNodes: bytes.length * 16 + 1024,
      maxContentLength: bytes.length,
    });
    if (parsed.offset === -1 || parsed.result.error) {
      throw new Error(parsed.result.error || 'asn1js could not read the data');
    }
    value = AsnParser.fromASN<T>(parsed.result, type);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `not a valid ${type.name}: ${errorText(e)}`, { cause: e });
  }
  let reencoded: Uint8Array<ArrayBuffer>;
  try {
    reencoded = new Uint8Array(AsnSerializer.serialize(value));
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${type.name} decoded to a value that cannot be encoded`, {
      cause: e,
    });
  }
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
