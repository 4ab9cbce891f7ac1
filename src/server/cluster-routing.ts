/**
 * Which worker of a CA cluster answers a request: the one its transactionID hashes to, so that
 * every message of a transaction (ir, pollReq, certConf, error) reaches the worker that holds the
 * transaction, and a reused transactionID reaches the worker that remembers it. Only the header's
 * first elements are read, without decoding the message: the router must stay cheap, since it
 * runs in the one thread that serves HTTP for all workers.
 */

interface Tlv {
  tag: number;
  /** Offset of the content. */
  start: number;
  end: number;
}

/** The TLV at `offset`, or undefined when it does not fit in `limit` (or uses a form DER never uses). */
function tlvAt(der: Uint8Array, offset: number, limit: number): Tlv | undefined {
  if (offset + 2 > limit) return undefined;
  const tag = der[offset]!;
  // High tag numbers (0x1f) do not occur in a PKIHeader's first fields.
  if ((tag & 0x1f) === 0x1f) return undefined;
  let length = der[offset + 1]!;
  let start = offset + 2;
  if (length & 0x80) {
    const octets = length & 0x7f;
    if (octets === 0 || octets > 4 || start + octets > limit) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) length = length * 256 + der[start + i]!;
    start += octets;
  }
  const end = start + length;
  return end <= limit ? { tag, start, end } : undefined;
}

/** The transactionID of a DER PKIMessage (header field [4]), or undefined when it has none or is unreadable. */
export function transactionIdOf(der: Uint8Array): Uint8Array | undefined {
  const message = tlvAt(der, 0, der.length);
  if (!message || message.tag !== 0x30) return undefined;
  const header = tlvAt(der, message.start, message.end);
  if (!header || header.tag !== 0x30) return undefined;
  // pvno, sender and recipient come first; a GeneralName may itself be a [4] (directoryName).
  for (let at = header.start, index = 0; at < header.end; index++) {
    const field = tlvAt(der, at, header.end);
    if (!field) return undefined;
    // [4] EXPLICIT OCTET STRING
    if (index >= 3 && field.tag === 0xa4) {
      const id = tlvAt(der, field.start, field.end);
      return id && id.tag === 0x04 ? der.subarray(id.start, id.end) : undefined;
    }
    // Context tags are in ascending order: past [4], there is none.
    if (index >= 3 && field.tag > 0xa4 && field.tag <= 0xbf) return undefined;
    at = field.end;
  }
  return undefined;
}

/** The worker of a transactionID: FNV-1a of its bytes, modulo the number of workers. */
export function workerForTransactionId(id: Uint8Array, workers: number): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) hash = Math.imul(hash ^ id[i]!, 0x01000193);
  return (hash >>> 0) % workers;
}

/** The worker of a DER PKIMessage; undefined without a readable transactionID. */
export function workerForTransaction(der: Uint8Array, workers: number): number | undefined {
  const id = transactionIdOf(der);
  return id ? workerForTransactionId(id, workers) : undefined;
}
