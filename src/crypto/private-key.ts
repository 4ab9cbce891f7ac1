import type { KeyType, PrivateKeyHandle } from './provider';

export interface PrivateKeyFields {
  keyType: KeyType;
  curve?: string;
  modulusLength?: number;
  handle: unknown;
  spki: Uint8Array;
}

const redacted = '[private key]';

/**
 * The PrivateKeyHandle both providers hand out. The provider-specific `handle` is not enumerable so
 * that spreading, structured logging and `JSON.stringify` never walk into key material.
 */
export class PrivateKey implements PrivateKeyHandle {
  readonly kind = 'private' as const;
  readonly keyType: KeyType;
  readonly curve?: string;
  readonly modulusLength?: number;
  declare readonly handle: unknown;
  readonly spki: Uint8Array;

  constructor(fields: PrivateKeyFields) {
    this.keyType = fields.keyType;
    if (fields.curve !== undefined) this.curve = fields.curve;
    if (fields.modulusLength !== undefined) this.modulusLength = fields.modulusLength;
    Object.defineProperty(this, 'handle', { value: fields.handle, enumerable: false, writable: false });
    this.spki = fields.spki;
  }

  toJSON(): string {
    return redacted;
  }

  toString(): string {
    return redacted;
  }

  // Node's util.inspect (console.log, REPL, debuggers); a plain Symbol.for keeps this file browser-safe.
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return redacted;
  }
}
