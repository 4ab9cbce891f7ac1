/**
 * Revocation checking where the client uses it: the path of the server's protection certificate.
 * The peer is the real `openssl cmp` mock server signing with a certificate from a PKI made by
 * `openssl ca`; the reference is the real `openssl cmp` client with -crl_check against the same
 * server, which in OpenSSL 3.0 finds no CRL (its -trusted files give certificates only).
 */
import { promises as fs } from 'fs';
import { CmpClient } from '../../src/client';
import { isCmpError } from '../../src/errors';
import { runOpenSsl, startMockServer, type MockServer } from '../support/openssl';
import { cmpflow } from '../cli/run-support';
import { OpensslPki, type OpensslCa } from './path-crl-pki';

let pki: OpensslPki;
let root: OpensslCa;
let ca: OpensslCa;
let rootCrl: string;

beforeAll(async () => {
  pki = await OpensslPki.create();
  root = await pki.root('/CN=CRL Client Root');
  ca = await pki.intermediate(root, '/CN=CRL Client CA');
  rootCrl = await root.crl();
}, 60_000);

afterAll(async () => {
  await pki.dispose();
});

/** A mock server signing with a new certificate of `ca`, revoked first when asked. */
async function serverSigning(revoked: boolean): Promise<{ server: MockServer; caCrl: string; trustedWithCrls: string }> {
  const key = await pki.key();
  const cert = await ca.issueTo(key, `/CN=CRL Client Server ${revoked ? 'Revoked' : 'Good'}`, 'v3_ee');
  const certFile = pki.file(`server-${revoked ? 'revoked' : 'good'}.pem`);
  await fs.writeFile(certFile, cert.toString('pem'));
  if (revoked) await ca.revoke(cert);
  const caCrl = await ca.crl();
  const server = await startMockServer(['-srv_cert', certFile, '-srv_key', key, '-accept_unprotected', '-srv_untrusted', ca.certFile]);
  const trustedWithCrls = await pki.bundle([root.certFile, rootCrl, caCrl]);
  return { server, caCrl, trustedWithCrls };
}

function client(url: string, verification: NonNullable<ConstructorParameters<typeof CmpClient>[0]['verification']>): CmpClient {
  return new CmpClient({
    server: url,
    unprotectedRequests: true,
    ref: 'crl-client',
    trusted: root.certFile,
    untrusted: ca.certFile,
    keepAlive: 0,
    verification,
  });
}

async function failureOf(p: Promise<unknown>): Promise<string> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  if (!isCmpError(e)) throw new Error(`expected a CmpError, got ${String(e)}`);
  return `${e.code}: ${e.message}`;
}

async function opensslClient(url: string, trusted: string, flags: string[]): Promise<{ code: number; output: string }> {
  const result = await runOpenSsl([
    'cmp',
    '-config',
    '',
    '-server',
    url.replace(/^http:\/\//, ''),
    '-cmd',
    'genm',
    '-unprotected_requests',
    '-ref',
    'crl-client',
    '-trusted',
    trusted,
    '-untrusted',
    ca.certFile,
    ...flags,
  ]);
  return { code: result.code, output: result.stdout + result.stderr };
}

describe('revocation checking of the server certificate', () => {
  it('accepts a server whose certificate and CA are not revoked, checking the whole path', async () => {
    const { server, caCrl } = await serverSigning(false);
    try {
      await expect(client(server.url, { crlCheck: 'all', crls: [rootCrl, caCrl] }).genm()).resolves.toBeDefined();
    } finally {
      await server.stop();
    }
  });

  it('rejects a server whose certificate is revoked', async () => {
    const { server, caCrl } = await serverSigning(true);
    try {
      expect(await failureOf(client(server.url, { crlCheck: 'leaf', crls: [rootCrl, caCrl] }).genm())).toMatch(
        /^ERR_PATH_REVOKED: .*certificate revoked/,
      );
      // Not asked to check, the client accepts it.
      await expect(client(server.url, { crls: [rootCrl, caCrl] }).genm()).resolves.toBeDefined();
    } finally {
      await server.stop();
    }
  });

  it('fails without a CRL, as openssl cmp 3.0 does with -crl_check even when -trusted holds the CRLs', async () => {
    const { server, trustedWithCrls } = await serverSigning(false);
    try {
      expect(await failureOf(client(server.url, { crlCheck: 'leaf' }).genm())).toMatch(/^ERR_PATH_CRL_MISSING: unable to get certificate CRL/);
      const theirs = await opensslClient(server.url, trustedWithCrls, ['-crl_check']);
      expect(theirs.code).not.toBe(0);
      expect(theirs.output).toContain('unable to get certificate CRL');
      // The same files are fine for openssl cmp without the check.
      expect((await opensslClient(server.url, trustedWithCrls, [])).code).toBe(0);
    } finally {
      await server.stop();
    }
  });
});

describe('the cmpflow command with -crl_check -use_deltas', () => {
  it('rejects a server whose certificate only a delta CRL revokes, and accepts it without -use_deltas', async () => {
    const key = await pki.key();
    const certFile = pki.file('server-delta.pem');
    const cert = await ca.issueTo(key, '/CN=CRL Client Server Delta', 'v3_ee', certFile);
    const base = await ca.crl('crl_base_freshest');
    await ca.revoke(cert);
    const delta = await ca.crl('crl_delta');
    const server = await startMockServer(['-srv_cert', certFile, '-srv_key', key, '-accept_unprotected', '-srv_untrusted', ca.certFile]);
    try {
      const argv = (flags: string[]) => [
        '-config',
        '',
        '-server',
        server.url.replace(/^http:\/\//, ''),
        '-cmd',
        'genm',
        '-unprotected_requests',
        '-ref',
        'crl-client',
        '-trusted',
        root.certFile,
        '-untrusted',
        ca.certFile,
        '-crl_check',
        '-crls',
        `${rootCrl},${base},${delta}`,
        ...flags,
      ];
      const withDeltas = await cmpflow(argv(['-use_deltas']));
      expect(withDeltas.code).not.toBe(0);
      expect(withDeltas.stderr).toMatch(/certificate revoked: "CN=CRL Client Server Delta" is listed in the delta CRL of "CN=CRL Client CA"/);
      const completeOnly = await cmpflow(argv([]));
      expect(completeOnly.code).toBe(0);
    } finally {
      await server.stop();
    }
  });
});
