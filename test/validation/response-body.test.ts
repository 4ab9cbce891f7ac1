import { GenRepContent, PKIBody, PKIStatus } from '../../src/asn1';
import { checkedResponse } from './checked';
import { expectedBodyTypes } from '../../src/validation';
import {
  buildResponse,
  certRepBody,
  certResponse,
  errorBody,
  expectationsFor,
  newTransaction,
  pkiconfBody,
  pollRepBody,
  statusInfo,
} from './response-factory';

describe('response body type', () => {
  it.each([
    ['ir', ['ip']],
    ['cr', ['cp']],
    ['p10cr', ['cp']],
    ['kur', ['kup']],
    ['pollReq', ['pollRep', 'ip', 'cp', 'kup']],
    ['certConf', ['pkiconf']],
    ['rr', ['rp']],
    ['genm', ['genp']],
    ['error', ['pkiconf']],
  ] as const)('answers %s with %j', (request, bodies) => {
    expect(expectedBodyTypes(request)).toEqual(bodies);
  });

  it('narrows the final answer while polling to the one of the request that started it', () => {
    expect(expectedBodyTypes('pollReq', 'kur')).toEqual(['pollRep', 'kup']);
  });

  it('refuses a genp in answer to an ir with ERR_UNEXPECTED_BODY', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, new PKIBody({ genp: new GenRepContent([]) }));
    await expect(checkedResponse(der, expectationsFor(t, 'ir'))).rejects.toMatchObject({ code: 'ERR_UNEXPECTED_BODY' });
  });

  it('refuses an ip in answer to a cr with ERR_UNEXPECTED_BODY', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [certResponse({ status: statusInfo(PKIStatus.rejection) })]));
    await expect(checkedResponse(der, expectationsFor(t, 'cr'))).rejects.toMatchObject({ code: 'ERR_UNEXPECTED_BODY' });
  });

  it('refuses a final cp after polling for an ir with ERR_UNEXPECTED_BODY', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('cp', [certResponse({ status: statusInfo(PKIStatus.rejection) })]));
    await expect(checkedResponse(der, expectationsFor(t, 'pollReq', { pollingFor: 'ir' }))).rejects.toMatchObject({ code: 'ERR_UNEXPECTED_BODY' });
  });

  it('takes a pollRep or the final ip in answer to pollReq', async () => {
    const t = newTransaction();
    const exp = expectationsFor(t, 'pollReq', { pollingFor: 'ir' });
    await expect(checkedResponse(await buildResponse(t, pollRepBody([{ checkAfter: 1n }])), exp)).resolves.toMatchObject({ kind: 'pollWait' });
    const ip = await buildResponse(t, certRepBody('ip', [certResponse({ status: statusInfo(PKIStatus.rejection) })]));
    await expect(checkedResponse(ip, exp)).resolves.toMatchObject({ kind: 'rejected' });
  });

  it('turns an error message into ERR_ERROR_RESPONSE carrying status, failInfo, statusString and the details', async () => {
    const t = newTransaction();
    const body = errorBody(statusInfo(PKIStatus.rejection, ['badPOP', 'badRequest'], ['proof of possession failed']), {
      errorCode: 42n,
      errorDetails: ['signature did not verify'],
    });
    const error = await checkedResponse(await buildResponse(t, body), expectationsFor(t, 'ir')).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toMatchObject({
      code: 'ERR_ERROR_RESPONSE',
      status: PKIStatus.rejection,
      failInfo: ['badRequest', 'badPOP'], // in bit order
      statusString: ['proof of possession failed'],
    });
    expect((error as Error).message).toContain('errorCode: 42');
    expect((error as Error).message).toContain('signature did not verify');
  });

  it('turns an error message in answer to certConf into ERR_ERROR_RESPONSE too', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, errorBody(statusInfo(PKIStatus.rejection, ['systemFailure'])));
    await expect(checkedResponse(der, expectationsFor(t, 'certConf'))).rejects.toMatchObject({
      code: 'ERR_ERROR_RESPONSE',
      failInfo: ['systemFailure'],
    });
  });

  it('confirms our error message with pkiconf', async () => {
    const t = newTransaction();
    const result = await checkedResponse(await buildResponse(t, pkiconfBody()), expectationsFor(t, 'error'));
    expect(result.kind).toBe('pkiConf');
  });
});
