/**
 * Our server judged by a client we did not write: the real `openssl cmp` client enrolls, updates,
 * revokes and asks over HTTP, with PasswordBasedMac and with signatures, and the certificates it
 * receives must verify with `openssl verify` against the CA.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { encodePem } from '../../src/credentials/pem';
import { createCmpServer, createThrowawayCa, listen, type CmpServerConfig, type Listener, type ThrowawayCa } from '../../src/server';
import { loadCertificate } from '../../src/credentials';
import { runCmp, runOpenSsl, type RunResult } from '../support/openssl';
import { makeTestPki, type TestPki } from '../support/pki';

const SECRET = 'openssl-interop-secret';

let ca: ThrowawayCa;
let pki: TestPki;
let dir: string;
const listeners: Listener[] = [];

beforeAll(async () => {
  [ca, pki] = await Promise.all([createThrowawayCa({ folder: true, caName: '/O=cmpflow test/CN=cmpflow server test CA' }), makeTestPki()]);
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-server-openssl-'));
});

afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  await Promise.all([ca.cleanup(), pki.cleanup(), fs.rm(dir, { recursive: true, force: true })]);
});

async function serve(extra: Partial<CmpServerConfig> = {}): Promise<{ listener: Listener; server: ReturnType<typeof createCmpServer> }> {
  const server = createCmpServer({ ...ca.serverConfig(), srvSecret: SECRET, srvTrusted: [loadCertificate(pki.root.certPath)], ...extra });
  const listener = await listen(server);
  listeners.push(listener);
  return { listener, server };
}

let counter = 0;
const file = (name: string) => path.join(dir, `${++counter}-${name}`);

async function newKeyFile(): Promise<string> {
  const out = file('key.pem');
  const r = await runOpenSsl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out]);
  expect(r.code).toBe(0);
  return out;
}

/** Runs `openssl cmp` against the listener; the CA root is the client's trust anchor for signed answers. */
function cmp(listener: Listener, args: string[]): Promise<RunResult> {
  return runCmp(['-server', `127.0.0.1:${listener.port}`, '-path', 'pkix/', '-trusted', ca.files!.caCert, '-msg_timeout', '10', ...args]);
}

const pbm = ['-secret', `pass:${SECRET}`, '-ref', 'openssl-client'];

function log(r: RunResult): string {
  return `${r.stdout}\n${r.stderr}`;
}

async function expectIssuedByCa(certFile: string): Promise<void> {
  const r = await runOpenSsl(['verify', '-CAfile', ca.files!.caCert, certFile]);
  expect(r.stdout.trim()).toBe(`${certFile}: OK`);
}

async function expectKeyOf(certFile: string, keyFile: string): Promise<void> {
  const [fromCert, fromKey] = await Promise.all([
    runOpenSsl(['x509', '-in', certFile, '-noout', '-pubkey']),
    runOpenSsl(['pkey', '-in', keyFile, '-pubout']),
  ]);
  expect(fromCert.stdout).toBe(fromKey.stdout);
}

async function subjectOf(certFile: string): Promise<string> {
  return (await runOpenSsl(['x509', '-in', certFile, '-noout', '-subject', '-nameopt', 'compat'])).stdout.trim();
}

async function enrollWithPbm(listener: Listener, subject: string, extra: string[] = []): Promise<{ cert: string; key: string; result: RunResult }> {
  const key = await newKeyFile();
  const cert = file('cert.pem');
  const result = await cmp(listener, ['-cmd', 'ir', ...pbm, '-subject', subject, '-newkey', key, '-certout', cert, ...extra]);
  return { cert, key, result };
}

