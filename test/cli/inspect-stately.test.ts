/**
 * `-inspect` with @statelyai/inspect installed, seen from the package's own receiving side
 * (createWebSocketReceiver, in stately-receiver.mjs): an ir that polls once at the embedded CA
 * arrives as the Stately inspector draws it, machine definitions, parents and every transition,
 * with no secret and no message bytes in it. With nothing listening, or a listener that never
 * answers, the enrollment still ends promptly and says why nothing was shown.
 */
import { execFileSync, spawn } from 'child_process';
import { readFileSync } from 'fs';
import * as net from 'net';
import * as path from 'path';
import { onTeardown } from '../support/lifecycle';
import { scratchDir, spawnCmpflow, type CliRun } from './run-support';

jest.setTimeout(90_000);

const SECRET = 'stately-pbm-4b1e9c';
const secretForms = [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')];
/** Without an inspector, a run of this kind ends in a few seconds; -inspect may add its 3 s bound, never more. */
const PROMPT_END_MS = 30_000;

interface StatelyEvent {
  type: string;
  sessionId: string;
  rootId?: string;
  parentId?: string;
  name?: string;
  definition?: string;
  event?: { type: string };
  snapshot?: { value?: unknown; status?: string };
}

const dir = scratchDir();
const newKey = path.join(dir, 'new.key.pem');
execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', newKey]);

function enroll(inspectUrl: string, tag: string): Promise<CliRun> {
  const out = (name: string) => path.join(dir, `${tag}-${name}`);
  const messages = (kind: string) => [1, 2, 3].map((i) => out(`${kind}${i}.der`)).join(',');
  const argv = [
    ...['-config', '', '-cmd', 'ir', '-use_mock_srv', '-srv_ref', 'ca', '-srv_secret', `pass:${SECRET}`],
    ...['-ref', 'ca', '-secret', `pass:${SECRET}`, '-newkey', newKey, '-subject', '/CN=inspected'],
    ...['-poll_count', '1', '-check_after', '0', '-certout', out('cert.pem'), '-reqout', messages('req'), '-rspout', messages('rsp')],
    '-inspect',
  ];
  return spawnCmpflow(argv, { env: { ...process.env, CMPFLOW_INSPECT_URL: inspectUrl } }).done;
}

/** The relay and the package's receiver, in their own process; resolves once the receiver is connected. */
async function startReceiver(): Promise<{ url: string; events: () => StatelyEvent[] }> {
  const child = spawn(process.execPath, [path.join(__dirname, 'stately-receiver.mjs')], { stdio: ['ignore', 'pipe', 'inherit'] });
  onTeardown(() => {
    child.kill('SIGKILL');
  });
  let text = '';
  child.stdout.on('data', (b: Buffer) => (text += b.toString('utf8')));
  const lines = () => text.split('\n').filter((l) => l !== '');
  const deadline = Date.now() + 20_000;
  while (lines().length === 0) {
    if (Date.now() > deadline || child.exitCode !== null) throw new Error(`the receiver did not start: ${text}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const { port } = JSON.parse(lines()[0]!) as { port: number };
  return {
    url: `ws://127.0.0.1:${port}`,
    events: () =>
      lines()
        .slice(1)
        .map((l) => JSON.parse(l) as StatelyEvent),
  };
}

/** A TCP port that accepts connections and never says a word: a WebSocket handshake that never ends. */
async function silentListener(): Promise<string> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => sockets.add(s));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTeardown(() => {
    for (const s of sockets) s.destroy();
    server.close();
  });
  return `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}`;
}

/** A loopback port with nothing behind it. */
async function closedPort(): Promise<string> {
  const server = net.createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as net.AddressInfo;
  await new Promise((r) => server.close(r));
  return `ws://127.0.0.1:${port}`;
}

function expectEnrolled(run: CliRun): void {
  expect(run.errors).toEqual([]);
  expect(run.stderr).not.toMatch(/WebSocket is not open|\n\s+at /);
  expect(run.code).toBe(0);
}

