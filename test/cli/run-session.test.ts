/**
 * Resumable enrollments through the command line, against the real `openssl cmp` mock server
 * answering `waiting` (-poll_count, -check_after): -session saves the transaction whenever it
 * starts to wait, -nowait exits with status 3 then, -resume continues it in another process (also
 * after the first was killed with SIGKILL), and the file never holds a secret or key material.
 *
 * The mock runs with its own connection handling and the client with its defaults: OpenSSL 3.0's
 * mock cancels a transaction when a kept-alive connection is closed under it, and a session saved
 * to a file must survive its process all the same.
 */
import { createPrivateKey } from 'crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { parsePem } from '../../src/credentials/pem';
import { parsePersistedSession } from '../../src/session';
import { makeTestPki, type TestPki } from '../support/pki';
import { startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir, spawnCmpflow, type CliRun } from './run-support';

const SECRET = 'session-secret-4c1e9b';
let pki: TestPki;
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
});
afterAll(async () => pki?.cleanup());

async function withServer<T>(polls: number, checkAfter: number, run: (server: MockServer) => Promise<T>): Promise<T> {
  const server = await startMockServer([
    '-srv_ref',
    'mock',
    '-srv_secret',
    `pass:${SECRET}`,
    '-srv_cert',
    pki.server.certPath,
    '-srv_key',
    pki.server.keyPath,
    '-srv_untrusted',
    pki.untrustedPath,
    '-srv_trusted',
    pki.trustedPath,
    '-rsp_cert',
    pki.enrolled.certPath,
    '-poll_count',
    String(polls),
    '-check_after',
    String(checkAfter),
    '-verbosity',
    '7',
  ]);
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

const pbm = (server: MockServer) => ['-config', '', '-server', server.url, '-recipient', '/CN=CA', '-ref', 'client-ref', '-secret', `pass:${SECRET}`];
const signed = (server: MockServer) => [
  '-config',
  '',
  '-server',
  server.url,
  '-cert',
  pki.client.certPath,
  '-key',
  pki.client.keyPath,
  '-untrusted',
  pki.untrustedPath,
  '-trusted',
  pki.trustedPath,
];
const ir = (certOut: string) => ['-cmd', 'ir', '-newkey', pki.newKeyPath, '-subject', '/CN=resumable', '-certout', certOut];

const enrolledIn = (certFile: string) =>
  new X509Certificate(new Uint8Array(parsePem(readFileSync(certFile, 'utf8'))[0]!.der)).equal(
    new X509Certificate(new Uint8Array(pki.enrolled.certDer)),
  );
const irsSeenBy = (server: MockServer) => (server.log().match(/received IR\b/g) ?? []).length;

/** Every spelling of the secret and of each private key that could leak into a file. */
function secretForms(): string[] {
  const forms = [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')];
  for (const keyPath of [pki.client.keyPath, pki.newKeyPath]) {
    const pem = readFileSync(keyPath, 'utf8');
    const der = parsePem(pem)[0]!.der;
    const d = createPrivateKey(pem).export({ format: 'jwk' }).d!;
    const scalar = Buffer.from(d, 'base64url');
    forms.push(Buffer.from(der).toString('base64'), Buffer.from(der).toString('hex'), d, scalar.toString('base64'), scalar.toString('hex'));
  }
  return forms;
}

function expectSafeSessionFile(sessionFile: string): void {
  const text = readFileSync(sessionFile, 'utf8');
  expect(statSync(sessionFile).mode & 0o777).toBe(0o600);
  for (const form of secretForms()) expect(text).not.toContain(form);
  expect(text).not.toMatch(/PRIVATE KEY|pass:/);
  expect(() => parsePersistedSession(text, 'enrollment')).not.toThrow();
}

function expectWaiting(run: CliRun, sessionFile: string): void {
  expect({ code: run.code, errors: run.errors }).toEqual({ code: 3, errors: [] });
  expect(run.stderrLines[run.stderrLines.length - 1]).toBe(`waiting; checkAfter=1 s; session saved to ${sessionFile}`);
  expectSafeSessionFile(sessionFile);
}

describe('-session, -nowait and -resume', () => {
  it('exit 3 while the server answers waiting, then 0 with the certificate, over separate runs', async () => {
    await withServer(3, 1, async (server) => {
      const session = file('round-trip.json');
      const certOut = file('round-trip.pem');
      const started = await cmpflow([...pbm(server), ...ir(certOut), '-session', session, '-nowait']);
      expectWaiting(started, session);
      expect(existsSync(certOut)).toBe(false);
      // The output options travel in the file: the resuming runs need only the credentials.
      expect(JSON.parse(readFileSync(session, 'utf8')).meta).toMatchObject({ cmd: 'ir', certOut, certForm: 'PEM' });

      // -nowait on resume polls at once, although checkAfter has not passed.
      const again = await cmpflow([...pbm(server), '-resume', session, '-nowait']);
      expectWaiting(again, session);

      const done = await cmpflow([...pbm(server), '-resume', session, '-nowait']);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(done.stderrLines).toEqual(expect.arrayContaining(['CMP info: received IP', 'CMP info: sending CERTCONF', 'CMP info: received PKICONF']));
      expect(enrolledIn(certOut)).toBe(true);
      expect(existsSync(session)).toBe(false);
      expect(irsSeenBy(server)).toBe(1);
    });
  });

  it('polls until issued without -nowait, one progress line per wait when stderr is not a terminal', async () => {
    await withServer(3, 1, async (server) => {
      const session = file('waits.json');
      const run = await cmpflow([...pbm(server), ...ir(file('waits.pem')), '-session', session]);
      expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
      expect(run.stderrLines.filter((l) => /^CMP info: waiting 1 s before polling \(poll \d\)$/.test(l)).length).toBeGreaterThanOrEqual(1);
      expect(run.stderr).not.toContain('\r');
      expect(enrolledIn(file('waits.pem'))).toBe(true);
      expect(existsSync(session)).toBe(false);
    });
  });

  it('counts down on one rewritten line when stderr is a terminal', async () => {
    await withServer(2, 1, async (server) => {
      const run = await cmpflow([...pbm(server), ...ir(file('tty.pem')), '-session', file('tty.json')], { tty: true });
      expect(run.code).toBe(0);
      expect(run.stderr).toMatch(/\r\x1b\[KCMP info: waiting for the server, poll \d in 1 s/);
      expect(run.stderr).toContain('\r\x1b[K');
      expect(run.stderr).not.toMatch(/CMP info: waiting \d+ s before polling/);
    });
  });

  it('resumes a signature-protected transaction; the file holds none of the key material', async () => {
    await withServer(2, 1, async (server) => {
      const session = file('signed.json');
      const certOut = file('signed.pem');
      expectWaiting(await cmpflow([...signed(server), ...ir(certOut), '-session', session, '-nowait']), session);
      const done = await cmpflow([...signed(server), '-resume', session]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(enrolledIn(certOut)).toBe(true);
      expect(existsSync(session)).toBe(false);
    });
  });

  it('continues from the file of a process killed with SIGKILL while it waited', async () => {
    await withServer(3, 3, async (server) => {
      const session = file('killed.json');
      const certOut = file('killed.pem');
      const child = spawnCmpflow([...pbm(server), ...ir(certOut), '-session', session]);
      const deadline = Date.now() + 45_000;
      while (!existsSync(session) && Date.now() < deadline && child.child.exitCode === null) await new Promise((r) => setTimeout(r, 100));
      expect(existsSync(session)).toBe(true);
      child.child.kill('SIGKILL');
      const killed = await child.done;
      expect(killed.signal).toBe('SIGKILL');
      expectSafeSessionFile(session);

      const resumed = await cmpflow([...pbm(server), '-resume', session]);
      expect({ code: resumed.code, errors: resumed.errors }).toEqual({ code: 0, errors: [] });
      expect(enrolledIn(certOut)).toBe(true);
      expect(existsSync(session)).toBe(false);
      expect(irsSeenBy(server)).toBe(1);
    });
  }, 90_000);

  it('keeps the file when the server cannot be reached, and removes it once the server has ended the transaction', async () => {
    const session = file('orphan.json');
    let url = '';
    await withServer(5, 1, async (server) => {
      url = server.url;
      expectWaiting(await cmpflow([...pbm(server), ...ir(file('orphan.pem')), '-session', session, '-nowait']), session);
    });
    // The server is gone: the poll may never have arrived, so the transaction stays resumable.
    const unreachable = await cmpflow([...pbm({ url } as MockServer), '-resume', session, '-nowait']);
    expect(unreachable.code).toBe(1);
    expect(unreachable.errors).toEqual([expect.stringMatching(/\(ERR_CONNECTION\)$/)]);
    expect(unreachable.stderrLines).toContain(`CMP warning: the transaction is kept in ${session}; continue it with -resume ${session}`);
    expect(existsSync(session)).toBe(true);

    // A new server knows nothing of the transaction and says so: the file is of no further use.
    await withServer(5, 1, async (server) => {
      const refused = await cmpflow([...pbm(server), '-resume', session, '-nowait']);
      expect(refused.code).toBe(1);
      expect(refused.errors).toHaveLength(1);
      expect(existsSync(session)).toBe(false);
    });
  });

  it('refuses a session file that is missing or was tampered with, in one line', async () => {
    const base = ['-config', '', '-server', 'http://127.0.0.1:1/', '-ref', 'r', '-secret', 'pass:x', '-recipient', '/CN=CA'];
    const missing = await cmpflow([...base, '-resume', file('never-written.json')]);
    expect({ code: missing.code, lines: missing.stderrLines }).toEqual({
      code: 1,
      lines: [expect.stringMatching(/never-written\.json.*\(ERR_FILE\)$/)],
    });

    const tampered = file('tampered.json');
    writeFileSync(
      tampered,
      JSON.stringify({
        format: 'cmpflow-session',
        machine: 'enrollment',
        version: 1,
        savedAt: new Date().toISOString(),
        snapshot: { status: 'active', value: 'polling' },
      }),
    );
    const bad = await cmpflow([...base, '-resume', tampered]);
    expect({ code: bad.code, lines: bad.stderrLines }).toEqual({
      code: 1,
      lines: [expect.stringMatching(/tampered\.json.*\(ERR_SNAPSHOT_(INVALID|VERSION)\)$/)],
    });
  });

  it('refuses -repeat with -session', async () => {
    const run = await cmpflow([
      '-config',
      '',
      '-server',
      'http://127.0.0.1:1/',
      '-ref',
      'r',
      '-secret',
      'pass:x',
      '-recipient',
      '/CN=CA',
      ...ir(file('x.pem')),
      '-session',
      file('x.json'),
      '-repeat',
      '2',
    ]);
    expect({ code: run.code, lines: run.stderrLines }).toEqual({
      code: 1,
      lines: ['cmpflow: error: -repeat: cannot be combined with -session or -resume (ERR_INVALID_OPTION)'],
    });
  });
});
