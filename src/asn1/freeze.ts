/**
 * ASN.1 values frozen all the way down (the bytes of ArrayBuffers and typed arrays cannot be).
 * A value frozen here is remembered, so that a larger value sharing it (every certificate a CA
 * issues shares its constant extensions) does not walk it again.
 */
const frozenDeeply = new WeakSet<object>();

export function deepFreeze<T>(value: T): T {
  if (value === null || typeof value !== 'object' || value instanceof ArrayBuffer || ArrayBuffer.isView(value)) return value;
  // Object.isFrozen first: most parts of a value being frozen are not, and it costs less than the set.
  if (Object.isFrozen(value) && frozenDeeply.has(value)) return value;
  freezeParts(value);
  frozenDeeply.add(value);
  return value;
}

/** Only the value given to deepFreeze is remembered: one entry per value, not one per part. */
function freezeParts(value: object): void {
  for (const key of Object.keys(value)) {
    const part = (value as Record<string, unknown>)[key];
    if (part === null || typeof part !== 'object' || part instanceof ArrayBuffer || ArrayBuffer.isView(part)) continue;
    if (Object.isFrozen(part) && frozenDeeply.has(part)) continue;
    freezeParts(part);
  }
  Object.freeze(value);
}
