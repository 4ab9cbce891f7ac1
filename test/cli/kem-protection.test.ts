/**
 * KEM-based MAC protection on the command line, all real processes: `cmpflow -port 0` (the embedded
 * CA) and cmpflow clients. A device enrols an ML-KEM key with a MAC (-popo 2, indirect POP, the
 * default for a KEM key), then uses `-cert kem.crt -key kem.key` as its only credential: -cmd cr
 * and -cmd kur each start with the genm/genp KEM exchange and are KemBasedMac-protected after it.
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { encodePem } from '../../src/credentials';
import { getCryptoProvider } from '../../src/crypto';
import { generateMlKemKey } from '../../src/crypto/ml-kem';
import { certIn, serveCli } from '../support/cli-server';
import { macClientArgs } from '../support/cli-args';
import { cmpflow, scratchDir, spawnCmpflow, type SpawnedCli } from './run-support';

const SECRET = 'kem-cli-secret';
let dir: string;
const file = (name: string) => path.join(dir, name);
let server: SpawnedCli;
let url: string;

beforeAll(async () => {
  dir = scratchDir();
  server = spawnCmpflow(['-config', '', '-port', '0', '-srv_ref', 'srv', '-srv_secret', `pass:${SECRET}`, '-verbosity', '7'], { cwd: dir });
  const port = await new Promise<string>((resolve, reject) => {
    const timer = setInterval(() => {
      const m = /^ACCEPT 127\.0\.0\.1:(\d+) /m.exec(server.stdout());
      if (m) {
        clearInterval(timer);
        resolve(m[1]!);
      }
    }, 50);
    void server.done.then((run) => {
      clearInterval(timer);
      reject(new Error(`cmpflow -port exited ${run.code}: ${run.stderr}`));
    });
  });
  url = `http://127.0.0.1:${port}/pkix/`;
}, 60_000);

afterAll(async () => {
  server?.child.kill('SIGTERM');
  await server?.done;
});

async function cli(args: string[]): Promise<{ code: number; stderr: string }> {
  const run = await spawnCmpflow(['-config', '', '-server', url, ...args], { cwd: dir }).done;
  return { code: run.code, stderr: run.stderr };
}

/** An EC key: the certificate for it comes in clear, so a resumed session needs no -newkey. */
async function ecKeyFile(name: string): Promise<string> {
  const key = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  writeFileSync(file(name), encodePem('PRIVATE KEY', await getCryptoProvider().exportPrivateKey(key)), { mode: 0o600 });
  return file(name);
}

function pkcs8File(name: string): string {
  writeFileSync(file(name), encodePem('PRIVATE KEY', generateMlKemKey('ml-kem-768').pkcs8()));
  return file(name);
}

it('an ML-KEM certificate enrolled with -popo 2 then protects cr and kur with KemBasedMac; with another KEM key it is refused', async () => {
  const kemKey = pkcs8File('kem.key');
  const enrol = await cli([
    ...macClientArgs(SECRET, 'device'),
    '-cmd',
    'ir',
    '-newkey',
    kemKey,
    '-popo',
    '2',
    '-subject',
    '/CN=kem cli device',
    '-certout',
    file('kem.crt'),
    '-cacertsout',
    file('ca.crt'),
  ]);
  expect(enrol).toMatchObject({ code: 0 });
  const kem = ['-cert', file('kem.crt'), '-key', kemKey, '-trusted', file('ca.crt')];

  const cr = await cli([...kem, '-cmd', 'cr', '-newkey', pkcs8File('second.key'), '-subject', '/CN=kem cli device', '-certout', file('second.crt')]);
  expect(cr.stderr).not.toMatch(/error/i);
  expect(cr.code).toBe(0);
  expect(certIn(file('second.crt')).subject).toBe('CN=kem cli device');

  const newKem = pkcs8File('updated.key');
  const kur = await cli([...kem, '-cmd', 'kur', '-newkey', newKem, '-certout', file('updated.crt')]);
  expect(kur.code).toBe(0);
  expect(certIn(file('updated.crt')).subject).toBe('CN=kem cli device');
  expect(certIn(file('updated.crt')).serialNumber).not.toBe(certIn(file('kem.crt')).serialNumber);

  // The server logged the KEM exchange's genm before the cr and before the kur.
  const received = () => [...(server.stdout() + server.stderr()).matchAll(/received (\w+)/g)].map((m) => m[1]);
  expect(received()).toEqual(['IR', 'CERTCONF', 'GENM', 'CR', 'CERTCONF', 'GENM', 'KUR', 'CERTCONF']);

  // A KEM key that is not the certificate's is refused before anything is sent.
  const run = await cli([
    '-cert',
    file('kem.crt'),
    '-key',
    pkcs8File('other.key'),
    '-trusted',
    file('ca.crt'),
    '-cmd',
    'cr',
    '-newkey',
    pkcs8File('x.key'),
    '-subject',
    '/CN=x',
    '-certout',
    file('x.crt'),
  ]);
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(/-cert: the certificate in .*kem.crt does not match the ML-KEM -key \(ERR_CREDENTIALS\)/);
  expect(received()).toHaveLength(8);
}, 180_000);

it('a -nowait -session cr waits with no trace of the shared secret in the file; -resume with the KEM key finishes it', async () => {
  const polling = await serveCli(['-port', '0', '-srv_ref', 'srv', '-srv_secret', `pass:${SECRET}`, '-poll_count', '2', '-check_after', '1'], dir);
  try {
    const run = (args: string[]) => cmpflow(['-config', '', '-server', polling.url, ...args], { cwd: dir });
    const kemKey = pkcs8File('waiting-kem.key');
    const enrol = await run([
      ...macClientArgs(SECRET, 'waiter'),
      '-cmd',
      'ir',
      '-newkey',
      kemKey,
      '-subject',
      '/CN=kem waiter',
      '-certout',
      file('waiting-kem.crt'),
      '-cacertsout',
      file('waiting-ca.crt'),
    ]);
    expect({ code: enrol.code, errors: enrol.errors }).toEqual({ code: 0, errors: [] });
    const kem = ['-cert', file('waiting-kem.crt'), '-key', kemKey, '-trusted', file('waiting-ca.crt')];
    const session = file('kem-session.json');
    const started = await run([
      ...kem,
      '-cmd',
      'cr',
      '-newkey',
      await ecKeyFile('waiting-new.key'),
      '-subject',
      '/CN=kem waiter',
      '-certout',
      file('waiting-new.crt'),
      '-session',
      session,
      '-nowait',
    ]);
    expect({ code: started.code, errors: started.errors }).toEqual({ code: 3, errors: [] });
    const saved = readFileSync(session, 'utf8');
    expect(saved).toContain('kemProtected');
    expect(saved).not.toMatch(/sharedSecret|kemSharedSecret/);
    expect(saved).not.toContain(readFileSync(kemKey, 'utf8').split('\n')[1]);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const done = await run(['-resume', session, '-key', kemKey]);
    expect({ code: done.code, errors: done.errors }).toEqual({ code: 0, errors: [] });
    expect(certIn(file('waiting-new.crt')).subject).toBe('CN=kem waiter');
  } finally {
    polling.stop();
    await polling.exit;
  }
}, 120_000);
