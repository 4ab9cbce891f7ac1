/**
 * `-session/-nowait/-resume` for rr and genm, against cmpflow's embedded CA on loopback with
 * delayed delivery (the CA answers each with a `waiting` error message, then pollReps, then the
 * rp or genp): a -nowait run saves the transaction and exits 3, `-resume FILE -secret ...` alone
 * finishes it and reports what a run without a session file reports, and so does a resume after
 * a blocking run was killed with SIGKILL while it waited.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { CmpClient } from '../../src/client';
import { getCryptoProvider } from '../../src/crypto';
import { encodePem } from '../../src/credentials/pem';
import { createCmpServer, createThrowawayCa, listen, type CmpServer, type ThrowawayCa } from '../../src/server';
import { cmpflow, scratchDir, spawnCmpflow } from './run-support';

const REF = 'device-1';
const SECRET = 'session-rr-genm-secret';
/** rr needs an RA's secret: the devices' shared one may not revoke. */
const RA_REF = 'ra-1';
const RA_SECRET = 'session-rr-genm-ra-secret';
let ca: ThrowawayCa;
let dir: string;
let caCertFile: string;

beforeAll(async () => {
  ca = await createThrowawayCa();
  dir = scratchDir();
  caCertFile = path.join(dir, 'ca.pem');
  writeFileSync(caCertFile, encodePem('CERTIFICATE', new Uint8Array(ca.ca.cert.rawData)));
});
afterAll(async () => ca?.cleanup());

async function withCa<T>(checkAfter: number, run: (url: string, server: CmpServer) => Promise<T>): Promise<T> {
  const server = createCmpServer({
    ...ca.serverConfig(),
    secrets: [
      { ref: REF, secret: SECRET },
      { ref: RA_REF, secret: RA_SECRET, ra: true },
    ],
    delayedDelivery: { rr: 2, genm: 2 },
    checkAfter,
  });
  const listener = await listen(server);
  try {
    return await run(listener.url, server);
  } finally {
    await listener.close();
  }
}

/** A certificate of the CA to revoke, issued at once, in a PEM file; and its serial number. */
async function victim(url: string, name: string): Promise<{ file: string; serial: string }> {
  const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  const { certificate } = await new CmpClient({ server: url, ref: REF, secret: SECRET, trusted: [ca.ca.cert], subject: `/CN=${name}`, newKey }).ir();
  const file = path.join(dir, `${name}.pem`);
  writeFileSync(file, encodePem('CERTIFICATE', new Uint8Array(certificate.rawData)));
  return { file, serial: certificate.serialNumber };
}

const common = (url: string) => ['-config', '', '-server', url, '-trusted', caCertFile, '-recipient', '/CN=CA'];
const rrArgs = (url: string, oldCert: string) => [...common(url), '-ref', RA_REF, '-secret', `pass:${RA_SECRET}`, '-cmd', 'rr', '-oldcert', oldCert];
const genmArgs = (url: string) => [...common(url), '-ref', REF, '-secret', `pass:${SECRET}`, '-cmd', 'genm', '-infotype', 'signKeyPairTypes'];
const revokedAtCa = (server: CmpServer, serial: string) => server.state.ca!.record(Buffer.from(serial, 'hex'))?.revocation !== undefined;
const machineIn = (file: string) => (JSON.parse(readFileSync(file, 'utf8')) as { machine: string }).machine;
const accepted = 'CMP info: revocation accepted (PKIStatus=accepted)';

