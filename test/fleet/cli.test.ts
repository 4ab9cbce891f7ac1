/**
 * `cmpflow fleet` on the command line, in process, against the embedded CA over HTTP answering
 * `waiting`: submit reports bad lines by number and queues the rest, secrets on the command line
 * are refused unless they are references, status counts, a worker finishes the queue, and renew
 * re-certifies what expires soon with a kur and runs the deploy hook after each new certificate.
 */
import { createPublicKey } from 'crypto';
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { parsePem } from '../../src/credentials/pem';
import { listen, type Listener, type ThrowawayCa } from '../../src/server';
import { cmpflow } from '../cli/run-support';
import { countingCa, createThrowawayCa, deviceKey, REF, scratch, SECRET, type CountingCa } from './support';

jest.setTimeout(60_000);

const DEVICES = ['cli-1', 'cli-2'];
let throwaway: ThrowawayCa;
let ca: CountingCa;
let listener: Listener;
beforeAll(async () => {
  throwaway = await createThrowawayCa();
  ca = await countingCa(throwaway, {
    pollCount: 2,
    checkAfter: 1,
    policy: { references: [{ ref: REF, subjects: DEVICES.map((d) => `/CN=${d}`) }] },
  });
  listener = await listen(ca.server);
});
afterAll(async () => {
  await listener?.close();
  await throwaway?.cleanup();
});

const certIn = (file: string) => new X509Certificate(new Uint8Array(parsePem(readFileSync(file, 'utf8'))[0]!.der));
const env = { FLEET_SECRET: SECRET, PATH: process.env.PATH };

