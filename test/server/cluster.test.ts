/**
 * The embedded CA on several worker threads (createCmpCluster), over HTTP as `listen()` serves it:
 * a transaction, polls and confirmation included, stays with the worker its transactionID routes
 * to, and what one worker issued is known to every other one (rr, name bindings, the CRL).
 */
import { X509Crl } from '@peculiar/x509';
import { randomBytes } from 'node:crypto';
import { CmpClient } from '../../src/client';
import { getCryptoProvider } from '../../src/crypto';
import { CmpError } from '../../src/errors';
import type { CmpClientOptions } from '../../src/options';
import { createCmpCluster, createThrowawayCa, listen, type CmpCluster, type CmpServerConfig, type ThrowawayCa } from '../../src/server';
import { transactionIdOf, workerForTransactionId } from '../../src/server/cluster-routing';

jest.setTimeout(120_000);

const REF = 'cluster-device';
const SECRET = 'cluster secret';
/** A reference gets the names of its first certificate (trust on first use), so every enrollment under REF asks for these. */
const SUBJECT = '/CN=cluster device';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => ca?.cleanup());

interface Running {
  cluster: CmpCluster;
  url: string;
  /** The worker each request went to, in order. */
  routed: number[];
}

async function withCluster<T>(extra: Partial<CmpServerConfig>, run: (r: Running) => Promise<T>): Promise<T> {
  const requests: string[] = [];
  const cluster = createCmpCluster(
    { ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }], onRequest: (type) => requests.push(type), ...extra },
    { workers: 2 },
  );
  await cluster.ready();
  const routed: number[] = [];
  const listener = await listen({
    maxMsgs: 0,
    handle: (der) => {
      routed.push(workerForTransactionId(transactionIdOf(der)!, 2));
      return cluster.handle(der);
    },
  });
  try {
    return await run({ cluster, url: listener.url, routed });
  } finally {
    await listener.close();
    await cluster.close();
  }
}

/** A transactionID that the cluster routes to `worker`. */
function idFor(worker: number): Uint8Array {
  for (;;) {
    const id = new Uint8Array(randomBytes(16));
    if (workerForTransactionId(id, 2) === worker) return id;
  }
}

const newKey = () => getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
const pbm = (url: string, more: Partial<CmpClientOptions> = {}): CmpClientOptions => ({
  server: url,
  ref: REF,
  secret: SECRET,
  trusted: [ca.ca.cert],
  ...more,
});

