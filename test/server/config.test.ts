/** A configuration that cannot work is refused when the server is created, not at the first request. */
import { createCmpServer } from '../../src/server';
import { isCmpError } from '../../src/errors';
import { throwawayCa } from './fixtures';

function creationError(config: Parameters<typeof createCmpServer>[0]): string {
  try {
    createCmpServer(config);
  } catch (e) {
    if (isCmpError(e)) return e.code;
    throw e;
  }
  return 'created';
}

describe('createCmpServer refuses', () => {
  it('srvCert without srvKey, and a srvKey of another certificate', async () => {
    const ca = await throwawayCa();
    expect(creationError({ srvCert: ca.server.cert })).toBe('ERR_INVALID_OPTION');
    expect(creationError({ srvCert: ca.server.cert, srvKey: ca.ca.key })).toBe('ERR_CREDENTIALS');
  });

  it('a CA key that does not belong to the CA certificate, and a CA certificate that is not a CA', async () => {
    const ca = await throwawayCa();
    expect(creationError({ ca: { cert: ca.ca.cert, key: ca.server.key } })).toBe('ERR_CREDENTIALS');
    expect(creationError({ ca: { cert: ca.server.cert, key: ca.server.key } })).toBe('ERR_CREDENTIALS');
  });

  it('out-of-range mock options and policy values', () => {
    expect(creationError({ pkiStatus: 7 })).toBe('ERR_INVALID_OPTION');
    expect(creationError({ failure: 27 })).toBe('ERR_INVALID_OPTION');
    expect(creationError({ failureBits: 2 ** 27 })).toBe('ERR_INVALID_OPTION');
    expect(creationError({ pollCount: -1 })).toBe('ERR_INVALID_OPTION');
    expect(creationError({ pvnos: [4] })).toBe('ERR_INVALID_OPTION');
    expect(creationError({ srvSecret: '' })).toBe('ERR_INVALID_OPTION');
    expect(creationError({ policy: { maxValidityDays: 0 } })).toBe('ERR_INVALID_OPTION');
  });

  it('but accepts the empty configuration (a server that only answers errors and genm)', () => {
    expect(creationError({})).toBe('created');
  });
});
