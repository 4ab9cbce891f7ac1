import { GeneralName } from '@peculiar/asn1-x509';
import { checkedResponse } from './checked';
import { decodePkiMessage } from '../../src/asn1';
import { isCmpError } from '../../src/errors';
import { validateResponseHeader } from '../../src/validation';
import { asnName, b64, buildResponse, directoryName, expectationsFor, newTransaction, pkiconfBody } from './response-factory';

const t = newTransaction();

async function checkHeader(spec: Parameters<typeof buildResponse>[2], overrides: Parameters<typeof expectationsFor>[2] = {}) {
  const msg = decodePkiMessage(await buildResponse(t, pkiconfBody(), spec));
  return validateResponseHeader(msg, expectationsFor(t, 'certConf', overrides));
}

async function headerError(spec: Parameters<typeof buildResponse>[2], overrides: Parameters<typeof expectationsFor>[2] = {}) {
  try {
    await checkHeader(spec, overrides);
  } catch (e) {
    if (isCmpError(e)) return e;
    throw e;
  }
  throw new Error('the header was accepted');
}

describe('response header validation', () => {
  it('accepts a header with our transactionID and our nonce echoed, and returns the server senderNonce', async () => {
    const senderNonce = Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
    const header = await checkHeader({ senderNonce });
    expect(header.pvno).toBe(2);
    expect(b64(header.senderNonce)).toBe(b64(senderNonce));
  });

  it('accepts pvno 3 (cmp2021)', async () => {
    expect((await checkHeader({ pvno: 3 })).pvno).toBe(3);
  });

  it.each([1, 4])('refuses pvno %i with ERR_UNEXPECTED_PVNO', async (pvno) => {
    expect((await headerError({ pvno })).code).toBe('ERR_UNEXPECTED_PVNO');
  });

  it('refuses another transactionID with ERR_TRANSACTION_ID_MISMATCH', async () => {
    expect((await headerError({ transactionId: newTransaction().transactionId })).code).toBe('ERR_TRANSACTION_ID_MISMATCH');
  });

  it('refuses a missing transactionID with ERR_TRANSACTION_ID_MISMATCH', async () => {
    expect((await headerError({ transactionId: null })).code).toBe('ERR_TRANSACTION_ID_MISMATCH');
  });

  it('refuses a recipNonce that is not our senderNonce with ERR_RECIP_NONCE_MISMATCH', async () => {
    expect((await headerError({ recipNonce: newTransaction().requestNonce })).code).toBe('ERR_RECIP_NONCE_MISMATCH');
  });

  it('refuses a missing recipNonce with ERR_RECIP_NONCE_MISMATCH', async () => {
    expect((await headerError({ recipNonce: null })).code).toBe('ERR_RECIP_NONCE_MISMATCH');
  });

  it('refuses a response without senderNonce with ERR_SENDER_NONCE_MISSING', async () => {
    expect((await headerError({ senderNonce: null })).code).toBe('ERR_SENDER_NONCE_MISSING');
  });

  it('refuses a sender other than the expected one with ERR_UNEXPECTED_SENDER', async () => {
    const error = await headerError(
      { sender: directoryName('CN=Impostor, O=cmpflow') },
      { expectedSender: asnName('CN=Test CMP Server, O=cmpflow') },
    );
    expect(error.code).toBe('ERR_UNEXPECTED_SENDER');
    expect(error.message).toContain('Impostor');
  });

  it('matches the expected sender as RFC 5280 compares names (case and spacing of values ignored)', async () => {
    await expect(checkHeader({}, { expectedSender: asnName('CN=test  cmp server, O=CMPFLOW') })).resolves.toBeDefined();
  });

  it('refuses a sender that is not a directoryName when a sender is expected', async () => {
    const error = await headerError(
      { sender: new GeneralName({ dNSName: 'ca.example' }) },
      { expectedSender: asnName('CN=Test CMP Server, O=cmpflow') },
    );
    expect(error.code).toBe('ERR_UNEXPECTED_SENDER');
  });

  it('is applied by processResponse before the protection', async () => {
    const der = await buildResponse(t, pkiconfBody(), { transactionId: newTransaction().transactionId, protection: 'none' });
    await expect(checkedResponse(der, expectationsFor(t, 'certConf'))).rejects.toMatchObject({ code: 'ERR_TRANSACTION_ID_MISMATCH' });
  });
});
