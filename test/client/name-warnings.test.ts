/**
 * A library caller's distinguished names are read as `openssl cmp` reads them: an attribute type
 * cmpflow does not know, or an empty value, is skipped with a process warning of type
 * `CmpflowNameWarning`, and the session goes on with the rest of the name.
 */
import { CmpClient } from '../../src/client';
import { getCryptoProvider } from '../../src/crypto';
import { createCmpServer, createThrowawayCa, type ThrowawayCa } from '../../src/server';

const REF = 'name-warnings';
const SECRET = 'name-warnings-secret-c0de';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => ca?.cleanup());

describe('CmpClient given names with attributes it skips', () => {
  it('enrolls with the rest of the subject and reports each skipped attribute once as a CmpflowNameWarning', async () => {
    const server = createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }] });
    // Jest gives each test file its own `process`, whose 'warning' listeners never hear Node's
    // emitter; the calls to emitWarning are watched instead.
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const client = new CmpClient({
        transfer: (request) => server.handle(request),
        ref: REF,
        secret: SECRET,
        trusted: [ca.ca.cert],
        newKey: await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' }),
        subject: '/CN=named device/ABC=123/O=',
      });
      const result = await client.ir();
      expect(result.certificate.subject).toBe('CN=named device');
      const warnings = spy.mock.calls
        .filter(([, options]) => (options as { type?: string } | undefined)?.type === 'CmpflowNameWarning')
        .map(([message]) => message);
      expect(warnings).toEqual(['Skipping unknown name attribute "ABC"', 'No value provided for name attribute "O", skipped']);
    } finally {
      spy.mockRestore();
    }
  });
});
