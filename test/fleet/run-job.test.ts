/**
 * The fleet's job handler against the embedded CA answering `waiting`: a waiting answer leaves the
 * job waiting with its session and the absolute time of the next poll, the next step finishes it;
 * and a worker that dies after a message went out (its answer lost) leaves the job to one that
 * sends that very message again, so the CA sees one transaction and issues one certificate.
 */
import { readFileSync, writeFileSync } from 'fs';
import { CmpClient } from '../../src/client';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { parsePem } from '../../src/credentials/pem';
import { CmpError } from '../../src/errors';
import {
  createJobHandler,
  environmentResolver,
  openDirectoryQueue,
  type CredentialResolver,
  type FleetJobSpec,
  type PreparedJob,
} from '../../src/fleet';
import type { Transfer } from '../../src/transport/types';
import { countingCa, createThrowawayCa, deviceKey, REF, scratch, SECRET, type CountingCa } from './support';
import type { ThrowawayCa } from '../../src/server';

let throwaway: ThrowawayCa;
beforeAll(async () => {
  throwaway = await createThrowawayCa();
});
afterAll(async () => throwaway?.cleanup());

const certIn = (file: string) => new X509Certificate(new Uint8Array(parsePem(readFileSync(file, 'utf8'))[0]!.der));

function spec(dir: string, id: string): FleetJobSpec {
  return {
    id,
    cmd: 'ir',
    options: { subject: `/CN=${id}`, newkey: deviceKey(dir, id), certout: path.join(dir, `${id}.pem`), secret: 'env:FLEET_SECRET' },
  };
}

/** What the CLI's prepare does, reduced to the options these tests use; the secret comes from this worker's resolver. */
function prepare(transfer: Transfer) {
  return async (s: FleetJobSpec, resolve: CredentialResolver): Promise<PreparedJob> => ({
    client: {
      transfer,
      ref: REF,
      secret: await resolve(s.options.secret as string, 'secret'),
      trusted: [throwaway.ca.cert],
      newKey: s.options.newkey as string,
      subject: s.options.subject as string,
    },
    outputs: { certOut: s.options.certout as string },
  });
}

const direct =
  (ca: CountingCa): Transfer =>
  (request) =>
    ca.server.handle(request);

const resolveCredential = environmentResolver({ FLEET_SECRET: SECRET }, '/');

