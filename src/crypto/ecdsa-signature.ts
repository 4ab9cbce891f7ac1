/**
 * Conversion between the two encodings of an ECDSA signature: the DER Ecdsa-Sig-Value that X.509
 * and CMS carry (RFC 5480 / RFC 3279 2.2.3) and the IEEE P1363 r||s that WebCrypto produces.
 */
import { CmpError, ErrorCodes } from '../errors';

function malformed(): CmpError {
  return new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'malformed ECDSA signature');
}

/** Reads a DER length at `pos`; returns [length, position after the length octets]. */
function readLength(der: Uint8Array, pos: number): [number, number] {
  const first = der[pos];
  if (first === undefined) throw malformed();
  if (first < 0x80) return [first, pos + 1];
  // Ecdsa-Sig-Value is at most ~140 bytes, so one length octet always suffices.
  if (first !== 0x81) throw malformed();
  const len = der[pos + 1];
  if (len === undefined || len < 0x80) throw malformed();
  return [len, pos + 2];
}

function readInteger(der: Uint8Array, pos: number, size: number, out: Uint8Array, outOffset: number): number {
  if (der[pos] !== 0x02) throw malformed();
  const [len, start] = readLength(der, pos + 1);
  const end = start + len;
  if (len === 0 || end > der.length) throw malformed();
  // DER integers are minimal: a leading zero only to keep a high bit from reading as negative.
  if (der[start]! & 0x80) throw malformed();
  if (len > 1 && der[start] === 0 && !(der[start + 1]! & 0x80)) throw malformed();
  let value = der.subarray(start, end);
  if (value[0] === 0) value = value.subarray(1);
  if (value.length > size) throw malformed();
  out.set(value, outOffset + size - value.length);
  return end;
}

/** DER Ecdsa-Sig-Value -> r||s with each half `size` bytes (32 for P-256, 48 for P-384, 66 for P-521). */
export function derToP1363(der: Uint8Array, size: number): Uint8Array {
  if (der[0] !== 0x30) throw malformed();
  const [len, start] = readLength(der, 1);
  if (start + len !== der.length) throw malformed();
  const out = new Uint8Array(2 * size);
  const afterR = readInteger(der, start, size, out, 0);
  const afterS = readInteger(der, afterR, size, out, size);
  if (afterS !== der.length) throw malformed();
  return out;
}

function encodeInteger(magnitude: Uint8Array): number[] {
  let i = 0;
  while (i < magnitude.length - 1 && magnitude[i] === 0) i++;
  const body = Array.from(magnitude.subarray(i));
  if (body.length === 0) body.push(0);
  if (body[0]! & 0x80) body.unshift(0);
  return [0x02, ...encodeLength(body.length), ...body];
}

function encodeLength(len: number): number[] {
  return len < 0x80 ? [len] : [0x81, len];
}

/** r||s (two equal halves) -> DER Ecdsa-Sig-Value. */
export function p1363ToDer(signature: Uint8Array): Uint8Array {
  if (signature.length === 0 || signature.length % 2 !== 0) throw malformed();
  const size = signature.length / 2;
  const content = [...encodeInteger(signature.subarray(0, size)), ...encodeInteger(signature.subarray(size))];
  return Uint8Array.from([0x30, ...encodeLength(content.length), ...content]);
}
