/**
 * One machine provided with systemActors serves any number of sessions at once, each running the
 * services bound to its own actor.
 */
import { createActor, toPromise } from 'xstate';
import { generalMachine } from '../../machines';
import { bindServices, systemActors } from '../../machines/services';
import type { SessionServices } from '../../machines/actors';

function services(tag: string, seen: string[]): SessionServices {
  return {
    buildRequest: async (input) => ({
      der: Buffer.from(tag).toString('base64'),
      bodyType: input.kind,
      senderNonce: 'AAAAAAAAAAAAAAAAAAAAAA==',
      pvno: 2,
    }),
    exchangeMessage: async (input) => {
      seen.push(Buffer.from(input.der, 'base64').toString());
      return { der: input.der };
    },
    checkResponse: async () => ({
      kind: 'generalResponse',
      senderNonce: 'AAAAAAAAAAAAAAAAAAAAAA==',
      itavs: [{ infoType: `1.2.${tag.length}` }],
      extraCerts: [],
    }),
    waitUntil: async () => ({ now: Date.now() }),
    acceptCertificate: async () => ({ accept: true }),
  };
}

describe('systemActors', () => {
  const provided = generalMachine.provide({ actors: systemActors });

  it('run, for each session of one provided machine, the services bound to that session', async () => {
    const seen: string[] = [];
    const actors = ['a', 'bb', 'ccc'].map((tag) => {
      const actor = createActor(provided, { input: { transactionId: 'AAAAAAAAAAAAAAAAAAAAAA==' } });
      bindServices(actor, services(tag, seen));
      return actor;
    });
    actors.forEach((a) => a.start());
    const outputs = await Promise.all(actors.map((a) => toPromise(a)));
    expect(seen.sort()).toEqual(['a', 'bb', 'ccc']);
    expect(outputs.map((o) => (o.response as { itavs: { infoType: string }[] }).itavs[0]!.infoType)).toEqual(['1.2.1', '1.2.2', '1.2.3']);
  });

  it('fail a session whose services were never bound, with ERR_INTERNAL', async () => {
    const actor = createActor(provided, { input: { transactionId: 'AAAAAAAAAAAAAAAAAAAAAA==' } });
    actor.start();
    const output = await toPromise(actor);
    expect(output.outcome).not.toBe('done');
    expect(output.error?.code).toBe('ERR_INTERNAL');
  });
});
