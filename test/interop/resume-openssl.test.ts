/**
 * A waiting enrollment persisted in one process and finished in another, against the real
 * `openssl cmp` mock server: the transaction survives (the server sees one IR only), and the
 * session file holds no secret.
 */
import { execFile } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import { join } from 'path';
import { X509Certificate } from '@peculiar/x509';
import { CmpClient } from '../../src/client';
import { makeTestPki, type TestPki } from '../support/pki';
import { startMockServer, waitForLog } from '../support/openssl';

const SECRET = 'resume-secret-7f3a';
let pki: TestPki;

beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => pki?.cleanup());

function runChild(args: string[]): Promise<{ code: number; out: string }> {
  const script = join(__dirname, 'fixtures', 'resume-child.ts');
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-r', 'ts-node/register/transpile-only', script, ...args],
      { cwd: join(__dirname, '../..'), timeout: 60_000 },
      (err, stdout) => resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, out: stdout }),
    );
  });
}

describe('resuming a waiting enrollment in another process', () => {
  it('finishes the transaction started here, with one IR seen by the server', async () => {
    // OpenSSL's mock keeps the transaction only across connections it closed itself: a session
    // handed to another process asks for that with keepAlive 0.
    const server = await startMockServer([
      '-srv_ref',
      'mock',
      '-srv_secret',
      `pass:${SECRET}`,
      '-rsp_cert',
      pki.enrolled.certPath,
      '-poll_count',
      '3',
      '-check_after',
      '1',
      '-verbosity',
      '7',
    ]);
    try {
      const client = new CmpClient({
        server: server.url,
        ref: 'client-ref',
        secret: SECRET,
        newKey: pki.newKeyPath,
        subject: '/CN=resumed',
        keepAlive: 0,
      });
      const first = await client.tryCertReq('ir');
      expect(first.status).toBe('waiting');
      if (first.status !== 'waiting') return;
      expect(first.checkAfter).toBe(1);
      const json = JSON.stringify(first.session);
      for (const form of [SECRET, Buffer.from(SECRET).toString('base64'), Buffer.from(SECRET).toString('hex')]) {
        expect(json).not.toContain(form);
      }
      expect(json).not.toContain('PRIVATE KEY');
      const file = join(pki.dir, 'session.json');
      writeFileSync(file, json, { mode: 0o600 });

      const child = await runChild([file, server.url, SECRET, pki.newKeyPath]);
      expect(child.code).toBe(0);
      const out = JSON.parse(child.out) as { subject: string; serial: string; polls: number };
      const enrolled = new X509Certificate(readFileSync(pki.enrolled.certPath, 'utf8'));
      expect(out).toMatchObject({ subject: enrolled.subject, serial: enrolled.serialNumber });
      expect(out.polls).toBeGreaterThanOrEqual(2);
      const log = await waitForLog(server, /received CERTCONF/);
      expect(log.match(/received IR\b/g)).toHaveLength(1);
      expect(log.match(/received CERTCONF/g)).toHaveLength(1);
    } finally {
      await server.stop();
    }
  });

  it('still checks the issued key on resume without the new key at hand (it travels in the snapshot)', async () => {
    const server = await startMockServer([
      '-srv_ref',
      'mock',
      '-srv_secret',
      `pass:${SECRET}`,
      '-rsp_cert',
      pki.enrolled.certPath,
      '-poll_count',
      '2',
      '-check_after',
      '1',
    ]);
    try {
      // We ask for the client key, but the mock will hand out -rsp_cert, which carries another key.
      const options = { server: server.url, ref: 'client-ref', secret: SECRET, subject: '/CN=resumed', keepAlive: 0 as const };
      const first = await new CmpClient({ ...options, newKey: pki.client.keyPath }).tryCertReq('ir');
      if (first.status !== 'waiting') throw new Error('expected waiting');
      const e = await new CmpClient(options).tryResume(first.session).catch((err: unknown) => err);
      expect((e as { code?: string }).code).toBe('ERR_PUBLIC_KEY_MISMATCH');
    } finally {
      await server.stop();
    }
  });
});
