/**
 * A persisted session is taken only in a quiet state, is plain JSON, resumes in a fresh actor and
 * finishes the transaction; anything that is not exactly such a session is refused with a code
 * that says why and a message that names the field.
 */
import { createActor, toPromise, type AnyStateNode } from 'xstate';
import { enrollmentMachine, generalMachine, revocationMachine } from '../../machines';
import { actorsFrom } from '../../machines/services';
import { MACHINE_VERSION } from '../../machines/version';
import { CmpError } from '../../src/errors';
import {
  MAX_SESSION_BYTES,
  PERSISTABLE_STATES,
  parsePersistedSession,
  persistSession,
  restoreSnapshot,
  resumeOptions,
  sessionTransactionId,
  type PersistedSession,
  type SessionMeta,
} from '../../src/session';
import { ok, responses, scriptedServices } from '../machines/fake-services';
import { finishingServices, startWaiting, TRANSACTION_ID, until } from './sessions';

function thrown(f: () => unknown): CmpError {
  try {
    f();
  } catch (e) {
    if (e instanceof CmpError) return e;
    throw new Error(`expected a CmpError, got ${String(e)}`, { cause: e });
  }
  throw new Error('expected a CmpError, but nothing was thrown');
}

async function persistedWaiting(): Promise<PersistedSession> {
  const { actor } = await startWaiting();
  const session = persistSession(actor, 'enrollment', { server: '127.0.0.1:8080', path: 'pkix/', resume: true });
  actor.stop();
  return session;
}

/** A JSON copy of `session` changed by `edit`. */
function tampered(session: PersistedSession, edit: (s: any) => void): string {
  const copy = JSON.parse(JSON.stringify(session));
  edit(copy);
  return JSON.stringify(copy);
}

describe('persisting an enrollment session', () => {
  it('persists while waiting, survives a JSON round trip, and the restored actor finishes the transaction', async () => {
    const session = await persistedWaiting();
    const text = JSON.stringify(session);
    const loaded = parsePersistedSession(text, 'enrollment');
    expect(loaded).toEqual(session);
    expect(loaded).toMatchObject({ format: 'cmpflow-session', machine: 'enrollment', version: MACHINE_VERSION, meta: { resume: true } });
    expect(Date.parse(loaded.savedAt)).toBeGreaterThan(Date.now() - 60_000);
    expect(sessionTransactionId(loaded)).toBe(TRANSACTION_ID);

    const nextPollAt = (loaded.snapshot as { context: { nextPollAt: number } }).context.nextPollAt;
    expect(nextPollAt).toBe(31_000);
    const second = finishingServices(nextPollAt);
    const resumed = createActor(enrollmentMachine.provide({ actors: actorsFrom(second.services) }), resumeOptions(loaded));
    resumed.start();
    const out = await toPromise(resumed);
    expect(out).toMatchObject({ outcome: 'confirmed', transactionId: TRANSACTION_ID, polls: 1 });
    // The restored wait is for the same absolute time, and the poll echoes the nonce received before persisting.
    expect(second.calls[0]).toEqual({ actor: 'waitUntil', input: { until: nextPollAt } });
    expect(second.built.map((b) => b.kind)).toEqual(['pollReq', 'certConf']);
    expect(second.built[0].transaction.recipNonce).toBe(responses.waiting().senderNonce);
  });

  it('refuses to persist a session that has a request in flight', async () => {
    const rec = scriptedServices({ buildRequest: [ok({})] });
    rec.services.exchangeMessage = () => new Promise(() => undefined);
    const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(rec.services) }), {
      input: { kind: 'ir', transactionId: TRANSACTION_ID },
    });
    actor.start();
    await until(actor, (s) => s.matches({ requesting: 'sending' }));
    const error = thrown(() => persistSession(actor, 'enrollment'));
    expect(error.code).toBe('ERR_SESSION_STATE');
    expect(error.message).toContain('requesting');
    actor.stop();
  });

  it('refuses to persist a session that has ended', async () => {
    const rec = scriptedServices({ buildRequest: [ok({})], exchangeMessage: [ok({ der: 'AQ==' })], checkResponse: [ok(responses.rejected())] });
    const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(rec.services) }), {
      input: { kind: 'ir', transactionId: TRANSACTION_ID },
    });
    actor.start();
    await toPromise(actor);
    expect(thrown(() => persistSession(actor, 'enrollment')).code).toBe('ERR_SESSION_STATE');
  });

  it('refuses an actor of another machine than the one named', () => {
    const actor = createActor(revocationMachine, { input: { transactionId: TRANSACTION_ID } });
    const error = thrown(() => persistSession(actor as never, 'enrollment'));
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.message).toContain('revocation');
  });

  it('refuses metadata that looks like a secret or is not a plain value, without echoing it', async () => {
    const { actor } = await startWaiting();
    const refused: SessionMeta[] = [
      { secret: 'pass:hunter2hunter2' },
      { keypass: 'hunter2hunter2' },
      { newKey: 'hunter2hunter2' },
      { when: new Date() as never },
      { n: NaN },
    ];
    for (const meta of refused) {
      const error = thrown(() => persistSession(actor, 'enrollment', meta));
      expect(error.code).toBe('ERR_INVALID_OPTION');
      expect(error.message).not.toContain('hunter2');
    }
    expect(persistSession(actor, 'enrollment', { keyFile: 'key.pem', newKeyFile: 'new.pem' }).meta).toEqual({
      keyFile: 'key.pem',
      newKeyFile: 'new.pem',
    });
    actor.stop();
  });

  it('refuses to persist context that JSON would silently change, naming the field', async () => {
    const rec = scriptedServices({
      buildRequest: [ok({})],
      exchangeMessage: [ok({ der: 'AQ==' })],
      // A buggy validator returns the nonce as bytes instead of base64.
      checkResponse: [ok({ ...responses.waiting(30, 1_000), senderNonce: new Uint8Array([1, 2, 3]) as never })],
    });
    rec.services.waitUntil = () => new Promise(() => undefined);
    const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(rec.services) }), {
      input: { kind: 'ir', transactionId: TRANSACTION_ID },
    });
    actor.start();
    await until(actor, (s) => s.hasTag('persistable'));
    const error = thrown(() => persistSession(actor, 'enrollment'));
    expect(error.code).toBe('ERR_SNAPSHOT_INVALID');
    expect(error.message).toContain('snapshot.context.transaction.recipNonce');
    expect(error.message).toContain('Uint8Array');
    actor.stop();
  });
});

