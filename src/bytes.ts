/**
 * The byte forms the layers meet, converted in one place: Uint8Array inside the code, ArrayBuffer for
 * asn1-schema and WebCrypto, base64 in the machines' JSON, hex in messages about public values
 * (identifiers, nonces, fingerprints; never a secret). A leaf of src/: it imports nothing of the project.
 */
export type ByteSource = ArrayBuffer | ArrayBufferView;

/** A view of the same memory, never a copy. */
export function bytesOf(data: ByteSource): Uint8Array {
  if (data instanceof Uint8Array) return data;
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return new Uint8Array(data);
}

export function sameBytes(a: ByteSource, b: ByteSource): boolean {
  return a.byteLength === b.byteLength && Buffer.compare(bytesOf(a), bytesOf(b)) === 0;
}

export function toB64(bytes: ByteSource): string {
  return bufferOf(bytes).toString('base64');
}

export function fromB64(b64: string): Uint8Array<ArrayBuffer> {
  return new Uint8Array(Buffer.from(b64, 'base64'));
}

/** Lower-case hex, two digits a byte. */
export function hex(bytes: ByteSource): string {
  return bufferOf(bytes).toString('hex');
}

function bufferOf(data: ByteSource): Buffer {
  const view = bytesOf(data);
  return Buffer.from(view.buffer, view.byteOffset, view.byteLength);
}

/** A fresh ArrayBuffer holding exactly these bytes (asn1-schema and WebCrypto take ArrayBuffers). */
export function toArrayBuffer(bytes: Uint8Array): ArrayBuffer {
  return Uint8Array.from(bytes).buffer;
}
