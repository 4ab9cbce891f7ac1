/**
 * What an inspector sees of a session is sanitised: blobs become short summaries, secret-named
 * fields are redacted, and a secret planted in every place a run exposes never reaches it, in
 * plain text, base64 or hex.
 */
import fc from 'fast-check';
import { createActor, toPromise, type AnyActorRef, type InspectionEvent } from 'xstate';
import { enrollmentMachine } from '../../machines';
import { actorsFrom } from '../../machines/services';
import { CmpError } from '../../src/errors';
import {
  REDACTED,
  sanitizeForInspection,
  type InspectedActorRef,
  sanitizeInspectionEvent,
  sanitizingInspector,
  summarizeBytes,
} from '../../src/session';
import { ok, responses, scriptedServices } from '../machines/fake-services';
import { TRANSACTION_ID, until } from './sessions';

describe('sanitizeForInspection', () => {
  const der = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x0a]), Buffer.alloc(262, 7)]);

  it('summarises base64 and hex strings longer than 32 characters by length and first bytes', () => {
    expect(sanitizeForInspection({ der: der.toString('base64') })).toEqual({ der: '<266 bytes: 3082010a…>' });
    expect(sanitizeForInspection({ id: der.subarray(0, 20).toString('hex') })).toEqual({ id: '<20 bytes: 3082010a…>' });
    expect(sanitizeForInspection({ url: der.toString('base64url') })).toEqual({ url: '<266 bytes: 3082010a…>' });
  });

  it('keeps short tokens and human text readable', () => {
    const value = {
      nonce: 'c2VydmVyLW5vbmNlLXc=',
      code: 'ERR_TOTAL_TIMEOUT',
      text: 'total timeout exceeded while waiting for the certificate',
      n: 3,
      ok: true,
      none: null,
    };
    expect(sanitizeForInspection(value)).toEqual(value);
  });

  it('summarises every kind of binary buffer', () => {
    const bytes = new Uint8Array([1, 2, 3, 4, 5, 6]);
    expect(
      sanitizeForInspection([bytes, Buffer.from(bytes), bytes.buffer, new DataView(bytes.buffer, 2), new Uint8Array(0), new Uint8Array([9])]),
    ).toEqual(['<6 bytes: 01020304…>', '<6 bytes: 01020304…>', '<6 bytes: 01020304…>', '<4 bytes: 03040506>', '<0 bytes>', '<1 byte: 09>']);
    expect(summarizeBytes(der)).toBe('<266 bytes: 3082010a…>');
  });

  it('redacts secret-named fields at any depth, but not public keys or file names', () => {
    const value = {
      secret: 'x',
      options: {
        keypass: 'pass:abc',
        otherpass: 'env:X',
        password: 'p',
        passphrase: 'q',
        privateKey: { d: 'AQ==' },
        key: 'k',
        macKey: new Uint8Array(8),
      },
      list: [{ shared_secret: 's' }, { 'pbm-password': 'p' }],
      publicKey: 'AQAB',
      subjectPublicKey: 'AQAB',
      keyFile: 'client.key.pem',
    };
    expect(sanitizeForInspection(value)).toEqual({
      secret: REDACTED,
      options: {
        keypass: REDACTED,
        otherpass: REDACTED,
        password: REDACTED,
        passphrase: REDACTED,
        privateKey: REDACTED,
        key: REDACTED,
        macKey: REDACTED,
      },
      list: [{ shared_secret: REDACTED }, { 'pbm-password': REDACTED }],
      publicKey: 'AQAB',
      subjectPublicKey: 'AQAB',
      keyFile: 'client.key.pem',
    });
  });

  it('hides the body of PEM blocks', () => {
    const pem = `-----BEGIN PRIVATE KEY-----\n${der.toString('base64')}\n-----END PRIVATE KEY-----\n`;
    const out = sanitizeForInspection({ file: pem }) as { file: string };
    expect(out.file).toBe(`<PEM PRIVATE KEY: ${pem.length} chars>`);
  });

  it('drops functions and symbols, turns bigints into text, and keeps errors as name, code and message', () => {
    const out = sanitizeForInspection({
      f: () => 1,
      s: Symbol('x'),
      big: 2n ** 70n,
      list: [() => 1, 1],
      error: new CmpError('ERR_TIMEOUT', 'no answer within 5 s', { cause: new Error('socket hang up') }),
    });
    expect(out).toEqual({
      big: '1180591620717411303424',
      list: [undefined, 1],
      error: { name: 'CmpError', message: 'no answer within 5 s', code: 'ERR_TIMEOUT' },
    });
  });

  it('survives cycles, copies shared objects, and leaves its input untouched', () => {
    const shared = { der: der.toString('base64') };
    const value: Record<string, unknown> = { a: shared, b: shared, password: 'p' };
    value.self = value;
    const frozen = JSON.stringify({ ...value, self: undefined });
    const out = sanitizeForInspection(value) as Record<string, unknown>;
    expect(out).toEqual({ a: { der: '<266 bytes: 3082010a…>' }, b: { der: '<266 bytes: 3082010a…>' }, password: REDACTED, self: '<circular>' });
    expect(JSON.stringify({ ...value, self: undefined })).toBe(frozen);
    expect(() => JSON.stringify(out)).not.toThrow();
  });

  it('uses toJSON where an object defines it, as key handles do', () => {
    const handle = { kind: 'private', handle: { d: der }, toJSON: () => '[PrivateKeyHandle ec]' };
    expect(sanitizeForInspection({ signer: handle })).toEqual({ signer: '[PrivateKeyHandle ec]' });
    // Calls it once, as JSON.stringify does, even when the result has toJSON again.
    const selfish = {
      toJSON(): object {
        return { a: 1, toJSON: this.toJSON };
      },
    };
    expect(sanitizeForInspection(selfish)).toEqual({ a: 1 });
  });
});

