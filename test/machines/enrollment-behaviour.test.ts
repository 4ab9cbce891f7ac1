/**
 * What the enrollment machine promises beyond its graph: nonces chain from response to request,
 * waits are absolute and capped by the total deadline, and a snapshot taken while waiting is plain
 * JSON that resumes in a fresh actor and finishes the transaction. Both shapes keep every promise:
 * an actor per step (enrollmentMachine) and one actor per round trip.
 */
import { createActor, toPromise } from 'xstate';
import { createEnrollmentMachine, enrollmentMachine as stepMachine } from '../../machines';
import { actorsFrom } from '../../machines/services';
import type { BuildRequestInput } from '../../machines/actors';
import { fail, ok, responses, scriptedServices } from './fake-services';

// Typed as the step machine: these tests read only what both shapes share (output, context, quiet states).
const roundTripMachine = createEnrollmentMachine('roundTrip') as unknown as typeof stepMachine;

/** An IR the CA answered `waiting` (30 s from 1,000), persisted in its wait: the first process never gets an answer to it. */
async function persistedWhileWaiting(machine: typeof stepMachine): Promise<string> {
  const first = scriptedServices({
    buildRequest: [ok({})],
    exchangeMessage: [ok({ der: 'AQ==' })],
    checkResponse: [ok(responses.waiting(30, 1_000))],
  });
  first.services.waitUntil = () => new Promise(() => undefined);
  const actor = createActor(machine.provide({ actors: actorsFrom(first.services) }), { input: { kind: 'ir', transactionId: 'dHg=' } });
  actor.start();
  await new Promise<void>((resolve) => actor.subscribe((s) => s.hasTag('persistable') && resolve()));
  const json = JSON.stringify(actor.getPersistedSnapshot());
  actor.stop();
  return json;
}

/** That session resumed in a fresh actor: it polls, gets the certificate, confirms it. */
async function finishedAfterWaiting(machine: typeof stepMachine, json: string) {
  const second = scriptedServices({
    buildRequest: [ok({}), ok({})],
    exchangeMessage: [ok({ der: 'Ag==' }), ok({ der: 'Aw==' })],
    checkResponse: [ok(responses.certificate()), ok(responses.pkiConf())],
    waitUntil: [ok({ now: 31_000 })],
    acceptCertificate: [ok({ accept: true })],
  });
  const resumed = createActor(machine.provide({ actors: actorsFrom(second.services) }), { snapshot: JSON.parse(json), input: undefined as never });
  resumed.start();
  return { out: await toPromise(resumed), second };
}

