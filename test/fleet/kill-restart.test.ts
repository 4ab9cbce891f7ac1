/**
 * The embedded default survives kill -9: a real `cmpflow fleet work --queue DIR` process is killed
 * while devices wait for the CA and while one device's ir is in the CA's hands (its answer lost
 * with the process). A new worker started on the same directory finishes every job; each device
 * gets exactly one certificate, and the CA saw one ir per device (the lost one once more, as the
 * retransmission of the same message, which it answers as before instead of starting anew).
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { parsePem } from '../../src/credentials/pem';
import { decodePkiMessage, pkiBodyType } from '../../src/asn1';
import { listen, type CmpServer, type Listener, type ThrowawayCa } from '../../src/server';
import { cmpflow, spawnCmpflow } from '../cli/run-support';
import { countingCa, createThrowawayCa, deviceKey, REF, scratch, SECRET } from './support';

jest.setTimeout(240_000);

const DEVICES = ['device-01', 'device-02', 'device-03', 'device-04', 'device-05'];
/** The ir the CA holds until the worker that sent it is dead. */
const HELD = 4;

let throwaway: ThrowawayCa;
let listener: Listener | undefined;
beforeAll(async () => {
  throwaway = await createThrowawayCa();
});
afterAll(async () => {
  await listener?.close();
  await throwaway?.cleanup();
});

const certIn = (file: string) => new X509Certificate(new Uint8Array(parsePem(readFileSync(file, 'utf8'))[0]!.der));

function until(condition: () => boolean, what: string, ms = 120_000): Promise<void> {
  const end = Date.now() + ms;
  return new Promise((resolve, reject) => {
    const check = () => {
      if (condition()) resolve();
      else if (Date.now() > end) reject(new Error(`timed out waiting for ${what}`));
      else setTimeout(check, 50);
    };
    check();
  });
}

it('a worker killed with SIGKILL while jobs wait and one ir is mid-exchange: the next worker finishes every job, one certificate and one ir per device', async () => {
  const ca = await countingCa(throwaway, {
    // Every device waits: `waiting`, then a pollRep asking for 2 s, then the certificate.
    pollCount: 2,
    checkAfter: 2,
    policy: { references: [{ ref: REF, subjects: DEVICES.map((d) => `/CN=${d}`) }] },
  });
  let irs = 0;
  let releaseHeld!: () => void;
  const held = new Promise<void>((resolve) => (releaseHeld = resolve));
  let holding = false;
  const server: CmpServer = {
    ...ca.server,
    state: ca.server.state,
    maxMsgs: 0,
    async handle(request) {
      if (pkiBodyType(decodePkiMessage(request).body) === 'ir' && ++irs === HELD) {
        holding = true;
        await held;
      }
      return ca.server.handle(request);
    },
  };
  listener = await listen(server);

  const dir = scratch();
  const queue = path.join(dir, 'queue');
  const lines = DEVICES.map((id) =>
    JSON.stringify({ id, cmd: 'ir', subject: `/CN=${id}`, newkey: deviceKey(dir, id), certout: path.join(dir, `${id}.pem`) }),
  );
  writeFileSync(path.join(dir, 'jobs.jsonl'), `${lines.join('\n')}\n`);
  const env = { ...process.env, FLEET_SECRET: SECRET };
  const submitted = await cmpflow(
    ['fleet', 'submit', 'jobs.jsonl', '--queue', queue, '-server', listener.url, '-ref', REF, '-secret', 'env:FLEET_SECRET', '-recipient', '/CN=CA'],
    { cwd: dir, env },
  );
  expect({ code: submitted.code, stdout: submitted.stdout }).toEqual({ code: 0, stdout: `submitted ${DEVICES.length} job(s)\n` });

  // Concurrency 1: the devices go one after another, so when the fourth ir is held the first three wait for their next poll.
  const first = spawnCmpflow(['fleet', 'work', '--queue', queue], { cwd: dir, env });
  await until(() => holding, 'the held ir');
  first.child.kill('SIGKILL');
  const killed = await first.done;
  expect(killed.signal).toBe('SIGKILL');
  releaseHeld();
  const status = await cmpflow(['fleet', 'status', '--queue', queue, '--json'], { cwd: dir, env });
  const before = JSON.parse(status.stdout) as Record<string, number>;
  expect(before).toMatchObject({ total: DEVICES.length, done: 0, failed: 0 });
  expect(before.waiting).toBeGreaterThanOrEqual(1);

  const second = spawnCmpflow(['fleet', 'work', '--queue', queue, '--until-idle', '--concurrency', '3'], { cwd: dir, env });
  const finished = await second.done;
  expect({ code: finished.code, stderr: finished.stderr }).toEqual({ code: 0, stderr: expect.stringContaining(`${DEVICES.length} done, 0 failed`) });

  const after = JSON.parse((await cmpflow(['fleet', 'status', '--queue', queue, '--json'], { cwd: dir, env })).stdout) as Record<string, number>;
  expect(after).toMatchObject({ total: DEVICES.length, done: DEVICES.length, failed: 0, pending: 0 });
  const serials = DEVICES.map((id) => {
    const cert = certIn(path.join(dir, `${id}.pem`));
    expect(cert.subject).toBe(`CN=${id}`);
    return cert.serialNumber.toLowerCase();
  });
  expect(new Set(serials).size).toBe(DEVICES.length);
  expect([...ca.issued].sort()).toEqual([...serials].sort());
  expect(ca.count('IR')).toBe(DEVICES.length);
  expect(ca.count('IR again')).toBe(1);
  expect(ca.count('CERTCONF')).toBe(DEVICES.length);
});
