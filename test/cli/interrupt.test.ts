/**
 * Ctrl-C (SIGINT) stops a client command with exit status 130 and one line that says whether the
 * transaction can be continued: with the command to continue it when a session file holds it (and
 * that command works), with how to make it resumable next time when the server had the request
 * waiting without one, and plainly "interrupted" otherwise. Real processes, real signals.
 */
import { existsSync } from 'fs';
import { createServer, type Server, type Socket } from 'net';
import * as path from 'path';
import { createCmpServer, createThrowawayCa, listen, type Listener, type ThrowawayCa } from '../../src/server';
import { makeTestPki, type TestPki } from '../support/pki';
import { cmpflow, scratchDir, spawnCmpflow, type SpawnedCli } from './run-support';

const REF = 'interrupted-device';
const SECRET = 'interrupt-secret';
let pki: TestPki;
let ca: ThrowawayCa;
let waitingCa: Listener;
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  [pki, ca] = await Promise.all([makeTestPki(), createThrowawayCa()]);
  // Keeps every request waiting for a minute after the first poll: time enough to press Ctrl-C.
  waitingCa = await listen(createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }], pollCount: 2, checkAfter: 60 }));
  dir = scratchDir();
});
afterAll(async () => {
  await waitingCa?.close();
  await ca?.cleanup();
  await pki?.cleanup();
});

const credentials = () => ['-config', '', '-server', waitingCa.url, '-ref', REF, '-secret', `pass:${SECRET}`];
const ir = (certOut: string) => [...credentials(), '-cmd', 'ir', '-newkey', pki.newKeyPath, '-subject', '/CN=interrupted', '-certout', file(certOut)];

async function until(what: string, condition: () => boolean, cli: SpawnedCli): Promise<void> {
  const deadline = Date.now() + 20_000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; stderr so far:\n${cli.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('Ctrl-C in a client command', () => {
  it('with -session, exits 130 naming the -resume command, which then completes the enrollment', async () => {
    const session = file('interrupted.json');
    const cli = spawnCmpflow([...ir('resumed.pem'), '-session', session]);
    await until('the session file', () => existsSync(session), cli);
    cli.child.kill('SIGINT');
    const run = await cli.done;

    expect(run.code).toBe(130);
    expect(run.stderrLines.filter((l) => l.startsWith('cmpflow:'))).toEqual([
      `cmpflow: interrupted; the transaction is saved in ${session}; continue it with: cmpflow -resume ${session} (plus this command's server and credential options)`,
    ]);

    let resumed = await cmpflow([...credentials(), '-resume', session, '-nowait']);
    for (let polls = 1; resumed.code === 3 && polls < 3; polls++) resumed = await cmpflow([...credentials(), '-resume', session, '-nowait']);
    expect({ code: resumed.code, errors: resumed.errors }).toEqual({ code: 0, errors: [] });
    expect(existsSync(file('resumed.pem'))).toBe(true);
    expect(existsSync(session)).toBe(false);
  });

  it('without -session while the server has the request waiting, exits 130 saying how to make it resumable', async () => {
    const cli = spawnCmpflow(ir('never.pem'));
    await until('the wait for the next poll', () => /waiting \d+ s before polling/.test(cli.stderr()), cli);
    cli.child.kill('SIGINT');
    const run = await cli.done;

    expect(run.code).toBe(130);
    expect(run.stderrLines[run.stderrLines.length - 1]).toBe(
      'cmpflow: interrupted while the server had the request waiting; it cannot be continued (give -session FILE to make a waiting enrollment resumable)',
    );
  });

  it('before any answer, exits 130 saying only that it was interrupted', async () => {
    // A server that accepts the connection and never answers.
    const sockets: Socket[] = [];
    const silent: Server = createServer((socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const port = (silent.address() as { port: number }).port;
    try {
      const cli = spawnCmpflow([
        '-config',
        '',
        '-server',
        `127.0.0.1:${port}`,
        '-ref',
        REF,
        '-secret',
        `pass:${SECRET}`,
        '-recipient',
        '/CN=CA',
        '-cmd',
        'genm',
      ]);
      await until('the connection', () => sockets.length > 0, cli);
      cli.child.kill('SIGINT');
      const run = await cli.done;

      expect(run.code).toBe(130);
      expect(run.stderrLines[run.stderrLines.length - 1]).toBe('cmpflow: interrupted');
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});
