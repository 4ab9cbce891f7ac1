/**
 * Delayed delivery as the client sees it (RFC 9810 section 5.3.22, RFC 9483 section 4.4): an error
 * message with status waiting starts polling, the polls name certReqId -1, and the final answer
 * must be the one the delayed request asked for.
 */
import { CmpOids, GenRepContent, InfoTypeAndValue, PKIBody, PKIStatus } from '../../src/asn1';
import { checkedResponse } from './checked';
import { buildResponse, errorBody, expectationsFor, newTransaction, pkiconfBody, pollRepBody, statusInfo } from './response-factory';

const NOW = 1_700_000_000_000;
const genpBody = () => new PKIBody({ genp: new GenRepContent([new InfoTypeAndValue({ infoType: CmpOids.idItSignKeyPairTypes })]) });
const waitingError = () => errorBody(statusInfo(PKIStatus.waiting, undefined, ['delayed delivery: please poll']));

describe('an error message with status waiting', () => {
  it.each(['rr', 'genm', 'certConf'] as const)('in answer to %s is a wait that polls at once for certReqId -1', async (requestType) => {
    const t = newTransaction();
    const der = await buildResponse(t, waitingError());
    await expect(checkedResponse(der, expectationsFor(t, requestType, { now: () => NOW }))).resolves.toMatchObject({
      kind: 'waiting',
      certReqId: '-1',
      checkAfter: 0,
      receivedAt: NOW,
      statusName: 'waiting',
      statusString: ['delayed delivery: please poll'],
    });
  });

  it('in answer to a certificate request keeps that request certReqId, as OpenSSL does', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, waitingError());
    await expect(checkedResponse(der, expectationsFor(t, 'ir'))).resolves.toMatchObject({ kind: 'waiting', certReqId: '0' });
    await expect(checkedResponse(der, expectationsFor(t, 'p10cr'))).resolves.toMatchObject({ kind: 'waiting', certReqId: '-1' });
  });

  it('is refused when unprotected, even where unprotectedErrors lets error messages through', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, waitingError(), { protection: 'none' });
    await expect(checkedResponse(der, expectationsFor(t, 'genm'))).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
    await expect(checkedResponse(der, expectationsFor(t, 'genm', { unprotectedErrors: true }))).rejects.toMatchObject({
      code: 'ERR_PROTECTION_MISSING',
    });
  });

  it('is refused when protected with another secret', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, waitingError(), { protection: { pbmSecret: new TextEncoder().encode('not the secret') } });
    await expect(checkedResponse(der, expectationsFor(t, 'rr'))).rejects.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
  });

  it('while polling already is the error it says, not a new wait', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, waitingError());
    await expect(checkedResponse(der, expectationsFor(t, 'pollReq', { pollingFor: 'genm', certReqId: -1n }))).rejects.toMatchObject({
      code: 'ERR_ERROR_RESPONSE',
    });
  });
});

describe('polling for a delayed answer', () => {
  it('takes a pollRep for certReqId -1', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, pollRepBody([{ certReqId: -1n, checkAfter: 2n }]));
    await expect(checkedResponse(der, expectationsFor(t, 'pollReq', { pollingFor: 'rr', certReqId: -1n }))).resolves.toMatchObject({
      kind: 'pollWait',
      certReqId: '-1',
      checkAfter: 2,
    });
  });

  it('refuses a pollRep for another certReqId with ERR_CERT_REQ_ID_MISMATCH', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, pollRepBody([{ certReqId: 0n, checkAfter: 2n }]));
    await expect(checkedResponse(der, expectationsFor(t, 'pollReq', { pollingFor: 'rr', certReqId: -1n }))).rejects.toMatchObject({
      code: 'ERR_CERT_REQ_ID_MISMATCH',
    });
  });

  it('ends with the answer of the delayed request: genp for a genm, pkiconf for a certConf', async () => {
    const t = newTransaction();
    const genp = await buildResponse(t, genpBody());
    await expect(checkedResponse(genp, expectationsFor(t, 'pollReq', { pollingFor: 'genm', certReqId: -1n }))).resolves.toMatchObject({
      kind: 'generalResponse',
    });
    const conf = await buildResponse(t, pkiconfBody());
    await expect(checkedResponse(conf, expectationsFor(t, 'pollReq', { pollingFor: 'certConf', certReqId: -1n }))).resolves.toMatchObject({
      kind: 'pkiConf',
    });
  });

  it('refuses a final answer that belongs to another request', async () => {
    const t = newTransaction();
    const conf = await buildResponse(t, pkiconfBody());
    await expect(checkedResponse(conf, expectationsFor(t, 'pollReq', { pollingFor: 'genm', certReqId: -1n }))).rejects.toMatchObject({
      code: 'ERR_UNEXPECTED_BODY',
    });
  });
});
