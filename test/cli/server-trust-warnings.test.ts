/**
 * What server mode says about signature-protected requests is what it does: without -srv_trusted
 * and without -rsp_cert it trusts the throwaway CA it issues from (and says so), and only with
 * -rsp_cert, where there is no such CA, does it warn as OpenSSL does that it cannot verify them.
 */
import * as path from 'path';
import { main } from '../../src/cli/main';
import { makeTestPki, type TestPki } from '../support/pki';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'server-trust-secret';
const THROWAWAY_TRUST =
  'CMP warning: no -srv_trusted given: the mock server accepts signature-protected requests only from certificates of its throwaway CA';
const NO_SIGNED_REQUESTS = 'CMP warning: mock server will not be able to handle signature-protected requests since -srv_trusted is not given';
let pki: TestPki;
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
});
afterAll(async () => pki?.cleanup());

/** `cmpflow -port 0 <args>` in this process, once it has announced its port. */
async function serve(args: string[]): Promise<{ url: string; stderr(): string; stop(): Promise<number> }> {
  let stdout = '';
  let stderr = '';
  const controller = new AbortController();
  let announced!: (port: string) => void;
  const accept = new Promise<string>((resolve) => (announced = resolve));
  const exit = main(['-config', '', '-port', '0', ...args], {
    stdout: {
      write(chunk) {
        stdout += chunk.toString();
        const port = /^ACCEPT 127\.0\.0\.1:(\d+) /m.exec(stdout)?.[1];
        if (port) announced(port);
        return true;
      },
    },
    stderr: { write: (chunk) => (stderr += chunk.toString()) },
    env: {},
    cwd: dir,
    stopSignal: () => controller.signal,
  });
  const port = await Promise.race([accept, exit.then((code) => Promise.reject(new Error(`server exited ${code}: ${stderr}`)))]);
  return {
    url: `http://127.0.0.1:${port}/pkix/`,
    stderr: () => stderr,
    stop: () => {
      controller.abort();
      return exit;
    },
  };
}

const signedCr = (server: string, cert: string, key: string, trusted: string, out: string) => [
  '-config',
  '',
  '-server',
  server,
  '-cert',
  cert,
  '-key',
  key,
  '-trusted',
  trusted,
  '-cmd',
  'cr',
  '-newkey',
  pki.newKeyPath,
  '-subject',
  '/CN=bootstrap',
  '-certout',
  file(out),
];

describe('server mode without -srv_trusted', () => {
  it('warns that it trusts only its throwaway CA, and accepts signed requests from certificates it issued but no others', async () => {
    const server = await serve(['-srv_ref', 'srv', '-srv_secret', `pass:${SECRET}`]);
    try {
      expect(server.stderr()).toContain(THROWAWAY_TRUST);
      expect(server.stderr()).not.toContain(NO_SIGNED_REQUESTS);

      const bootstrap = await cmpflow([
        '-config',
        '',
        '-server',
        server.url,
        '-ref',
        'device',
        '-secret',
        `pass:${SECRET}`,
        '-recipient',
        '/CN=CA',
        '-cmd',
        'ir',
        '-newkey',
        pki.newKeyPath,
        '-subject',
        '/CN=bootstrap',
        '-certout',
        file('bootstrap.pem'),
        '-cacertsout',
        file('throwaway-ca.pem'),
      ]);
      expect({ code: bootstrap.code, errors: bootstrap.errors }).toEqual({ code: 0, errors: [] });

      const fromItsCa = await cmpflow(signedCr(server.url, file('bootstrap.pem'), pki.newKeyPath, file('throwaway-ca.pem'), 'signed.pem'));
      expect({ code: fromItsCa.code, errors: fromItsCa.errors }).toEqual({ code: 0, errors: [] });

      const foreign = await cmpflow(signedCr(server.url, pki.client.certPath, pki.client.keyPath, file('throwaway-ca.pem'), 'foreign.pem'));
      expect(foreign.code).toBe(1);
      expect(foreign.errors).toEqual([expect.stringMatching(/signerNotTrusted|not acceptable/)]);
    } finally {
      expect(await server.stop()).toBe(0);
    }
  });

  it('with -rsp_cert, warns as OpenSSL does that it cannot handle signed requests, and refuses them', async () => {
    const run = await cmpflow([
      '-config',
      '',
      '-use_mock_srv',
      '-srv_cert',
      pki.server.certPath,
      '-srv_key',
      pki.server.keyPath,
      '-rsp_cert',
      pki.enrolled.certPath,
      '-cert',
      pki.client.certPath,
      '-key',
      pki.client.keyPath,
      '-trusted',
      pki.trustedPath,
      '-untrusted',
      pki.untrustedPath,
      '-cmd',
      'cr',
      '-newkey',
      pki.newKeyPath,
      '-subject',
      '/CN=refused',
      '-certout',
      file('refused.pem'),
    ]);
    expect(run.stderrLines).toContain(NO_SIGNED_REQUESTS);
    expect(run.stderr).not.toContain(THROWAWAY_TRUST);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/does not accept signature-based protection/)]);
  });
});