describe.each([
  ['an actor per step', stepMachine],
  ['an actor per round trip', roundTripMachine],
])('enrollment machine with %s', (_shape, enrollmentMachine) => {
  const run = async (services: ReturnType<typeof scriptedServices>['services'], input: Parameters<typeof createActor<typeof stepMachine>>[1]) => {
    const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(services) }), input);
    actor.start();
    return toPromise(actor);
  };

  it('echoes each response senderNonce as the next recipNonce and expects its own nonce back', async () => {
    const rec = scriptedServices({
      buildRequest: [ok({}), ok({}), ok({})],
      exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' }), ok({ der: 'Aw==' })],
      checkResponse: [ok(responses.waiting(2, 1000)), ok(responses.certificate()), ok(responses.pkiConf())],
      waitUntil: [ok({ now: 3000 })],
      acceptCertificate: [ok({ accept: true })],
    });
    const out = await run(rec.services, { input: { kind: 'ir', transactionId: 'dHg=' } });
    expect(out.outcome).toBe('confirmed');
    const [ir, pollReq, certConf] = rec.built as BuildRequestInput[];
    expect(ir.transaction.recipNonce).toBeUndefined();
    expect(pollReq.kind).toBe('pollReq');
    expect(pollReq.transaction.recipNonce).toBe(responses.waiting().senderNonce);
    expect(pollReq.transaction.certReqId).toBe('0');
    expect(certConf.kind).toBe('certConf');
    expect(certConf.transaction.recipNonce).toBe(responses.certificate().senderNonce);
    // The response to the pollReq is checked against the pollReq's own senderNonce.
    const checks = rec.calls.filter((c) => c.actor === 'checkResponse').map((c) => c.input as { transaction: { lastSenderNonce: string } });
    expect(new Set(checks.map((c) => c.transaction.lastSenderNonce)).size).toBe(3);
  });

  it('waits until receivedAt + checkAfter, but never past the total deadline', async () => {
    const rec = scriptedServices({
      buildRequest: [ok({}), ok({})],
      exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' })],
      checkResponse: [ok(responses.waiting(5, 10_000)), ok(responses.pollWait(60, 15_000))],
      waitUntil: [ok({ now: 15_000 }), ok({ now: 40_000 })],
    });
    const out = await run(rec.services, { input: { kind: 'cr', transactionId: 'dHg=', deadline: 40_000 } });
    const waits = rec.calls.filter((c) => c.actor === 'waitUntil').map((c) => c.input);
    expect(waits).toEqual([{ until: 15_000 }, { until: 40_000 }]);
    expect(out.outcome).toBe('failed');
    expect(out.error!.code).toBe('ERR_TOTAL_TIMEOUT');
  });

  it('skips certConf when the server granted the implicit confirmation we asked for', async () => {
    const rec = scriptedServices({
      buildRequest: [ok({})],
      exchangeMessage: [ok({ der: 'AQ==' })],
      checkResponse: [ok(responses.certificate(true))],
    });
    const out = await run(rec.services, { input: { kind: 'ir', transactionId: 'dHg=', implicitConfirm: true } });
    expect(out.outcome).toBe('confirmed');
    expect(out.certificate!.implicitConfirmGranted).toBe(true);
    expect(rec.built.map((b) => b.kind)).toEqual(['ir']);
  });

  it('still confirms when the server grants implicit confirmation we did not ask for', async () => {
    const rec = scriptedServices({
      buildRequest: [ok({}), ok({})],
      exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' })],
      checkResponse: [ok(responses.certificate(true)), ok(responses.pkiConf())],
      acceptCertificate: [ok({ accept: true })],
    });
    const out = await run(rec.services, { input: { kind: 'ir', transactionId: 'dHg=' } });
    expect(out.outcome).toBe('confirmed');
    expect(rec.built.map((b) => b.kind)).toEqual(['ir', 'certConf']);
  });

  it('sends a negative certConf when the accept hook rejects the certificate, then fails', async () => {
    const rec = scriptedServices({
      buildRequest: [ok({}), ok({})],
      exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' })],
      checkResponse: [ok(responses.certificate()), ok(responses.pkiConf())],
      acceptCertificate: [ok({ accept: false, failInfo: ['badCertTemplate'], text: 'unexpected subject' })],
    });
    const out = await run(rec.services, { input: { kind: 'kur', transactionId: 'dHg=' } });
    expect(rec.built[1]).toMatchObject({ kind: 'certConf', accept: { accept: false, failInfo: ['badCertTemplate'] } });
    expect(out.outcome).toBe('failed');
    expect(out.error).toMatchObject({ code: 'ERR_CERT_REJECTED_BY_CLIENT', failInfo: ['badCertTemplate'] });
    // The rejected certificate is still reported, so that the caller can see what was refused.
    expect(out.certificate!.certificate).toBe((responses.certificate() as { certificate: string }).certificate);
  });

  it('keeps the error code of a failing actor', async () => {
    const rec = scriptedServices({ buildRequest: [ok({})], exchangeMessage: [fail('ERR_TIMEOUT', 'no answer within 5 s')] });
    const out = await run(rec.services, { input: { kind: 'ir', transactionId: 'dHg=' } });
    expect(out).toMatchObject({ outcome: 'failed', error: { code: 'ERR_TIMEOUT', message: 'no answer within 5 s' } });
  });

  it('persists while waiting as plain JSON and resumes in a fresh actor', async () => {
    const json = await persistedWhileWaiting(enrollmentMachine);
    expect(json).not.toContain('"request"');
    expect(JSON.parse(json).context).toMatchObject({ nextPollAt: 31_000, transaction: { recipNonce: responses.waiting().senderNonce } });

    const { out, second } = await finishedAfterWaiting(enrollmentMachine, json);
    expect(out.outcome).toBe('confirmed');
    expect(second.calls[0]).toEqual({ actor: 'waitUntil', input: { until: 31_000 } });
    expect(second.built.map((b) => b.kind)).toEqual(['pollReq', 'certConf']);
    expect(out.polls).toBe(1);
  });

  it('persists while the certConf answer is delayed, with the certificate, and a fresh actor polls for the pkiConf', async () => {
    const issued = responses.certificate() as Extract<ReturnType<typeof responses.certificate>, { kind: 'certificate' }>;
    const first = scriptedServices({
      buildRequest: [ok({}), ok({}), ok({})],
      exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' }), ok({ der: 'Aw==' })],
      checkResponse: [ok(issued), ok({ ...responses.waiting(0, 2_000), certReqId: '-1' }), ok({ ...responses.pollWait(30, 3_000), certReqId: '-1' })],
      acceptCertificate: [ok({ accept: true })],
      waitUntil: [ok({ now: 2_000 })],
    });
    // The first process polls at once after the waiting error message, then is stopped in the 30 s wait.
    const waitOnce = first.services.waitUntil;
    first.services.waitUntil = (input, signal) => (input.until <= 2_000 ? waitOnce(input, signal) : new Promise(() => undefined));
    const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(first.services) }), { input: { kind: 'ir', transactionId: 'dHg=' } });
    actor.start();
    await new Promise<void>((resolve) => actor.subscribe((s) => s.matches('confirmationWaiting') && s.context.polls === 1 && resolve()));
    const json = JSON.stringify(actor.getPersistedSnapshot());
    actor.stop();
    expect(first.built.map((b) => [b.kind, b.transaction.certReqId])).toEqual([
      ['ir', undefined],
      ['certConf', '0'],
      ['pollReq', '-1'],
    ]);
    expect(JSON.parse(json)).toMatchObject({
      value: 'confirmationWaiting',
      context: { nextPollAt: 33_000, enrolled: { certificate: issued.certificate }, acceptance: { accept: true } },
    });

    const second = scriptedServices({
      buildRequest: [ok({})],
      exchangeMessage: [ok({ der: 'BA==' })],
      checkResponse: [ok(responses.pkiConf())],
      waitUntil: [ok({ now: 33_000 })],
    });
    const resumed = createActor(enrollmentMachine.provide({ actors: actorsFrom(second.services) }), {
      snapshot: JSON.parse(json),
      input: undefined as never,
    });
    resumed.start();
    const out = await toPromise(resumed);
    expect(out).toMatchObject({ outcome: 'confirmed', polls: 2, certificate: { certificate: issued.certificate } });
    expect(second.built.map((b) => [b.kind, b.transaction.certReqId])).toEqual([['pollReq', '-1']]);
    expect((second.calls.find((c) => c.actor === 'checkResponse')!.input as { pollingFor?: string }).pollingFor).toBe('certConf');
  });

  it('aborts a waiting session by sending an error message', async () => {
    const rec = scriptedServices({
      buildRequest: [ok({}), ok({})],
      exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' })],
      checkResponse: [ok(responses.waiting(30, 1_000)), ok(responses.pkiConf())],
    });
    rec.services.waitUntil = (_i, signal) => new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('cancelled'))));
    const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(rec.services) }), { input: { kind: 'p10cr', transactionId: 'dHg=' } });
    actor.start();
    await new Promise<void>((resolve) => actor.subscribe((s) => s.matches('waiting') && resolve()));
    actor.send({ type: 'abortRequested' });
    const out = await toPromise(actor);
    expect(out.outcome).toBe('aborted');
    expect(rec.built[1]).toMatchObject({ kind: 'error', reason: 'aborted' });
  });
});

