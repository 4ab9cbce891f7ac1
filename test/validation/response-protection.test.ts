import { decodePkiMessage, PKIStatus } from '../../src/asn1';
import { checkedResponse } from './checked';
import { validateResponseProtection, type ResponseExpectations } from '../../src/validation';
import {
  buildResponse,
  certRepBody,
  certResponse,
  errorBody,
  expectationsFor,
  makePki,
  newTransaction,
  pkiconfBody,
  rpBody,
  statusInfo,
  type TestPki,
} from './response-factory';

let pki: TestPki;
beforeAll(async () => {
  pki = await makePki();
});

const wrongSecret = { pbmSecret: new TextEncoder().encode('not the shared secret') };

describe('response protection', () => {
  it('accepts a PBM-protected response and reports MAC protection', async () => {
    const t = newTransaction();
    const msg = decodePkiMessage(await buildResponse(t, pkiconfBody()));
    await expect(validateResponseProtection(msg, expectationsFor(t, 'certConf'))).resolves.toEqual({ kind: 'mac', algorithm: 'pbm' });
  });

  it('refuses a response MACed with another secret with ERR_PROTECTION_INVALID', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, pkiconfBody(), { protection: wrongSecret });
    await expect(checkedResponse(der, expectationsFor(t, 'certConf'))).rejects.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
  });

  describe('an unprotected positive ip', () => {
    const issuedIp = async (t: ReturnType<typeof newTransaction>) =>
      buildResponse(t, certRepBody('ip', [certResponse({ status: statusInfo(PKIStatus.accepted), certificate: pki.enrolled.cert })]), {
        protection: 'none',
      });

    it('is refused with ERR_PROTECTION_MISSING', async () => {
      const t = newTransaction();
      await expect(checkedResponse(await issuedIp(t), expectationsFor(t, 'ir'))).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
    });

    it('is still refused with unprotectedErrors', async () => {
      const t = newTransaction();
      const exp = expectationsFor(t, 'ir', { unprotectedErrors: true });
      await expect(checkedResponse(await issuedIp(t), exp)).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
    });
  });

  describe('an unprotected error message', () => {
    const unprotectedError = (t: ReturnType<typeof newTransaction>) =>
      buildResponse(t, errorBody(statusInfo(PKIStatus.rejection, ['badRequest'], ['go away'])), { protection: 'none' });

    it('is refused with ERR_PROTECTION_MISSING by default', async () => {
      const t = newTransaction();
      await expect(checkedResponse(await unprotectedError(t), expectationsFor(t, 'ir'))).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
    });

    it('is read as the server error with unprotectedErrors', async () => {
      const t = newTransaction();
      const exp = expectationsFor(t, 'ir', { unprotectedErrors: true });
      await expect(checkedResponse(await unprotectedError(t), exp)).rejects.toMatchObject({
        code: 'ERR_ERROR_RESPONSE',
        status: PKIStatus.rejection,
        failInfo: ['badRequest'],
        statusString: ['go away'],
      });
      const protection = await validateResponseProtection(decodePkiMessage(await unprotectedError(t)), exp);
      expect(protection).toEqual({ kind: 'none', ignored: 'missing', exception: 'error message' });
    });

    it('with invalid protection is tolerated as invalid, not missing, with unprotectedErrors', async () => {
      const t = newTransaction();
      const der = await buildResponse(t, errorBody(statusInfo(PKIStatus.rejection)), { protection: wrongSecret });
      const protection = await validateResponseProtection(decodePkiMessage(der), expectationsFor(t, 'ir', { unprotectedErrors: true }));
      expect(protection).toMatchObject({ kind: 'none', ignored: 'invalid' });
    });
  });

  describe('an unprotected ip with one rejected CertResponse', () => {
    const rejectedIp = (t: ReturnType<typeof newTransaction>, responses = 1) =>
      buildResponse(
        t,
        certRepBody(
          'ip',
          Array.from({ length: responses }, (_, i) => certResponse({ certReqId: BigInt(i), status: statusInfo(PKIStatus.rejection, ['badPOP']) })),
        ),
        { protection: 'none' },
      );

    it('is refused with ERR_PROTECTION_MISSING by default', async () => {
      const t = newTransaction();
      await expect(checkedResponse(await rejectedIp(t), expectationsFor(t, 'ir'))).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
    });

    it('is read as a rejection with unprotectedErrors', async () => {
      const t = newTransaction();
      const result = await checkedResponse(await rejectedIp(t), expectationsFor(t, 'ir', { unprotectedErrors: true }));
      expect(result).toMatchObject({ kind: 'rejected', status: PKIStatus.rejection, failInfo: ['badPOP'], error: { code: 'ERR_REQUEST_REJECTED' } });
    });

    it('is not excepted when the CertRepMessage holds two responses', async () => {
      const t = newTransaction();
      const exp = expectationsFor(t, 'ir', { unprotectedErrors: true });
      await expect(checkedResponse(await rejectedIp(t, 2), exp)).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
    });
  });

  describe('unprotected rp', () => {
    const exp = (t: ReturnType<typeof newTransaction>): ResponseExpectations => expectationsFor(t, 'rr', { unprotectedErrors: true });

    it('with a rejection is read as a rejection with unprotectedErrors', async () => {
      const t = newTransaction();
      const der = await buildResponse(t, rpBody([statusInfo(PKIStatus.rejection, ['badCertId'])]), { protection: 'none' });
      await expect(checkedResponse(der, exp(t))).resolves.toMatchObject({ kind: 'rejected', failInfo: ['badCertId'] });
    });

    it('that accepts the revocation is refused even with unprotectedErrors', async () => {
      const t = newTransaction();
      const der = await buildResponse(t, rpBody([statusInfo(PKIStatus.accepted)]), { protection: 'none' });
      await expect(checkedResponse(der, exp(t))).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
    });
  });

  it('accepts an unprotected pkiconf only with unprotectedErrors', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, pkiconfBody(), { protection: 'none' });
    await expect(checkedResponse(der, expectationsFor(t, 'certConf'))).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
    await expect(checkedResponse(der, expectationsFor(t, 'certConf', { unprotectedErrors: true }))).resolves.toMatchObject({ kind: 'pkiConf' });
  });
});
