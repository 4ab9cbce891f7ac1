/**
 * Revocation and general-message sessions are one round trip: the answer they expect ends them in
 * `done`, anything else (a rejection, a validation or transport failure) in `failed`. When the
 * server delays its answer (RFC 9810 section 5.3.22), they wait and poll until it comes.
 */
import { createActor, toPromise } from 'xstate';
import { createGeneralMachine, createRevocationMachine, generalMachine, revocationMachine } from '../../machines';
import { actorsFrom } from '../../machines/services';
import type { CheckedResponse } from '../../machines/actors';
import { fail, ok, responses, scriptedServices, type Script } from './fake-services';

const revoked: CheckedResponse = {
  kind: 'revocation',
  senderNonce: 'bg==',
  status: 3,
  statusName: 'revocationWarning',
  warning: 'revocationWarning',
  extraCerts: [],
};
const genp: CheckedResponse = {
  kind: 'generalResponse',
  senderNonce: 'bg==',
  itavs: [{ infoType: '1.3.6.1.5.5.7.4.17', value: 'MAA=' }],
  extraCerts: [],
};

async function run(machine: typeof revocationMachine, script: Script, deadline?: number) {
  const rec = scriptedServices(script);
  const input = { transactionId: 'dHg=', ...(deadline !== undefined ? { deadline } : {}) };
  const actor = createActor(machine.provide({ actors: actorsFrom(rec.services) }), { input });
  const states: string[] = [];
  actor.subscribe((s) => states.push(JSON.stringify(s.value)));
  actor.start();
  return { out: await toPromise(actor), rec, states };
}

const exchange = (answer: Script['checkResponse']): Script => ({
  buildRequest: [ok({})],
  exchangeMessage: [ok({ der: 'AQ==' })],
  checkResponse: answer,
});

// Typed as the step machine: the tests read only what both shapes share, and the state names only where the shape is known.
const roundTripShape = (machine: ReturnType<typeof createRevocationMachine<'roundTrip'>>) => machine as unknown as typeof revocationMachine;

describe.each([
  ['revocation', 'step', revocationMachine, 'rr', revoked],
  ['general', 'step', generalMachine, 'genm', genp],
  ['revocation', 'roundTrip', roundTripShape(createRevocationMachine('roundTrip')), 'rr', revoked],
  ['general', 'roundTrip', roundTripShape(createGeneralMachine('roundTrip')), 'genm', genp],
] as const)('the %s machine (an actor per %s)', (_name, actorPer, machine, kind, answer) => {
  it(`sends one ${kind} and returns the checked answer`, async () => {
    const { out, rec, states } = await run(machine, exchange([ok(answer)]));
    expect(rec.built.map((b) => b.kind)).toEqual([kind]);
    expect(out).toMatchObject({ outcome: 'done', transactionId: 'dHg=', response: answer });
    expect(states).toEqual(
      actorPer === 'step'
        ? ['{"requesting":"building"}', '{"requesting":"sending"}', '{"requesting":"checking"}', '"done"']
        : ['"requesting"', '"done"'],
    );
  });

  it('fails with the server rejection as error', async () => {
    const { out } = await run(machine, exchange([ok(responses.rejected())]));
    expect(out).toMatchObject({ outcome: 'failed', error: { code: 'ERR_REQUEST_REJECTED', failInfo: ['badRequest'] } });
    expect(out.response).toBeUndefined();
  });

  it('fails on an answer of the wrong kind', async () => {
    const { out } = await run(machine, exchange([ok(responses.pkiConf())]));
    expect(out.error!.code).toBe('ERR_UNEXPECTED_BODY');
  });

  it.each([
    ['buildRequest', 'ERR_CREDENTIALS', () => ({ buildRequest: [fail('ERR_CREDENTIALS')] })],
    ['exchangeMessage', 'ERR_CONNECTION', () => ({ buildRequest: [ok({})], exchangeMessage: [fail('ERR_CONNECTION')] })],
    ['checkResponse', 'ERR_PROTECTION_INVALID', () => exchange([fail('ERR_PROTECTION_INVALID')])],
  ] as [string, string, () => Script][])('fails with the code of a failing %s', async (_actor, code, script) => {
    const { out } = await run(machine, script());
    expect(out).toMatchObject({ outcome: 'failed', error: { code } });
  });

  it('waits while the answer is delayed, polls for it until the poll is due, and ends with it', async () => {
    const delayed = { ...responses.waiting(0, 1_000_000), certReqId: '-1' };
    const pollRep = { ...responses.pollWait(5, 1_000_100), certReqId: '-1' };
    const { out, rec, states } = await run(machine, {
      buildRequest: [ok({}), ok({}), ok({})],
      exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' }), ok({ der: 'Aw==' })],
      checkResponse: [ok(delayed), ok(pollRep), ok(answer)],
      waitUntil: [ok({ now: 1_000_000 }), ok({ now: 1_005_100 })],
    });
    expect(out).toMatchObject({ outcome: 'done', polls: 2, response: answer });
    expect(rec.built.map((b) => b.kind)).toEqual([kind, 'pollReq', 'pollReq']);
    expect(rec.built[1]!.transaction.certReqId).toBe('-1');
    expect(rec.calls.filter((c) => c.actor === 'waitUntil').map((c) => c.input)).toEqual([{ until: 1_000_000 }, { until: 1_005_100 }]);
    expect(rec.calls.filter((c) => c.actor === 'checkResponse').map((c) => (c.input as { pollingFor?: string }).pollingFor)).toEqual([
      undefined,
      kind,
      kind,
    ]);
    expect(states).toContain('"waiting"');
  });

  it('fails with ERR_TOTAL_TIMEOUT when a wait ends at the deadline, without polling again', async () => {
    const { out, rec } = await run(
      machine,
      {
        buildRequest: [ok({}), ok({})],
        exchangeMessage: [ok({ der: 'AQ==' }), ok({ der: 'Ag==' })],
        checkResponse: [ok(responses.waiting(0, 1_000_000)), ok(responses.pollWait(60, 1_000_100))],
        waitUntil: [ok({ now: 1_000_000 }), ok({ now: 1_003_000 })],
      },
      1_003_000,
    );
    expect(out).toMatchObject({ outcome: 'failed', error: { code: 'ERR_TOTAL_TIMEOUT' } });
    expect(rec.calls.filter((c) => c.actor === 'waitUntil').map((c) => c.input)).toEqual([{ until: 1_000_000 }, { until: 1_003_000 }]);
    expect(rec.built.map((b) => b.kind)).toEqual([kind, 'pollReq']);
  });
});
