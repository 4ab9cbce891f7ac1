/**
 * The codec cmpflow's own DER reader and writer replaced: asn1js with AsnParser.fromASN, and
 * AsnSerializer. Kept as the reference that differential tests and the fuzzer compare against.
 */
import * as asn1js from 'asn1js';
import { AsnParser, AsnSerializer } from '@peculiar/asn1-schema';
import { decodeDerChecked } from '../../src/asn1/der-codec';
import { sameBytes } from '../../src/bytes';
import { readDer, sameStructure } from '../../src/asn1/der';

export type Ctor<T> = new () => T;

/** asn1js, then AsnParser.fromASN, with the limits the old codec gave asn1js. */
export function referenceParse<T>(bytes: Uint8Array, type: Ctor<T>): T {
  const parsed = asn1js.fromBER(bytes, { maxDepth: 66, maxNodes: bytes.length * 16 + 1024, maxContentLength: bytes.length });
  if (parsed.offset === -1 || parsed.result.error) throw new Error(parsed.result.error || 'asn1js failed');
  return AsnParser.fromASN<T>(parsed.result, type);
}

/** decodeDerChecked's outcome with the reference codec: its value, or undefined where it fails. */
export function referenceDecodeChecked<T>(bytes: Uint8Array, type: Ctor<T>): T | undefined {
  try {
    readDer(bytes);
    const value = referenceParse(bytes, type);
    const reencoded = new Uint8Array(AsnSerializer.serialize(value));
    return sameBytes(bytes, reencoded) || sameStructure(bytes, reencoded) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** decodeDerChecked's outcome with cmpflow's codec, in the same terms. */
export function currentDecodeChecked<T>(bytes: Uint8Array, type: Ctor<T>): T | undefined {
  return currentDecodeOutcome(bytes, type).value;
}

/** decodeDerChecked's value, or the message of the error it threw. */
export function currentDecodeOutcome<T>(bytes: Uint8Array, type: Ctor<T>): { value?: T; error?: string } {
  try {
    return { value: decodeDerChecked(bytes, type).value };
  } catch (e) {
    return { error: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * Where cmpflow refuses what the reference codec accepted, on purpose: a BIT STRING under an
 * IMPLICIT tag (issuerUniqueID [1], subjectUniqueID [2]) whose unused-bits octet is above 7.
 * asn1js reads the element as a plain context-tagged primitive, so it never applies its own BIT
 * STRING rule, and the lenient re-encoding check lets the changed content through; cmpflow reads
 * it as the BIT STRING it is and refuses it, as X.690 requires.
 */
export function intendedlyStricter(error: string | undefined): boolean {
  return error !== undefined && error.includes('Unused bits for BitString must be in range 0-7');
}

/** Where `a` and `b` differ (prototypes, own keys, values, buffer contents), or undefined. */
export function valueDifference(a: unknown, b: unknown, path = '$'): string | undefined {
  if (a === b) return undefined;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') {
    return `${path}: ${String(a)} vs ${String(b)}`;
  }
  if (Object.getPrototypeOf(a) !== Object.getPrototypeOf(b)) return `${path}: different prototypes`;
  if (a instanceof ArrayBuffer || ArrayBuffer.isView(a)) {
    const x = a instanceof ArrayBuffer ? new Uint8Array(a) : new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    const y =
      b instanceof ArrayBuffer
        ? new Uint8Array(b)
        : new Uint8Array((b as Uint8Array).buffer, (b as Uint8Array).byteOffset, (b as Uint8Array).byteLength);
    return sameBytes(x, y) ? undefined : `${path}: different bytes`;
  }
  if (a instanceof Date) return a.getTime() === (b as Date).getTime() ? undefined : `${path}: different dates`;
  const ka = Object.keys(a as object).sort();
  const kb = Object.keys(b as object).sort();
  if (ka.join() !== kb.join()) return `${path}: keys ${ka.join()} vs ${kb.join()}`;
  for (const k of ka) {
    const d = valueDifference((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k], `${path}.${k}`);
    if (d) return d;
  }
  return undefined;
}