describe('the two shapes of the enrollment machine', () => {
  const shapes = { step: stepMachine, roundTrip: roundTripMachine };

  it.each([
    ['step', 'roundTrip'],
    ['roundTrip', 'step'],
  ] as const)('resume each other: a session persisted while waiting by the %s shape finishes in the %s shape', async (from, to) => {
    const { out, second } = await finishedAfterWaiting(shapes[to], await persistedWhileWaiting(shapes[from]));
    expect(out).toMatchObject({ outcome: 'confirmed', polls: 1 });
    expect(second.built.map((b) => [b.kind, b.transaction.recipNonce])).toEqual([
      ['pollReq', responses.waiting().senderNonce],
      ['certConf', responses.certificate().senderNonce],
    ]);
  });

  it('give the services the same calls with the same inputs, in the same order, and end with the same output and context', async () => {
    const script = () => ({
      buildRequest: [ok({}), ok({}), ok({})],
      exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' }), ok({ der: 'Aw==' })],
      checkResponse: [ok(responses.waiting(2, 1000)), ok(responses.certificate()), ok(responses.pkiConf())],
      waitUntil: [ok({ now: 3000 })],
      acceptCertificate: [ok({ accept: true })],
    });
    const runShape = async (machine: typeof stepMachine) => {
      const rec = scriptedServices(script());
      const actor = createActor(machine.provide({ actors: actorsFrom(rec.services) }), {
        input: { kind: 'ir', transactionId: 'dHg=', deadline: 10_000 },
      });
      actor.start();
      const output = await toPromise(actor);
      return { calls: rec.calls, output, context: actor.getSnapshot().context };
    };
    const step = await runShape(stepMachine);
    const roundTrip = await runShape(roundTripMachine);
    expect(step.calls.map((c) => c.actor)).toEqual([
      ...['buildRequest', 'exchangeMessage', 'checkResponse', 'waitUntil'],
      ...['buildRequest', 'exchangeMessage', 'checkResponse', 'acceptCertificate'],
      ...['buildRequest', 'exchangeMessage', 'checkResponse'],
    ]);
    expect(roundTrip.calls).toEqual(step.calls);
    expect(roundTrip.output).toEqual(step.output);
    expect(roundTrip.context).toEqual(step.context);
  });

  it.each(Object.entries(shapes))(
    'send nothing once stopped: a %s round trip stopped while its request is being built never starts the exchange',
    async (_shape, machine) => {
      let built!: () => void;
      const rec = scriptedServices({ buildRequest: [ok({})], exchangeMessage: [ok({ der: 'AQ==' })] });
      const build = rec.services.buildRequest;
      rec.services.buildRequest = (input) => new Promise((resolve) => (built = () => resolve(build(input))));
      const actor = createActor(machine.provide({ actors: actorsFrom(rec.services) }), { input: { kind: 'ir', transactionId: 'dHg=' } });
      actor.start();
      await new Promise((resolve) => setImmediate(resolve));
      actor.stop();
      built();
      await new Promise((resolve) => setImmediate(resolve));
      expect(rec.calls.map((c) => c.actor)).toEqual(['buildRequest']);
    },
  );

  it('name their busy states apart: building, sending and checking are states only in the step shape', async () => {
    const visited = async (machine: typeof stepMachine) => {
      const rec = scriptedServices({
        buildRequest: [ok({})],
        exchangeMessage: [ok({ der: 'AQ==' })],
        checkResponse: [ok(responses.certificate(true))],
      });
      const actor = createActor(machine.provide({ actors: actorsFrom(rec.services) }), {
        input: { kind: 'ir', transactionId: 'dHg=', implicitConfirm: true },
      });
      const states: string[] = [];
      actor.subscribe((s) => states.push(JSON.stringify(s.value)));
      actor.start();
      await toPromise(actor);
      return states;
    };
    expect(await visited(stepMachine)).toEqual(['{"requesting":"building"}', '{"requesting":"sending"}', '{"requesting":"checking"}', '"confirmed"']);
    expect(await visited(roundTripMachine)).toEqual(['"requesting"', '"confirmed"']);
  });
});
