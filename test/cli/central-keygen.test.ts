/**
 * -centralkeygen and -newkeyout (OpenSSL 3.5) against cmpflow's embedded CA: the CA makes the key, the
 * CLI saves the certificate and the key, the key file is 0600 and encrypted with -newkeypass when given,
 * and OpenSSL itself reads it back as the key of the certificate.
 */
import { readFileSync, statSync } from 'fs';
import * as path from 'path';
import { runOpenSsl } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'central-keygen-cli-secret';
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = scratchDir();
});

const embeddedMac = () => [
  '-config',
  '',
  '-use_mock_srv',
  '-srv_ref',
  'srv',
  '-srv_secret',
  `pass:${SECRET}`,
  '-ref',
  'client',
  '-secret',
  `pass:${SECRET}`,
  '-recipient',
  '/CN=CA',
];

async function publicKeyOf(args: string[]): Promise<string> {
  const run = await runOpenSsl(args);
  if (run.code !== 0) throw new Error(run.stderr);
  return run.stdout;
}

describe('-centralkeygen with -newkeyout', () => {
  it('saves a key that OpenSSL reads as the key of the saved certificate, in a 0600 file encrypted with -newkeypass', async () => {
    const [cert, key] = [file('central.crt'), file('central.key')];
    const run = await cmpflow([
      ...embeddedMac(),
      '-cmd',
      'ir',
      '-centralkeygen',
      '-subject',
      '/CN=central cli',
      '-certout',
      cert,
      '-newkeyout',
      key,
      '-newkeypass',
      'pass:key-pass',
    ]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(statSync(key).mode & 0o777).toBe(0o600);
    expect(readFileSync(key, 'utf8')).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    expect(run.stderr).not.toContain('key-pass');
    const fromKey = await publicKeyOf(['pkey', '-in', key, '-passin', 'pass:key-pass', '-pubout']);
    const fromCert = await publicKeyOf(['x509', '-in', cert, '-noout', '-pubkey']);
    expect(fromKey).toBe(fromCert);
  });

  it('writes the key unencrypted without -newkeypass', async () => {
    const [cert, key] = [file('plain.crt'), file('plain.key')];
    const run = await cmpflow([
      ...embeddedMac(),
      '-cmd',
      'cr',
      '-centralkeygen',
      '-subject',
      '/CN=central plain',
      '-certout',
      cert,
      '-newkeyout',
      key,
    ]);
    expect(run.errors).toEqual([]);
    expect(readFileSync(key, 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    expect(await publicKeyOf(['pkey', '-in', key, '-pubout'])).toBe(await publicKeyOf(['x509', '-in', cert, '-noout', '-pubkey']));
  });
});

it('-newkeyout without -centralkeygen is ignored with a warning', async () => {
  const run = await cmpflow([...embeddedMac(), '-cmd', 'genm', '-newkeyout', file('unused.key')]);
  expect(run.code).toBe(0);
  expect(run.stderr).toContain('-newkeyout is ignored without -centralkeygen');
});
