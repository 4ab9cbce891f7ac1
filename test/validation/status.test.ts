import { PKIStatus } from '../../src/asn1';
import { CmpError } from '../../src/errors';
import { statusError, statusName, statusView } from '../../src/validation';
import { statusInfo } from './response-factory';

describe('PKIStatusInfo views', () => {
  it.each([
    [0, 'accepted'],
    [1, 'grantedWithMods'],
    [2, 'rejection'],
    [3, 'waiting'],
    [4, 'revocationWarning'],
    [5, 'revocationNotification'],
    [6, 'keyUpdateWarning'],
    [7, 'unknown(7)'],
  ])('names status %i %s', (status, name) => {
    expect(statusName(status)).toBe(name);
  });

  it('lists failInfo bits by name in bit order and keeps the free text', () => {
    const view = statusView(statusInfo(PKIStatus.rejection, ['duplicateCertReq', 'badAlg', 'badPOP'], ['one', 'two']));
    expect(view).toEqual({ status: 2, statusName: 'rejection', failInfo: ['badAlg', 'badPOP', 'duplicateCertReq'], statusString: ['one', 'two'] });
  });

  it('leaves out failInfo and statusString when the server sent none', () => {
    expect(statusView(statusInfo(PKIStatus.accepted))).toEqual({ status: 0, statusName: 'accepted' });
  });

  it('makes a refusal into ERR_REQUEST_REJECTED carrying status, failInfo and statusString', () => {
    const error = statusError(statusInfo(PKIStatus.rejection, ['notAuthorized'], ['not you']), 'request rejected');
    expect(error).toBeInstanceOf(CmpError);
    expect(error.toJSON()).toEqual({
      code: 'ERR_REQUEST_REJECTED',
      message: 'request rejected: rejection; failInfo: notAuthorized; "not you"',
      status: 2,
      failInfo: ['notAuthorized'],
      statusString: ['not you'],
    });
  });

  it('takes another code for statuses that are wrong rather than refusals', () => {
    expect(statusError(statusInfo(PKIStatus.waiting), 'unexpected', 'ERR_UNEXPECTED_STATUS').code).toBe('ERR_UNEXPECTED_STATUS');
  });
});
