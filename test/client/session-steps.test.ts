/**
 * CmpClient's `onStep` option: each session reports its start, every request it builds, every
 * response read and checked, its waits and failed steps, in the order they happen, with names and
 * kinds only. An observer that throws never breaks a session: its first failure is reported once
 * as a process warning.
 */
import { CmpClient } from '../../src/client';
import { withSessionSteps } from '../../src/client/session-steps';
import type { OpenSessionServices } from '../../src/client/services';
import type { CmpClientOptions, SessionStep } from '../../src/options';
import { createThrowawayCa, type ThrowawayCa } from '../../src/server';
import { inProcessIrOptions } from '../support/in-process-client';

const REF = 'session-steps';
const SECRET = 'session-steps-secret-c0ffee';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => ca?.cleanup());

async function options(onStep: CmpClientOptions['onStep']): Promise<CmpClientOptions> {
  return { ...(await inProcessIrOptions(ca, REF, SECRET, '/CN=stepped device')), ...(onStep ? { onStep } : {}) };
}

describe('onStep', () => {
  it('reports an IR as session, request, exchange and checked response for ir and certConf, in order', async () => {
    const steps: SessionStep[] = [];
    await new CmpClient(await options((s) => steps.push(s))).ir();
    expect(steps[0]).toEqual({ step: 'session', kind: 'ir', transactionId: expect.any(String) });
    expect(steps.slice(1)).toEqual([
      { step: 'request', bodyType: 'ir' },
      { step: 'exchanged' },
      { step: 'response', kind: 'certificate' },
      { step: 'request', bodyType: 'certConf' },
      { step: 'exchanged' },
      { step: 'response', kind: 'pkiConf' },
    ]);
  });

  it('gives no message bytes, keys or certificates: only names, kinds, ids and times', async () => {
    const steps: SessionStep[] = [];
    await new CmpClient(await options((s) => steps.push(s))).ir();
    for (const s of steps) for (const value of Object.values(s)) expect(['string', 'number']).toContain(typeof value);
  });

  it('keeps a session going when the observer throws, and warns once', async () => {
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const client = new CmpClient(
        await options(() => {
          throw new Error('observer broke');
        }),
      );
      await expect(client.ir()).resolves.toBeDefined();
      await expect(client.ir()).resolves.toBeDefined();
      const warnings = spy.mock.calls.filter(([, o]) => (o as { type?: string } | undefined)?.type === 'CmpflowStepObserverWarning');
      expect(warnings).toHaveLength(1);
    } finally {
      spy.mockRestore();
    }
  });

  it('reports waits, a rejected response with its error code, and a failing step', async () => {
    const steps: SessionStep[] = [];
    const failure = new Error('no connection');
    const services = {
      buildRequest: async () => ({ der: '', bodyType: 'pollReq', senderNonce: '', pvno: 2 }),
      exchangeMessage: async () => Promise.reject(failure),
      checkResponse: async () => ({ kind: 'rejected', senderNonce: '', error: { code: 'ERR_ERROR_RESPONSE', message: 'x' } }),
      waitUntil: async () => ({}),
    } as unknown as OpenSessionServices;
    const stepped = withSessionSteps(services, (s) => steps.push(s), { snapshot: { context: { kind: 'cr' } } });
    await stepped.waitUntil({ until: 1234 } as never);
    await stepped.buildRequest({} as never);
    await expect(stepped.exchangeMessage({} as never)).rejects.toBe(failure);
    await stepped.checkResponse({} as never);
    expect(steps).toEqual([
      { step: 'session', kind: 'cr' },
      { step: 'wait', until: 1234 },
      { step: 'waited' },
      { step: 'request', bodyType: 'pollReq' },
      { step: 'failed', service: 'exchangeMessage' },
      { step: 'response', kind: 'rejected', errorCode: 'ERR_ERROR_RESPONSE' },
    ]);
  });
});
