/**
 * The client's side of KEM-based MAC protection (RFC 9810 section 5.1.3.4): before the first
 * request of a transaction, an unprotected genm asks for id-it-KemCiphertextInfo with our KEM
 * certificate in extraCerts; the genp, protected and checked as any response, carries the
 * ciphertext the server encapsulated to our key, and decapsulating it gives the shared secret from
 * which KemBasedMac protects the rest of the transaction. The secret is returned to the session's
 * services only: the machine sees the nonces.
 */
import type { B64, KemCiphertextInput, KemCiphertextOutput } from '../../machines/actors';
import { CmpOids, decodeDer, KemCiphertextInfo } from '../asn1';
import { fromB64 } from '../bytes';
import { CmpError, ErrorCodes } from '../errors';
import { decapsulateKemCiphertext } from '../protection/kem-ciphertext';
import { buildRequest } from './build-request';
import { checkResponse, type SessionExpectations } from './check-response';
import type { ClientSetup } from './setup';

export interface KemCiphertextResult {
  output: KemCiphertextOutput;
  sharedSecret: Uint8Array;
}

/** `exchange` sends the genm's DER (base64) and returns the response's. */
export async function obtainKemCiphertext(
  setup: ClientSetup,
  session: SessionExpectations,
  input: KemCiphertextInput,
  exchange: (der: B64) => Promise<B64>,
): Promise<KemCiphertextResult> {
  const key = setup.kemKey;
  if (!key) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'KEM-based protection needs an ML-KEM key and its certificate (cert, key)');
  const request = await buildRequest(
    setup,
    { itavs: [{ infoType: CmpOids.idItKemCiphertextInfo }] },
    { kind: 'genm', transaction: input.transaction },
    { kind: 'none' },
  );
  const response = await exchange(request.der);
  const checked = await checkResponse(setup, session, {
    der: response,
    requestType: 'genm',
    transaction: { ...input.transaction, lastSenderNonce: request.senderNonce },
  });
  if (checked.kind === 'rejected') throw new CmpError(checked.error.code, `KEM ciphertext request refused: ${checked.error.message}`);
  if (checked.kind !== 'generalResponse') throw new CmpError(ErrorCodes.ERR_UNEXPECTED_BODY, `a ${checked.kind} answered the KEM ciphertext request`);
  const value = checked.itavs.find((i) => i.infoType === CmpOids.idItKemCiphertextInfo)?.value;
  if (value === undefined) throw new CmpError(ErrorCodes.ERR_UNEXPECTED_BODY, 'the genp carries no KemCiphertextInfo');
  let info: KemCiphertextInfo;
  try {
    info = decodeDer(fromB64(value), KemCiphertextInfo);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, 'the KemCiphertextInfo of the genp is malformed', { cause: e });
  }
  return { output: { sentNonce: request.senderNonce, receivedNonce: checked.senderNonce }, sharedSecret: decapsulateKemCiphertext(key, info) };
}
