/**
 * The flow recorder turns one session (an ir that the embedded CA makes wait and poll) into a
 * page that shows the enrollment machine's statechart, the path taken with timings, every message
 * decoded, and the outcome, without the secret, any protection value or any message's bytes.
 */
import { CmpClient } from '../../src/client';
import { getCryptoProvider } from '../../src/crypto';
import { createCmpServer, createThrowawayCa, type ThrowawayCa } from '../../src/server';
import { createFlowRecorder, type FlowRecorder } from '../../src/session';

const REF = 'flow-viewer';
const SECRET = 'flow-viewer-secret-c0ffee';
let ca: ThrowawayCa;
let recorder: FlowRecorder;
let html: string;

beforeAll(async () => {
  ca = await createThrowawayCa();
  const server = createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }], pollCount: 2, checkAfter: 1 });
  recorder = createFlowRecorder();
  const client = new CmpClient({
    transfer: recorder.transfer((request) => server.handle(request)),
    inspect: recorder.inspect,
    ref: REF,
    secret: SECRET,
    trusted: [ca.ca.cert],
    newKey: await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' }),
    subject: '/CN=viewed device',
  });
  await client.certReq('ir');
  html = recorder.toHtml({ title: 'ir with polling' });
});
afterAll(async () => ca?.cleanup());

describe('createFlowRecorder', () => {
  it('records the enrollment machine with the states it went through, polling included, ending confirmed', () => {
    const enrollment = recorder.recording().machines.find((m) => m.machineId === 'enrollment');
    expect(enrollment).toBeDefined();
    const leaves = enrollment!.steps.map((s) => s.active.filter((p) => !p.includes('.')).pop());
    expect(leaves).toEqual(expect.arrayContaining(['requesting', 'waiting', 'polling', 'confirming', 'confirmed']));
    expect(leaves.indexOf('polling')).toBeGreaterThan(leaves.indexOf('requesting'));
    expect(enrollment!.status).toBe('done');
    expect(enrollment!.steps.every((s, i, all) => i === 0 || s.at >= all[i - 1]!.at)).toBe(true);
  });

  it('records every message exchanged, decoded, in order', () => {
    const types = recorder.recording().messages.map((m) => `${m.direction}:${m.bodyType}`);
    expect(types).toEqual([
      'request:ir',
      'response:ip',
      'request:pollReq',
      'response:pollRep',
      'request:pollReq',
      'response:ip',
      'request:certConf',
      'response:pkiconf',
    ]);
  });

  it('draws the statechart with the visited states and the final one highlighted', () => {
    expect(html).toMatch(/^<!DOCTYPE html>/);
    for (const state of ['requesting', 'waiting', 'polling', 'confirming']) {
      expect(html).toMatch(new RegExp(`class="state [a-z]+ visited[^"]*" data-state="${state}"`));
    }
    expect(html).toMatch(/class="state final visited current" data-state="confirmed"/);
    // States the session never entered are drawn, not highlighted.
    expect(html).toMatch(/class="state final" data-state="aborted"/);
    expect(html).toContain('Outcome: <span class="status">done</span>');
  });

  it('needs no network: no script, no external resource', () => {
    expect(html).not.toMatch(/<script|<link|src=|https?:\/\//i);
  });

  it('shows no secret, no protection value and no message bytes', () => {
    expect(html).not.toContain(SECRET);
    expect(html).toContain('"protection": "[removed]"');
    // No base64 or hex run long enough to carry a DER message (or a signature or MAC over one).
    expect(html).not.toMatch(/[A-Za-z0-9+/]{60,}={0,2}/);
    expect(html).not.toMatch(/(?:[0-9a-fA-F]{2}){40,}/);
  });
});
