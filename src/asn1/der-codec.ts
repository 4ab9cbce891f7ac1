/**
 * Strict decoding and DER encoding of any asn1-schema type. Every failure below this line, whatever
 * asn1js or asn1-schema throw, leaves as a CmpError with an ERR_ASN1_* code; nothing half-decoded
 * is ever returned.
 */
import { serializeDer } from './der-writer';
import { CmpError, ErrorCodes } from '../errors';
import { bytesOf, sameBytes } from '../bytes';
import { readDer, sameStructure, type DerNode } from './der';
import { parseDerExact } from './der-reader';

export type AsnClass<T> = new () => T;

export interface StrictDecodeResult<T> {
  value: T;
  /** The DER writer's encoding of `value` right after decoding (asn1-schema's bytes). */
  reencoded: Uint8Array<ArrayBuffer>;
  /** Whether `reencoded` is exactly the input's bytes (rather than only of the same structure). */
  identical: boolean;
}

let reencoding = 0;

/**
 * True while decodeDerChecked encodes a value it has just decoded, nothing having run in between:
 * a type that remembers how its decoded values encode may give that encoding then.
 */
export function reencodingJustDecoded(): boolean {
  return reencoding > 0;
}

/**
 * decodeDer that also returns the re-encoding it checked the input against. `root`: readDer's tree
 * of these very bytes, when the caller has already read it.
 */
export function decodeDerChecked<T>(data: Uint8Array | ArrayBuffer, type: AsnClass<T>, root?: DerNode): StrictDecodeResult<T> {
  const bytes = bytesOf(data);
  const tree = root ?? readDer(bytes);
  let value: T;
  try {
    // readDer's limits on depth and element count bound the reader's work.
    const parsed = parseDerExact(bytes, type, tree);
    value = parsed.value;
    // The reader saw that encoding the value gives exactly these bytes: no need to do it to compare.
    if (parsed.exact) return { value, reencoded: new Uint8Array(bytes), identical: true };
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `not a valid ${type.name}: ${errorText(e)}`, { cause: e });
  }
  let reencoded: Uint8Array<ArrayBuffer>;
  reencoding++;
  try {
    reencoded = serializeDer(value as object);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${type.name} decoded to a value that cannot be encoded`, {
      cause: e,
    });
  } finally {
    reencoding--;
  }
  const identical = sameBytes(bytes, reencoded);
  if (!identical && !sameStructure(bytes, reencoded)) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${type.name} contains elements that do not fit its ASN.1 definition`);
  }
  return { value, reencoded, identical };
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
    return serializeDer(value);
  } catch (e) {
    const name = (value as { constructor?: { name?: string } })?.constructor?.name ?? 'value';
    throw new CmpError(ErrorCodes.ERR_ASN1_ENCODE, `cannot encode ${name}: ${errorText(e)}`, { cause: e });
  }
}

function errorText(e: unknown): string {
  const text = e instanceof Error ? e.message : String(e);
  return text.length > 200 ? `${text.slice(0, 200)}...` : text;
}
