/**
 * Keys in a PKCS#11 token (SoftHSM2, initialised here in a temporary folder): cmpflow enrolls
 * against its embedded CA with the protection key and the new key in the token, so that the
 * request's signature and its proof of possession are made inside the token, from the library
 * and from the CLI. The PIN never shows in output, errors or the command line.
 */
import { X509Certificate } from '@peculiar/x509';
import { execFileSync } from 'child_process';
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { CmpClient } from '../../src/client';
import { loadPrivateKey } from '../../src/credentials';
import { getCryptoProvider, type PrivateKeyHandle } from '../../src/crypto';
import { finalizePkcs11Modules } from '../../src/crypto/pkcs11';
import { CmpError } from '../../src/errors';
import { createCmpServer, createThrowawayCa, listen, type Listener, type ThrowawayCa } from '../../src/server';
import { enrollWithTokenKeys } from '../../docs/examples/pkcs11-token';
import { cmpflow, scratchDir, spawnCmpflow } from '../cli/run-support';
import { startTlsFront, type TlsFront } from '../support/tls-front';
import { makeTlsPki, type TlsPki } from '../support/tls-pki';

const MODULE = '/usr/lib/softhsm/libsofthsm2.so';
const TOKEN = 'cmpflow test token';
const PIN = 'token-pin-4711';
const SO_PIN = 'token-so-pin-0815';
const REF = 'hsm-device';
const SECRET = 'hsm-bootstrap-secret';

let dir: string;
let ca: ThrowawayCa;
let server: Listener;
let trustedFile: string;
let tlsPki: TlsPki;
let front: TlsFront;
const file = (name: string) => path.join(dir, name);
const token = `pkcs11:token=${encodeURIComponent(TOKEN)}`;

function softhsm(args: string[]): string {
  return execFileSync('softhsm2-util', args, { env: process.env, encoding: 'utf8' });
}

/** A software key imported into the token, as a user moves an existing key into an HSM. */
function importKey(label: string, id: string, genpkeyArgs: string[]): void {
  execFileSync('openssl', ['genpkey', ...genpkeyArgs, '-out', file(`${label}.pem`)]);
  softhsm(['--import', file(`${label}.pem`), '--token', TOKEN, '--label', label, '--id', id, '--pin', PIN]);
}

