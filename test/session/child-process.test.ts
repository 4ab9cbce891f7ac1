/**
 * A persisted session is independent of the process that took it: another node process resumes
 * and finishes it, and a process killed while waiting leaves a session this process finishes.
 */
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { createActor, toPromise } from 'xstate';
import { enrollmentMachine } from '../../machines';
import { actorsFrom } from '../../machines/services';
import type { EnrollmentOutput } from '../../machines/enrollment';
import { autosaveSession, FileSessionStore, persistSession, resumeOptions } from '../../src/session';
import { responses } from '../machines/fake-services';
import { finishingServices, startWaiting, TRANSACTION_ID } from './sessions';

const ROOT = path.resolve(__dirname, '../..');
const FIXTURES = path.join(__dirname, 'fixtures');

interface Child {
  /** Resolves with the first line the child prints on stdout. */
  firstLine: Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>;
  kill(signal: NodeJS.Signals): void;
}

function runFixture(fixture: string, ...args: string[]): Child {
  const child = spawn(process.execPath, [path.join(FIXTURES, 'run-ts.js'), path.join(FIXTURES, fixture), ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  const firstLine = new Promise<string>((resolve, reject) => {
    child.stdout.on('data', (d) => {
      stdout += d;
      const newline = stdout.indexOf('\n');
      if (newline >= 0) resolve(stdout.slice(0, newline));
    });
    void exited.then(({ code, signal }) => reject(new Error(`${fixture} exited (${code ?? signal}) before printing: ${stderr}`)));
  });
  // A test that only awaits the exit does not leave this rejection unhandled.
  firstLine.catch(() => undefined);
  return { firstLine, exited, kill: (signal) => child.kill(signal) };
}

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'cmpflow-child-'));
});
afterEach(() => fs.rmSync(tmp, { recursive: true, force: true }));

it('resumes a session persisted here in a fresh node process, which finishes the transaction', async () => {
  const { actor } = await startWaiting();
  const session = persistSession(actor, 'enrollment');
  actor.stop();
  const file = path.join(tmp, 'session.json');
  fs.writeFileSync(file, JSON.stringify(session));

  const child = runFixture('resume-and-finish.ts', file);
  const result = JSON.parse(await child.firstLine) as {
    output: EnrollmentOutput;
    calls: { actor: string; input: unknown }[];
    built: { kind: string; transaction: { recipNonce?: string } }[];
  };
  expect((await child.exited).code).toBe(0);
  expect(result.output).toMatchObject({ outcome: 'confirmed', transactionId: TRANSACTION_ID, polls: 1 });
  expect(result.calls[0]).toEqual({ actor: 'waitUntil', input: { until: 31_000 } });
  expect(result.built.map((b) => b.kind)).toEqual(['pollReq', 'certConf']);
  expect(result.built[0].transaction.recipNonce).toBe(responses.waiting().senderNonce);
});

it('refuses, in the child, a session file that was tampered with', async () => {
  const { actor } = await startWaiting();
  const session = JSON.parse(JSON.stringify(persistSession(actor, 'enrollment')));
  actor.stop();
  session.snapshot.children.waitUntil.src = 'exchangeMessage';
  const file = path.join(tmp, 'session.json');
  fs.writeFileSync(file, JSON.stringify(session));

  const child = runFixture('resume-and-finish.ts', file);
  const { code, stderr } = await child.exited;
  expect(code).toBe(1);
  expect(stderr).toContain('ERR_SNAPSHOT_INVALID');
  expect(stderr).toContain('snapshot.children.waitUntil.src');
});

it('finishes, from the file store, a session whose process was killed while waiting', async () => {
  const directory = path.join(tmp, 'sessions');
  const child = runFixture('wait-and-persist.ts', directory);
  const ready = JSON.parse(await child.firstLine) as { transactionId: string; nextPollAt: number };
  child.kill('SIGKILL');
  expect((await child.exited).signal).toBe('SIGKILL');
  // It was killed during a real one-hour wait.
  expect(ready.nextPollAt).toBeGreaterThan(Date.now() + 3_500_000);

  const store = new FileSessionStore(directory);
  expect(await store.list()).toEqual([ready.transactionId]);
  expect(fs.readdirSync(directory)).toEqual([path.basename(store.fileOf(ready.transactionId))]);
  const session = (await store.load(ready.transactionId))!;
  expect(session.meta).toEqual({ server: '127.0.0.1:1' });

  const services = finishingServices(ready.nextPollAt);
  const resumed = createActor(enrollmentMachine.provide({ actors: actorsFrom(services.services) }), resumeOptions(session));
  const autosave = autosaveSession(resumed, store, { machine: 'enrollment' });
  resumed.start();
  const out = await toPromise(resumed);
  await autosave.flush();
  expect(out).toMatchObject({ outcome: 'confirmed', transactionId: ready.transactionId, polls: 1 });
  // The resumed wait is for the poll time the killed process had scheduled, not one restarted here.
  expect(services.calls[0]).toEqual({ actor: 'waitUntil', input: { until: ready.nextPollAt } });
  expect(await store.list()).toEqual([]);
});
