/**
 * Indirect proof of possession from the client's side (RFC 9810 section 5.2.8.3), against the embedded CA
 * over HTTP on loopback: with popo 2 (an RSA key, key transport) and popo 3 (an EC key, key agreement) the
 * CA returns the certificate encrypted for the new key, the client decrypts it, checks that it certifies
 * the requested key and confirms it with certConf, which is what proves possession to the CA (its record
 * of the certificate is confirmed only then). The CMS itself is cross-checked with openssl in
 * test/server/indirect-pop.test.ts and test/cms/encrypted-certificate.test.ts.
 */
import { CmpClient } from '../../src/client';
import { getCryptoProvider, type KeySpec } from '../../src/crypto';
import { encodePem, publicKeyMatches } from '../../src/credentials';
import { generateMlKemKey } from '../../src/crypto/ml-kem';
import { createCmpServer, createThrowawayCa, listen, type CmpServer, type ThrowawayCa } from '../../src/server';
import type { CmpClientOptions } from '../../src/options';

const SECRET = 'indirect-pop-secret';
let ca: ThrowawayCa;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  await ca?.cleanup();
});

async function start(extra: { pollCount?: number; checkAfter?: number } = {}): Promise<{ server: CmpServer; url: string }> {
  const server = createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: 'client', secret: SECRET }], checkAfter: 0, ...extra });
  const listener = await listen(server);
  closers.push(() => listener.close());
  return { server, url: listener.url };
}

const options = (url: string): CmpClientOptions => ({ server: url, ref: 'client', secret: SECRET, trusted: [ca.ca.cert] });

describe.each([
  ['popo 2 (keyEncipherment) with an RSA key', 2 as const, { type: 'rsa', modulusLength: 2048 } as KeySpec],
  ['popo 3 (keyAgreement) with an EC key', 3 as const, { type: 'ec', curve: 'P-256' } as KeySpec],
])('%s', (_name, popo, spec) => {
  it('enrolls: the encrypted certificate is decrypted with the new key and confirmed by certConf', async () => {
    const { server, url } = await start();
    const newKey = await getCryptoProvider().generateKey(spec);
    const r = await new CmpClient({ ...options(url), newKey, popo, subject: `/CN=indirect ${popo}` }).ir();
    expect(r.certificate.subject).toBe(`CN=indirect ${popo}`);
    expect(publicKeyMatches(newKey, r.certificate)).toBe(true);
    expect(server.state.ca!.record(r.certificate.serialNumber)!.confirmed).toBe(true);
  });

  it('enrolls after polling, when the CA answers waiting first', async () => {
    const { url } = await start({ pollCount: 2 });
    const newKey = await getCryptoProvider().generateKey(spec);
    const r = await new CmpClient({ ...options(url), newKey, popo, subject: `/CN=polled ${popo}` }).cr();
    expect(r.polls).toBeGreaterThanOrEqual(1);
    expect(publicKeyMatches(newKey, r.certificate)).toBe(true);
  });
});

it('waits with tryCertReq and finishes in another client with resume: the new key there opens the certificate', async () => {
  const { server, url } = await start({ pollCount: 2, checkAfter: 1 });
  const kem = generateMlKemKey('ml-kem-768');
  const opts: CmpClientOptions = { ...options(url), newKey: kem.pkcs8(), subject: '/CN=resumed' };
  const step = await new CmpClient(opts).tryCertReq('ir');
  expect(step.status).toBe('waiting');
  if (step.status !== 'waiting') return;
  const session = JSON.parse(JSON.stringify(step.session)) as typeof step.session;
  const r = await new CmpClient(opts).resume(session);
  expect(Buffer.from(r.certificate.publicKey.rawData)).toEqual(Buffer.from(kem.spki()));
  expect(server.state.ca!.record(r.certificate.serialNumber)!.confirmed).toBe(true);
});

describe('an ML-KEM key', () => {
  it.each([['ml-kem-512'], ['ml-kem-768'], ['ml-kem-1024']] as const)(
    'enrolls an %s key given as PKCS#8 PEM: keyEncipherment by default, the certificate decapsulated and confirmed',
    async (variant) => {
      const { server, url } = await start();
      const kem = generateMlKemKey(variant);
      const r = await new CmpClient({ ...options(url), newKey: encodePem('PRIVATE KEY', kem.pkcs8()), subject: `/CN=${variant}` }).ir();
      expect(Buffer.from(r.certificate.publicKey.rawData)).toEqual(Buffer.from(kem.spki()));
      expect(server.state.ca!.record(r.certificate.serialNumber)!.confirmed).toBe(true);
    },
  );

  it('is refused with popo 1: it cannot sign (ERR_INVALID_OPTION)', async () => {
    const { url } = await start();
    const newKey = encodePem('PRIVATE KEY', generateMlKemKey('ml-kem-768').pkcs8());
    await expect(new CmpClient({ ...options(url), newKey, popo: 1, subject: '/CN=sign' }).ir()).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

it('refuses a popo that the new key cannot serve before anything is sent (ERR_INVALID_OPTION)', async () => {
  const { server, url } = await start();
  const rsa = await getCryptoProvider().generateKey({ type: 'rsa', modulusLength: 2048 });
  const ec = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  await expect(new CmpClient({ ...options(url), newKey: rsa, popo: 3, subject: '/CN=wrong' }).ir()).rejects.toMatchObject({
    code: 'ERR_INVALID_OPTION',
  });
  await expect(new CmpClient({ ...options(url), newKey: ec, popo: 2, subject: '/CN=wrong' }).ir()).rejects.toMatchObject({
    code: 'ERR_INVALID_OPTION',
  });
  expect(server.state.ca!.issued).toHaveLength(0);
});
