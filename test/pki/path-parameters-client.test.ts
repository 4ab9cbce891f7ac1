/**
 * The generic verification parameters where the client uses them: the path of the server's
 * protection certificate. The peer is the real `openssl cmp` mock server signing with a
 * certificate from a PKI made by `openssl ca`; the reference is the real `openssl cmp` client
 * given the same option against the same server.
 */
import { promises as fs } from 'fs';
import { CmpClient } from '../../src/client';
import { isCmpError, type ErrorCode } from '../../src/errors';
import { runOpenSsl, startMockServer, type MockServer } from '../support/openssl';
import { OpensslPki, type OpensslCa } from './path-crl-pki';

type Verification = NonNullable<ConstructorParameters<typeof CmpClient>[0]['verification']>;

let pki: OpensslPki;
let root: OpensslCa;
let ca: OpensslCa;
let server: MockServer;

beforeAll(async () => {
  pki = await OpensslPki.create();
  root = await pki.root('/CN=Parameters Client Root');
  ca = await pki.intermediate(root, '/CN=Parameters Client CA');
  const key = await pki.key();
  const cert = await ca.issueTo(key, '/CN=cmp.example.com', 'v3_ee');
  const certFile = pki.file('server.pem');
  await fs.writeFile(certFile, cert.toString('pem'));
  server = await startMockServer(['-srv_cert', certFile, '-srv_key', key, '-accept_unprotected', '-srv_untrusted', ca.certFile]);
}, 60_000);

afterAll(async () => {
  await server?.stop();
  await pki.dispose();
});

async function ourVerdict(verification: Verification, peer: MockServer = server, untrusted: string = ca.certFile): Promise<ErrorCode | 'ok'> {
  const client = new CmpClient({
    server: peer.url,
    unprotectedRequests: true,
    ref: 'parameters-client',
    trusted: root.certFile,
    untrusted,
    keepAlive: 0,
    verification,
  });
  try {
    await client.genm();
    return 'ok';
  } catch (e) {
    if (!isCmpError(e)) throw e;
    return e.code;
  }
}

async function opensslAccepts(flags: string[], peer: MockServer = server, untrusted: string = ca.certFile): Promise<boolean> {
  const args = ['cmp', '-config', '', '-server', peer.url.replace(/^http:\/\//, ''), '-cmd', 'genm', '-unprotected_requests'];
  args.push('-ref', 'parameters-client', '-trusted', root.certFile, '-untrusted', untrusted, ...flags);
  return (await runOpenSsl(args)).code === 0;
}

describe('-policy_print', () => {
  it('prints no policy tree from openssl cmp, which cmpflow therefore does not print either', async () => {
    const args = ['cmp', '-config', '', '-server', server.url.replace(/^http:\/\//, ''), '-cmd', 'genm', '-unprotected_requests', '-ref', 'p'];
    const result = await runOpenSsl([...args, '-trusted', root.certFile, '-untrusted', ca.certFile, '-policy_check', '-policy_print']);
    expect(result.code).toBe(0);
    expect(result.stdout + result.stderr).not.toMatch(/Policies|Require explicit Policy/);
  });
});

describe("the server's certificate under OpenSSL's verification parameters, as openssl cmp judges it", () => {
  it.each<[string[], Verification, ErrorCode | 'ok']>([
    [['-verify_hostname', 'cmp.example.com'], { verifyHostname: 'cmp.example.com' }, 'ok'],
    // openssl cmp clears host, email and IP from the -trusted store: they are for -out_trusted and TLS.
    [['-verify_hostname', 'ca.example.com'], { verifyHostname: 'ca.example.com' }, 'ok'],
    [['-verify_email', 'ca@example.com'], { verifyEmail: 'ca@example.com' }, 'ok'],
    [['-verify_ip', '192.0.2.1'], { verifyIp: '192.0.2.1' }, 'ok'],
    [['-verify_depth', '1'], { maxDepth: 1 }, 'ok'],
    [['-verify_depth', '0'], { maxDepth: 0 }, 'ERR_PATH_LENGTH'],
    [['-explicit_policy'], { policies: [], explicitPolicy: true }, 'ERR_PATH_POLICY'],
    [['-purpose', 'any'], { purpose: 'any' }, 'ok'],
    [['-auth_level', '5'], { authLevel: 5 }, 'ERR_PATH_SECURITY_LEVEL'],
    [['-check_ss_sig'], { checkSelfSignature: true }, 'ok'],
    [['-allow_proxy_certs'], { allowProxyCertificates: true }, 'ok'],
    [['-suiteB_128_only'], { suiteB: '128only' }, 'ok'],
    [['-suiteB_192'], { suiteB: '192' }, 'ERR_PATH_SUITE_B'],
  ])('%j', async (flags, verification, verdict) => {
    const ours = await ourVerdict(verification);
    expect(ours).toBe(verdict);
    expect(await opensslAccepts(flags)).toBe(ours === 'ok');
  });
});

describe('a server signing with an RFC 3820 proxy certificate of its end-entity certificate, as openssl cmp judges it', () => {
  let proxied: MockServer;
  let chain: string;

  beforeAll(async () => {
    const userKey = await pki.key();
    const userFile = pki.file('proxy-user.pem');
    await fs.writeFile(userFile, (await ca.issueTo(userKey, '/CN=proxy-user.example', 'v3_ee')).toString('pem'));
    const proxyKey = await pki.key();
    const extensions = pki.file('proxy.cnf');
    await fs.writeFile(extensions, '[proxy]\nproxyCertInfo = critical,language:id-ppl-inheritAll\nkeyUsage = critical,digitalSignature\n');
    const proxyFile = pki.file('proxy.pem');
    const request = await pki.request(proxyKey, '/CN=proxy-user.example/CN=proxy');
    await pki.run(undefined, [
      'x509',
      '-req',
      '-in',
      request,
      '-CA',
      userFile,
      '-CAkey',
      userKey,
      '-set_serial',
      '77',
      '-days',
      '30',
      '-extfile',
      extensions,
      '-extensions',
      'proxy',
      '-out',
      proxyFile,
    ]);
    chain = await pki.bundle([ca.certFile, userFile]);
    proxied = await startMockServer(['-srv_cert', proxyFile, '-srv_key', proxyKey, '-accept_unprotected']);
  }, 60_000);

  afterAll(async () => {
    await proxied?.stop();
  });

  it('is refused without -allow_proxy_certs and accepted with it', async () => {
    expect(await ourVerdict({}, proxied, chain)).toBe('ERR_PATH_PROXY_CERTIFICATE');
    expect(await opensslAccepts([], proxied, chain)).toBe(false);
    expect(await ourVerdict({ allowProxyCertificates: true }, proxied, chain)).toBe('ok');
    expect(await opensslAccepts(['-allow_proxy_certs'], proxied, chain)).toBe(true);
  });
});