beforeAll(async () => {
  dir = scratchDir();
  execFileSync('mkdir', ['-p', file('tokens')]);
  writeFileSync(file('softhsm2.conf'), `directories.tokendir = ${file('tokens')}\nobjectstore.backend = file\nlog.level = ERROR\n`);
  // SoftHSM reads SOFTHSM2_CONF from the C environment, which jest's sandboxed process.env does
  // not reach; loadEnvFile writes the real one (without overriding a variable already set).
  // OPENSSL_ENGINES likewise, for the TLS key (the library sets it only in the process.env it sees).
  writeFileSync(file('softhsm.env'), `SOFTHSM2_CONF=${file('softhsm2.conf')}\nOPENSSL_ENGINES=/usr/lib/x86_64-linux-gnu/engines-3\n`);
  process.loadEnvFile(file('softhsm.env'));
  process.env.SOFTHSM2_CONF = file('softhsm2.conf');
  softhsm(['--init-token', '--free', '--label', TOKEN, '--pin', PIN, '--so-pin', SO_PIN]);
  importKey('signer', '04', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  importKey('ec-signer', '01', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256']);
  importKey('rsa-signer', '02', ['-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048']);

  ca = await createThrowawayCa();
  const policy = { signersMayRequestOtherNames: true };
  server = await listen(
    createCmpServer({
      ...ca.serverConfig(),
      secrets: ['', '-rsa', '-process', '-tls', '-tls-cli', '-docs'].map((suffix) => ({ ref: REF + suffix, secret: SECRET })),
      policy,
    }),
  );
  trustedFile = file('ca.pem');
  writeFileSync(trustedFile, ca.ca.cert.toString('pem'));

  // TLS client authentication with the TLS client key moved into the token.
  tlsPki = makeTlsPki();
  softhsm(['--import', tlsPki.clientKeyPath, '--token', TOKEN, '--label', 'tls-client', '--id', '03', '--pin', PIN]);
  front = await startTlsFront({ upstream: server.url, certPem: tlsPki.serverCertPem, keyPem: tlsPki.serverKeyPem, clientCaPem: tlsPki.rootPem });
});

afterAll(async () => {
  finalizePkcs11Modules();
  await front?.close();
  tlsPki?.cleanup();
  await server?.close();
  await ca?.cleanup();
});

// The CA binds each reference to the first subject it enrolls: one reference per device here.
const pbm = (ref = REF) => ({ server: server.url, ref, secret: SECRET, trusted: [ca.ca.cert] });
const samePublicKey = (cert: X509Certificate, key: PrivateKeyHandle) => Buffer.from(cert.publicKey.rawData).equals(Buffer.from(key.spki));

describe('a pkcs11: URI names a key in the token', () => {
  it('a wrong PIN is one ERR_BAD_PASSPHRASE that does not contain the PIN', async () => {
    finalizePkcs11Modules(); // A logged-in token accepts any later login: start logged out.
    const wrong = 'wrong-pin-1234';
    const error = await loadPrivateKey(`${token};object=ec-signer`, wrong).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CmpError);
    expect((error as CmpError).code).toBe('ERR_BAD_PASSPHRASE');
    expect(JSON.stringify({ message: (error as Error).message, stack: (error as Error).stack })).not.toContain(wrong);
  });

  it('the imported key is the same key as the PEM it came from, and signs in the token what the public key verifies', async () => {
    const key = await loadPrivateKey(`${token};object=ec-signer;type=private`, PIN);
    const software = await loadPrivateKey(file('ec-signer.pem'));
    expect(Buffer.from(key.spki).equals(Buffer.from(software.spki))).toBe(true);
    expect(JSON.stringify(key)).not.toContain(PIN);
    const data = new TextEncoder().encode('signed inside the token');
    for (const hash of ['SHA-256', 'SHA-384'] as const) {
      const signature = await getCryptoProvider().sign({ scheme: 'ecdsa', hash }, key, data);
      expect(signature[0]).toBe(0x30); // DER Ecdsa-Sig-Value, not the token's r||s
      await expect(getCryptoProvider().verify({ scheme: 'ecdsa', hash }, key.spki, signature, data)).resolves.toBe(true);
    }
    const rsa = await loadPrivateKey(`${token};id=%02`, PIN);
    for (const scheme of ['rsa-pkcs1', 'rsa-pss'] as const) {
      const signature = await getCryptoProvider().sign({ scheme, hash: 'SHA-256' }, rsa, data);
      await expect(getCryptoProvider().verify({ scheme, hash: 'SHA-256' }, rsa.spki, signature, data)).resolves.toBe(true);
    }
  });

  it('the PIN can come from pin-source (a file) and the module from module-path', async () => {
    writeFileSync(file('pin.txt'), `${PIN}\n`);
    const key = await loadPrivateKey(`${token};object=rsa-signer?pin-source=file:${file('pin.txt')}&module-path=${MODULE}`);
    expect(key.keyType).toBe('rsa');
    expect(key.modulusLength).toBe(2048);
  });

  it('a key the token does not hold is one ERR_CREDENTIALS naming no PIN', async () => {
    await expect(loadPrivateKey(`${token};object=absent`, PIN)).rejects.toMatchObject({ code: 'ERR_CREDENTIALS' });
    await expect(loadPrivateKey(`pkcs11:token=no-such-token;object=x`, PIN)).rejects.toMatchObject({ code: 'ERR_CREDENTIALS' });
    await expect(loadPrivateKey(`${token};object=x;pin-value=1?pin-source=/p`)).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

describe('enrollment with token keys, from the library', () => {
  it('ir with the new key in the token: the POPO is signed inside and the certificate certifies the token key', async () => {
    const newKey = await loadPrivateKey(`${token};object=ec-signer`, PIN);
    const r = await new CmpClient({ ...pbm(), newKey, subject: '/CN=hsm-device' }).ir();
    expect(samePublicKey(r.certificate, newKey)).toBe(true);
    writeFileSync(file('ec-signer.crt'), r.certificate.toString('pem'));
  });

  it('cr protected by a signature made in the token (RSA), for a new EC key generated in the token with x-generate', async () => {
    const rsa = await loadPrivateKey(`${token};object=rsa-signer`, PIN);
    const boot = await new CmpClient({ ...pbm(`${REF}-rsa`), newKey: rsa, subject: '/CN=hsm-rsa' }).ir();
    const newKey = await loadPrivateKey(`${token};object=generated-ec?x-generate=ec:P-256`, PIN);
    expect(newKey.curve).toBe('P-256');
    const r = await new CmpClient({
      server: server.url,
      trusted: [ca.ca.cert],
      cert: boot.certificate,
      key: rsa,
      newKey,
      subject: '/CN=hsm-generated',
    }).cr();
    expect(r.certificate.subject).toBe('CN=hsm-generated');
    expect(samePublicKey(r.certificate, newKey)).toBe(true);
    // The generated key stays in the token: opening it again finds the same pair, not a new one.
    const again = await loadPrivateKey(`${token};object=generated-ec?x-generate=ec:P-256`, PIN);
    expect(Buffer.from(again.spki).equals(Buffer.from(newKey.spki))).toBe(true);
  });
});

describe('enrollment with token keys, from the CLI', () => {
  it('-key and -newkey as pkcs11: URIs with the PIN from -keypass and -newkeypass', async () => {
    const run = await cmpflow([
      '-config',
      '',
      '-server',
      server.url,
      '-trusted',
      trustedFile,
      '-cmd',
      'cr',
      '-cert',
      file('ec-signer.crt'),
      '-key',
      `${token};object=ec-signer`,
      '-keypass',
      `pass:${PIN}`,
      '-newkey',
      `${token};object=cli-generated?x-generate=rsa:2048`,
      '-newkeypass',
      `pass:${PIN}`,
      '-subject',
      '/CN=hsm-cli',
      '-certout',
      file('cli.crt'),
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.stdout + run.stderr).not.toContain(PIN);
    const cert = new X509Certificate(readFileSync(file('cli.crt')));
    const tokenKey = await loadPrivateKey(`${token};object=cli-generated`, PIN);
    expect(cert.subject).toBe('CN=hsm-cli');
    expect(samePublicKey(cert, tokenKey)).toBe(true);
  });

  it('as a separate process with the PIN from the environment: the command line carries no PIN, nor does any output', async () => {
    const cli = spawnCmpflow(
      [
        '-config',
        '',
        '-server',
        server.url,
        '-trusted',
        trustedFile,
        '-cmd',
        'ir',
        '-ref',
        `${REF}-process`,
        '-secret',
        'env:HSM_SECRET',
        '-newkey',
        `${token};id=%01`,
        '-newkeypass',
        'env:HSM_PIN',
        '-subject',
        '/CN=hsm-process',
        '-certout',
        file('process.crt'),
      ],
      { env: { ...process.env, HSM_PIN: PIN, HSM_SECRET: SECRET } },
    );
    expect(cli.child.spawnargs.join(' ')).not.toContain(PIN);
    const run = await cli.done;
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.stdout + run.stderr).not.toContain(PIN);
    const software = await loadPrivateKey(file('ec-signer.pem'));
    expect(samePublicKey(new X509Certificate(readFileSync(file('process.crt'))), software)).toBe(true);
  });

  it('a PIN given as pin-value in the URI shows nowhere in the most verbose output', async () => {
    const run = await cmpflow([
      ...['-config', '', '-server', server.url, '-trusted', trustedFile, '-cmd', 'cr', '-verbosity', '8'],
      ...['-cert', file('ec-signer.crt'), '-key', `${token};object=ec-signer;pin-value=${encodeURIComponent(PIN)}`],
      ...['-newkey', file('rsa-signer.pem'), '-subject', '/CN=hsm-verbose', '-certout', file('verbose.crt')],
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.stdout + run.stderr).not.toContain(PIN);
  });

  it('a wrong -keypass for the token is one error line without the PIN', async () => {
    finalizePkcs11Modules();
    const wrong = 'not-the-pin-9876';
    const run = await cmpflow([
      '-config',
      '',
      '-server',
      server.url,
      '-trusted',
      trustedFile,
      '-cmd',
      'cr',
      '-cert',
      file('ec-signer.crt'),
      '-key',
      `${token};object=ec-signer`,
      '-keypass',
      `pass:${wrong}`,
      '-subject',
      '/CN=x',
      '-certout',
      file('never.crt'),
    ]);
    expect(run.code).not.toBe(0);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toMatch(/PIN/);
    expect(run.stdout + run.stderr).not.toContain(wrong);
  });
});

describe('TLS client authentication with the TLS key in the token', () => {
  const tlsOptions = () => ({
    used: true,
    cert: tlsPki.clientCertPath,
    key: `${token};object=tls-client`,
    keyPass: PIN,
    extra: [tlsPki.intermediatePath],
    trusted: tlsPki.rootPath,
  });

  it('the library enrolls through a TLS front that requires the client certificate, the handshake signed in the token', async () => {
    front.clients.length = 0;
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const client = new CmpClient({
      ...pbm(`${REF}-tls`),
      server: `https://127.0.0.1:${front.port}/pkix/`,
      newKey,
      subject: '/CN=hsm-tls',
      tls: tlsOptions(),
    });
    try {
      const r = await client.ir();
      expect(r.certificate.subject).toBe('CN=hsm-tls');
    } finally {
      await client.close();
    }
    expect(front.clients).toContain(tlsPki.clientName);
  });

  it('the CLI with -tls_key and -newkey in the token, PINs from the environment, OPENSSL_ENGINES left for cmpflow to set', async () => {
    front.clients.length = 0;
    const env: NodeJS.ProcessEnv = { ...process.env, HSM_PIN: PIN, HSM_SECRET: SECRET };
    delete env.OPENSSL_ENGINES;
    const cli = spawnCmpflow(
      [
        ...['-config', '', '-server', `https://127.0.0.1:${front.port}/pkix/`, '-tls_used', '-tls_cert', tlsPki.clientCertPath],
        ...[
          '-tls_key',
          `${token};object=tls-client`,
          '-tls_keypass',
          'env:HSM_PIN',
          '-tls_extra',
          tlsPki.intermediatePath,
          '-tls_trusted',
          tlsPki.rootPath,
        ],
        ...['-cmd', 'ir', '-ref', `${REF}-tls-cli`, '-secret', 'env:HSM_SECRET', '-trusted', trustedFile, '-subject', '/CN=hsm-tls-cli'],
        ...['-newkey', `${token};object=tls-cli-new?x-generate=ec:P-384`, '-newkeypass', 'env:HSM_PIN', '-certout', file('tls-cli.crt')],
      ],
      { env },
    );
    const run = await cli.done;
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.stdout + run.stderr).not.toContain(PIN);
    expect(front.clients).toContain(tlsPki.clientName);
    const newKey = await loadPrivateKey(`${token};object=tls-cli-new`, PIN);
    expect(newKey.curve).toBe('P-384');
    expect(samePublicKey(new X509Certificate(readFileSync(file('tls-cli.crt'))), newKey)).toBe(true);
  });
});

describe('docs/examples/pkcs11-token.ts', () => {
  it('enrolls with the signing key and the generated new key in the token, as docs/api.md shows', async () => {
    const signer = await loadPrivateKey(`${token};object=signer`, PIN);
    const boot = await new CmpClient({ ...pbm(`${REF}-docs`), newKey: signer, subject: '/CN=hsm-docs-signer' }).ir();
    writeFileSync(file('signer.crt'), boot.certificate.toString('pem'));
    const r = await enrollWithTokenKeys({
      serverUrl: server.url,
      trustedPath: trustedFile,
      certPath: file('signer.crt'),
      token: TOKEN,
      pin: PIN,
      subject: '/CN=hsm-docs-device',
    });
    const deviceKey = await loadPrivateKey(`${token};object=device-key`, PIN);
    expect(r.certificate.subject).toBe('CN=hsm-docs-device');
    expect(samePublicKey(r.certificate, deviceKey)).toBe(true);
  });
});
