/**
 * Deep copies of decoded or built ASN.1 values, made without encoding and decoding again: the same
 * prototypes (asn1-schema's classes, AsnArrays) and own properties, with buffers and dates copied
 * too, so the copy shares nothing mutable with the original.
 */
export function copyAsnValue<T>(value: T, prototype?: object): T {
  if (value === null || typeof value !== 'object') return value;
  if (value instanceof ArrayBuffer) return value.slice(0) as T;
  if (ArrayBuffer.isView(value)) return (value as unknown as Uint8Array).slice() as T;
  if (value instanceof Date) return new Date(value.getTime()) as T;
  const source = value as Record<string, unknown>;
  const out = (Array.isArray(value) ? new Array(value.length) : {}) as Record<string, unknown>;
  Object.setPrototypeOf(out, prototype ?? Object.getPrototypeOf(value));
  const keys = Object.keys(source);
  for (let i = 0; i < keys.length; i++) out[keys[i]!] = copyAsnValue(source[keys[i]!]);
  return out as T;
}
