/**
 * Delayed delivery of answers that are no certificate (RFC 9810 section 5.3.22, RFC 9483 section
 * 4.4), between cmpflow's client and cmpflow's embedded CA over HTTP on loopback: the CA answers
 * rr, genm and certConf with an error message of status `waiting` and the client polls for the
 * rp, genp and pkiConf, blocking, step by step, and from a session saved in another client.
 */
import { X509Crl } from '@peculiar/x509';
import { CmpOids } from '../../src/asn1';
import { CmpClient } from '../../src/client';
import { getCryptoProvider } from '../../src/crypto';
import { CmpError } from '../../src/errors';
import type { CmpClientOptions } from '../../src/options';
import { createCmpServer, createThrowawayCa, listen, type CmpServer, type CmpServerConfig, type ThrowawayCa } from '../../src/server';

const REF = 'delayed-1';
const SECRET = 'delayed-delivery-secret';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => ca?.cleanup());

async function withCa<T>(extra: Partial<CmpServerConfig>, run: (url: string, server: CmpServer) => Promise<T>): Promise<T> {
  const server = createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }], ...extra });
  const listener = await listen(server);
  try {
    return await run(listener.url, server);
  } finally {
    await listener.close();
  }
}

const newKey = () => getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
const pbm = (url: string, more: Partial<CmpClientOptions> = {}): CmpClientOptions => ({
  server: url,
  ref: REF,
  secret: SECRET,
  trusted: [ca.ca.cert],
  subject: '/CN=delayed',
  ...more,
});

/** A certificate of our own to revoke, issued at once. */
async function victim(url: string) {
  const key = await newKey();
  const r = await new CmpClient(pbm(url, { newKey: key })).ir();
  return { cert: r.certificate, key };
}

describe('blocking sessions with delayed delivery', () => {
  it('rr polls until the delayed rp comes, and the certificate is revoked', async () => {
    await withCa({ delayedDelivery: { rr: 2 }, checkAfter: 1 }, async (url) => {
      const { cert, key } = await victim(url);
      const started = Date.now();
      const r = await new CmpClient({ server: url, cert, key, oldCert: cert, trusted: [ca.ca.cert] }).rr();
      expect(r.statusName).toBe('accepted');
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
      const crl = await new CmpClient(pbm(url)).getCrlUpdate({ cert });
      expect(crl).toBeInstanceOf(X509Crl);
      expect(crl!.findRevoked(cert)).not.toBeNull();
    });
  });

  it('genm polls until the delayed genp comes', async () => {
    await withCa({ delayedDelivery: { genm: 2 }, checkAfter: 1 }, async (url) => {
      const certs = await new CmpClient(pbm(url)).getCaCerts();
      expect(certs.map((c) => c.subject)).toContain(ca.ca.cert.subject);
    });
  });

  it('an enrollment whose certConf is answered waiting polls for the pkiConf and is confirmed at the CA', async () => {
    await withCa({ delayedDelivery: { certConf: 2 }, checkAfter: 1 }, async (url, server) => {
      const r = await new CmpClient(pbm(url, { newKey: await newKey() })).ir();
      expect(r.certificate.subject).toBe('CN=delayed');
      expect(server.state.ca!.record(Buffer.from(r.certificate.serialNumber, 'hex'))?.confirmed).toBe(true);
    });
  });

  it('endless waiting ends at the total timeout with ERR_TOTAL_TIMEOUT', async () => {
    await withCa({ delayedDelivery: { genm: 1000 }, checkAfter: 1 }, async (url) => {
      const started = Date.now();
      const e = await new CmpClient(pbm(url, { totalTimeout: 2 })).genm().catch((err: unknown) => err);
      expect(e).toBeInstanceOf(CmpError);
      expect((e as CmpError).code).toBe('ERR_TOTAL_TIMEOUT');
      expect(Date.now() - started).toBeLessThan(6000);
    });
  });

  it('a waiting error message the client cannot authenticate is refused like any unauthenticated answer', async () => {
    await withCa({ delayedDelivery: { genm: 2 }, sendUnprotErr: true }, async (url) => {
      const e = await new CmpClient(pbm(url, { unprotectedErrors: true })).genm().catch((err: unknown) => err);
      expect((e as CmpError).code).toBe('ERR_PROTECTION_MISSING');
    });
  });
});

describe('stepping and resuming delayed sessions', () => {
  it('tryGenm returns the wait, and the next tryGenm on the same client gets the genp', async () => {
    await withCa({ delayedDelivery: { genm: 2 }, checkAfter: 1 }, async (url) => {
      const client = new CmpClient(pbm(url));
      const first = await client.tryGenm();
      expect(first).toMatchObject({ status: 'waiting', checkAfter: 1 });
      const second = await client.tryGenm();
      expect(second.status).toBe('done');
      await client.close();
    });
  });

  it('a revocation saved while waiting is finished by another client object from the JSON alone', async () => {
    await withCa({ delayedDelivery: { rr: 2 }, checkAfter: 30 }, async (url) => {
      const { cert, key } = await victim(url);
      const options = { server: url, cert, key, oldCert: cert, trusted: [ca.ca.cert] };
      const first = await new CmpClient(options).tryRr();
      expect(first.status).toBe('waiting');
      if (first.status !== 'waiting') return;
      const saved = JSON.stringify(first.session);
      expect(JSON.parse(saved)).toMatchObject({ machine: 'revocation', snapshot: { value: 'waiting' } });
      // Another process: a fresh client with the credentials, whose clock is past the 30 s wait.
      const r = await new CmpClient({ ...options, now: () => Date.now() + 31_000 }).resumeRr(saved);
      expect(r.statusName).toBe('accepted');
    });
  });

  it('a general message saved while waiting is polled once by another client with tryResumeGenm', async () => {
    await withCa({ delayedDelivery: { genm: 2 }, checkAfter: 30 }, async (url) => {
      const first = await new CmpClient(pbm(url)).tryGenm([{ infoType: CmpOids.idItCaCerts }]);
      if (first.status !== 'waiting') throw new Error('expected a wait');
      const next = await new CmpClient(pbm(url)).tryResumeGenm(JSON.stringify(first.session));
      expect(next.status).toBe('done');
      if (next.status === 'done') expect(next.result.itavs.map((i) => i.infoType)).toEqual([CmpOids.idItCaCerts]);
    });
  });

  it('an enrollment saved while its certConf waits resumes in another client and ends with the certificate', async () => {
    await withCa({ delayedDelivery: { certConf: 2 }, checkAfter: 30 }, async (url) => {
      const key = await newKey();
      const first = await new CmpClient(pbm(url, { newKey: key })).tryCertReq('ir');
      if (first.status !== 'waiting') throw new Error('expected a wait');
      expect(first.session.snapshot).toMatchObject({ value: 'confirmationWaiting' });
      const done = await new CmpClient(pbm(url, { newKey: key, now: () => Date.now() + 31_000 })).resume(JSON.stringify(first.session));
      expect(done.certificate.subject).toBe('CN=delayed');
    });
  });
});
