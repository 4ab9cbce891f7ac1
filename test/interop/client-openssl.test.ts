/**
 * cmpflow's client against the real `openssl cmp -port 0` mock server (an implementation we did not
 * write): every transaction with PBM and with signatures, polling, implicit confirm, each PKIStatus
 * the mock can send, error and unprotected responses, abort, total timeout and a rejected
 * certificate.
 */
import { readFileSync } from 'fs';
import { X509Certificate } from '@peculiar/x509';
import { CmpClient } from '../../src/client';
import { CmpError } from '../../src/errors';
import type { CmpClientOptions } from '../../src/options';
import { makeTestPki, type TestPki } from '../support/pki';
import { waitForLog, withPkiMockServer, type MockServer } from '../support/openssl';

const SECRET = 'interop-secret';
let pki: TestPki;

beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki?.cleanup();
});

/** Starts the mock server with PBM and signature credentials; `extra` adds mock options. */
const withServer = <T>(extra: string[], run: (server: MockServer) => Promise<T>): Promise<T> => withPkiMockServer(pki, SECRET, extra, run);

const pbm = (server: MockServer, more: Partial<CmpClientOptions> = {}): CmpClientOptions => ({
  server: server.url,
  ref: 'client-ref',
  secret: SECRET,
  newKey: pki.newKeyPath,
  subject: '/CN=interop device',
  msgTimeout: 10,
  ...more,
});

const signed = (server: MockServer, more: Partial<CmpClientOptions> = {}): CmpClientOptions => ({
  server: server.url,
  cert: pki.client.certPath,
  key: pki.client.keyPath,
  untrusted: pki.untrustedPath,
  trusted: pki.trustedPath,
  newKey: pki.newKeyPath,
  subject: '/CN=interop device',
  msgTimeout: 10,
  ...more,
});

async function expectCode(p: Promise<unknown>, code: string): Promise<CmpError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(CmpError);
  expect((e as CmpError).code).toBe(code);
  return e as CmpError;
}

const enrolledCert = () => new X509Certificate(readFileSync(pki.enrolled.certPath, 'utf8'));