describe('the fleet job handler', () => {
  it('leaves a job waiting with its session and next poll time while the CA says waiting, then writes the certificate', async () => {
    // The first `waiting` ip makes the client poll at once; the pollRep after it asks for a rest.
    const ca = await countingCa(throwaway, { pollCount: 2, checkAfter: 1 });
    const dir = scratch();
    const queue = await openDirectoryQueue(path.join(dir, 'queue'), { create: true });
    await queue.submit([spec(dir, 'device-1')]);
    const handler = createJobHandler({ prepare: prepare(direct(ca)), resolveCredential });

    const before = Date.now();
    const first = new AbortController();
    const working = queue.work(handler, { signal: first.signal });
    let waiting = await queue.get('device-1');
    while (waiting?.state !== 'waiting') {
      await new Promise((r) => setTimeout(r, 20));
      waiting = await queue.get('device-1');
    }
    first.abort();
    await working;
    expect(waiting.session?.format).toBe('cmpflow-session');
    expect(waiting.dueAt).toBeGreaterThanOrEqual(before + 1000);
    expect(waiting.dueAt).toBeLessThan(Date.now() + 1500);
    expect(waiting.transactionId).toMatch(/^[0-9a-f]{32}$/);
    expect(JSON.stringify(waiting)).not.toContain(SECRET);
    expect(ca.received).toEqual(['IR', 'POLLREQ']);

    await queue.work(handler, { untilIdle: true });
    const done = await queue.get('device-1');
    expect(done?.state).toBe('done');
    const cert = certIn(path.join(dir, 'device-1.pem'));
    expect(cert.subject).toBe('CN=device-1');
    expect(done?.result).toEqual({ files: [path.join(dir, 'device-1.pem')], serialNumber: ca.issued[0], notAfter: cert.notAfter.toISOString() });
    expect(ca.received).toEqual(['IR', 'POLLREQ', 'POLLREQ', 'CERTCONF']);
    expect(await queue.counts()).toMatchObject({ total: 1, done: 1, pending: 0, waiting: 0, failed: 0 });
  });

  it.each([
    ['ir', 1],
    ['pollReq', 2],
    ['certConf', 4],
  ])('resumes the same transaction when the answer to the %s was lost: one ir, one certificate', async (lost, messageNumber) => {
    const ca = await countingCa(throwaway, { pollCount: 2, checkAfter: 0 });
    const dir = scratch();
    const queue = await openDirectoryQueue(path.join(dir, 'queue'), { create: true, retryDelayMs: 10 });
    await queue.submit([spec(dir, 'device-2')]);
    let sent = 0;
    // The CA gets the message and answers, but the answer never comes back: the worker died with it.
    const losing: Transfer = async (request) => {
      const answer = await ca.server.handle(request);
      if (++sent === messageNumber) throw new CmpError('ERR_CONNECTION', 'connection reset (the worker died)');
      return answer;
    };
    await queue.work(createJobHandler({ prepare: prepare(losing), resolveCredential }), { untilIdle: true });

    const done = await queue.get('device-2');
    expect(done?.state).toBe('done');
    expect(done?.attempts).toBe(2);
    expect(ca.count('IR')).toBe(1);
    expect(ca.issued).toHaveLength(1);
    expect(certIn(path.join(dir, 'device-2.pem')).serialNumber.toLowerCase()).toBe(ca.issued[0]);
    const retransmitted = lost === 'ir' ? 'IR again' : lost === 'pollReq' ? 'POLLREQ again' : 'CERTCONF again';
    expect(ca.received).toContain(retransmitted);
  });

  it('revokes with an rr the CA answers with delayed delivery, resuming the same transaction when an answer was lost', async () => {
    const ca = await countingCa(throwaway, { delayedDelivery: { rr: 2 }, checkAfter: 0, secrets: [{ ref: REF, secret: SECRET, ra: true }] });
    const dir = scratch();
    const enrolled = await new CmpClient({
      transfer: direct(ca),
      ref: REF,
      secret: SECRET,
      trusted: [throwaway.ca.cert],
      newKey: deviceKey(dir, 'rr-device'),
      subject: '/CN=rr-device',
    }).ir();
    writeFileSync(path.join(dir, 'rr-device.pem'), enrolled.certificate.toString('pem'));
    const queue = await openDirectoryQueue(path.join(dir, 'queue'), { create: true, retryDelayMs: 10 });
    await queue.submit([{ id: 'rr-device', cmd: 'rr', options: { oldcert: path.join(dir, 'rr-device.pem'), secret: 'env:FLEET_SECRET' } }]);
    let sent = 0;
    // The answer to the first pollReq never comes back.
    const losing: Transfer = async (request) => {
      const answer = await ca.server.handle(request);
      if (++sent === 2) throw new CmpError('ERR_CONNECTION', 'connection reset (the worker died)');
      return answer;
    };
    const handler = createJobHandler({
      resolveCredential,
      prepare: async (s, resolve) => ({
        client: {
          transfer: losing,
          ref: REF,
          secret: await resolve(s.options.secret as string, 'secret'),
          trusted: [throwaway.ca.cert],
          oldCert: s.options.oldcert as string,
        },
      }),
    });
    await queue.work(handler, { untilIdle: true });
    expect(await queue.get('rr-device')).toMatchObject({ state: 'done', attempts: 2 });
    expect(ca.received.filter((r) => r.startsWith('RR'))).toEqual(['RR']);
    expect(ca.received).toContain('POLLREQ again');
    expect(ca.server.state.ca?.record(enrolled.certificate.serialNumber)?.revocation).toBeDefined();
  });

  it('fails the job, without a second transaction, when the CA knows the transaction but will not answer again', async () => {
    const ca = await countingCa(throwaway);
    const dir = scratch();
    const queue = await openDirectoryQueue(path.join(dir, 'queue'), { create: true, retryDelayMs: 10 });
    await queue.submit([spec(dir, 'device-3')]);
    let first = true;
    // A CA without retransmission support: it takes the ir, the answer is lost, and it refuses the same ir later.
    const forgetful: Transfer = async (request) => {
      if (first) {
        first = false;
        await ca.server.handle(request);
        throw new CmpError('ERR_CONNECTION', 'connection reset');
      }
      ca.server.state.transactions.list().forEach((t) => delete t.lastExchange);
      return ca.server.handle(request);
    };
    await queue.work(createJobHandler({ prepare: prepare(forgetful), resolveCredential }), { untilIdle: true });
    const failed = await queue.get('device-3');
    expect(failed?.state).toBe('failed');
    expect(failed?.error?.message).toMatch(/transactionIdInUse|transactionID/);
    expect(ca.count('IR')).toBe(2);
    expect(ca.issued).toHaveLength(1);
  });
});
