/**
 * -centralkeygen and -newkeyout (OpenSSL 3.5) against cmpflow's embedded CA: the CA makes the key, the
 * CLI saves the certificate and the key, the key file is 0600 and encrypted with -newkeypass when given,
 * and OpenSSL itself reads it back as the key of the certificate.
 */
import { readFileSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { runOpenSsl } from '../support/openssl';
import { makeTestPki, type TestPki } from '../support/pki';
import { embeddedMacArgs, macClientArgs, mockServerArgs } from '../support/cli-args';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'central-keygen-cli-secret';
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = scratchDir();
});

const embeddedMac = () => embeddedMacArgs(SECRET);

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

describe('the -port server with -rsp_cert and -rsp_key (OpenSSL 3.5)', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki();
    // The response signer signs the key package, so it must be a key generation authority (id-kp-cmKGA).
    const ext = path.join(pki.dir, 'kga.ext');
    await runOpenSsl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path.join(pki.dir, 'kga.key')]);
    await runOpenSsl([
      'req',
      '-new',
      '-key',
      path.join(pki.dir, 'kga.key'),
      '-subj',
      '/CN=mock KGA',
      '-out',
      path.join(pki.dir, 'kga.csr'),
      '-config',
      '/dev/null',
    ]);
    writeFileSync(ext, 'extendedKeyUsage = 1.3.6.1.5.5.7.3.32\nkeyUsage = digitalSignature\n');
    const made = await runOpenSsl([
      'x509',
      '-req',
      '-in',
      path.join(pki.dir, 'kga.csr'),
      '-CA',
      pki.intermediate.certPath,
      '-CAkey',
      pki.intermediate.keyPath,
      '-set_serial',
      '99',
      '-days',
      '30',
      '-extfile',
      ext,
      '-out',
      path.join(pki.dir, 'kga.crt'),
    ]);
    if (made.code !== 0) throw new Error(made.stderr);
  }, 120_000);
  afterAll(() => pki?.cleanup());

  it('returns the -rsp_key key, signed by -srv_cert as KGA, and the client saves it', async () => {
    const [cert, key] = [file('fixed.crt'), file('fixed.key')];
    const run = await cmpflow([
      ...mockServerArgs(SECRET),
      '-srv_cert',
      path.join(pki.dir, 'kga.crt'),
      '-srv_key',
      path.join(pki.dir, 'kga.key'),
      '-srv_untrusted',
      pki.untrustedPath,
      '-rsp_cert',
      pki.enrolled.certPath,
      '-rsp_key',
      pki.enrolled.keyPath,
      ...macClientArgs(SECRET),
      '-trusted',
      pki.trustedPath,
      '-untrusted',
      pki.untrustedPath,
      '-cmd',
      'ir',
      '-centralkeygen',
      '-subject',
      '/CN=fixed',
      '-certout',
      cert,
      '-newkeyout',
      key,
    ]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(await publicKeyOf(['pkey', '-in', key, '-pubout'])).toBe(await publicKeyOf(['pkey', '-in', pki.enrolled.keyPath, '-pubout']));
  });

  it('refuses central key generation with -rsp_cert but no -rsp_key', async () => {
    const run = await cmpflow([
      ...mockServerArgs(SECRET),
      '-rsp_cert',
      pki.enrolled.certPath,
      ...macClientArgs(SECRET),
      '-cmd',
      'ir',
      '-centralkeygen',
      '-certout',
      file('none.crt'),
    ]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('-rsp_key');
  });
});
