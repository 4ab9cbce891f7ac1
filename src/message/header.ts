/**
 * Request headers as OpenSSL 3.0's ossl_cmp_hdr_init builds them: pvno, sender and recipient
 * names, messageTime, a 16-byte senderNonce per message, the transaction's ID, the echoed
 * recipNonce, senderKID, and generalInfo (implicitConfirm and caller ITAVs).
 */
import type { GeneralName } from '@peculiar/asn1-x509';
import { CmpOids, InfoTypeAndValue, PKIFreeText, PKIHeader } from '../asn1';
import { copyAsnValue } from '../asn1/copy';
import { toArrayBuffer } from '../bytes';

export interface HeaderInput {
  pvno: 2 | 3;
  sender: GeneralName;
  recipient: GeneralName;
  transactionId: Uint8Array;
  senderNonce: Uint8Array;
  recipNonce?: Uint8Array;
  senderKID?: Uint8Array;
  messageTime?: Date;
  implicitConfirm?: boolean;
  generalInfo?: { infoType: string; value?: Uint8Array }[];
  freeText?: string[];
}

/** The DER of ASN.1 NULL: the value of id-it-implicitConfirm. */
const NULL_DER = new Uint8Array([0x05, 0x00]);

export function buildHeader(input: HeaderInput): PKIHeader {
  const generalInfo: InfoTypeAndValue[] = [];
  if (input.implicitConfirm) {
    generalInfo.push(new InfoTypeAndValue({ infoType: CmpOids.idItImplicitConfirm, infoValue: toArrayBuffer(NULL_DER) }));
  }
  for (const itav of input.generalInfo ?? []) {
    generalInfo.push(new InfoTypeAndValue({ infoType: itav.infoType, ...(itav.value ? { infoValue: toArrayBuffer(itav.value) } : {}) }));
  }
  return new PKIHeader({
    pvno: input.pvno,
    // Copies, so that one GeneralName object is never shared between messages.
    sender: copyAsnValue(input.sender),
    recipient: copyAsnValue(input.recipient),
    messageTime: input.messageTime ?? new Date(),
    transactionID: toArrayBuffer(input.transactionId),
    senderNonce: toArrayBuffer(input.senderNonce),
    ...(input.recipNonce ? { recipNonce: toArrayBuffer(input.recipNonce) } : {}),
    ...(input.senderKID ? { senderKID: toArrayBuffer(input.senderKID) } : {}),
    ...(input.freeText?.length ? { freeText: new PKIFreeText(input.freeText) } : {}),
    ...(generalInfo.length ? { generalInfo } : {}),
  });
}