describe('cmpflow client against openssl cmp -port (mock server)', () => {
  describe.each([
    ['PBM', pbm],
    ['signature', signed],
  ] as const)('with %s protection', (_name, options) => {
    it.each(['ir', 'cr'] as const)('enrolls with %s, confirms, and returns the certificate, chain and caPubs', async (kind) => {
      await withServer([], async (server) => {
        const client = new CmpClient(options(server));
        const result = await client.certReq(kind);
        expect(result.certificate.equal(enrolledCert())).toBe(true);
        expect(result.status).toBe(0);
        // The mock sends caPubs (RFC 9483: in ip only); ours come from an authenticated response.
        const root = new X509Certificate(readFileSync(pki.trustedPath, 'utf8')).subject;
        expect(result.caPubs.map((c) => c.subject)).toEqual(kind === 'ir' ? [root] : []);
        expect(result.extraCerts.length).toBeGreaterThan(0);
        expect(result.implicitConfirmGranted).toBe(false);
        await client.close();
      });
    });

    it('enrolls with p10cr from a CSR', async () => {
      await withServer([], async (server) => {
        const client = new CmpClient(options(server, { csr: `${pki.dir}/new.csr`, newKey: undefined, subject: undefined }));
        const { execFileSync } = await import('child_process');
        execFileSync('openssl', ['req', '-new', '-key', pki.newKeyPath, '-subj', '/CN=p10cr device', '-out', `${pki.dir}/new.csr`]);
        const result = await client.p10cr();
        expect(result.certificate.equal(enrolledCert())).toBe(true);
      });
    });

    it('updates a key with kur, protected by the certificate being updated when signing', async () => {
      await withServer([], async (server) => {
        const base = options(server, { oldCert: pki.enrolled.certPath });
        const client = new CmpClient(_name === 'signature' ? { ...base, cert: pki.enrolled.certPath, key: pki.newKeyPath } : base);
        const result = await client.kur();
        expect(result.certificate.equal(enrolledCert())).toBe(true);
      });
    });

    it('revokes with rr', async () => {
      await withServer([], async (server) => {
        const client = new CmpClient(options(server, { oldCert: pki.enrolled.certPath, revReason: 1 }));
        const result = await client.rr();
        expect(result.statusName).toBe('accepted');
      });
    });

    it('exchanges general messages with genm', async () => {
      await withServer([], async (server) => {
        const client = new CmpClient(options(server));
        // id-it-signKeyPairTypes with no value; the mock echoes the ITAVs.
        const result = await client.genm([{ infoType: '1.3.6.1.5.5.7.4.2' }]);
        expect(result.itavs.map((i) => i.infoType)).toEqual(['1.3.6.1.5.5.7.4.2']);
      });
    });

    it('polls while the server answers waiting, then confirms', async () => {
      await withServer(['-poll_count', '2', '-check_after', '0'], async (server) => {
        const result = await new CmpClient(options(server)).ir();
        expect(result.polls).toBe(2);
        expect(result.certificate.equal(enrolledCert())).toBe(true);
      });
    });

    it('skips certConf when the server grants implicit confirmation', async () => {
      await withServer(['-grant_implicitconf'], async (server) => {
        const result = await new CmpClient(options(server, { implicitConfirm: true })).ir();
        expect(result.implicitConfirmGranted).toBe(true);
      });
    });

    it('reports an error message from the server with its status and failInfo', async () => {
      await withServer(['-send_error'], async (server) => {
        const e = await expectCode(new CmpClient(options(server)).ir(), 'ERR_ERROR_RESPONSE');
        expect(e.status).toBe(2);
        expect(e.failInfo).toEqual(['badRequest']);
      });
    });
  });

  it.each([
    [0, 'accepted'],
    [1, 'grantedWithMods'],
  ])('treats PKIStatus %i (%s) with a certificate as success', async (status, name) => {
    await withServer(['-pkistatus', String(status)], async (server) => {
      const result = await new CmpClient(pbm(server)).ir();
      expect(result.statusName).toBe(name);
    });
  });

  it('reports a rejection with failInfo and statusString', async () => {
    await withServer(['-pkistatus', '2', '-failure', '5', '-statusstring', 'not today'], async (server) => {
      const e = await expectCode(new CmpClient(pbm(server)).ir(), 'ERR_REQUEST_REJECTED');
      expect(e.failInfo).toEqual(['badDataFormat']);
      expect(e.statusString).toEqual(['not today']);
    });
  });

  it('refuses an unprotected error message unless unprotectedErrors is set', async () => {
    await withServer(['-send_error', '-send_unprot_err'], async (server) => {
      await expectCode(new CmpClient(pbm(server)).ir(), 'ERR_PROTECTION_MISSING');
      await expectCode(new CmpClient(pbm(server, { unprotectedErrors: true })).ir(), 'ERR_ERROR_RESPONSE');
    });
  });

  it('refuses an unprotected certificate response even with unprotectedErrors', async () => {
    await withServer(['-send_unprotected'], async (server) => {
      await expectCode(new CmpClient(pbm(server)).ir(), 'ERR_PROTECTION_MISSING');
      await expectCode(new CmpClient(pbm(server, { unprotectedErrors: true })).ir(), 'ERR_PROTECTION_MISSING');
    });
  });

  it('fails with a wrong secret without accepting anything', async () => {
    await withServer([], async (server) => {
      await expectCode(new CmpClient(pbm(server, { secret: 'wrong' })).ir(), 'ERR_PROTECTION_INVALID');
    });
  });

  it('sends a negative certConf when the accept hook rejects the certificate', async () => {
    await withServer([], async (server) => {
      const seen: string[] = [];
      const client = new CmpClient(
        pbm(server, {
          acceptCertificate: (info) => {
            seen.push(info.certificate.subject);
            return { accept: false, failInfo: ['badCertTemplate'], text: 'not the subject we asked for' };
          },
        }),
      );
      const e = await expectCode(client.ir(), 'ERR_CERT_REJECTED_BY_CLIENT');
      expect(e.failInfo).toEqual(['badCertTemplate']);
      expect(seen).toEqual([enrolledCert().subject]);
    });
  });

  // OpenSSL 3.0's mock server cancels a transaction when a kept-alive connection is closed under
  // it (apps/cmp.c cmp_server): with the default keep-alive, the steps must share one connection.
  it('tryCertReq returns checkAfter while waiting and the certificate when done, over the one kept connection', async () => {
    await withServer(['-poll_count', '3', '-check_after', '7'], async (server) => {
      const client = new CmpClient(pbm(server));
      const first = await client.tryCertReq('ir');
      expect(first).toMatchObject({ status: 'waiting', checkAfter: 7 });
      const second = await client.tryCertReq('ir');
      expect(second).toMatchObject({ status: 'waiting', checkAfter: 7 });
      const third = await client.tryCertReq('ir');
      expect(third.status).toBe('issued');
      if (third.status === 'issued') {
        expect(third.result.certificate.equal(enrolledCert())).toBe(true);
        expect(third.result.polls).toBe(3);
      }
    });
  });

  it('aborts a waiting enrollment by sending an error message', async () => {
    await withServer(['-poll_count', '5', '-check_after', '30'], async (server) => {
      const client = new CmpClient(pbm(server));
      expect((await client.tryCertReq('ir')).status).toBe('waiting');
      await client.abort();
      await expectCode(client.abort(), 'ERR_SESSION_STATE');
    });
  });

  it('gives up with ERR_TOTAL_TIMEOUT when polling outlasts the total timeout', async () => {
    await withServer(['-poll_count', '10', '-check_after', '1'], async (server) => {
      const started = Date.now();
      await expectCode(new CmpClient(pbm(server, { totalTimeout: 2 })).ir(), 'ERR_TOTAL_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(6000);
    });
  });

  it('fails with ERR_CONNECTION when no server listens', async () => {
    await expectCode(new CmpClient({ ...pbm({ url: 'http://127.0.0.1:1/pkix/' } as MockServer) }).ir(), 'ERR_CONNECTION');
  });
});

describe('client-side refusal of a new certificate', () => {
  it('answers a certificate for another key with a negative certConf (incorrectData) and fails with ERR_PUBLIC_KEY_MISMATCH', async () => {
    await withServer(['-verbosity', '7'], async (server) => {
      // The mock always returns -rsp_cert, whose key is not the client key we ask for here.
      const e = await expectCode(new CmpClient(pbm(server, { newKey: pki.client.keyPath })).ir(), 'ERR_PUBLIC_KEY_MISMATCH');
      expect(e.failInfo).toEqual(['incorrectData']);
      expect(await waitForLog(server, /received CERTCONF/)).toMatch(/received CERTCONF/);
    });
  });

  it('fails without certConf when the refused certificate was issued with implicit confirmation', async () => {
    await withServer(['-grant_implicitconf', '-verbosity', '7'], async (server) => {
      await expectCode(new CmpClient(pbm(server, { newKey: pki.client.keyPath, implicitConfirm: true })).ir(), 'ERR_PUBLIC_KEY_MISMATCH');
      await new Promise((r) => setTimeout(r, 300)); // let any log line arrive before saying there is none
      expect(server.log()).not.toMatch(/received CERTCONF/);
    });
  });
});
