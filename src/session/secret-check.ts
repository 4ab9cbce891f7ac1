/**
 * Whether a resume holds the shared secret its session was started with, known before anything is
 * sent: a server may end the transaction on a request that fails its MAC check (OpenSSL 3.0's mock
 * does, on a poll), so a mistyped secret sent once would lose it.
 *
 * The session keeps the server's last answer as it was received (the waiting ip/cp/kup, pollRep or
 * error message). Those bytes already went over the wire in the clear, so keeping them exposes no
 * more than the wire did; nothing computed from the secret is stored. When the server protected
 * that answer with a MAC, the secret given must verify it, with the verifier's own limits on the
 * MAC parameters, which also bound what a tampered file could make the check cost.
 */
import { decodePkiMessage } from '../asn1/codec';
import type { PKIMessage } from '../asn1/cmp/message';
import { CmpOids } from '../asn1/oids';
import { CmpError, ErrorCodes } from '../errors';
import { verifyPkiMessageProtection } from '../protection/verify';

const MAC_ALGORITHMS: readonly string[] = [CmpOids.passwordBasedMac, CmpOids.pbmac1];

function decoded(der: Uint8Array, field: string): PKIMessage {
  try {
    return decodePkiMessage(der);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_SNAPSHOT_INVALID, `persisted session field ${field} is not a PKIMessage`, { cause: e });
  }
}

/** Throws ERR_SNAPSHOT_INVALID, naming the field, unless `der` decodes as a PKIMessage. */
export function checkStoredResponse(der: Uint8Array, field: string): void {
  decoded(der, field);
}

/**
 * Throws ERR_CREDENTIALS when `secret` does not verify the MAC of the stored response `der`. A
 * response that is signed, unprotected or absent holds nothing to check against, and passes.
 */
export async function assertSecretFitsResponse(der: Uint8Array | undefined, secret: Uint8Array): Promise<void> {
  if (der === undefined) return;
  const msg = decoded(der, 'lastResponse');
  const algorithm = msg.header.protectionAlg?.algorithm;
  if (algorithm === undefined || !MAC_ALGORITHMS.includes(algorithm)) return;
  try {
    await verifyPkiMessageProtection(msg, { secret, trusted: [], untrusted: [] });
  } catch (e) {
    if (e instanceof CmpError && e.code === ErrorCodes.ERR_PROTECTION_INVALID) {
      throw new CmpError(
        ErrorCodes.ERR_CREDENTIALS,
        'secret: not the shared secret the session was started with; nothing was sent, the session is unchanged',
        {
          options: ['secret'],
        },
      );
    }
    throw new CmpError(
      ErrorCodes.ERR_SNAPSHOT_INVALID,
      `persisted session field lastResponse: its MAC cannot be checked (${e instanceof CmpError ? e.code : 'error'})`,
      {
        cause: e,
      },
    );
  }
}
