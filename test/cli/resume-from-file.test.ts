/**
 * Resuming from the session file alone, against the real `openssl cmp -port 0` mock with its own
 * connection handling (-poll_count, -check_after 1) and the client's defaults (no -keep_alive 0):
 * the file records the run's non-secret options, so `-resume FILE -secret ...` is the whole
 * command line; options given with -resume replace recorded ones; and a resume that fails before
 * the server has ended the transaction (a wrong secret, a missing key file, a forged or foreign
 * answer) leaves the file byte for byte as it was, for a later resume to finish.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { CmpOids, decodePkiMessage } from '../../src/asn1';
import { parsePem } from '../../src/credentials/pem';
import { startHostileServer } from '../robustness/hostile-server';
import { pollRep, respondTo } from '../robustness/responder';
import { makeTestPki, TEST_DN, type TestPki } from '../support/pki';
import { startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir, spawnCmpflow } from './run-support';

const SECRET = 'resume-alone-5d2e81';
let pki: TestPki;
let dir: string;

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
});
afterAll(async () => pki?.cleanup());

async function withServer<T>(polls: number, run: (server: MockServer) => Promise<T>): Promise<T> {
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
    '1',
    '-verbosity',
    '7',
  ]);
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

/** A fresh folder the run works in, so that relative names in the first run are relative to it. */
function workDir(name: string): string {
  const d = path.join(dir, name);
  mkdirSync(d, { recursive: true });
  writeFileSync(path.join(d, 'newkey.pem'), readFileSync(pki.newKeyPath), { mode: 0o600 });
  return d;
}

/** The first run: PBM, relative file names, the request options; it waits and saves the session. */
const start = (server: MockServer, extra: string[] = []) => [
  '-config',
  '',
  '-server',
  server.url,
  '-recipient',
  '/CN=CA',
  '-ref',
  'client-ref',
  '-secret',
  `pass:${SECRET}`,
  '-cmd',
  'ir',
  '-newkey',
  'newkey.pem',
  '-subject',
  '/CN=resumable',
  '-certout',
  'out/cert.pem',
  '-session',
  's.json',
  ...extra,
];

const enrolled = (certFile: string) =>
  new X509Certificate(new Uint8Array(parsePem(readFileSync(certFile, 'utf8'))[0]!.der)).equal(
    new X509Certificate(new Uint8Array(pki.enrolled.certDer)),
  );
const seen = (server: MockServer, body: RegExp) => (server.log().match(body) ?? []).length;

