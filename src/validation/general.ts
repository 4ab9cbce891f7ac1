/**
 * genp, the answer to genm (RFC 9810 section 5.3.19, RFC 9483 section 4.3). Its InfoTypeAndValues
 * are handed on as OID and exact value DER; what each means is for the caller asking for it.
 */
import type { PKIMessage } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';
import { checkSenderNonce } from './header';
import { extraCertsBytes } from '../asn1/message-certs';
import type { GeneralResponse } from './results';

/** Throws CmpError ERR_UNEXPECTED_BODY for anything but genp. */
export function validateGeneralResponse(msg: PKIMessage): GeneralResponse {
  const genp = msg.body.genp;
  if (!genp) throw new CmpError(ErrorCodes.ERR_UNEXPECTED_BODY, 'expected genp');
  return {
    kind: 'generalResponse',
    senderNonce: checkSenderNonce(msg.header),
    itavs: Array.from(genp, (itav) => ({
      infoType: itav.infoType,
      ...(itav.infoValue !== undefined ? { value: new Uint8Array(itav.infoValue) } : {}),
    })),
    extraCerts: extraCertsBytes(msg),
  };
}
