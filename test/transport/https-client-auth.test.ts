/**
 * CMP over HTTPS with TLS client authentication, the usual production setup, end to end on
 * 127.0.0.1 with real parts: a TLS front (node:https, client certificate required) before
 * cmpflow's embedded CA and before the real `openssl cmp -port 0` mock server, enrolled from the
 * library API and from the `cmpflow` command line with `-tls_used`, `-tls_cert`, `-tls_key`,
 * `-tls_keypass`, `-tls_extra`, `-tls_trusted` and `-tls_host`. The TLS PKI is made with
 * `openssl req/x509/pkcs12` for this run.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { CmpClient } from '../../src/client';
import { loadPrivateKey } from '../../src/credentials';
import { getCryptoProvider } from '../../src/crypto';
import type { CmpClientOptions } from '../../src/options';
import { createCmpServer, createThrowawayCa, listen, type Listener, type ThrowawayCa } from '../../src/server';
import { cmpflow, scratchDir, type CliRun } from '../cli/run-support';
import { startMockServer, type MockServer } from '../support/openssl';
import { makeTestPki, type TestPki } from '../support/pki';
import { startTlsFront, type TlsFront } from '../support/tls-front';
import { makeTlsPki, type TlsPki } from '../support/tls-pki';
import { expectCmpError } from './helpers/cmp-error';
import { startProxy } from './helpers/local-servers';

const REF = 'tls-device';
const SECRET = 'tls-client-auth-secret';

let tls: TlsPki;
let ca: ThrowawayCa;
let listener: Listener;
let front: TlsFront;
let out: string;

beforeAll(async () => {
  tls = makeTlsPki();
  ca = await createThrowawayCa({ folder: true });
  // The one reference enrolls under two names, which the CA grants only when configured.
  const policy = { references: [{ ref: REF, subjects: ['/CN=tls enrolled', '/CN=tls cli'] }] };
  listener = await listen(createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }], policy }));
  front = await startTlsFront({ upstream: listener.url, certPem: tls.serverCertPem, keyPem: tls.serverKeyPem, clientCaPem: tls.rootPem });
  out = scratchDir();
});

afterAll(async () => {
  await front?.close();
  await listener?.close();
  await ca?.cleanup();
  tls?.cleanup();
});

beforeEach(() => {
  front.clients.length = 0;
});

/** The front's URL with another host: the server certificate names IP:127.0.0.1 and DNS:localhost. */
const frontUrl = (host = '127.0.0.1') => `https://${host}:${front.port}/pkix/`;

async function enrollThroughApi(tlsOptions: CmpClientOptions['tls'], server = frontUrl()): Promise<X509Certificate> {
  const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  const client = new CmpClient({ server, ref: REF, secret: SECRET, trusted: [ca.ca.cert], newKey, subject: '/CN=tls enrolled', tls: tlsOptions });
  try {
    return (await client.ir()).certificate;
  } finally {
    await client.close();
  }
}

/** Client certificate, key and the intermediate the server needs, as files. */
const clientAuth = () => ({ used: true, cert: tls.clientCertPath, key: tls.clientKeyPath, extra: [tls.intermediatePath], trusted: tls.rootPath });

function expectNoSecrets(text: string): void {
  expect(text).not.toContain('PRIVATE KEY');
  for (const secret of tls.secrets) expect(text).not.toContain(secret.slice(0, 24));
}

