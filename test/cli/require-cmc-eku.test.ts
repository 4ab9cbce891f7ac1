/**
 * `requireCmcEku` / `-require_cmc_eku`: a server signer that carries an extendedKeyUsage must name
 * id-kp-cmcCA or id-kp-cmcRA in it. OpenSSL's mock server signs with a TLS server certificate
 * (EKU serverAuth), which this refuses; the embedded CA signs with a cmcCA certificate, which it
 * accepts; a signer without extendedKeyUsage stays acceptable.
 */
import * as path from 'path';
import { CmpClient } from '../../src/client';
import { getCryptoProvider } from '../../src/crypto';
import { CmpError } from '../../src/errors';
import { createCmpServer, createThrowawayCa, listen, type ThrowawayCa } from '../../src/server';
import { startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';

const MOCK = path.join(__dirname, '../openssl-rows/data/Mock');
let dir: string;
let mock: MockServer;
let ca: ThrowawayCa;

beforeAll(async () => {
  dir = scratchDir();
  mock = await startMockServer(
    ['-srv_cert', 'server.crt', '-srv_key', 'server.key', '-srv_trusted', 'signer_root.crt', '-rsp_cert', 'signer_only.crt'],
    { cwd: MOCK },
  );
  ca = await createThrowawayCa();
});
afterAll(async () => {
  await mock?.stop();
  await ca?.cleanup();
});

const ir = (...extra: string[]) => [
  '-config',
  '',
  '-server',
  mock.url,
  '-cmd',
  'ir',
  '-srvcert',
  'server.crt',
  '-newkey',
  'signer.key',
  '-subject',
  '/CN=leaf',
  '-cert',
  'signer.crt',
  '-key',
  'signer.p12',
  '-keypass',
  'pass:12345',
  '-certout',
  path.join(dir, 'leaf.pem'),
  ...extra,
];

describe("requiring a CMP purpose in the server signer's extendedKeyUsage", () => {
  it('refuses an answer signed by a certificate whose extendedKeyUsage is TLS server only', async () => {
    const run = await cmpflow(ir('-require_cmc_eku'), { cwd: MOCK });
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/extendedKeyUsage .* has neither id-kp-cmcCA nor id-kp-cmcRA.*\(ERR_SENDER_KEY_USAGE\)$/)]);
  });

  it('accepts the same answer without the option, as openssl cmp does', async () => {
    const run = await cmpflow(ir(), { cwd: MOCK });
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
  });

  it('accepts the embedded CA, whose CMP signer carries id-kp-cmcCA', async () => {
    const server = createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: 'eku-device', secret: 'eku-secret' }] });
    const listener = await listen(server);
    try {
      const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
      const client = new CmpClient({
        server: listener.url,
        ref: 'eku-device',
        secret: 'eku-secret',
        trusted: [ca.ca.cert],
        newKey,
        subject: '/CN=eku-device',
        requireCmcEku: true,
      });
      const { certificate } = await client.ir();
      expect(certificate.subject).toBe('CN=eku-device');
    } finally {
      await listener.close();
    }
  });

  it('is a typed error in the library, naming the certificate', async () => {
    const client = new CmpClient({
      server: mock.url,
      cert: path.join(MOCK, 'signer.crt'),
      key: path.join(MOCK, 'signer.p12'),
      keyPass: '12345',
      srvCert: path.join(MOCK, 'server.crt'),
      newKey: path.join(MOCK, 'signer.key'),
      subject: '/CN=leaf',
      requireCmcEku: true,
    });
    const error = await client.ir().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CmpError);
    expect((error as CmpError).code).toBe('ERR_SENDER_KEY_USAGE');
  });
});
