/**
 * The fleet command line on a redis:// queue: `cmpflow fleet submit`, two `cmpflow fleet work
 * --until-idle` processes and `cmpflow fleet status --json` against a real redis-server and the
 * embedded CA answering `waiting`; and an unreachable Redis is a clear error at once.
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { parsePem } from '../../src/credentials/pem';
import { openBullmqQueue } from '../../src/fleet/bullmq-queue';
import { listen, type Listener, type ThrowawayCa } from '../../src/server';
import { cmpflow, spawnCmpflow } from '../cli/run-support';
import { freePort, startRedis, type TestRedis } from '../support/redis';
import { countingCa, createThrowawayCa, deviceKey, REF, scratch, SECRET } from './support';

jest.setTimeout(180_000);

const DEVICES = ['cli-01', 'cli-02', 'cli-03', 'cli-04', 'cli-05', 'cli-06'];

let redis: TestRedis;
let throwaway: ThrowawayCa;
let listener: Listener | undefined;
beforeAll(async () => {
  redis = await startRedis();
  throwaway = await createThrowawayCa();
});
afterAll(async () => {
  await listener?.close();
  await redis?.close();
  await throwaway?.cleanup();
});

const certIn = (file: string) => new X509Certificate(new Uint8Array(parsePem(readFileSync(file, 'utf8'))[0]!.der));

it('submit, two worker processes and status on redis://: every device enrolled once, status counts them done', async () => {
  const ca = await countingCa(throwaway, {
    pollCount: 2,
    checkAfter: 1,
    policy: { references: [{ ref: REF, subjects: DEVICES.map((id) => `/CN=${id}`) }] },
  });
  listener = await listen(ca.server);
  const dir = scratch();
  const lines = DEVICES.map((id) =>
    JSON.stringify({ id, cmd: 'ir', subject: `/CN=${id}`, newkey: deviceKey(dir, id), certout: path.join(dir, `${id}.pem`) }),
  );
  writeFileSync(path.join(dir, 'jobs.jsonl'), `${lines.join('\n')}\n`);
  const env = { ...process.env, FLEET_SECRET: SECRET };
  const queue = `${redis.url()}?queue=cli`;
  const common = ['-server', listener.url, '-ref', REF, '-secret', 'env:FLEET_SECRET', '-recipient', '/CN=CA'];

  const submitted = await cmpflow(['fleet', 'submit', 'jobs.jsonl', '--queue', queue, ...common], { cwd: dir, env });
  expect({ code: submitted.code, stdout: submitted.stdout }).toEqual({ code: 0, stdout: `submitted ${DEVICES.length} job(s)\n` });
  // The same file again adds nothing.
  const again = await cmpflow(['fleet', 'submit', 'jobs.jsonl', '--queue', queue, ...common], { cwd: dir, env });
  expect(again.code).toBe(0);
  const before = JSON.parse((await cmpflow(['fleet', 'status', '--queue', queue, '--json'], { cwd: dir, env })).stdout) as Record<string, number>;
  expect(before).toMatchObject({ total: DEVICES.length, pending: DEVICES.length, done: 0, failed: 0 });

  const workers = [0, 1].map(() => spawnCmpflow(['fleet', 'work', '--queue', queue, '--until-idle', '--concurrency', '2'], { cwd: dir, env }));
  const ends = await Promise.all(workers.map((w) => w.done));
  for (const end of ends) expect({ code: end.code, stderr: end.stderr }).toEqual({ code: 0, stderr: expect.any(String) });

  const after = JSON.parse((await cmpflow(['fleet', 'status', '--queue', queue, '--json'], { cwd: dir, env })).stdout) as Record<string, number>;
  expect(after).toMatchObject({ total: DEVICES.length, done: DEVICES.length, failed: 0, pending: 0 });
  const serials = DEVICES.map((id) => {
    const cert = certIn(path.join(dir, `${id}.pem`));
    expect(cert.subject).toBe(`CN=${id}`);
    return cert.serialNumber.toLowerCase();
  });
  expect(new Set(serials).size).toBe(DEVICES.length);
  expect([...ca.issued].map((s) => s.toLowerCase()).sort()).toEqual([...serials].sort());
  expect(ca.count('IR')).toBe(DEVICES.length);
  // The jobs as Redis keeps them name the secret, never hold it.
  const opened = await openBullmqQueue(queue);
  const records = JSON.stringify(await opened.list());
  await opened.close();
  expect(records).toContain('env:FLEET_SECRET');
  expect(records).not.toContain(SECRET);
});

it('an unreachable Redis: fleet status and submit fail at once with ERR_QUEUE, naming the address', async () => {
  const port = await freePort();
  const dir = scratch();
  writeFileSync(path.join(dir, 'jobs.jsonl'), `${JSON.stringify({ id: 'x', cmd: 'ir', subject: '/CN=x' })}\n`);
  for (const argv of [
    ['fleet', 'status', '--queue', `redis://127.0.0.1:${port}/0`, '--json'],
    ['fleet', 'submit', 'jobs.jsonl', '--queue', `redis://127.0.0.1:${port}/0`, '-server', 'http://127.0.0.1:1/', '-recipient', '/CN=CA'],
  ]) {
    const started = Date.now();
    const run = await cmpflow(argv, { cwd: dir });
    expect(Date.now() - started).toBeLessThan(5000);
    expect(run.code).not.toBe(0);
    expect(run.stderr).toMatch(new RegExp(`cannot reach Redis at 127\\.0\\.0\\.1:${port}/0`));
  }
});
