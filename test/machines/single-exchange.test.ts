/**
 * Revocation and general-message sessions are one round trip: the answer they expect ends them in
 * `done`, anything else (a rejection, a validation or transport failure) in `failed`.
 */
import { createActor, toPromise } from 'xstate';
import { generalMachine } from '../../machines/general';
import { revocationMachine } from '../../machines/revocation';
import { actorsFrom } from '../../machines/services';
import type { CheckedResponse } from '../../machines/actors';
import { fail, ok, responses, scriptedServices, type Script } from './fake-services';

const revoked: CheckedResponse = { kind: 'revocation', senderNonce: 'bg==', status: 3, statusName: 'revocationWarning', warning: 'revocationWarning', extraCerts: [] };
const genp: CheckedResponse = { kind: 'generalResponse', senderNonce: 'bg==', itavs: [{ infoType: '1.3.6.1.5.5.7.4.17', value: 'MAA=' }], extraCerts: [] };

async function run(machine: typeof revocationMachine, script: Script) {
  const rec = scriptedServices(script);
  const actor = createActor(machine.provide({ actors: actorsFrom(rec.services) }), { input: { transactionId: 'dHg=' } });
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

describe.each([
  ['revocation', revocationMachine, 'rr', revoked],
  ['general', generalMachine, 'genm', genp],
] as const)('the %s machine', (_name, machine, kind, answer) => {
  it(`sends one ${kind} and returns the checked answer`, async () => {
    const { out, rec, states } = await run(machine, exchange([ok(answer)]));
    expect(rec.built.map((b) => b.kind)).toEqual([kind]);
    expect(out).toMatchObject({ outcome: 'done', transactionId: 'dHg=', response: answer });
    expect(states).toEqual([
      '{"requesting":"building"}',
      '{"requesting":"sending"}',
      '{"requesting":"checking"}',
      '"done"',
    ]);
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
});
