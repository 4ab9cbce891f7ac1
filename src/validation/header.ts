/**
 * The header checks every response must pass (RFC 9483 section 3.5; OpenSSL's
 * ossl_cmp_msg_check_update): protocol version, sender, transactionID and the nonce chain.
 */
import type { Name } from '@peculiar/asn1-x509';
import type { PKIHeader, PKIMessage } from '../asn1';
import { nameToString } from '../pki/names';
import { CmpError, ErrorCodes } from '../errors';
import { hex, sameBytes } from '../bytes';
import type { ResponseExpectations } from './expectations';
import { canonicalName, canonicalNameKey } from '../pki/name-matching';

export interface ValidatedHeader {
  pvno: number;
  /** The response's senderNonce, which our next request echoes as recipNonce. */
  senderNonce: Uint8Array;
}

/** Throws CmpError ERR_UNEXPECTED_PVNO, ERR_UNEXPECTED_SENDER, ERR_TRANSACTION_ID_MISMATCH, ERR_RECIP_NONCE_MISMATCH or ERR_SENDER_NONCE_MISSING. */
export function validateResponseHeader(msg: PKIMessage, exp: ResponseExpectations): ValidatedHeader {
  const header = msg.header;
  checkPvno(header);
  checkSender(header, exp.expectedSender);
  checkTransactionId(header, exp.transactionId);
  checkRecipNonce(header, exp.lastSenderNonce);
  return { pvno: header.pvno, senderNonce: checkSenderNonce(header) };
}

/** cmp2000 (2) and cmp2021 (3) are the versions a client of RFC 9810 speaks; cmp1999 is RFC 2510. */
function checkPvno(header: PKIHeader): void {
  if (header.pvno !== 2 && header.pvno !== 3) {
    throw new CmpError(ErrorCodes.ERR_UNEXPECTED_PVNO, `response has pvno ${header.pvno}; only 2 and 3 are supported`);
  }
}

/**
 * With an expected sender, the sender must be a directoryName matching it under RFC 5280 name
 * comparison. OpenSSL does this to stop a PBM secret or a certificate of the trusted hierarchy
 * that belongs to some other entity from being used to impersonate the server.
 */
function checkSender(header: PKIHeader, expected: Name | undefined): void {
  if (!expected) return;
  const actual = header.sender.directoryName;
  if (!actual) {
    throw new CmpError(ErrorCodes.ERR_UNEXPECTED_SENDER, 'response sender is not a directoryName, but an expected sender is configured');
  }
  if (canonicalNameKey(canonicalName(actual)) !== canonicalNameKey(canonicalName(expected))) {
    throw new CmpError(
      ErrorCodes.ERR_UNEXPECTED_SENDER,
      `response sender "${nameToString(actual)}" is not the expected sender "${nameToString(expected)}"`,
    );
  }
}

function checkTransactionId(header: PKIHeader, expected: Uint8Array): void {
  const actual = header.transactionID;
  if (actual === undefined || !sameBytes(actual, expected)) {
    throw new CmpError(
      ErrorCodes.ERR_TRANSACTION_ID_MISMATCH,
      `response transactionID ${actual === undefined ? '(none)' : hex(actual)} does not match ours (${hex(expected)})`,
    );
  }
}

/** The response must echo our request's senderNonce: this is what ties it to that request. */
function checkRecipNonce(header: PKIHeader, lastSenderNonce: Uint8Array): void {
  const actual = header.recipNonce;
  if (actual === undefined || !sameBytes(actual, lastSenderNonce)) {
    throw new CmpError(
      ErrorCodes.ERR_RECIP_NONCE_MISMATCH,
      `response recipNonce ${actual === undefined ? '(none)' : hex(actual)} is not the senderNonce of our request (${hex(lastSenderNonce)})`,
    );
  }
}

/** RFC 9483 section 3.1 requires a senderNonce; without one our next request could not be chained. */
export function checkSenderNonce(header: PKIHeader): Uint8Array {
  const nonce = header.senderNonce;
  if (nonce === undefined || nonce.byteLength === 0) {
    throw new CmpError(ErrorCodes.ERR_SENDER_NONCE_MISSING, 'response has no senderNonce');
  }
  return new Uint8Array(nonce.slice(0));
}