describe('the library API over HTTPS with a client certificate (embedded CA behind a TLS front)', () => {
  it('enrolls with tls.cert, tls.key, tls.extra and tls.trusted given as file paths', async () => {
    const cert = await enrollThroughApi(clientAuth());
    expect(cert.subject).toBe('CN=tls enrolled');
    expect(cert.issuer).toBe(ca.ca.cert.subject);
    expect(front.clients).toEqual([tls.clientName, tls.clientName]);
  });

  it('takes the intermediate from the certificate file after the client certificate, or from -untrusted, instead of tls.extra', async () => {
    await enrollThroughApi({ used: true, cert: tls.clientChainPath, key: tls.clientKeyPath, trusted: tls.rootPath });
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const client = new CmpClient({
      server: frontUrl(),
      ref: REF,
      secret: SECRET,
      trusted: [ca.ca.cert],
      untrusted: [tls.intermediatePath],
      newKey,
      subject: '/CN=tls enrolled',
      tls: { used: true, cert: tls.clientCertPath, key: tls.clientKeyPath, trusted: tls.rootPath },
    });
    await expect(client.ir().finally(() => client.close())).resolves.toMatchObject({ certificate: expect.anything() });
    expect(front.clients).toHaveLength(4);
  });

  it('takes PEM text, DER bytes and loaded certificate and key objects', async () => {
    const key = await loadPrivateKey(tls.clientKeyPath);
    const der = (file: string) => new Uint8Array(new X509Certificate(readFileSync(file, 'utf8')).rawData);
    await enrollThroughApi({
      used: true,
      cert: new X509Certificate(readFileSync(tls.clientCertPath, 'utf8')),
      key,
      extra: [der(tls.intermediatePath)],
      trusted: readFileSync(tls.rootPath, 'utf8'),
    });
    await enrollThroughApi({
      used: true,
      cert: der(tls.clientCertPath),
      key: readFileSync(tls.clientKeyPath),
      extra: [tls.intermediatePath],
      trusted: der(tls.rootPath),
    });
    expect(front.clients.every((name) => name === tls.clientName)).toBe(true);
  });

  it('decrypts an encrypted tls.key with tls.keyPass', async () => {
    await enrollThroughApi({ ...clientAuth(), key: tls.clientKeyEncryptedPath, keyPass: tls.clientKeyPass });
    expect(front.clients[0]).toBe(tls.clientName);
  });

  it('reads certificate, chain and key from one PKCS#12 file opened with tls.keyPass', async () => {
    await enrollThroughApi({ used: true, cert: tls.clientP12Path, key: tls.clientP12Path, keyPass: tls.clientKeyPass, trusted: tls.rootPath });
    expect(front.clients[0]).toBe(tls.clientName);
  });

  it('checks tls.host instead of the server address: localhost is named in the certificate, cmp.example.org is not', async () => {
    await enrollThroughApi({ ...clientAuth(), host: 'localhost' });
    const err = await expectCmpError(enrollThroughApi({ ...clientAuth(), host: 'cmp.example.org' }), 'ERR_TLS');
    expect(err.message).toContain('cmp.example.org');
  });

  it('speaks TLS with tls.used even to an http:// URL, as openssl cmp 3.0 does', async () => {
    await enrollThroughApi(clientAuth(), `http://127.0.0.1:${front.port}/pkix/`);
    expect(front.clients[0]).toBe(tls.clientName);
  });

  it('applies the tls options to an https:// URL without tls.used', async () => {
    const { used: _used, ...implied } = clientAuth();
    await enrollThroughApi(implied);
    expect(front.clients[0]).toBe(tls.clientName);
  });

  it('is refused by the server without a client certificate: one ERR_TLS, and the server saw no request', async () => {
    const err = await expectCmpError(enrollThroughApi({ used: true, trusted: tls.rootPath }), 'ERR_TLS');
    expect(err.message).toMatch(/^TLS with CMP server https:\/\/127\.0\.0\.1:\d+\/pkix\/ failed: the server requires a TLS client certificate/);
    expect(front.clients).toEqual([]);
  });

  it('is refused in the handshake itself by a TLS 1.2 server, with the same one ERR_TLS', async () => {
    const tls12 = await startTlsFront({
      upstream: listener.url,
      certPem: tls.serverCertPem,
      keyPem: tls.serverKeyPem,
      clientCaPem: tls.rootPem,
      maxVersion: 'TLSv1.2',
    });
    try {
      const err = await expectCmpError(enrollThroughApi({ used: true, trusted: tls.rootPath }, tls12.url), 'ERR_TLS');
      expect(err.message).toMatch(/failed: the server refused the handshake \(it may require a TLS client certificate/);
      expect(tls12.refusedHandshakes).toHaveLength(1);
      await enrollThroughApi(clientAuth(), tls12.url);
      expect(tls12.clients).toEqual([tls.clientName, tls.clientName]);
    } finally {
      await tls12.close();
    }
  });

  it("checks an IP address given as tls.host against the certificate's IP addresses", async () => {
    await enrollThroughApi({ ...clientAuth(), host: '127.0.0.1' }, frontUrl('localhost'));
    await expectCmpError(enrollThroughApi({ ...clientAuth(), host: '127.0.0.2' }, frontUrl('localhost')), 'ERR_TLS');
  });

  it('says so when the server does not speak TLS at all', async () => {
    const plain = listener.url.replace(/^http:/, 'https:');
    const err = await expectCmpError(enrollThroughApi(clientAuth(), plain), 'ERR_TLS');
    expect(err.message).toMatch(/failed: the server does not speak TLS/);
  });

  it('fails with ERR_TLS when tls.trusted did not issue the server certificate', async () => {
    await expectCmpError(enrollThroughApi({ ...clientAuth(), trusted: tls.otherRootPath }), 'ERR_TLS');
    expect(front.clients).toEqual([]);
  });

  it('verifies the server with the default trust store when tls.trusted is not given, which does not know a test CA', async () => {
    const { trusted: _trusted, ...withoutTrusted } = clientAuth();
    await expectCmpError(enrollThroughApi(withoutTrusted), 'ERR_TLS');
  });

  it('names the option and the file when a file is missing, before connecting', async () => {
    const missing = path.join(tls.dir, 'no-such-key.pem');
    const err = await expectCmpError(enrollThroughApi({ ...clientAuth(), key: missing }), 'ERR_FILE');
    expect(err.message).toMatch(/^tls\.key: .*no-such-key\.pem/);
    expect(err.options).toEqual(['tls.key']);
    expect(front.clients).toEqual([]);
  });

  it('rejects a key that does not belong to tls.cert, and a wrong pass phrase, without showing key or pass phrase', async () => {
    const mismatch = await expectCmpError(enrollThroughApi({ ...clientAuth(), key: tls.spareKeyPath }), 'ERR_CREDENTIALS');
    expect(mismatch.message).toBe('tls.key: does not match the TLS client certificate given as tls.cert');
    const wrongPass = await expectCmpError(
      enrollThroughApi({ ...clientAuth(), key: tls.clientKeyEncryptedPath, keyPass: 'not the pass' }),
      'ERR_BAD_PASSPHRASE',
    );
    expect(wrongPass.message).toMatch(/^tls\.key: /);
    expect(wrongPass.message).not.toContain('not the pass');
    expectNoSecrets(`${mismatch.message} ${wrongPass.message} ${JSON.stringify(wrongPass)}`);
  });

  it('requires tls.cert and tls.key together', async () => {
    const noKey = await expectCmpError(enrollThroughApi({ used: true, cert: tls.clientCertPath, trusted: tls.rootPath }), 'ERR_MISSING_OPTION');
    expect(noKey.message).toMatch(/^tls\.key: missing/);
    const noCert = await expectCmpError(enrollThroughApi({ used: true, key: tls.clientKeyPath, trusted: tls.rootPath }), 'ERR_MISSING_OPTION');
    expect(noCert.message).toMatch(/^tls\.cert: missing/);
  });
});

function expectSuccess(run: CliRun): void {
  expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
}

function expectOneError(run: CliRun, code: string): string {
  expect(run.code).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(new RegExp(`\\(${code}\\)$`));
  expect(run.stderr).not.toMatch(/\n\s+at /);
  expectNoSecrets(run.stdout + run.stderr);
  return run.errors[0]!;
}

describe('cmpflow -tls_used with a client certificate (embedded CA behind a TLS front)', () => {
  /** Relative file names, resolved against the working directory the command runs in. */
  const enroll = (certout: string, tlsArgs: string[], server = frontUrl()) =>
    cmpflow(
      [
        '-config',
        '',
        '-server',
        server,
        '-ref',
        REF,
        '-secret',
        `pass:${SECRET}`,
        '-trusted',
        ca.files!.caCert,
        '-cmd',
        'ir',
        '-newkey',
        'spare.key',
        '-subject',
        '/CN=tls cli',
        '-certout',
        path.join(out, certout),
        '-msg_timeout',
        '10',
        ...tlsArgs,
      ],
      { cwd: tls.dir },
    );
  const tlsFiles = ['-tls_used', '-tls_cert', 'client.crt', '-tls_key', 'client.key', '-tls_extra', 'intermediate.crt', '-tls_trusted', 'root.crt'];

  it('enrolls with -tls_cert, -tls_key, -tls_extra and -tls_trusted files relative to the working directory', async () => {
    const run = await enroll('cli-files.pem', tlsFiles);
    expectSuccess(run);
    const cert = new X509Certificate(readFileSync(path.join(out, 'cli-files.pem'), 'utf8'));
    expect(cert.subject).toBe('CN=tls cli');
    expect(front.clients).toEqual([tls.clientName, tls.clientName]);
  });

  it('decrypts the key with -tls_keypass, and reads the key and its chain from PKCS#12 with it', async () => {
    const tail = ['-tls_used', '-tls_trusted', 'root.crt', '-tls_keypass', `pass:${tls.clientKeyPass}`];
    expectSuccess(await enroll('cli-enc.pem', [...tail, '-tls_cert', 'client-chain.crt', '-tls_key', 'client-enc.key']));
    expectSuccess(await enroll('cli-p12.pem', [...tail, '-tls_cert', 'client.p12', '-tls_key', 'client.p12']));
    expect(front.clients).toEqual([tls.clientName, tls.clientName, tls.clientName, tls.clientName]);
  });

  it('refuses a -tls_key that does not belong to -tls_cert before connecting', async () => {
    const args = tlsFiles.map((a) => (a === 'client.key' ? 'spare.key' : a));
    const message = expectOneError(await enroll('cli-mismatch.pem', args), 'ERR_CREDENTIALS');
    expect(message).toBe('cmpflow: error: -tls_key: does not match the TLS client certificate given as -tls_cert (ERR_CREDENTIALS)');
    expect(front.clients).toEqual([]);
  });

  it('checks -tls_host in the server certificate instead of the -server host', async () => {
    expectSuccess(await enroll('cli-host.pem', [...tlsFiles, '-tls_host', 'localhost']));
    const message = expectOneError(await enroll('cli-host-bad.pem', [...tlsFiles, '-tls_host', 'cmp.example.org']), 'ERR_TLS');
    expect(message).toContain('cmp.example.org');
  });

  it('reports one ERR_TLS when the server refuses the handshake for want of a client certificate', async () => {
    const message = expectOneError(await enroll('cli-nocert.pem', ['-tls_used', '-tls_trusted', 'root.crt']), 'ERR_TLS');
    expect(message).toContain(`https://127.0.0.1:${front.port}/pkix/`);
    expect(front.clients).toEqual([]);
  });

  it('reports one ERR_TLS for a wrong -tls_trusted', async () => {
    const args = tlsFiles.map((a) => (a === 'root.crt' ? 'other-root.crt' : a));
    expectOneError(await enroll('cli-wrong-trust.pem', args), 'ERR_TLS');
    expect(front.clients).toEqual([]);
  });

  it('authenticates both ends through an HTTP proxy, inside its CONNECT tunnel', async () => {
    const proxy = await startProxy();
    try {
      expectSuccess(await enroll('cli-proxy.pem', [...tlsFiles, '-proxy', `127.0.0.1:${proxy.port}`]));
      expect(proxy.seen).toEqual([`CONNECT 127.0.0.1:${front.port}`]);
      expect(front.clients).toEqual([tls.clientName, tls.clientName]);
    } finally {
      await proxy.close();
    }
  });

  it('names the option and the file when a TLS file is missing', async () => {
    const args = tlsFiles.map((a) => (a === 'client.crt' ? 'absent.crt' : a));
    const message = expectOneError(await enroll('cli-missing.pem', args), 'ERR_FILE');
    expect(message).toMatch(/-tls_cert: .*absent\.crt/);
  });

  it('rejects a wrong -tls_keypass without echoing it', async () => {
    const run = await enroll('cli-bad-pass.pem', [
      '-tls_used',
      '-tls_trusted',
      'root.crt',
      '-tls_cert',
      'client-chain.crt',
      '-tls_key',
      'client-enc.key',
      '-tls_keypass',
      'pass:wrong tls pass',
    ]);
    expectOneError(run, 'ERR_BAD_PASSPHRASE');
    expect(run.stderr).not.toContain('wrong tls pass');
  });
});

describe('cmpflow -tls_used against a TLS front before the openssl cmp mock server', () => {
  let pki: TestPki;
  let mock: MockServer;
  let mockFront: TlsFront;

  beforeAll(async () => {
    pki = await makeTestPki();
    mock = await startMockServer([
      '-srv_ref',
      'mock-server',
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
      '-rsp_extracerts',
      pki.chainPath,
      '-rsp_capubs',
      pki.trustedPath,
    ]);
    mockFront = await startTlsFront({ upstream: mock.url, certPem: tls.serverCertPem, keyPem: tls.serverKeyPem, clientCaPem: tls.rootPem });
  });

  afterAll(async () => {
    await mockFront?.close();
    await mock?.stop();
    await pki?.cleanup();
  });

  const enroll = (certout: string, tlsArgs: string[]) =>
    cmpflow(
      [
        '-config',
        '',
        '-server',
        `https://localhost:${mockFront.port}/pkix/`,
        '-ref',
        'client-ref',
        '-secret',
        `pass:${SECRET}`,
        '-cmd',
        'ir',
        '-newkey',
        pki.newKeyPath,
        '-subject',
        '/CN=interop device',
        '-certout',
        path.join(out, certout),
        '-msg_timeout',
        '10',
        ...tlsArgs,
      ],
      { cwd: tls.dir },
    );

  it('enrolls through TLS client authentication, certConf included, and gets the mock server certificate', async () => {
    const run = await enroll('mock-tls.pem', [
      '-tls_used',
      '-tls_cert',
      'client-chain.crt',
      '-tls_key',
      'client-enc.key',
      '-tls_keypass',
      `pass:${tls.clientKeyPass}`,
      '-tls_trusted',
      'root.crt',
    ]);
    expectSuccess(run);
    const cert = new X509Certificate(readFileSync(path.join(out, 'mock-tls.pem'), 'utf8'));
    expect(Buffer.from(cert.rawData)).toEqual(Buffer.from(pki.enrolled.certDer));
    // ir and certConf, each on the one connection the front keeps to the mock server.
    expect(mockFront.clients).toEqual([tls.clientName, tls.clientName]);
  });

  it('is refused at the TLS front without a client certificate, so the mock server sees nothing', async () => {
    mockFront.clients.length = 0;
    const message = expectOneError(await enroll('mock-nocert.pem', ['-tls_used', '-tls_trusted', 'root.crt']), 'ERR_TLS');
    expect(message).toContain(`https://localhost:${mockFront.port}/pkix/`);
    expect(mockFront.clients).toEqual([]);
  });
});
