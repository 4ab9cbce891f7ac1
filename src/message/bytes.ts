/** Conversions between the byte forms the layers use: Uint8Array inside, base64 in JSON. */
export const toB64 = (bytes: Uint8Array | ArrayBuffer): string => Buffer.from(bytes instanceof ArrayBuffer ? new Uint8Array(bytes) : bytes).toString('base64');
export const fromB64 = (b64: string): Uint8Array => new Uint8Array(Buffer.from(b64, 'base64'));
/** A fresh ArrayBuffer holding exactly these bytes (asn1-schema wants ArrayBuffers). */
export const toArrayBuffer = (bytes: Uint8Array): ArrayBuffer => Uint8Array.from(bytes).buffer;