describe('summaries of encoded strings', () => {
  /** What the bytes a long token stands for look like, decoded in full. */
  const decoded = (token: string, encoding: 'hex' | 'base64') => summarizeBytes(Buffer.from(token.replace(/[\r\n]/g, ''), encoding));
  const looksHex = (token: string) => /^(?:[0-9a-fA-F]{2})+$/.test(token);

  it('equal the summary of the decoded bytes for base64, base64url, MIME-wrapped and hex forms', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 17, maxLength: 400 }), (bytes) => {
        const b = Buffer.from(bytes);
        const hex = b.toString('hex');
        expect(sanitizeForInspection(hex)).toBe(summarizeBytes(bytes));
        for (const token of [b.toString('base64'), b.toString('base64url'), b.toString('base64').replace(/.{64}/g, '$&\r\n')]) {
          if (token.length > 32 && !looksHex(token)) expect(sanitizeForInspection(token)).toBe(summarizeBytes(bytes));
        }
      }),
    );
  });

  it('equal the summary of what Node decodes for any long token of base64 characters, odd lengths and padding included', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[A-Za-z0-9+/_\-\r\n]{33,120}={0,2}$/), (token) => {
        fc.pre(!looksHex(token));
        expect(sanitizeForInspection(token)).toBe(decoded(token, 'base64'));
      }),
    );
  });
});

describe('sanitizeInspectionEvent reads lazily', () => {
  const fakeRef = { sessionId: 'x.0', id: 'x', send: () => undefined, getSnapshot: () => ({}) } as unknown as AnyActorRef;
  const der = Buffer.concat([Buffer.from([0x30, 0x82, 0x01, 0x0a]), Buffer.alloc(262, 7)]).toString('base64');

  it('reads nothing of a payload until an observer reads it, and then the sanitised value only', () => {
    let reads = 0;
    const context = { der, sharedSecret: 'hunter2-hunter2', nested: { macKey: Buffer.from('k') } };
    const snapshot = {
      value: 'waiting',
      get context() {
        reads += 1;
        return context;
      },
    };
    const ev = sanitizeInspectionEvent({
      type: '@xstate.snapshot',
      rootId: 'x.0',
      actorRef: fakeRef,
      event: { type: 'go' },
      snapshot,
    } as unknown as InspectionEvent);
    expect(ev.type).toBe('@xstate.snapshot');
    expect(reads).toBe(0);
    const seen = (ev as unknown as { snapshot: { value: string; context: Record<string, unknown> } }).snapshot;
    expect(seen.value).toBe('waiting');
    expect(seen.context).toEqual({ der: '<266 bytes: 3082010a…>', sharedSecret: REDACTED, nested: { macKey: REDACTED } });
    // Read once, kept: the view is not sanitised again and stays the same object.
    expect((ev as { snapshot: unknown }).snapshot).toBe(seen);
    expect(reads).toBe(1);
  });

  it('gives the same values as the deep copy, cycles and depth limits included', () => {
    const deep: Record<string, unknown> = { der };
    let level = deep;
    for (let i = 0; i < 80; i++) level = (level.next = { i }) as Record<string, unknown>;
    const payload: Record<string, unknown> = {
      type: 'cmpflow.note',
      list: [{ password: 'p' }, der],
      deep,
      when: new Date(0),
      map: new Map([['token', 'abc']]),
    };
    payload.self = payload;
    const ev = sanitizeInspectionEvent({
      type: '@xstate.event',
      rootId: 'x.0',
      actorRef: fakeRef,
      sourceRef: undefined,
      event: payload,
    } as unknown as InspectionEvent);
    expect(JSON.parse(JSON.stringify((ev as { event: unknown }).event))).toEqual(
      JSON.parse(JSON.stringify({ ...(sanitizeForInspection(payload) as object), type: 'cmpflow.note' })),
    );
  });
});

