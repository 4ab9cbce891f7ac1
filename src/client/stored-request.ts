/**
 * A request read from a file (OpenSSL -reqin) sent in place of the one the client built, made to
 * fit the ongoing transaction as apps/cmp.c 3.0 read_write_req_resp() does: with -reqin_new_tid it
 * takes the transactionID of the built request (OSSL_CMP_MSG_update_transactionID), and from the
 * second message on it echoes the server's last senderNonce as recipNonce
 * (OSSL_CMP_MSG_update_recipNonce). A protected request is protected again with the client's own
 * credentials after either change, since the old protection no longer covers the header.
 */
import { decodePkiMessage, encodePkiMessage } from '../asn1/codec';
import { frozenCmpCertificate } from '../asn1';
import { extraCertsBytes } from '../asn1/message-certs';
import { protectPkiMessage } from '../protection/protect';
import { sameBytes } from '../bytes';
import type { ClientSetup } from './setup';

export interface AdoptedRequest {
  der: Uint8Array;
  /** What the response must echo: the header values of the request actually sent. */
  transactionId: Uint8Array;
  senderNonce: Uint8Array;
}

const bytesOf = (b: ArrayBuffer | undefined) => (b === undefined ? undefined : new Uint8Array(b));

export async function adoptStoredRequest(
  setup: ClientSetup,
  stored: Uint8Array,
  built: Uint8Array,
  newTransactionId: boolean,
): Promise<AdoptedRequest> {
  const msg = decodePkiMessage(stored);
  const ours = decodePkiMessage(built).header;
  let changed = false;
  if (newTransactionId && ours.transactionID !== undefined) {
    msg.header.transactionID = ours.transactionID;
    changed = true;
  }
  // The built request carries a recipNonce exactly when the server has answered before.
  if (ours.recipNonce !== undefined) {
    msg.header.recipNonce = ours.recipNonce;
    changed = true;
  }
  let der = stored;
  if (changed) {
    if (msg.header.protectionAlg === undefined) {
      der = encodePkiMessage(msg);
    } else {
      // As ossl_cmp_msg_protect: our senderKID, and our extraCerts added to those already there.
      if (setup.senderKID) msg.header.senderKID = setup.senderKID.slice().buffer;
      const present = extraCertsBytes(msg);
      const missing = setup.extraCertsOut.map((c) => new Uint8Array(c.rawData)).filter((c) => !present.some((p) => sameBytes(p, c)));
      if (missing.length > 0) msg.extraCerts = [...(msg.extraCerts ?? []), ...missing.map(frozenCmpCertificate)];
      der = await protectPkiMessage(msg, setup.protection);
    }
  }
  const header = decodePkiMessage(der).header;
  return {
    der,
    transactionId: bytesOf(header.transactionID) ?? new Uint8Array(0),
    senderNonce: bytesOf(header.senderNonce) ?? new Uint8Array(0),
  };
}

/**
 * A response read from a file (-rspin) names the transaction and the nonce it answers; OpenSSL
 * takes both over (read_write_req_resp), so a recorded exchange can be replayed. What the file
 * lacks stays as our request had it. `der` is what was sent, for the record.
 */
export function replayedTransaction(response: Uint8Array, built: Uint8Array): AdoptedRequest {
  const theirs = decodePkiMessage(response).header;
  const ours = decodePkiMessage(built).header;
  return {
    der: built,
    transactionId: bytesOf(theirs.transactionID ?? ours.transactionID) ?? new Uint8Array(0),
    senderNonce: bytesOf(theirs.recipNonce ?? ours.senderNonce) ?? new Uint8Array(0),
  };
}