describe('a CA cluster of two workers', () => {
  it('answers an ir with polling and certConf on each worker, every message of a transaction reaching the worker that holds it', async () => {
    await withCluster({ pollCount: 2, checkAfter: 1 }, async ({ cluster, url, routed }) => {
      for (const worker of [0, 1]) {
        routed.length = 0;
        const r = await new CmpClient(pbm(url, { newKey: await newKey(), subject: SUBJECT, transactionId: idFor(worker) })).ir();
        expect(r.certificate.subject).toBe('CN=cluster device');
        expect(r.polls).toBeGreaterThanOrEqual(1);
        // ir, at least one pollReq, certConf: all to one worker.
        expect(routed.length).toBeGreaterThanOrEqual(3);
        expect(new Set(routed)).toEqual(new Set([worker]));
      }
      expect(cluster.counters.perWorker.every((n) => n >= 3)).toBe(true);
    });
  });

  it('revokes on one worker a certificate the other worker issued, and both know it is revoked', async () => {
    await withCluster({}, async ({ cluster, url }) => {
      for (const [issuer, revoker] of [
        [0, 1],
        [1, 0],
      ] as const) {
        const key = await newKey();
        const { certificate } = await new CmpClient(pbm(url, { newKey: key, subject: SUBJECT, transactionId: idFor(issuer) })).ir();
        const signed = { server: url, cert: certificate, key, oldCert: certificate, trusted: [ca.ca.cert] };
        const r = await new CmpClient({ ...signed, revReason: 1, transactionId: idFor(revoker) }).rr();
        expect(r.statusName).toBe('accepted');
        // The issuing worker refuses a second revocation: it learnt of the first.
        const again = await new CmpClient({ ...signed, transactionId: idFor(issuer) }).rr().catch((e: unknown) => e);
        expect(again).toBeInstanceOf(CmpError);
        expect((again as CmpError).failInfo).toEqual(expect.arrayContaining(['certRevoked']));
        const crl = new X509Crl(await cluster.crl());
        expect(crl.findRevoked(certificate)).not.toBeNull();
      }
    });
  });

  it('renews on one worker a certificate the other worker issued, asked at once after the ip', async () => {
    await withCluster({}, async ({ url }) => {
      for (const [issuer, renewer] of [
        [0, 1],
        [1, 0],
      ] as const) {
        const key = await newKey();
        const { certificate } = await new CmpClient(pbm(url, { newKey: key, subject: SUBJECT, transactionId: idFor(issuer) })).ir();
        const fresh = await newKey();
        const r = await new CmpClient({
          server: url,
          cert: certificate,
          key,
          oldCert: certificate,
          newKey: fresh,
          trusted: [ca.ca.cert],
          transactionId: idFor(renewer),
        }).kur();
        expect(r.certificate.subject).toBe('CN=cluster device');
        expect(Buffer.from(r.certificate.publicKey.rawData).equals(Buffer.from(fresh.spki))).toBe(true);
      }
    });
  });

  it('binds a reference to its first names on every worker: another name asked on the other worker at once is refused', async () => {
    const refs = [0, 1].map((i) => ({ ref: `binding-${i}`, secret: `binding secret ${i}` }));
    await withCluster({ secrets: refs }, async ({ url }) => {
      for (const [first, other] of [
        [0, 1],
        [1, 0],
      ] as const) {
        const device = refs[first]!;
        const client = (subject: string, worker: number) =>
          newKey().then((key) =>
            new CmpClient({ server: url, ...device, trusted: [ca.ca.cert], newKey: key, subject, transactionId: idFor(worker) }).ir(),
          );
        await client(`/CN=first of ${device.ref}`, first);
        const e = await client(`/CN=second of ${device.ref}`, other).catch((err: unknown) => err);
        expect(e).toBeInstanceOf(CmpError);
        expect((e as CmpError).failInfo).toEqual(['notAuthorized']);
        // The names it holds are still its own there.
        const again = await client(`/CN=first of ${device.ref}`, other);
        expect(again.certificate.subject).toBe(`CN=first of ${device.ref}`);
      }
    });
  });

  it('keeps a name bound to the reference that got it first, whichever worker the other reference asks', async () => {
    await withCluster(
      {
        secrets: [
          { ref: REF, secret: SECRET },
          { ref: 'other-device', secret: 'other secret' },
        ],
      },
      async ({ url }) => {
        await new CmpClient(pbm(url, { newKey: await newKey(), subject: '/CN=taken', transactionId: idFor(0) })).ir();
        for (const worker of [0, 1]) {
          const e = await new CmpClient({
            server: url,
            ref: 'other-device',
            secret: 'other secret',
            trusted: [ca.ca.cert],
            newKey: await newKey(),
            subject: '/CN=taken',
            transactionId: idFor(worker),
          })
            .ir()
            .catch((err: unknown) => err);
          expect(e).toBeInstanceOf(CmpError);
          expect((e as CmpError).failInfo).toEqual(['notAuthorized']);
        }
      },
    );
  });

  it('gives a name to one of two references asking for it at the same moment on two workers', async () => {
    // A reference keeps the names of its first certificate, so each round has references of its own.
    const racers = (round: number) => [0, 1].map((i) => ({ ref: `racer-${round}-${i}`, secret: `racer secret ${round} ${i}` }));
    await withCluster({ secrets: [0, 1, 2].flatMap(racers) }, async ({ url, cluster }) => {
      for (const round of [0, 1, 2]) {
        const subject = `/CN=contested ${round}`;
        const ask = (racer: { ref: string; secret: string }, worker: number) =>
          newKey().then((key) =>
            new CmpClient({ server: url, ...racer, trusted: [ca.ca.cert], newKey: key, subject, transactionId: idFor(worker) }).ir(),
          );
        const outcomes = await Promise.allSettled(racers(round).map((racer, worker) => ask(racer, worker)));
        expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
        const refused = outcomes.findIndex((o) => o.status === 'rejected');
        // Refused by the worker's own check, or, when both checks passed at once, by the main thread's.
        expect(((outcomes[refused] as PromiseRejectedResult).reason as CmpError).failInfo).toEqual(['notAuthorized']);
        // Both workers know who holds the name now: the other reference is refused on either.
        for (const worker of [0, 1]) {
          const again = await ask(racers(round)[refused]!, worker).catch((e: unknown) => e);
          expect((again as CmpError).failInfo).toEqual(['notAuthorized']);
        }
      }
      expect(cluster.counters.perWorker.every((n) => n > 0)).toBe(true);
    });
  });

  it('refuses a transactionID in use, whichever worker started it', async () => {
    await withCluster({}, async ({ url }) => {
      const id = idFor(1);
      await new CmpClient(pbm(url, { newKey: await newKey(), subject: SUBJECT, transactionId: id })).ir();
      const e = await new CmpClient(pbm(url, { newKey: await newKey(), subject: SUBJECT, transactionId: id })).ir().catch((err: unknown) => err);
      expect(e).toBeInstanceOf(CmpError);
      expect((e as CmpError).failInfo).toEqual(['transactionIdInUse']);
    });
  });

  it('refuses options that cannot reach a worker thread, by name', () => {
    expect(() => createCmpCluster({ ...ca.serverConfig(), srvSecret: SECRET, now: () => new Date() }, { workers: 2 })).toThrow(
      /config\.now: a function cannot be handed to the workers/,
    );
    expect(() => createCmpCluster({ ...ca.serverConfig(), srvSecret: SECRET }, { workers: 0 })).toThrow(/1 to 64 workers/);
  });
});