describe('openssl cmp against the cmpflow server', () => {
  it('ir with PasswordBasedMac: a certificate issued by the CA for the key and subject asked for', async () => {
    const { listener } = await serve();
    const { cert, key, result } = await enrollWithPbm(listener, '/O=cmpflow test/CN=openssl ir');
    expect(result.code).toBe(0);
    expect(log(result)).toContain('sending CERTCONF');
    await expectIssuedByCa(cert);
    await expectKeyOf(cert, key);
    expect(await subjectOf(cert)).toBe('subject=/O=cmpflow test/CN=openssl ir');
  });

  it('cr signed with a certificate of another, trusted PKI (chain in extraCerts), for a name the policy lets signers ask for', async () => {
    const { listener } = await serve({ policy: { signersMayRequestOtherNames: true } });
    const key = await newKeyFile();
    const cert = file('cert.pem');
    const result = await cmp(listener, [
      '-cmd',
      'cr',
      '-cert',
      pki.client.certPath,
      '-key',
      pki.client.keyPath,
      '-untrusted',
      pki.untrustedPath,
      '-issuer',
      '/O=cmpflow test/CN=cmpflow server test CA',
      '-subject',
      '/CN=openssl cr',
      '-newkey',
      key,
      '-certout',
      cert,
    ]);
    expect(result.code).toBe(0);
    await expectIssuedByCa(cert);
    await expectKeyOf(cert, key);
  });

  it.each(['ir', 'p10cr'])('%s signed with a certificate of the trusted PKI, answered with signatures', async (command) => {
    const { listener } = await serve({ policy: { signersMayRequestOtherNames: true } });
    const key = await newKeyFile();
    const cert = file('cert.pem');
    const csr = file('req.csr');
    expect((await runOpenSsl(['req', '-new', '-config', '/dev/null', '-key', key, '-subj', `/CN=signed ${command}`, '-out', csr])).code).toBe(0);
    const request = command === 'p10cr' ? ['-csr', csr] : ['-subject', `/CN=signed ${command}`, '-newkey', key];
    const result = await cmp(listener, [
      '-cmd',
      command,
      '-cert',
      pki.client.certPath,
      '-key',
      pki.client.keyPath,
      '-untrusted',
      pki.untrustedPath,
      '-issuer',
      '/O=cmpflow test/CN=cmpflow server test CA',
      ...request,
      '-certout',
      cert,
    ]);
    expect(result.code).toBe(0);
    await expectIssuedByCa(cert);
    await expectKeyOf(cert, key);
  });

  it('p10cr: the CSR subject and requested subjectAltName end up in the certificate', async () => {
    const { listener } = await serve();
    const key = await newKeyFile();
    const csr = file('req.csr');
    const made = await runOpenSsl([
      'req',
      '-new',
      '-config',
      '/dev/null',
      '-key',
      key,
      '-subj',
      '/CN=openssl p10cr',
      '-addext',
      'subjectAltName=DNS:p10.example',
      '-out',
      csr,
    ]);
    expect(made.code).toBe(0);
    const cert = file('cert.pem');
    const result = await cmp(listener, ['-cmd', 'p10cr', ...pbm, '-csr', csr, '-certout', cert]);
    expect(result.code).toBe(0);
    await expectIssuedByCa(cert);
    const text = (await runOpenSsl(['x509', '-in', cert, '-noout', '-ext', 'subjectAltName'])).stdout;
    expect(text).toContain('DNS:p10.example');
  });

  it('kur signed with the certificate to update, then rr revokes the new one and the CRL says so', async () => {
    const { listener, server } = await serve();
    const first = await enrollWithPbm(listener, '/CN=openssl kur');
    expect(first.result.code).toBe(0);

    const newKey = await newKeyFile();
    const updated = file('updated.pem');
    const kur = await cmp(listener, ['-cmd', 'kur', '-cert', first.cert, '-key', first.key, '-newkey', newKey, '-certout', updated]);
    expect(kur.code).toBe(0);
    await expectIssuedByCa(updated);
    await expectKeyOf(updated, newKey);
    expect(await subjectOf(updated)).toBe('subject=/CN=openssl kur');

    const rr = await cmp(listener, ['-cmd', 'rr', '-cert', updated, '-key', newKey, '-oldcert', updated, '-revreason', '1']);
    expect(rr.code).toBe(0);
    expect(log(rr)).toContain('revocation accepted');

    const crl = file('crl.pem');
    await fs.writeFile(crl, encodePem('X509 CRL', await server.crl()));
    const check = await runOpenSsl(['verify', '-crl_check', '-CAfile', ca.files!.caCert, '-CRLfile', crl, updated]);
    expect(check.code).not.toBe(0);
    expect(log(check)).toContain('certificate revoked');
    const stillGood = await runOpenSsl(['verify', '-crl_check', '-CAfile', ca.files!.caCert, '-CRLfile', crl, first.cert]);
    expect(stillGood.stdout.trim()).toBe(`${first.cert}: OK`);
  });

  it('rr with an RA secret, a second time: the error names certRevoked', async () => {
    const { listener } = await serve({ secrets: [{ ref: 'openssl-ra', secret: 'openssl-ra-secret', ra: true }] });
    const enrolled = await enrollWithPbm(listener, '/CN=openssl rr twice');
    expect(enrolled.result.code).toBe(0);
    const revoke = () => cmp(listener, ['-cmd', 'rr', '-secret', 'pass:openssl-ra-secret', '-ref', 'openssl-ra', '-oldcert', enrolled.cert]);
    expect((await revoke()).code).toBe(0);
    const again = await revoke();
    expect(again.code).not.toBe(0);
    expect(log(again)).toContain('PKIFailureInfo: certRevoked');
  });

  it.each([
    ['PasswordBasedMac', pbm],
    ['a signature', ['-cert', 'CLIENT_CERT', '-key', 'CLIENT_KEY', '-untrusted', 'UNTRUSTED']],
  ])('genm with %s: the genp answers the ITAV asked for', async (_, auth) => {
    const { listener } = await serve();
    const files: Record<string, string> = { CLIENT_CERT: pki.client.certPath, CLIENT_KEY: pki.client.keyPath, UNTRUSTED: pki.untrustedPath };
    const result = await cmp(listener, ['-cmd', 'genm', ...auth.map((a) => files[a] ?? a), '-infotype', 'signKeyPairTypes']);
    expect(result.code).toBe(0);
    expect(log(result)).toContain('genp contains ITAV of type: id-it-signKeyPairTypes');
  });

  it('polling: waiting, pollRep, then the certificate', async () => {
    const { listener } = await serve({ pollCount: 2, checkAfter: 0 });
    const { cert, result } = await enrollWithPbm(listener, '/CN=openssl polling');
    expect(result.code).toBe(0);
    expect(log(result)).toContain('received polling response');
    await expectIssuedByCa(cert);
  });

  it('implicit confirmation: granted, so no certConf is sent', async () => {
    const { listener, server } = await serve({ grantImplicitConf: true });
    const { cert, result } = await enrollWithPbm(listener, '/CN=openssl implicit', ['-implicit_confirm']);
    expect(result.code).toBe(0);
    expect(log(result)).not.toContain('sending CERTCONF');
    await expectIssuedByCa(cert);
    expect(server.state.ca!.issued[0]!.confirmed).toBe(true);
  });

  it('a wrong secret is refused and no certificate is issued', async () => {
    const { listener, server } = await serve();
    const key = await newKeyFile();
    const result = await cmp(listener, [
      '-cmd',
      'ir',
      '-secret',
      'pass:wrong',
      '-ref',
      'x',
      '-subject',
      '/CN=nope',
      '-newkey',
      key,
      '-certout',
      file('none.pem'),
    ]);
    expect(result.code).not.toBe(0);
    expect(server.state.ca!.issued).toHaveLength(0);
  });

  it('a signature from a certificate nobody trusts is refused: signerNotTrusted', async () => {
    const { listener } = await serve({ srvTrusted: [] });
    const result = await cmp(listener, [
      '-cmd',
      'cr',
      '-cert',
      pki.client.certPath,
      '-key',
      pki.client.keyPath,
      '-untrusted',
      pki.untrustedPath,
      '-subject',
      '/CN=untrusted',
      '-newkey',
      await newKeyFile(),
      '-certout',
      file('none.pem'),
    ]);
    expect(result.code).not.toBe(0);
    expect(log(result)).toContain('signerNotTrusted');
  });
});
