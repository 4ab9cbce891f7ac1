/**
 * CmpClient with `transfer: axiosTransfer(...)` against the real `openssl cmp -port 0` mock server:
 * the application's axios instance carries every message of PBM and signed enrollments, its
 * interceptors see each one, and the mock's failures arrive as the same CmpErrors as with the
 * default transport.
 */
import * as http from 'node:http';
import { readFileSync } from 'fs';
import { X509Certificate } from '@peculiar/x509';
import axios, { type AxiosInstance } from 'axios';
import { CmpClient } from '../../src/client';
import { CmpError } from '../../src/errors';
import type { CmpClientOptions } from '../../src/options';
import { decodePkiMessage, pkiBodyType } from '../../src/entries/asn1';
import { axiosTransfer } from '../../src/transport/axios';
import { makeTestPki, type TestPki } from '../support/pki';
import { withPkiMockServer, type MockServer } from '../support/openssl';

const SECRET = 'axios-interop-secret';
let pki: TestPki;
let agents: http.Agent[] = [];

beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki?.cleanup();
});
afterEach(() => {
  for (const agent of agents) agent.destroy();
  agents = [];
});

const withServer = <T>(extra: string[], run: (server: MockServer) => Promise<T>): Promise<T> => withPkiMockServer(pki, SECRET, extra, run);

/** The application's instance, recording the body type of each CMP message its interceptor sees. */
function appInstance(seen: string[]): AxiosInstance {
  const agent = new http.Agent({ keepAlive: true });
  agents.push(agent);
  const app = axios.create({ httpAgent: agent, proxy: false });
  app.interceptors.request.use((config) => {
    seen.push(pkiBodyType(decodePkiMessage(config.data as Uint8Array).body) ?? 'unknown');
    return config;
  });
  return app;
}

const enrolledCert = () => new X509Certificate(readFileSync(pki.enrolled.certPath, 'utf8'));

const pbm = (transfer: CmpClientOptions['transfer']): CmpClientOptions => ({
  transfer,
  ref: 'client-ref',
  secret: SECRET,
  newKey: pki.newKeyPath,
  subject: '/CN=axios device',
  msgTimeout: 10,
});

describe('cmpflow client through axios against openssl cmp -port (mock server)', () => {
  it('enrolls with ir and PBM, every message passing the interceptor', async () => {
    await withServer([], async (server) => {
      const seen: string[] = [];
      const client = new CmpClient(pbm(axiosTransfer(appInstance(seen), server.url)));
      const result = await client.ir();
      expect(result.certificate.equal(enrolledCert())).toBe(true);
      expect(seen).toEqual(['ir', 'certConf']);
      await client.close();
    });
  });

  it('runs transaction after transaction over one transfer, closing the connection at the end of each', async () => {
    await withServer([], async (server) => {
      const seen: string[] = [];
      const client = new CmpClient(pbm(axiosTransfer(appInstance(seen), server.url)));
      for (let i = 0; i < 3; i++) expect((await client.ir()).certificate.equal(enrolledCert())).toBe(true);
      expect(seen).toEqual(['ir', 'certConf', 'ir', 'certConf', 'ir', 'certConf']);
      await client.close();
    });
  });

  it('enrolls with cr and signature protection', async () => {
    await withServer([], async (server) => {
      const seen: string[] = [];
      const client = new CmpClient({
        transfer: axiosTransfer(appInstance(seen), server.url),
        cert: pki.client.certPath,
        key: pki.client.keyPath,
        untrusted: pki.untrustedPath,
        trusted: pki.trustedPath,
        newKey: pki.newKeyPath,
        subject: '/CN=axios device',
        msgTimeout: 10,
      });
      const result = await client.cr();
      expect(result.certificate.equal(enrolledCert())).toBe(true);
      expect(seen).toEqual(['cr', 'certConf']);
      await client.close();
    });
  });

  it('polls through axios when the mock answers waiting', async () => {
    await withServer(['-poll_count', '2', '-check_after', '0'], async (server) => {
      const seen: string[] = [];
      const client = new CmpClient(pbm(axiosTransfer(appInstance(seen), server.url)));
      const result = await client.ir();
      expect(result.certificate.equal(enrolledCert())).toBe(true);
      expect(seen).toEqual(['ir', 'pollReq', 'pollReq', 'certConf']);
      await client.close();
    });
  });

  it("reports the mock's error answer as the default transport does", async () => {
    await withServer(['-send_error'], async (server) => {
      const client = new CmpClient(pbm(axiosTransfer(appInstance([]), server.url)));
      const error = await client.ir().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(CmpError);
      expect((error as CmpError).code).toBe('ERR_ERROR_RESPONSE');
      expect((error as CmpError).failInfo).toEqual(['badRequest']);
      await client.close();
    });
  });
});