describe('-inspect with @statelyai/inspect', () => {
  it("delivers an ir with polling to the package's WebSocket receiver: definitions, parents, transitions, and no secret or message bytes", async () => {
    const receiver = await startReceiver();
    const run = await enroll(receiver.url, 'seen');
    expectEnrolled(run);
    expect(run.stderrLines).toContain(`CMP info: -inspect: sending the state machine events to ${receiver.url}`);

    // Stopping waited for the last events; the relay needs a moment to pass them on.
    const isFinal = (e: StatelyEvent) => e.type === '@xstate.snapshot' && e.sessionId === e.rootId && e.snapshot?.status === 'done';
    const deadline = Date.now() + 10_000;
    while (!receiver.events().some(isFinal) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    const events = receiver.events();

    // The session registers with its statechart, so the inspector can draw it.
    const actors = events.filter((e) => e.type === '@xstate.actor');
    const root = actors.find((e) => e.name === 'enrollment')!;
    expect(root.parentId).toBeUndefined();
    const chart = JSON.parse(root.definition!) as { id: string; initial: string; states: Record<string, unknown> };
    // 'starting' only chooses between the KEM ciphertext exchange and the request, so it never shows as a step below.
    expect(chart).toMatchObject({ id: 'enrollment', initial: 'starting' });
    expect(Object.keys(chart.states)).toEqual(
      expect.arrayContaining(['starting', 'kemCiphertextExchange', 'requesting', 'waiting', 'polling', 'accepting', 'confirming', 'confirmed']),
    );
    // Each message the session builds, sends and checks is an actor invoked under it.
    const children = actors.filter((e) => e !== root);
    expect(children.map((e) => e.name)).toEqual(expect.arrayContaining(['buildRequest', 'exchangeMessage', 'checkResponse', 'waitUntil']));
    for (const child of children) expect(child).toMatchObject({ parentId: root.sessionId, rootId: root.sessionId });

    // The states the session passed through, in order: the highlighted state at each step.
    const visited = events
      .filter((e) => e.type === '@xstate.snapshot' && e.sessionId === root.sessionId)
      .map((e) => JSON.stringify(e.snapshot!.value));
    expect(visited).toEqual([
      ...['{"requesting":"building"}', '{"requesting":"sending"}', '{"requesting":"checking"}', '"waiting"'],
      ...['{"polling":"building"}', '{"polling":"sending"}', '{"polling":"checking"}', '"accepting"'],
      ...['{"confirming":"building"}', '{"confirming":"sending"}', '{"confirming":"checking"}', '"confirmed"'],
    ]);
    expect(events.filter((e) => e.type === '@xstate.event' && e.sessionId === root.sessionId).map((e) => e.event!.type)).toEqual(
      expect.arrayContaining(['xstate.done.actor.checkResponse', 'xstate.done.actor.waitUntil', 'xstate.done.actor.acceptCertificate']),
    );

    // Neither the secret nor the bytes of any message exchanged (which would allow guessing it offline) reach the inspector.
    const sent = readFileSync(path.join(dir, 'seen-req1.der'));
    const all = events.map((e) => JSON.stringify(e)).join('\n');
    for (const form of secretForms) expect(all).not.toContain(form);
    for (const kind of ['req', 'rsp'])
      for (const i of [1, 2, 3]) {
        const der = readFileSync(path.join(dir, `seen-${kind}${i}.der`));
        // Any 24 bytes from inside the message, in the encodings a sanitiser could have missed.
        const inner = der.subarray(der.length - 40, der.length - 16);
        for (const form of [inner.toString('base64'), inner.toString('hex')]) expect(all).not.toContain(form);
      }
    expect(sent.length).toBeGreaterThan(100);
    expect(all).not.toMatch(/[A-Za-z0-9+/]{64}/);
  });

  it('ends the enrollment promptly with one warning when nothing listens on the URL', async () => {
    const url = await closedPort();
    const started = Date.now();
    const run = await enroll(url, 'refused');
    expect(Date.now() - started).toBeLessThan(PROMPT_END_MS);
    expectEnrolled(run);
    expect(run.stderrLines.filter((l) => l.includes('-inspect: no Stately inspector'))).toEqual([
      `CMP warning: -inspect: no Stately inspector at ${url} (ECONNREFUSED); the state machine events are not shown`,
    ]);
  });

  it('ends the enrollment promptly when the listener never completes the WebSocket handshake', async () => {
    const url = await silentListener();
    const started = Date.now();
    const run = await enroll(url, 'silent');
    expect(Date.now() - started).toBeLessThan(PROMPT_END_MS);
    expectEnrolled(run);
    expect(readFileSync(path.join(dir, 'silent-cert.pem'), 'utf8')).toContain('-----BEGIN CERTIFICATE-----');
    expect(run.stderrLines.filter((l) => l.includes('-inspect: no Stately inspector'))).toEqual([
      `CMP warning: -inspect: no Stately inspector at ${url} (no answer within 3 s); the state machine events are not shown`,
    ]);
  });
});
