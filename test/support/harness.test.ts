import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import * as path from 'path';
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectKeyIdentifierExtension,
  AuthorityKeyIdentifierExtension,
  X509Certificate,
} from '@peculiar/x509';
import { liveOpenSslProcesses, opensslAvailable, runCmp, runOpenSsl, startMockServer } from './openssl';
import { makeTestPki, TestPki } from './pki';
import { captureOpenSslExchanges, loadOpenSslCapture } from './capture';

function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki.cleanup();
});

describe('openssl runner', () => {
  it('finds an OpenSSL 3 binary', async () => {
    expect(await opensslAvailable()).toBe(true);
  });

  it('returns the exit code and stderr of a failing command instead of throwing', async () => {
    const r = await runOpenSsl(['x509', '-in', '/nonexistent/cert.pem']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toMatch(/nonexistent|No such file/i);
  });

  it('feeds input on stdin', async () => {
    const r = await runOpenSsl(['x509', '-noout', '-subject'], { input: pki.root.certPem });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('cmpflow Test Root CA');
  });
});

describe('mock server', () => {
  it('listens on 127.0.0.1, lets the real client enroll with PBM, and is gone after stop()', async () => {
    const before = liveOpenSslProcesses();
    const server = await startMockServer(['-srv_ref', 'srv', '-srv_secret', 'pass:harness-secret', '-rsp_cert', pki.enrolled.certPath], {
      cwd: pki.dir,
    });
    expect(server.url).toBe(`http://127.0.0.1:${server.port}/pkix/`);
    expect(processExists(server.pid)).toBe(true);

    const certout = path.join(pki.dir, 'harness-new.pem');
    const r = await runCmp([
      '-server',
      `127.0.0.1:${server.port}/pkix/`,
      '-cmd',
      'ir',
      '-ref',
      'client',
      '-secret',
      'pass:harness-secret',
      '-newkey',
      pki.newKeyPath,
      '-subject',
      '/CN=harness',
      '-certout',
      certout,
    ]);
    expect(r.code).toBe(0);
    expect(await fs.readFile(certout, 'utf8')).toBe(pki.enrolled.certPem);
    expect(server.log()).toContain('POST /pkix/');

    await server.stop();
    expect(processExists(server.pid)).toBe(false);
    expect(liveOpenSslProcesses()).toBe(before);
    await server.stop(); // idempotent
  });

  it('does not outlive a test process that is killed outright', async () => {
    const script = [
      "const { startMockServer } = require('./test/support/openssl');",
      "startMockServer(['-srv_ref', 'srv', '-srv_secret', 'pass:x']).then((s) => console.log('PID=' + s.pid));",
      // The helper must live until it is killed: the server's handles are unref'd, and a helper that
      // ended by itself would take the server with it before the test could see it running.
      'setInterval(() => undefined, 60_000);',
    ].join('\n');
    const child = spawn(process.execPath, ['-r', 'ts-node/register/transpile-only', '-e', script], {
      cwd: path.resolve(__dirname, '../..'),
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    const pid = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout!.on('data', (b: Buffer) => {
        out += b.toString();
        const m = /PID=(\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`helper exited ${code} before starting the server`)));
    });
    expect(processExists(pid)).toBe(true);
    child.kill('SIGKILL');
    const deadline = Date.now() + 5_000;
    while (processExists(pid) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(processExists(pid)).toBe(false);
  });

  it('rejects with the server output when openssl refuses the options', async () => {
    await expect(startMockServer(['-no_such_option'])).rejects.toThrow(/no_such_option|exited/);
    expect(liveOpenSslProcesses()).toBe(0);
  });

  it('runs several servers side by side on distinct ports', async () => {
    const args = ['-srv_ref', 'srv', '-srv_secret', 'pass:x'];
    const servers = await Promise.all([startMockServer(args), startMockServer(args), startMockServer(args)]);
    expect(new Set(servers.map((s) => s.port)).size).toBe(3);
    await Promise.all(servers.map((s) => s.stop()));
    expect(servers.some((s) => processExists(s.pid))).toBe(false);
  });
});

describe('test PKI', () => {
  const parse = (pem: string): X509Certificate => new X509Certificate(pem);

  it('chains server, client, RSA client and enrolled certs to the root via the intermediate', async () => {
    const r = await runOpenSsl([
      'verify',
      '-CAfile',
      pki.trustedPath,
      '-untrusted',
      pki.untrustedPath,
      pki.server.certPath,
      pki.client.certPath,
      pki.rsaClient.certPath,
      pki.enrolled.certPath,
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/: OK/g)).toHaveLength(4);
  });

  it('marks CAs with critical basicConstraints and keyCertSign, and links key identifiers', () => {
    for (const ca of [pki.root, pki.intermediate]) {
      const cert = parse(ca.certPem);
      const bc = cert.getExtension(BasicConstraintsExtension)!;
      expect(bc.ca).toBe(true);
      expect(bc.critical).toBe(true);
      expect(cert.getExtension(KeyUsagesExtension)!.usages & KeyUsageFlags.keyCertSign).toBeTruthy();
    }
    const root = parse(pki.root.certPem);
    const inter = parse(pki.intermediate.certPem);
    const server = parse(pki.server.certPem);
    expect(inter.getExtension(AuthorityKeyIdentifierExtension)!.keyId).toBe(root.getExtension(SubjectKeyIdentifierExtension)!.keyId);
    expect(server.getExtension(AuthorityKeyIdentifierExtension)!.keyId).toBe(inter.getExtension(SubjectKeyIdentifierExtension)!.keyId);
    expect(server.issuer).toBe(inter.subject);
  });

  it('gives the server and client certs digitalSignature and no CA rights', () => {
    for (const e of [pki.server, pki.client, pki.rsaClient]) {
      const cert = parse(e.certPem);
      expect(cert.getExtension(BasicConstraintsExtension)!.ca).toBe(false);
      expect(cert.getExtension(KeyUsagesExtension)!.usages & KeyUsageFlags.digitalSignature).toBeTruthy();
    }
  });

  it('uses EC P-256 by default, RSA-2048 for rsaClient, and DER that matches the PEM', () => {
    expect(parse(pki.client.certPem).publicKey.algorithm).toMatchObject({ name: 'ECDSA', namedCurve: 'P-256' });
    expect(parse(pki.rsaClient.certPem).publicKey.algorithm).toMatchObject({ modulusLength: 2048 });
    expect(Buffer.from(pki.client.certDer)).toEqual(Buffer.from(parse(pki.client.certPem).rawData));
    expect(pki.chainPath.startsWith(pki.dir)).toBe(true);
  });

  it('gives each caller a private copy that cleanup() removes without touching others', async () => {
    const other = await makeTestPki();
    expect(other.dir).not.toBe(pki.dir);
    expect(other.root.certPem).toBe(pki.root.certPem);
    await other.cleanup();
    await expect(fs.access(other.dir)).rejects.toThrow();
    await expect(fs.access(pki.root.certPath)).resolves.toBeUndefined();
  });

  it('makes an all-RSA PKI on request', async () => {
    const rsa = await makeTestPki({ keyType: 'rsa' });
    try {
      expect(parse(rsa.server.certPem).publicKey.algorithm).toMatchObject({ name: 'RSASSA-PKCS1-v1_5', modulusLength: 2048 });
    } finally {
      await rsa.cleanup();
    }
  });
});

describe('captured OpenSSL exchanges', () => {
  const expected: Record<string, string[]> = {};
  const enroll = (req: string, rsp: string): string[] => [req, rsp, 'certConf', 'pkiconf'];
  for (const p of ['pbm', 'signature']) {
    expected[`ir-${p}`] = enroll('ir', 'ip');
    expected[`cr-${p}`] = enroll('cr', 'cp');
    expected[`p10cr-${p}`] = enroll('p10cr', 'cp');
    expected[`kur-${p}`] = enroll('kur', 'kup');
    expected[`rr-${p}`] = ['rr', 'rp'];
    expected[`genm-${p}`] = ['genm', 'genp'];
    expected[`poll-${p}`] = ['ir', 'ip', 'pollReq', 'pollRep', 'pollReq', 'ip', 'certConf', 'pkiconf'];
    expected[`error-${p}`] = ['ir', 'error'];
  }
  expected['rejection-pbm'] = ['ir', 'ip'];
  expected['ir-none'] = ['ir', 'ip'];
  expected['genm-none'] = ['genm', 'genp'];
  expected['error-none'] = ['ir', 'error'];

  it('covers every message type with PBM and signature protection', async () => {
    const exchanges = await captureOpenSslExchanges();
    const got = Object.fromEntries(exchanges.map((e) => [e.name, e.messages.map((m) => m.body)]));
    expect(got).toEqual(expected);
  });

  it('holds non-empty DER PKIMessages, alternating request and response, saved to the named files', async () => {
    for (const e of await captureOpenSslExchanges()) {
      expect(e.name.endsWith(`-${e.protection}`)).toBe(true);
      e.messages.forEach((m, i) => {
        expect(m.direction).toBe(i % 2 === 0 ? 'request' : 'response');
        expect(m.der.length).toBeGreaterThan(2);
        expect(m.der[0]).toBe(0x30);
      });
      for (const m of e.messages) expect((await fs.readFile(m.file)).equals(m.der)).toBe(true);
    }
  });

  it('protects PBM and signature exchanges and leaves the unprotected ones bare', async () => {
    const hasProtection = (der: Uint8Array): boolean => {
      // An unprotected PKIMessage ends after its body; OpenSSL adds protection [0] (0xA0) right after it.
      const skip = (at: number): number => {
        let len = der[at + 1];
        let start = at + 2;
        if (len & 0x80) {
          const n = len & 0x7f;
          len = 0;
          for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
          start += n;
        }
        return start + len;
      };
      const headerAt = der[1] & 0x80 ? 2 + (der[1] & 0x7f) : 2;
      const afterBody = skip(skip(headerAt));
      return der[afterBody] === 0xa0;
    };
    for (const e of await captureOpenSslExchanges()) {
      for (const m of e.messages) {
        expect({ name: e.name, body: m.body, protected: hasProtection(m.der) }).toEqual({
          name: e.name,
          body: m.body,
          protected: e.protection !== 'none',
        });
      }
    }
  });

  it('records the credentials needed to check the protection', async () => {
    const capture = await loadOpenSslCapture();
    expect(capture.secret.length).toBeGreaterThan(0);
    const f = capture.files;
    const r = await runOpenSsl(['verify', '-CAfile', f.root, '-untrusted', f.intermediate, f.serverCert, f.clientCert, f.enrolledCert]);
    expect(r.code).toBe(0);
    const rspCert = new X509Certificate(await fs.readFile(f.enrolledCert, 'utf8'));
    const ip = (await captureOpenSslExchanges()).find((e) => e.name === 'ir-pbm')!.messages[1].der;
    expect(Buffer.from(ip).includes(Buffer.from(rspCert.rawData))).toBe(true);
  });

  it('is memoised and leaves no openssl process running', async () => {
    const [a, b] = await Promise.all([captureOpenSslExchanges(), captureOpenSslExchanges()]);
    expect(a).toBe(b);
    expect(liveOpenSslProcesses()).toBe(0);
  });
});