describe('cmpflow fleet', () => {
  it('refuses a literal secret on the command line without showing it, and a queue directory that does not exist', async () => {
    const dir = scratch();
    writeFileSync(path.join(dir, 'jobs.jsonl'), '{"id":"x","cmd":"ir"}\n');
    const literal = await cmpflow(['fleet', 'submit', 'jobs.jsonl', '--queue', 'q', '-secret', 'pass:hunter2'], { cwd: dir, env });
    expect(literal.code).toBe(1);
    expect(literal.stderr).toMatch(/secret must be given as env:NAME or file:PATH/);
    expect(literal.stderr + literal.stdout).not.toContain('hunter2');
    const worker = await cmpflow(['fleet', 'work', '--queue', 'q', '-secret', 'hunter2'], { cwd: dir, env });
    expect(worker.code).toBe(1);
    expect(worker.stderr).not.toContain('hunter2');

    const missing = await cmpflow(['fleet', 'status', '--queue', 'nowhere'], { cwd: dir, env });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/nowhere is not a fleet queue .*\(ERR_QUEUE\)/);
    const help = await cmpflow(['fleet', 'work', '--help'], { cwd: dir, env });
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: cmpflow fleet submit JOBS\.jsonl --queue Q/);
    const noQueue = await cmpflow(['fleet', 'work'], { cwd: dir, env });
    expect(noQueue.stderr).toMatch(/--queue DIR or --queue redis:\/\/HOST:PORT\[\/DB\] is required/);
  });

  it('submits every good line, reports bad ones by number, works the queue to the end, and renews with a kur and the deploy hook', async () => {
    const dir = scratch();
    const good = DEVICES.map((id) => JSON.stringify({ id, cmd: 'ir', subject: `/CN=${id}`, newkey: deviceKey(dir, id), certout: `${id}.pem` }));
    writeFileSync(path.join(dir, 'jobs.jsonl'), [good[0], '{"id":"bad","cmd":"ir","days":"soon"}', '{"id":', good[1]].join('\n'));
    // -trusted: a renewal (kur) is signed with the device's certificate, so the CA signs its answers, which need an anchor.
    writeFileSync(path.join(dir, 'ca.pem'), throwaway.ca.cert.toString('pem'));
    const common = ['-server', listener.url, '-ref', REF, '-secret', 'env:FLEET_SECRET', '-trusted', 'ca.pem', '-days', '30'];
    const submitted = await cmpflow(['fleet', 'submit', 'jobs.jsonl', '--queue', 'queue', ...common], { cwd: dir, env });
    expect(submitted.code).toBe(1);
    expect(submitted.stdout).toBe('submitted 2 job(s), 2 line(s) refused\n');
    expect(submitted.stderr).toMatch(/^cmpflow: jobs\.jsonl:2: option -days: cannot parse "soon" as a number/m);
    expect(submitted.stderr).toMatch(/^cmpflow: jobs\.jsonl:3: not valid JSON/m);
    const queued = readFileSync(path.join(dir, 'queue', 'jobs', 'cli-1.json'), 'utf8');
    expect(queued).toContain('"secret":"env:FLEET_SECRET"');
    expect(queued).not.toContain(SECRET);

    const pending = await cmpflow(['fleet', 'status', '--queue', 'queue', '--json'], { cwd: dir, env });
    expect(JSON.parse(pending.stdout)).toMatchObject({ total: 2, pending: 2, done: 0, failed: 0 });

    const worked = await cmpflow(['fleet', 'work', '--queue', 'queue', '--until-idle', '--concurrency', '2'], { cwd: dir, env });
    expect(worked.code).toBe(0);
    // Each device: a rest after the pollRep asking for 1 s, then the certificate; then the summary.
    const lines = worked.stderr.trim().split('\n');
    expect(lines.filter((l) => /^CMP info: fleet: cli-1: waiting, next poll at \d{4}-\d\d-\d\dT/.test(l))).toHaveLength(1);
    expect(lines.filter((l) => /^CMP info: fleet: cli-2: done, serial [0-9a-f]+$/.test(l))).toHaveLength(1);
    expect(lines).toHaveLength(5);
    expect(lines[4]).toBe('CMP info: fleet: 2 done, 0 failed, 0 to go, of 2');
    const first = DEVICES.map((id) => certIn(path.join(dir, `${id}.pem`)));
    expect(first.map((c) => c.subject)).toEqual(['CN=cli-1', 'CN=cli-2']);
    const status = await cmpflow(['fleet', 'status', '--queue', 'queue'], { cwd: dir, env });
    expect(status.stdout).toMatch(/^total +2$/m);
    expect(status.stdout).toMatch(/^done +2$/m);

    const nothingDue = await cmpflow(['fleet', 'renew', '--queue', 'queue', '--within', '7'], { cwd: dir, env });
    expect({ code: nothingDue.code, stdout: nothingDue.stdout }).toEqual({ code: 0, stdout: 'renewing 0 certificate(s)\n' });

    const kurs = ca.count('KUR');
    const hook = `echo "$CMPFLOW_JOB_ID $CMPFLOW_SERIAL $CMPFLOW_CERT_FILES $CMPFLOW_KEY_FILE" >> ${path.join(dir, 'deployed.txt')}`;
    const renewed = await cmpflow(['fleet', 'renew', '--queue', 'queue', '--within', '31', '--id', 'cli-2', '--deploy-hook', hook], {
      cwd: dir,
      env,
    });
    expect({ code: renewed.code, stdout: renewed.stdout, stderr: renewed.stderr.split('\n').slice(-2).join('\n') }).toEqual({
      code: 0,
      stdout: 'renewing 1 certificate(s): cli-2\n',
      stderr: 'CMP info: fleet: 2 done, 0 failed, 0 to go, of 2\n',
    });
    expect(ca.count('KUR')).toBe(kurs + 1);
    const second = certIn(path.join(dir, 'cli-2.pem'));
    expect(second.subject).toBe('CN=cli-2');
    expect(second.serialNumber).not.toBe(first[1]!.serialNumber);
    expect(certIn(path.join(dir, 'cli-1.pem')).serialNumber).toBe(first[0]!.serialNumber);
    const [jobId, serial, certFile, keyFile, ...more] = readFileSync(path.join(dir, 'deployed.txt'), 'utf8').trim().split(' ');
    expect([jobId, serial, certFile, more]).toEqual(['cli-2', second.serialNumber.toLowerCase(), path.join(dir, 'cli-2.pem'), []]);
    // A new key, generated beside the old one, is what the new certificate certifies.
    expect(path.dirname(keyFile!)).toBe(dir);
    const newPublic = createPublicKey(readFileSync(keyFile!)).export({ format: 'der', type: 'spki' });
    expect(Buffer.from(second.publicKey.rawData).equals(newPublic)).toBe(true);
    expect(Buffer.from(first[1]!.publicKey.rawData).equals(newPublic)).toBe(false);
  });
});