describe('-resume FILE needs only the secret', () => {
  it('finishes a -nowait session from another folder with -resume and -secret alone, writing the recorded -certout', async () => {
    await withServer(3, async (server) => {
      const cwd = workDir('alone');
      mkdirSync(path.join(cwd, 'out'));
      const started = await cmpflow([...start(server), '-nowait'], { cwd });
      expect({ code: started.code, errors: started.errors }).toEqual({ code: 3, errors: [] });
      const file = path.join(cwd, 's.json');
      const meta = JSON.parse(readFileSync(file, 'utf8')).meta;
      expect(meta).toMatchObject({
        sessionFormat: 2,
        'opt.server': server.url,
        'opt.ref': 'client-ref',
        'opt.recipient': '/CN=CA',
        'opt.config': '',
      });
      expect(JSON.stringify(meta)).not.toContain(SECRET);

      const done = await cmpflow(['-resume', file, '-secret', `pass:${SECRET}`], { cwd: dir });
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(enrolled(path.join(cwd, 'out/cert.pem'))).toBe(true);
      expect(existsSync(file)).toBe(false);
      expect(seen(server, /received IR\b/g)).toBe(1);
    });
  });

  it('lets options given with -resume replace the recorded ones', async () => {
    await withServer(2, async (server) => {
      const cwd = workDir('override');
      mkdirSync(path.join(cwd, 'out'));
      expect((await cmpflow([...start(server), '-nowait'], { cwd })).code).toBe(3);
      const elsewhere = path.join(cwd, 'elsewhere.pem');
      const done = await cmpflow(['-resume', 's.json', '-secret', `pass:${SECRET}`, '-certout', elsewhere, '-msg_timeout', '20'], { cwd });
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(enrolled(elsewhere)).toBe(true);
      expect(existsSync(path.join(cwd, 'out/cert.pem'))).toBe(false);
    });
  });

  it('resumes a blocking run killed with SIGKILL while it waited, from the file alone', async () => {
    await withServer(4, async (server) => {
      const cwd = workDir('killed');
      mkdirSync(path.join(cwd, 'out'));
      const file = path.join(cwd, 's.json');
      const child = spawnCmpflow(start(server), { cwd });
      const deadline = Date.now() + 45_000;
      while (!existsSync(file) && Date.now() < deadline && child.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(file)).toBe(true);
      child.child.kill('SIGKILL');
      expect((await child.done).signal).toBe('SIGKILL');

      const done = await cmpflow(['-resume', file, '-secret', `pass:${SECRET}`]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(enrolled(path.join(cwd, 'out/cert.pem'))).toBe(true);
      expect(existsSync(file)).toBe(false);
      expect(seen(server, /received IR\b/g)).toBe(1);
    });
  }, 90_000);
});

describe('a failed -resume never loses the session', () => {
  it('refuses a wrong -secret before sending anything, leaves the file byte-identical, and the right secret then finishes', async () => {
    await withServer(2, async (server) => {
      const cwd = workDir('wrong-secret');
      mkdirSync(path.join(cwd, 'out'));
      expect((await cmpflow([...start(server), '-nowait'], { cwd })).code).toBe(3);
      const file = path.join(cwd, 's.json');
      const before = readFileSync(file);
      const polls = seen(server, /received POLLREQ/g);
      // What the check has to go on: the mock's MAC-protected answer as it came over the wire.
      const kept = (JSON.parse(before.toString('utf8')) as { lastResponse: string }).lastResponse;
      expect(decodePkiMessage(Buffer.from(kept, 'base64')).header.protectionAlg?.algorithm).toBe(CmpOids.passwordBasedMac);

      const wrong = await cmpflow(['-resume', file, '-secret', 'pass:not-the-secret']);
      expect({ code: wrong.code, errors: wrong.errors }).toEqual({
        code: 1,
        errors: [expect.stringMatching(/secret: not the shared secret the session was started with.*\(ERR_CREDENTIALS\)$/)],
      });
      expect(wrong.stderrLines).toContain(`CMP warning: the transaction is kept in ${file}; continue it with -resume ${file}`);
      expect(readFileSync(file).equals(before)).toBe(true);
      expect(seen(server, /received POLLREQ/g)).toBe(polls);

      const done = await cmpflow(['-resume', file, '-secret', `pass:${SECRET}`]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(enrolled(path.join(cwd, 'out/cert.pem'))).toBe(true);
      expect(existsSync(file)).toBe(false);
    });
  });

  it('keeps the file after a forged answer and after one for another transaction; the next resume finishes', async () => {
    await withServer(2, async (server) => {
      const cwd = workDir('forged');
      mkdirSync(path.join(cwd, 'out'));
      expect((await cmpflow([...start(server), '-nowait'], { cwd })).code).toBe(3);
      const file = path.join(cwd, 's.json');
      const before = readFileSync(file);
      const forger = await startHostileServer({ upstream: server.url });
      try {
        const wrongKey = { secret: new TextEncoder().encode('forger-guess'), sender: TEST_DN.server };
        const rightKey = { secret: new TextEncoder().encode(SECRET), sender: TEST_DN.server };
        forger.script([
          { kind: 'respond', respond: (req) => respondTo(req, pollRep(req, 1n), wrongKey) },
          { kind: 'respond', respond: (req) => respondTo(req, pollRep(req, 1n), rightKey, { transactionId: new Uint8Array(16).fill(7) }) },
        ]);
        for (const code of ['ERR_PROTECTION_INVALID', 'ERR_TRANSACTION_ID_MISMATCH']) {
          const forged = await cmpflow(['-resume', file, '-secret', `pass:${SECRET}`, '-server', forger.url]);
          expect({ code: forged.code, errors: forged.errors }).toEqual({ code: 1, errors: [expect.stringContaining(`(${code})`)] });
          expect(readFileSync(file).equals(before)).toBe(true);
        }
        expect(forger.exchanges.map((e) => e.requestBody)).toEqual(['pollReq', 'pollReq']);
        expect(decodePkiMessage(forger.exchanges[0]!.response!).body.pollRep).toBeDefined();
      } finally {
        await forger.close();
      }
      const done = await cmpflow(['-resume', file, '-secret', `pass:${SECRET}`]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(enrolled(path.join(cwd, 'out/cert.pem'))).toBe(true);
    });
  });

  it('keeps the file when the -key given at resume cannot be read', async () => {
    await withServer(2, async (server) => {
      const cwd = workDir('signed');
      mkdirSync(path.join(cwd, 'out'));
      const signed = [
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
        '-cmd',
        'ir',
        '-newkey',
        'newkey.pem',
        '-subject',
        '/CN=resumable',
        '-certout',
        'out/cert.pem',
        '-session',
        's.json',
        '-nowait',
      ];
      expect((await cmpflow(signed, { cwd })).code).toBe(3);
      const file = path.join(cwd, 's.json');
      const before = readFileSync(file);
      const missing = await cmpflow(['-resume', file, '-key', path.join(cwd, 'no-such-key.pem')]);
      expect(missing.code).toBe(1);
      expect(missing.errors).toHaveLength(1);
      expect(readFileSync(file).equals(before)).toBe(true);

      const done = await cmpflow(['-resume', file, '-key', pki.client.keyPath]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(enrolled(path.join(cwd, 'out/cert.pem'))).toBe(true);
    });
  });
});

describe('session files of other formats', () => {
  it('resumes a file without recorded options (format 1) with the options given, and refuses a newer format in one line, keeping it', async () => {
    await withServer(2, async (server) => {
      const cwd = workDir('formats');
      mkdirSync(path.join(cwd, 'out'));
      expect((await cmpflow([...start(server), '-nowait'], { cwd })).code).toBe(3);
      const file = path.join(cwd, 's.json');
      const session = JSON.parse(readFileSync(file, 'utf8'));
      const v1Meta = Object.fromEntries(
        Object.entries(session.meta as Record<string, unknown>).filter(([k]) => k !== 'sessionFormat' && !k.startsWith('opt.')),
      );

      const newer = path.join(cwd, 'newer.json');
      writeFileSync(newer, JSON.stringify({ ...session, meta: { ...session.meta, sessionFormat: 3 } }));
      const refused = await cmpflow(['-resume', newer, '-secret', `pass:${SECRET}`]);
      expect({ code: refused.code, lines: refused.stderrLines }).toEqual({
        code: 1,
        lines: [expect.stringMatching(/newer\.json has session format 3, but this cmpflow reads formats 1 and 2 \(ERR_SNAPSHOT_VERSION\)$/)],
      });
      expect(existsSync(newer)).toBe(true);

      const edited = path.join(cwd, 'edited.json');
      writeFileSync(edited, JSON.stringify({ ...session, meta: { ...session.meta, 'opt.rspin': '/tmp/x' } }));
      const injected = await cmpflow(['-resume', edited, '-secret', `pass:${SECRET}`]);
      expect(injected.errors).toEqual([expect.stringMatching(/meta\.opt\.rspin is not an option a session records \(ERR_SNAPSHOT_INVALID\)$/)]);

      writeFileSync(file, JSON.stringify({ ...session, meta: v1Meta }));
      const done = await cmpflow([
        '-config',
        '',
        '-server',
        server.url,
        '-ref',
        'client-ref',
        '-recipient',
        '/CN=CA',
        '-secret',
        `pass:${SECRET}`,
        '-resume',
        file,
      ]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(enrolled(path.join(cwd, 'out/cert.pem'))).toBe(true);
    });
  });
});