describe('rr with a session file', () => {
  it('-session -nowait exits 3 with the revocation saved; -resume with the secret alone revokes and removes the file', async () => {
    await withCa(1, async (url, server) => {
      const { file: oldCert, serial } = await victim(url, 'rr-nowait');
      const file = path.join(dir, 'rr-nowait.json');

      const waiting = await cmpflow([...rrArgs(url, oldCert), '-session', file, '-nowait']);
      expect({ code: waiting.code, errors: waiting.errors }).toEqual({ code: 3, errors: [] });
      expect(waiting.stderrLines).toContain(`waiting; checkAfter=1 s; session saved to ${file}`);
      expect(machineIn(file)).toBe('revocation');
      expect(revokedAtCa(server, serial)).toBe(false);

      const done = await cmpflow(['-resume', file, '-secret', `pass:${RA_SECRET}`]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(done.stderrLines).toContain(accepted);
      expect(existsSync(file)).toBe(false);
      expect(revokedAtCa(server, serial)).toBe(true);
    });
  }, 60_000);

  it('a wrong -secret at -resume is refused and keeps the file byte-identical; the right one then revokes', async () => {
    await withCa(1, async (url, server) => {
      const { file: oldCert, serial } = await victim(url, 'rr-wrong');
      const file = path.join(dir, 'rr-wrong.json');
      expect((await cmpflow([...rrArgs(url, oldCert), '-session', file, '-nowait'])).code).toBe(3);
      const before = readFileSync(file);

      const wrong = await cmpflow(['-resume', file, '-secret', 'pass:not-the-ra-secret']);
      expect({ code: wrong.code, errors: wrong.errors }).toEqual({
        code: 1,
        errors: [expect.stringMatching(/secret: not the shared secret the session was started with.*\(ERR_CREDENTIALS\)$/)],
      });
      expect(readFileSync(file).equals(before)).toBe(true);

      const done = await cmpflow(['-resume', file, '-secret', `pass:${RA_SECRET}`]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(revokedAtCa(server, serial)).toBe(true);
    });
  }, 60_000);

  it('resumes a blocking run killed with SIGKILL while it waited, from the file alone', async () => {
    await withCa(30, async (url, server) => {
      const { file: oldCert, serial } = await victim(url, 'rr-killed');
      const file = path.join(dir, 'rr-killed.json');
      const child = spawnCmpflow([...rrArgs(url, oldCert), '-session', file]);
      const deadline = Date.now() + 30_000;
      while (!existsSync(file) && Date.now() < deadline && child.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(file)).toBe(true);
      child.child.kill('SIGKILL');
      expect((await child.done).signal).toBe('SIGKILL');
      expect(revokedAtCa(server, serial)).toBe(false);

      // -nowait polls at once instead of waiting out the CA's 30 s: the CA, done with its two
      // `waiting` answers (the error message and the pollRep the killed run got), sends the rp.
      const done = await cmpflow(['-resume', file, '-secret', `pass:${RA_SECRET}`, '-nowait']);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(done.stderrLines).toContain(accepted);
      expect(existsSync(file)).toBe(false);
      expect(revokedAtCa(server, serial)).toBe(true);
    });
  }, 60_000);
});

describe('a session file whose recorded command is not its transaction', () => {
  it('is refused in one line (ERR_SNAPSHOT_INVALID) and kept, so that the real command is never mistaken', async () => {
    await withCa(1, async (url) => {
      const file = path.join(dir, 'genm-edited.json');
      expect((await cmpflow([...genmArgs(url), '-session', file, '-nowait'])).code).toBe(3);
      const session = JSON.parse(readFileSync(file, 'utf8')) as { meta: Record<string, unknown> };
      writeFileSync(file, JSON.stringify({ ...session, meta: { ...session.meta, cmd: 'ir' } }));
      const edited = readFileSync(file);

      const refused = await cmpflow(['-resume', file, '-secret', `pass:${SECRET}`]);
      expect({ code: refused.code, errors: refused.errors }).toEqual({
        code: 1,
        errors: [expect.stringMatching(/meta\.cmd does not name the general transaction the session holds \(ERR_SNAPSHOT_INVALID\)$/)],
      });
      expect(readFileSync(file).equals(edited)).toBe(true);
    });
  }, 60_000);
});

describe('genm with a session file', () => {
  it('-session -nowait exits 3; -resume with the secret alone prints what the blocking genm prints', async () => {
    await withCa(1, async (url) => {
      const blocking = await cmpflow(genmArgs(url));
      expect({ code: blocking.code, errors: blocking.errors }).toEqual({ code: 0, errors: [] });
      expect(blocking.stdout).toBe('genp contains ITAV of type: id-it-signKeyPairTypes\n');

      const file = path.join(dir, 'genm-nowait.json');
      const waiting = await cmpflow([...genmArgs(url), '-session', file, '-nowait']);
      expect({ code: waiting.code, errors: waiting.errors, stdout: waiting.stdout }).toEqual({ code: 3, errors: [], stdout: '' });
      expect(machineIn(file)).toBe('general');

      const done = await cmpflow(['-resume', file, '-secret', `pass:${SECRET}`]);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(done.stdout).toBe(blocking.stdout);
      expect(existsSync(file)).toBe(false);
    });
  }, 60_000);

  it('resumes a blocking genm killed with SIGKILL while it waited', async () => {
    await withCa(30, async (url) => {
      const file = path.join(dir, 'genm-killed.json');
      const child = spawnCmpflow([...genmArgs(url), '-session', file]);
      const deadline = Date.now() + 30_000;
      while (!existsSync(file) && Date.now() < deadline && child.child.exitCode === null) await new Promise((r) => setTimeout(r, 50));
      expect(existsSync(file)).toBe(true);
      child.child.kill('SIGKILL');
      expect((await child.done).signal).toBe('SIGKILL');

      const done = await cmpflow(['-resume', file, '-secret', `pass:${SECRET}`, '-nowait']);
      expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
      expect(done.stdout).toBe('genp contains ITAV of type: id-it-signKeyPairTypes\n');
      expect(existsSync(file)).toBe(false);
    });
  }, 60_000);
});