describe('sanitizingInspector on a real enrollment run', () => {
  // 30 bytes: its base64 has no padding, so it appears verbatim inside the base64 of a longer blob.
  const SECRET = 'correct-horse-battery-staple-9';
  const forms = [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')];

  /** JSON of anything XState hands an inspector, for looking into what an unsanitised one would see. */
  function rawJson(ev: InspectionEvent): string {
    const seen = new WeakSet<object>();
    return JSON.stringify(ev, (_k, v: unknown) => {
      if (typeof v === 'object' && v !== null) {
        if (seen.has(v)) return '<seen>';
        seen.add(v);
      }
      return v;
    });
  }

  async function run(inspect: (ev: InspectionEvent) => void) {
    const rec = scriptedServices({
      // A careless signer returns its MAC key with the message, and the message embeds the secret.
      buildRequest: [
        ok({
          der: Buffer.concat([Buffer.from([0x30, 0x82, 0x01]), Buffer.from(SECRET), Buffer.alloc(30, 1)]).toString('base64'),
          macKey: Buffer.from(SECRET),
        } as object),
        ok({}),
        ok({}),
      ],
      exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' }), ok({ der: 'Aw==' })],
      // The CA's free text happens to carry the secret in hex.
      checkResponse: [
        ok({ ...responses.waiting(2, 1_000), statusString: [Buffer.from(SECRET).toString('hex')] }),
        ok(responses.certificate()),
        ok(responses.pkiConf()),
      ],
      acceptCertificate: [ok({ accept: true })],
    });
    let releaseWait!: () => void;
    rec.services.waitUntil = (input) => new Promise((resolve) => (releaseWait = () => resolve({ now: input.until })));
    // The caller passes its whole option bag, secret included, as input.
    const input = { kind: 'ir' as const, transactionId: TRANSACTION_ID, sharedSecret: SECRET };
    const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(rec.services) }), { input, inspect });
    actor.start();
    await until(actor, (s) => s.matches('waiting'));
    // An event carrying a secret-named field; the machine ignores it, inspection still sees it.
    (actor.send as (e: object) => void)({ type: 'cmpflow.note', passphrase: SECRET });
    releaseWait();
    return toPromise(actor);
  }

  it('plants the secret where an unsanitised inspector sees it in plain text, base64 and hex', async () => {
    const raw: string[] = [];
    await run((ev) => raw.push(rawJson(ev)));
    const all = raw.join('\n');
    for (const form of forms) expect(all).toContain(form);
  });

  it('delivers every event sanitised, so that no form of the secret reaches the inspector', async () => {
    const raw: InspectionEvent[] = [];
    const seen: InspectionEvent[] = [];
    const sanitizing = sanitizingInspector((ev) => seen.push(ev));
    const out = await run((ev) => {
      raw.push(ev);
      sanitizing(ev);
    });
    expect(out.outcome).toBe('confirmed');
    expect(seen.map((e) => e.type)).toEqual(raw.map((e) => e.type));
    expect(new Set(seen.map((e) => e.type))).toEqual(
      new Set(['@xstate.actor', '@xstate.event', '@xstate.snapshot', '@xstate.microstep', '@xstate.action']),
    );

    const texts = seen.map((ev) => JSON.stringify(ev));
    const current = seen.map((ev) => JSON.stringify(ev.actorRef.getSnapshot()));
    for (const text of [...texts, ...current]) {
      for (const form of forms) expect(text).not.toContain(form);
    }
    const all = texts.join('\n');
    expect(all).toContain(`"sharedSecret":"${REDACTED}"`);
    expect(all).toContain(`"macKey":"${REDACTED}"`);
    expect(all).toContain(`"passphrase":"${REDACTED}"`);
    expect(all).toContain('"der":"<63 bytes: 30820163…>"');
    expect(all).toContain('"statusString":["<30 bytes: 636f7272…>"]');
    // The inspector still sees the session's journey.
    expect(seen.some((ev) => ev.type === '@xstate.snapshot' && (ev.snapshot as { value?: unknown }).value === 'waiting')).toBe(true);
    expect(seen.some((ev) => ev.type === '@xstate.event' && ev.event.type === 'cmpflow.note')).toBe(true);
    const transitions = seen.flatMap((ev) => (ev.type === '@xstate.microstep' ? (ev._transitions as unknown[]) : []));
    expect(transitions).toContainEqual(expect.objectContaining({ source: '#enrollment.waiting', target: ['#enrollment.polling'] }));
  });

  it('delivers for every event of the run what a deep copy through sanitizeForInspection holds', async () => {
    const pairs: [InspectionEvent, InspectionEvent][] = [];
    await run((raw) => pairs.push([raw, sanitizeInspectionEvent(raw)]));
    const json = (v: unknown) => JSON.parse(JSON.stringify(v ?? null)) as unknown;
    for (const [raw, seen] of pairs) {
      const r = raw as unknown as Record<string, unknown>;
      const s = seen as unknown as Record<string, unknown>;
      if ('event' in r)
        expect(json(s.event)).toEqual(json({ ...(sanitizeForInspection(r.event) as object), type: (r.event as { type: string }).type }));
      for (const key of ['snapshot', '_transitions'] as const) if (key in r) expect(json(s[key])).toEqual(json(sanitizeForInspection(r[key])));
      if (raw.type === '@xstate.action')
        expect(json(s.action)).toEqual(json({ type: raw.action.type, params: sanitizeForInspection(raw.action.params) }));
    }
  });

  it('lets no form of the secret through the copies an inspector may make: spread, structuredClone, JSON', async () => {
    const seen: InspectionEvent[] = [];
    await run(sanitizingInspector((ev) => seen.push(ev)));
    const copies = seen.map((ev) => {
      const e = ev as unknown as Record<string, unknown>;
      const spread = { ...e, ...(typeof e.snapshot === 'object' ? { snapshot: { ...(e.snapshot as object) } } : {}), actorRef: undefined };
      return JSON.stringify(spread) + JSON.stringify(structuredClone({ ...e, actorRef: undefined, sourceRef: undefined }));
    });
    for (const text of copies) for (const form of forms) expect(text).not.toContain(form);
  });

  it('gives the inspector inert actor stand-ins that cannot drive the session', async () => {
    const seen: InspectionEvent[] = [];
    await run(sanitizingInspector((ev) => seen.push(ev)));
    const root = seen.find((ev) => ev.type === '@xstate.snapshot' && ev.actorRef.sessionId === ev.rootId)!;
    expect(Object.keys(root.actorRef).sort()).toEqual(['getSnapshot', 'id', 'logic', 'send', 'sessionId', 'toJSON']);
    expect(JSON.parse(JSON.stringify(root.actorRef))).toEqual({ sessionId: root.rootId, id: root.rootId });
    expect(root.actorRef.send({ type: 'abortRequested' })).toBeUndefined();
    expect(root.actorRef.getSnapshot()).toMatchObject({ status: 'done', value: 'confirmed' });
  });

  it('gives each stand-in what an inspector draws from: the machine definition and the parent', async () => {
    const seen: InspectionEvent[] = [];
    await run(sanitizingInspector((ev) => seen.push(ev)));
    const actors = seen.filter((ev) => ev.type === '@xstate.actor').map((ev) => ev.actorRef as InspectedActorRef);
    const root = actors.find((ref) => ref._parent === undefined)!;
    const definition = root.logic!.config as { id: string; initial: string; states: Record<string, { on?: object; invoke?: { src?: unknown } }> };
    expect(definition.id).toBe(enrollmentMachine.config.id);
    expect(Object.keys(definition.states)).toEqual(Object.keys(enrollmentMachine.config.states!));
    expect(definition.states.waiting).toBeDefined();
    // The definition is plain JSON: implementations are named, never carried along.
    expect(JSON.parse(JSON.stringify(definition))).toEqual(definition);
    const children = actors.filter((ref) => ref !== root);
    expect(children.length).toBeGreaterThan(0);
    // Invoked actors hang under the session, and every stand-in is the same object at each event.
    for (const child of children) expect(child._parent).toBe(root);
    expect(new Set(seen.map((ev) => ev.actorRef)).size).toBe(new Set(seen.map((ev) => ev.actorRef.sessionId)).size);
    // A copy of a stand-in does not drag its ancestors or the definition's source along.
    for (const form of forms) expect(JSON.stringify({ ...children[0], logic: root.logic })).not.toContain(form);
  });
});
