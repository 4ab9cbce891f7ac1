/**
 * CmpClient's `inspect` option takes both forms XState's `createActor` takes: a function and an
 * observer object (`@statelyai/inspect`'s `inspector.inspect` is one). Either way it sees only
 * sanitised events, and an observer that throws never breaks a session: its first failure is
 * reported once as a process warning and the session ends as it would have without it.
 */
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import type { InspectionEvent, Observer } from 'xstate';
import { main } from '../../src/cli/main';
import { CmpClient } from '../../src/client';
import type { CmpClientOptions } from '../../src/options';
import { createThrowawayCa, type ThrowawayCa } from '../../src/server';
import { inProcessIrOptions } from '../support/in-process-client';
import { INSPECTOR_WARNING } from '../../src/session';
import { observingOnly } from '../../src/session/inspect';

const REF = 'inspect-observers';
const SECRET = 'inspect-observers-secret-f00d';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => ca?.cleanup());

/** Client options for an ir with PBM against the embedded CA, in-process. */
async function options(inspect: CmpClientOptions['inspect']): Promise<CmpClientOptions> {
  return { ...(await inProcessIrOptions(ca, REF, SECRET, '/CN=inspected device')), ...(inspect ? { inspect } : {}) };
}

interface Warning {
  message: string;
  type?: string;
  code?: string;
}

/**
 * The process warnings of cmpflow's inspector emitted while `run` runs. Jest gives each test file
 * its own `process` object whose `on('warning')` never hears Node's emitter, so the calls to
 * emitWarning are watched instead (they still go through, to stderr).
 */
async function warningsDuring<T>(run: () => Promise<T>): Promise<{ result: T; warnings: Warning[] }> {
  const spy = jest.spyOn(process, 'emitWarning');
  try {
    const result = await run();
    const warnings = spy.mock.calls
      .map(([message, options]) => ({
        message: String(message),
        ...(typeof options === 'object' ? (options as { type?: string; code?: string }) : {}),
      }))
      .filter((w) => w.type === INSPECTOR_WARNING);
    return { result, warnings };
  } finally {
    spy.mockRestore();
  }
}

describe('the inspect option of CmpClient', () => {
  it('accepts an observer object, whose next receives every event sanitised', async () => {
    const events: InspectionEvent[] = [];
    const observer: Observer<InspectionEvent> = { next: (e) => events.push(e) };
    const { result, warnings } = await warningsDuring(async () => new CmpClient(await options(observer)).ir());

    expect(result.certificate.subject).toBe('CN=inspected device');
    expect(warnings).toEqual([]);
    const root = events.filter((e) => e.type === '@xstate.snapshot' && e.actorRef.sessionId === e.rootId);
    expect(root.length).toBeGreaterThan(1);
    expect((root[root.length - 1] as { snapshot: { status: string } }).snapshot.status).toBe('done');
    expect(JSON.stringify(events)).not.toContain(SECRET);
  });

  it('delivers to an observer marked with observingOnly just the events it wants, the same as the unmarked get them', async () => {
    const all: InspectionEvent[] = [];
    await new CmpClient(await options((e) => all.push(e))).ir();
    const wanted = (type: string, fromRoot: boolean) => type === '@xstate.event' || (type === '@xstate.snapshot' && fromRoot);
    const some: InspectionEvent[] = [];
    const { result } = await warningsDuring(async () =>
      new CmpClient(await options(observingOnly((e: InspectionEvent) => some.push(e), wanted))).ir(),
    );

    expect(result.certificate.subject).toBe('CN=inspected device');
    expect(new Set(all.map((e) => e.type)).size).toBeGreaterThan(2);
    const expected = all.filter((e) => wanted(e.type, e.actorRef.sessionId === e.rootId));
    expect(some.map((e) => e.type)).toEqual(expected.map((e) => e.type));
    const eventTypes = (list: InspectionEvent[]) => list.map((e) => (e as { event?: { type: string } }).event?.type);
    expect(eventTypes(some)).toEqual(eventTypes(expected));
    expect(JSON.stringify(some)).not.toContain(SECRET);
  });

  it('leaves the session unaffected by a function that throws, and reports the failure once', async () => {
    let calls = 0;
    const { result, warnings } = await warningsDuring(async () =>
      new CmpClient(
        await options(() => {
          calls += 1;
          throw new TypeError('cannot read properties of undefined');
        }),
      ).ir(),
    );

    expect(result.certificate.subject).toBe('CN=inspected device');
    expect(result.statusName).toBe('accepted');
    expect(calls).toBeGreaterThan(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).toContain('TypeError: cannot read properties of undefined');
    expect(warnings[0]!.code).toBe('CMPFLOW_INSPECT_OBSERVER_FAILED');
  });

  it('leaves every session of a client unaffected by an observer whose next throws, reporting it once for the client', async () => {
    const seen: string[] = [];
    const observer: Observer<InspectionEvent> = {
      next: (e) => {
        seen.push(e.type);
        throw new Error('inspector socket closed');
      },
    };
    const { result, warnings } = await warningsDuring(async () => {
      const client = new CmpClient(await options(observer));
      const first = await client.ir();
      const second = await client.cr();
      return [first, second];
    });

    expect(result.map((r) => r.certificate.subject)).toEqual(['CN=inspected device', 'CN=inspected device']);
    expect(seen.filter((t) => t === '@xstate.actor').length).toBeGreaterThanOrEqual(2);
    expect(warnings.map((w) => w.message)).toEqual([
      'the inspect observer threw (Error: inspector socket closed); the session goes on without it, and later failures of this observer are not reported',
    ]);
  });

  it('summarises encoded data in the reported failure as it does in events', async () => {
    const blob = Buffer.alloc(48, 0xab).toString('base64');
    const { warnings } = await warningsDuring(async () =>
      new CmpClient(
        await options(() => {
          throw new Error(blob);
        }),
      ).ir(),
    );

    expect(warnings).toHaveLength(1);
    expect(warnings[0]!.message).not.toContain(blob);
    expect(warnings[0]!.message).toContain('<48 bytes: abababab…>');
  });
});

describe('cmpflow -inspect', () => {
  it('reports an inspector that fails once as a CMP warning, and the command succeeds', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'cmpflow-inspect-'));
    let stderr = '';
    try {
      const code = await main(
        [
          '-config',
          '',
          '-use_mock_srv',
          '-srv_ref',
          'srv',
          '-srv_secret',
          `pass:${SECRET}`,
          '-ref',
          REF,
          '-secret',
          `pass:${SECRET}`,
          '-recipient',
          '/CN=CA',
          '-cmd',
          'genm',
          '-inspect',
        ],
        {
          stdout: { write: () => true },
          // Without @statelyai/inspect the inspector prints to stderr: here that stream refuses its lines.
          stderr: {
            write(chunk) {
              const text = chunk.toString();
              if (text.startsWith('CMP inspect:')) throw new Error('EPIPE: broken pipe');
              stderr += text;
              return true;
            },
          },
          env: {},
          cwd: dir,
        },
      );
      expect({ code, errors: stderr.split('\n').filter((l) => l.startsWith('cmpflow: error')) }).toEqual({ code: 0, errors: [] });
      expect(stderr.split('\n').filter((l) => l.includes('the inspector failed'))).toEqual([
        'CMP warning: -inspect: the inspector failed (EPIPE: broken pipe); the session goes on without it',
      ]);
      expect(stderr).toContain('CMP info: received GENP');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
