/** Byte helpers shared by the response validators. */

export function bytesOf(data: ArrayBuffer | Uint8Array): Uint8Array {
  return data instanceof Uint8Array ? data : new Uint8Array(data);
}

export function sameBytes(a: ArrayBuffer | Uint8Array, b: ArrayBuffer | Uint8Array): boolean {
  return Buffer.from(bytesOf(a)).equals(Buffer.from(bytesOf(b)));
}

/** Hex for messages about identifiers (transactionID, nonces), which are public values. */
export function hex(data: ArrayBuffer | Uint8Array | undefined): string {
  return data === undefined ? '(none)' : Buffer.from(bytesOf(data)).toString('hex');
}
