/**
 * Responses built from a request, as a server would build them, PBM-protected with the shared
 * secret: for faults that must not touch the real server behind the hostile one (its transaction
 * state would move on), and for sessions that need no real server at all.
 */
import { randomBytes } from 'node:crypto';
import { GeneralName } from '@peculiar/asn1-x509';
import { PKIBody, PKIHeader, PKIMessage, PollRepContent, PollRepContentEntry } from '../../src/asn1';
import { parseName } from '../../src/pki/names';
import { protectPkiMessage } from '../../src/protection';

export interface ResponderIdentity {
  secret: Uint8Array;
  /** The sender name, e.g. the subject of the real server's certificate. */
  sender: string;
}

export interface HeaderChanges {
  transactionId?: Uint8Array;
  recipNonce?: Uint8Array;
}

/** A response to `request` carrying `body`, with the header a server would give it. */
export function respondTo(request: PKIMessage, body: PKIBody, who: ResponderIdentity, changes: HeaderChanges = {}): Promise<Uint8Array> {
  const ab = (b: Uint8Array) => Uint8Array.from(b).buffer;
  const header = new PKIHeader({
    pvno: 2,
    sender: new GeneralName({ directoryName: parseName(who.sender) }),
    recipient: request.header.sender,
    messageTime: new Date(Math.floor(Date.now() / 1000) * 1000),
    ...(changes.transactionId
      ? { transactionID: ab(changes.transactionId) }
      : request.header.transactionID
        ? { transactionID: request.header.transactionID }
        : {}),
    senderNonce: ab(new Uint8Array(randomBytes(16))),
    ...(changes.recipNonce ? { recipNonce: ab(changes.recipNonce) } : request.header.senderNonce ? { recipNonce: request.header.senderNonce } : {}),
  });
  return protectPkiMessage(new PKIMessage({ header, body }), { kind: 'pbm', secret: who.secret });
}

/** A pollRep for the certReqId the pollReq asks about. */
export function pollRep(request: PKIMessage, checkAfter: bigint, certReqId?: bigint): PKIBody {
  const asked = request.body.pollReq?.[0]?.certReqId ?? 0n;
  return new PKIBody({ pollRep: new PollRepContent([new PollRepContentEntry({ certReqId: certReqId ?? asked, checkAfter })]) });
}
