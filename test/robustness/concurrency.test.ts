/**
 * 1,000 enrollments at once against the embedded CA, with faults injected at random into the
 * exchange (lost requests, lost answers, corrupted answers, answers of another transaction, slow
 * answers): every session ends with its own certificate or a CmpError, and none gets another's.
 */
import { getCryptoProvider, type PrivateKeyHandle } from '../../src/crypto';
import { CmpClient } from '../../src/client';
import { CmpError } from '../../src/errors';
import { createCmpServer, createThrowawayCa, type ThrowawayCa } from '../../src/server';
import type { Transfer } from '../../src/transport';

const SESSIONS = 1000;
const REF = 'fleet';
const SECRET = 'fleet-secret';

/** A deterministic pseudo-random sequence, so that a failure can be replayed. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

let ca: ThrowawayCa;
beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => ca?.cleanup());

it(`runs ${SESSIONS} concurrent enrollments with random faults: each gets its own certificate or a clear error`, async () => {
  const server = createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }] });
  const random = prng(20261126);
  const answered: Uint8Array[] = [];
  const faults = { dropRequest: 0, dropAnswer: 0, corrupt: 0, foreign: 0, slow: 0 };

  // The network between the fleet and the CA: usually fine, sometimes not.
  const network: Transfer = async (request) => {
    const roll = random();
    if (roll < 0.02) {
      faults.dropRequest += 1;
      throw new CmpError('ERR_CONNECTION', 'connection reset');
    }
    const response = await server.handle(request);
    answered.push(response);
    if (roll < 0.04) {
      faults.dropAnswer += 1;
      throw new CmpError('ERR_TIMEOUT', 'no answer');
    }
    if (roll < 0.06) {
      faults.corrupt += 1;
      const bad = Uint8Array.from(response);
      bad[Math.floor(random() * bad.length)] ^= 0x5a;
      return bad;
    }
    if (roll < 0.08 && answered.length > 1) {
      faults.foreign += 1;
      return answered[Math.floor(random() * (answered.length - 1))];
    }
    if (roll < 0.1) {
      faults.slow += 1;
      await new Promise((r) => setTimeout(r, 20));
    }
    return response;
  };

  const provider = getCryptoProvider();
  const keys: PrivateKeyHandle[] = await Promise.all(Array.from({ length: SESSIONS }, () => provider.generateKey({ type: 'ec', curve: 'P-256' })));
  const heapBefore = process.memoryUsage().heapUsed;

  const outcomes = await Promise.allSettled(
    keys.map((newKey, i) =>
      new CmpClient({ transfer: network, ref: REF, secret: SECRET, trusted: [ca.ca.cert], newKey, subject: `/CN=device-${i}` }).ir(),
    ),
  );

  let issued = 0;
  const serials = new Set<string>();
  outcomes.forEach((outcome, i) => {
    if (outcome.status === 'fulfilled') {
      issued += 1;
      const cert = outcome.value.certificate;
      // Its own certificate: its own subject and its own key.
      expect(cert.subject).toBe(`CN=device-${i}`);
      expect(Buffer.from(cert.publicKey.rawData).equals(Buffer.from(keys[i].spki))).toBe(true);
      serials.add(cert.serialNumber);
    } else {
      expect(outcome.reason).toBeInstanceOf(CmpError);
      expect((outcome.reason as CmpError).code).toMatch(/^ERR_[A-Z0-9_]+$/);
    }
  });
  expect(serials.size).toBe(issued);
  // Most sessions meet no fault at all (about 0.9^4 of them), so most must succeed.
  expect(issued).toBeGreaterThan(SESSIONS * 0.5);
  expect(Object.values(faults).every((n) => n > 0)).toBe(true);
  // Nothing of the finished sessions is kept: memory stays bounded (generous bound, GC is lazy).
  expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(512 * 1024 * 1024);
}, 240_000);
