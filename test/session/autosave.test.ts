/**
 * Autosave keeps the latest quiet state of a running session in a store and removes it when the
 * transaction ends; a failing store is reported but never stops the session.
 */
import { createActor, toPromise } from 'xstate';
import { enrollmentMachine } from '../../machines';
import { actorsFrom } from '../../machines/services';
import type { WaitInput, WaitOutput } from '../../machines/actors';
import { CmpError } from '../../src/errors';
import { autosaveSession, MemorySessionStore, type PersistedSession } from '../../src/session';
import { ok, responses, scriptedServices } from '../machines/fake-services';
import { TRANSACTION_ID, until } from './sessions';

/** Waits that end only when the test says so, so that it can look at the store in between. */
function gatedWaits() {
  const pending: (() => void)[] = [];
  return {
    waitUntil: (input: WaitInput) => new Promise<WaitOutput>((resolve) => pending.push(() => resolve({ now: input.until }))),
    release: () => pending.shift()!(),
  };
}

function enrollment(
  checks = [ok(responses.waiting(5, 1_000)), ok(responses.pollWait(10, 7_000)), ok(responses.certificate()), ok(responses.pkiConf())],
) {
  const rec = scriptedServices({
    buildRequest: [ok({}), ok({}), ok({}), ok({})],
    exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' }), ok({ der: 'Aw==' }), ok({ der: 'BA==' })],
    checkResponse: checks,
    acceptCertificate: [ok({ accept: true })],
  });
  const gate = gatedWaits();
  rec.services.waitUntil = gate.waitUntil;
  const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(rec.services) }), {
    input: { kind: 'cr', transactionId: TRANSACTION_ID },
  });
  return { actor, gate };
}

const contextOf = (s: PersistedSession | undefined) =>
  (s!.snapshot as { context: { polls: number; nextPollAt: number; transaction: { recipNonce: string } } }).context;

it('saves each quiet state with its nonces and poll time, and removes the session when it ends', async () => {
  const store = new MemorySessionStore();
  const { actor, gate } = enrollment();
  const autosave = autosaveSession(actor, store, { machine: 'enrollment', meta: { server: 'ca.example:80' } });
  actor.start();

  await until(actor, (s) => s.matches('waiting'));
  await autosave.flush();
  const first = await store.load(TRANSACTION_ID);
  expect(first!.meta).toEqual({ server: 'ca.example:80' });
  expect(contextOf(first)).toMatchObject({ polls: 0, nextPollAt: 6_000, transaction: { recipNonce: responses.waiting().senderNonce } });

  gate.release();
  await until(actor, (s) => s.matches('waiting') && s.context.polls === 1);
  await autosave.flush();
  expect(contextOf(await store.load(TRANSACTION_ID))).toMatchObject({
    polls: 1,
    nextPollAt: 17_000,
    transaction: { recipNonce: responses.pollWait().senderNonce },
  });

  gate.release();
  expect((await toPromise(actor)).outcome).toBe('confirmed');
  await autosave.flush();
  expect(await store.list()).toEqual([]);
});

it('removes the session when the transaction fails, since a failed transaction cannot be resumed', async () => {
  const store = new MemorySessionStore();
  const { actor, gate } = enrollment([ok(responses.waiting(5, 1_000)), ok(responses.rejected())]);
  const autosave = autosaveSession(actor, store, { machine: 'enrollment' });
  actor.start();
  await until(actor, (s) => s.matches('waiting'));
  await autosave.flush();
  expect(await store.list()).toEqual([TRANSACTION_ID]);
  gate.release();
  expect((await toPromise(actor)).outcome).toBe('failed');
  await autosave.flush();
  expect(await store.list()).toEqual([]);
});

it('reports a failing store through onError and flush, while the session carries on', async () => {
  const memory = new MemorySessionStore();
  const broken = {
    save: async () => {
      throw new CmpError('ERR_FILE', 'cannot write session file /sessions/x.json (EACCES)');
    },
    load: (id: string) => memory.load(id),
    remove: (id: string) => memory.remove(id),
    list: () => memory.list(),
  };
  const reported: CmpError[] = [];
  const { actor, gate } = enrollment();
  const autosave = autosaveSession(actor, broken, { machine: 'enrollment', onError: (e) => reported.push(e) });
  actor.start();
  await until(actor, (s) => s.matches('waiting'));
  await expect(autosave.flush()).rejects.toMatchObject({ code: 'ERR_FILE' });
  gate.release();
  await until(actor, (s) => s.matches('waiting') && s.context.polls === 1);
  gate.release();
  expect((await toPromise(actor)).outcome).toBe('confirmed');
  await expect(autosave.flush()).rejects.toMatchObject({ code: 'ERR_FILE' });
  expect(reported.map((e) => e.code)).toEqual(['ERR_FILE', 'ERR_FILE']);
});

it('stops following the session when stopped', async () => {
  const store = new MemorySessionStore();
  const { actor, gate } = enrollment();
  const autosave = autosaveSession(actor, store, { machine: 'enrollment' });
  actor.start();
  await until(actor, (s) => s.matches('waiting'));
  autosave.stop();
  gate.release();
  await until(actor, (s) => s.matches('waiting') && s.context.polls === 1);
  gate.release();
  await toPromise(actor);
  await autosave.flush();
  // The first quiet state is all that was kept: no later save, and no removal at the end.
  expect(contextOf(await store.load(TRANSACTION_ID)).polls).toBe(0);
});
