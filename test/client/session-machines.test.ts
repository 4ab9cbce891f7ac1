/**
 * Which shape of machine CmpClient runs: one actor per round trip for a session nobody watches, an
 * actor per step (building, sending, checking) when the application inspects its sessions, so that
 * the inspector shows every step. Both end in the same result.
 */
import type { InspectionEvent } from 'xstate';
import { systemActors } from '../../machines/services';
import { CmpClient } from '../../src/client';
import { createThrowawayCa, type ThrowawayCa } from '../../src/server';
import { inProcessIrOptions } from '../support/in-process-client';

const REF = 'session-machines';
const SECRET = 'session-machines-secret-5eed';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => ca?.cleanup());
afterEach(() => jest.restoreAllMocks());

/** How many actors of each step's logic and of the round trip's the sessions start. */
function countStarts() {
  const spies = {
    roundTrip: jest.spyOn(systemActors.roundTrip, 'start'),
    buildRequest: jest.spyOn(systemActors.buildRequest, 'start'),
    exchangeMessage: jest.spyOn(systemActors.exchangeMessage, 'start'),
    checkResponse: jest.spyOn(systemActors.checkResponse, 'start'),
  };
  return () => Object.fromEntries(Object.entries(spies).map(([name, spy]) => [name, spy.mock.calls.length]));
}

describe('the machines CmpClient runs', () => {
  it('an IR nobody inspects runs one actor per round trip: the ir and the certConf', async () => {
    const starts = countStarts();
    const result = await new CmpClient(await inProcessIrOptions(ca, REF, SECRET, '/CN=uninspected device')).ir();
    expect(result.certificate.subject).toBe('CN=uninspected device');
    expect(starts()).toEqual({ roundTrip: 2, buildRequest: 0, exchangeMessage: 0, checkResponse: 0 });
  });

  it('an inspected IR runs an actor per step, and the inspector sees building, sending and checking', async () => {
    const starts = countStarts();
    const states = new Set<string>();
    const inspect = (e: InspectionEvent) => {
      const value = (e as { snapshot?: { value?: unknown } }).snapshot?.value;
      if (e.type === '@xstate.snapshot' && value !== undefined) states.add(JSON.stringify(value));
    };
    const result = await new CmpClient({ ...(await inProcessIrOptions(ca, REF, SECRET, '/CN=inspected device')), inspect }).ir();
    expect(result.certificate.subject).toBe('CN=inspected device');
    expect(starts()).toEqual({ roundTrip: 0, buildRequest: 2, exchangeMessage: 2, checkResponse: 2 });
    expect([...states]).toEqual(expect.arrayContaining(['{"requesting":"building"}', '{"requesting":"sending"}', '{"requesting":"checking"}']));
  });

  it('a general message nobody inspects is one round-trip actor too', async () => {
    const starts = countStarts();
    const { itavs } = await new CmpClient(await inProcessIrOptions(ca, REF, SECRET, '/CN=asking device')).genm([]);
    expect(Array.isArray(itavs)).toBe(true);
    expect(starts()).toEqual({ roundTrip: 1, buildRequest: 0, exchangeMessage: 0, checkResponse: 0 });
  });
});