describe('loading a persisted session', () => {
  let session: PersistedSession;
  beforeAll(async () => {
    session = await persistedWaiting();
  });

  const invalid: [string, (s: any) => void, string][] = [
    [
      'a transactionID that is not a string',
      (s) => (s.snapshot.context.transaction.transactionId = 12),
      'snapshot.context.transaction.transactionId',
    ],
    ['a nonce that is not base64', (s) => (s.snapshot.context.transaction.recipNonce = 'not base64!'), 'snapshot.context.transaction.recipNonce'],
    [
      'a nonce in non-canonical base64',
      (s) => (s.snapshot.context.transaction.lastSenderNonce = 'dHh='),
      'snapshot.context.transaction.lastSenderNonce',
    ],
    ['a certReqId that is a number', (s) => (s.snapshot.context.transaction.certReqId = 0), 'snapshot.context.transaction.certReqId'],
    ['a certReqId with a leading zero', (s) => (s.snapshot.context.transaction.certReqId = '01'), 'snapshot.context.transaction.certReqId'],
    ['an unknown pvno', (s) => (s.snapshot.context.transaction.pvno = 4), 'snapshot.context.transaction.pvno'],
    ['a negative message count', (s) => (s.snapshot.context.transaction.messagesSent = -1), 'snapshot.context.transaction.messagesSent'],
    ['a request kind that does not enroll', (s) => (s.snapshot.context.kind = 'rr'), 'snapshot.context.kind'],
    ['a poll time that is a string', (s) => (s.snapshot.context.nextPollAt = '31000'), 'snapshot.context.nextPollAt'],
    ['a missing poll time', (s) => delete s.snapshot.context.nextPollAt, 'snapshot.context.nextPollAt'],
    ['a flag that is not a boolean', (s) => (s.snapshot.context.implicitConfirm = 'yes'), 'snapshot.context.implicitConfirm'],
    ['an extra context field', (s) => (s.snapshot.context.password = 'hunter2hunter2'), 'snapshot.context.password'],
    ['an extra transaction field', (s) => (s.snapshot.context.transaction.sessionKey = 'AAAA'), 'snapshot.context.transaction.sessionKey'],
    [
      'a request in flight',
      (s) => (s.snapshot.context.request = { der: 'AQ==', bodyType: 'ir', senderNonce: 'AQ==', pvno: 2 }),
      'snapshot.context.request',
    ],
    ['a busy state', (s) => (s.snapshot.value = { polling: 'sending' }), 'snapshot.value'],
    ['an unknown state', (s) => (s.snapshot.value = 'nowhere'), 'snapshot.value'],
    ['a final status', (s) => (s.snapshot.status = 'done'), 'snapshot.status'],
    ['a history entry', (s) => (s.snapshot.historyValue = { x: [] }), 'snapshot.historyValue.x'],
    [
      'a child that would send a message on restore',
      (s) =>
        (s.snapshot.children.exchangeMessage = {
          src: 'exchangeMessage',
          syncSnapshot: false,
          snapshot: { status: 'active', input: { der: 'AQ==', bodyType: 'ir' } },
        }),
      'snapshot.children.exchangeMessage',
    ],
    ['a wait child running another actor', (s) => (s.snapshot.children.waitUntil.src = 'exchangeMessage'), 'snapshot.children.waitUntil.src'],
    [
      'a wait for another time than the context says',
      (s) => (s.snapshot.children.waitUntil.snapshot.input.until = 1),
      'snapshot.children.waitUntil.snapshot.input.until',
    ],
    ['a missing wait', (s) => delete s.snapshot.children.waitUntil, 'snapshot.children.waitUntil'],
    ['another format', (s) => (s.format = 'xstate'), 'format'],
    ['an unknown machine', (s) => (s.machine = 'keyUpdate'), 'machine'],
    ['an enrollment snapshot labelled as another machine', (s) => (s.machine = 'revocation'), 'snapshot.context.kind'],
    ['a version that is not a number', (s) => (s.version = String(MACHINE_VERSION)), 'version'],
    ['an unknown top-level field', (s) => (s.signature = 'AAAA'), '(session).signature'],
    ['a saved time that is not ISO 8601', (s) => (s.savedAt = 'yesterday'), 'savedAt'],
    ['secret-like metadata', (s) => (s.meta = { otherpass: 'hunter2hunter2' }), 'meta.otherpass'],
  ];

  it.each(invalid)('refuses %s, naming the field', (_what, edit, field) => {
    const error = thrown(() => parsePersistedSession(tampered(session, edit)));
    expect(error.code).toBe('ERR_SNAPSHOT_INVALID');
    expect(error.message).toContain(`field ${field} `);
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses a session of another machine version, naming both versions', () => {
    const error = thrown(() => parsePersistedSession(tampered(session, (s) => (s.version = MACHINE_VERSION + 1))));
    expect(error.code).toBe('ERR_SNAPSHOT_VERSION');
    expect(error.message).toContain(`version ${MACHINE_VERSION + 1}`);
    expect(error.message).toContain(`version ${MACHINE_VERSION}`);
  });

  it('refuses a session of another machine than the one expected', () => {
    const error = thrown(() => parsePersistedSession(JSON.stringify(session), 'general'));
    expect(error.code).toBe('ERR_SNAPSHOT_INVALID');
    expect(error.message).toContain('general');
  });

  it('refuses text that is not JSON, and JSON larger than the size limit', () => {
    expect(thrown(() => parsePersistedSession('{"format":')).code).toBe('ERR_SNAPSHOT_INVALID');
    const padded = JSON.stringify(session).replace('{', '{' + ' '.repeat(MAX_SESSION_BYTES));
    const error = thrown(() => parsePersistedSession(padded));
    expect(error.code).toBe('ERR_SNAPSHOT_INVALID');
    expect(error.message).toContain(String(MAX_SESSION_BYTES));
  });

  it('refuses a JSON key "__proto__" as an unknown field instead of treating it as a prototype', () => {
    const text = JSON.stringify(session).replace('"context":{', '"context":{"__proto__":{"polls":1},');
    const error = thrown(() => parsePersistedSession(text));
    expect(error.message).toContain('snapshot.context.__proto__');
  });

  it('refuses an in-memory session holding bytes, functions or cycles, naming where', () => {
    const withBytes = JSON.parse(JSON.stringify(session));
    withBytes.snapshot.context.transaction.recipNonce = new Uint8Array(16);
    expect(thrown(() => parsePersistedSession(withBytes)).message).toContain('snapshot.context.transaction.recipNonce is a Uint8Array');

    const withFunction = JSON.parse(JSON.stringify(session));
    withFunction.meta.onResume = () => undefined;
    expect(thrown(() => parsePersistedSession(withFunction)).message).toContain('meta.onResume is a function');

    const cyclic = JSON.parse(JSON.stringify(session));
    cyclic.snapshot.context.self = cyclic.snapshot;
    expect(thrown(() => parsePersistedSession(cyclic)).message).toContain('snapshot.context.self is circular');
  });

  it('returns sessions and snapshots that share nothing with their source', () => {
    const source = JSON.parse(JSON.stringify(session));
    const loaded = parsePersistedSession(source);
    const snapshot = restoreSnapshot(loaded) as any;
    source.snapshot.context.polls = 99;
    snapshot.context.transaction.recipNonce = 'AAAA';
    expect((loaded.snapshot as any).context.polls).toBe(0);
    expect((loaded.snapshot as any).context.transaction.recipNonce).toBe(responses.waiting().senderNonce);
  });

  it('refuses to restore a session that was altered after it was loaded', () => {
    const loaded = parsePersistedSession(JSON.stringify(session));
    (loaded.snapshot as any).value = 'confirming';
    expect(thrown(() => restoreSnapshot(loaded)).code).toBe('ERR_SNAPSHOT_INVALID');
  });
});

describe('the persisted-session schema', () => {
  const persistableStates = (node: AnyStateNode): string[] =>
    Object.values(node.states).flatMap((child) => [
      ...(child.tags.includes('persistable') ? [child.path.join('.')] : []),
      ...persistableStates(child),
    ]);

  it('knows exactly the states each machine tags persistable', () => {
    expect(persistableStates(enrollmentMachine.root)).toEqual(['waiting', 'confirmationWaiting']);
    expect(persistableStates(revocationMachine.root)).toEqual(['waiting']);
    expect(persistableStates(generalMachine.root)).toEqual(['waiting']);
    expect(PERSISTABLE_STATES.enrollment).toEqual(persistableStates(enrollmentMachine.root));
    expect(PERSISTABLE_STATES.revocation).toEqual(persistableStates(revocationMachine.root));
    expect(PERSISTABLE_STATES.general).toEqual(persistableStates(generalMachine.root));
  });
});
