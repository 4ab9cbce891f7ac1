/**
 * Every example of docs/api.md runs, as written, against the real `openssl cmp -port 0` mock
 * server and does what the guide says it does.
 */

import { spawn } from 'child_process';
import * as http from 'http';
import type { AddressInfo } from 'net';
import { createPrivateKey, sign } from 'crypto';
import { existsSync, readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { getCryptoProvider, type GeneralResult } from '../../src';
import * as asn1 from '../../src/entries/asn1';
import { withPkiMockServer, type MockServer } from '../support/openssl';
import { makeTestPki, type TestPki } from '../support/pki';
import { requestThenAbort } from '../../docs/examples/abort-waiting';
import { enrollThroughAxios } from '../../docs/examples/axios-transfer';
import { enrollThroughGateway } from '../../docs/examples/custom-transfer';
import { enrollWithPbm } from '../../docs/examples/enroll-with-pbm';
import { enrollWithSignature } from '../../docs/examples/enroll-with-signature';
import { enrollOrExplain } from '../../docs/examples/explain-failure';
import { askForKeyPairTypes, keyPairTypesOf, SIGN_KEY_PAIR_TYPES } from '../../docs/examples/general-message';
import { enrollWithDeviceKey, type SigningDevice } from '../../docs/examples/hsm-key';
import { enrollAndTrace } from '../../docs/examples/inspect-session';
import { enrollWithAudit } from '../../docs/examples/provide-actors';
import { enrollCheckingSubject } from '../../docs/examples/reject-certificate';
import { CrlReason, revoke } from '../../docs/examples/revoke';
import { startEnrollment, type Enrollment } from '../../docs/examples/try-and-resume';
import { updateKey } from '../../docs/examples/update-key';

const EXAMPLES = path.resolve(__dirname, '../../docs/examples');
const SECRET = 'docs-example-secret';

/** The examples this file runs; a new example must be added here to be tested. */
const EXERCISED = [
  'abort-waiting',
  'axios-transfer',
  'custom-transfer',
  'enroll-with-pbm',
  'enroll-with-signature',
  'explain-failure',
  'general-message',
  'hsm-key',
  'inspect-session',
  // Needs a SoftHSM2 token: run by test/pkcs11/token-enrollment.test.ts, which initialises one.
  'pkcs11-token',
  'provide-actors',
  'reject-certificate',
  'revoke',
  'try-and-resume',
  'update-key',
];

let pki: TestPki;
beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => {
  await pki?.cleanup();
});

/** The mock server with PBM and signature credentials, answering with pki.enrolled; `extra` adds options. */
const withServer = <T>(extra: string[], run: (server: MockServer) => Promise<T>): Promise<T> => withPkiMockServer(pki, SECRET, extra, run);

const enrollment = (server: MockServer, more: Partial<Enrollment> = {}): Enrollment => ({
  serverUrl: server.url,
  ref: 'docs-client',
  secret: SECRET,
  newKeyPath: pki.newKeyPath,
  subject: '/CN=docs example device',
  ...more,
});

const enrolledCert = () => new X509Certificate(readFileSync(pki.enrolled.certPath, 'utf8'));
const rootSubject = () => new X509Certificate(readFileSync(pki.trustedPath, 'utf8')).subject;

/** Runs an example's exported function in a fresh node process and returns what it printed. */
function runInChild(example: string, fn: string, ...args: unknown[]): Promise<unknown> {
  const child = spawn(
    process.execPath,
    [path.join(__dirname, 'fixtures', 'run-example.js'), path.join(EXAMPLES, `${example}.ts`), fn, ...args.map((a) => JSON.stringify(a))],
    { cwd: path.resolve(__dirname, '../..'), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(JSON.parse(stdout)) : reject(new Error(`${example}.${fn} exited ${code}: ${stderr}`))));
  });
}

it('runs every example that docs/examples holds', () => {
  const files = readdirSync(EXAMPLES)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.slice(0, -3))
    .sort();
  expect(files).toEqual([...EXERCISED].sort());
});

describe('enroll-with-pbm', () => {
  it('enrolls with ir under a shared secret and returns the certificate, its chain and the caPubs', async () => {
    await withServer([], async (server) => {
      const result = await enrollWithPbm(enrollment(server));
      expect(result.certificate.equal(enrolledCert())).toBe(true);
      expect(result.statusName).toBe('accepted');
      expect(result.caPubs.map((c) => c.subject)).toEqual([rootSubject()]);
      expect(result.chain[0]!.equal(enrolledCert())).toBe(true);
    });
  });
});

describe('enroll-with-signature', () => {
  it('enrolls with cr signed by an existing certificate', async () => {
    await withServer([], async (server) => {
      const result = await enrollWithSignature({
        serverUrl: server.url,
        certPath: pki.client.certPath,
        keyPath: pki.client.keyPath,
        untrustedPath: pki.untrustedPath,
        trustedPath: pki.trustedPath,
        newKeyPath: pki.newKeyPath,
        subject: '/CN=docs example device',
      });
      expect(result.certificate.equal(enrolledCert())).toBe(true);
      expect(result.chain.at(-1)!.subject).toBe(rootSubject());
    });
  });
});

describe('update-key', () => {
  it('updates the certificate with kur protected by itself, with implicit confirmation granted', async () => {
    await withServer(['-grant_implicitconf'], async (server) => {
      const result = await updateKey({
        serverUrl: server.url,
        certPath: pki.enrolled.certPath,
        keyPath: pki.newKeyPath,
        newKeyPath: pki.newKeyPath,
        untrustedPath: pki.untrustedPath,
        trustedPath: pki.trustedPath,
      });
      expect(result.certificate.equal(enrolledCert())).toBe(true);
      expect(result.implicitConfirmGranted).toBe(true);
    });
  });
});

describe('revoke', () => {
  it('revokes the certificate with rr signed by its own key', async () => {
    await withServer([], async (server) => {
      const result = await revoke({
        serverUrl: server.url,
        certPath: pki.enrolled.certPath,
        keyPath: pki.newKeyPath,
        untrustedPath: pki.untrustedPath,
        trustedPath: pki.trustedPath,
        reason: CrlReason.cessationOfOperation,
      });
      expect(result.statusName).toBe('accepted');
      expect(result.warning).toBeUndefined();
    });
  });
});

describe('general-message', () => {
  it('asks for signKeyPairTypes; the mock echoes the request, whose ITAV has no value', async () => {
    await withServer([], async (server) => {
      const answer = await askForKeyPairTypes({ serverUrl: server.url, ref: 'docs-client', secret: SECRET });
      expect(answer).toEqual({ infoTypes: [SIGN_KEY_PAIR_TYPES], algorithms: [] });
    });
  });

  it('decodes the algorithms of a signKeyPairTypes answer', () => {
    const ecPublicKey = '1.2.840.10045.2.1';
    const ed25519 = '1.3.101.112';
    const value = asn1.encodeInfoValue(
      new asn1.SignKeyPairTypesValue([new AlgorithmIdentifier({ algorithm: ecPublicKey }), new AlgorithmIdentifier({ algorithm: ed25519 })]),
    );
    const result: GeneralResult = { itavs: [{ infoType: SIGN_KEY_PAIR_TYPES, value: new Uint8Array(value) }], extraCerts: [] };
    expect(keyPairTypesOf(result)).toEqual([ecPublicKey, ed25519]);
  });
});

describe('try-and-resume', () => {
  // The other process compiles cmpflow's sources with ts-node before it resumes: allow for that.
  it('leaves a waiting session in a file, which another node process resumes, polls and confirms', async () => {
    await withServer(['-poll_count', '2', '-check_after', '1'], async (server) => {
      const sessionFile = path.join(pki.dir, 'waiting-session.json');
      const options = enrollment(server);
      const first = await startEnrollment(options, sessionFile);
      expect(first).toEqual({ status: 'waiting', checkAfter: 1 });
      const saved = readFileSync(sessionFile, 'utf8');
      expect(saved).not.toContain(SECRET);

      const finished = (await runInChild('try-and-resume', 'finishEnrollment', options, sessionFile)) as { certificate: string; polls: number };
      expect(finished.certificate).toBe(Buffer.from(enrolledCert().rawData).toString('base64'));
      expect(finished.polls).toBe(2);
      expect(existsSync(sessionFile)).toBe(false);
    });
  }, 90_000);
});

describe('abort-waiting', () => {
  it('ends a waiting enrollment at once instead of polling for minutes', async () => {
    await withServer(['-poll_count', '5', '-check_after', '120'], async (server) => {
      const started = Date.now();
      await expect(requestThenAbort(enrollment(server))).resolves.toBe('aborted');
      expect(Date.now() - started).toBeLessThan(10_000);
    });
  });
});

describe('reject-certificate', () => {
  it('confirms a certificate whose subject is the expected one', async () => {
    await withServer([], async (server) => {
      const subject = enrolledCert().subject;
      await expect(enrollCheckingSubject(enrollment(server), subject)).resolves.toEqual({ accepted: true, subject });
    });
  });

  it('rejects any other with a negative certConf and reports ERR_CERT_REJECTED_BY_CLIENT', async () => {
    await withServer([], async (server) => {
      const outcome = await enrollCheckingSubject(enrollment(server), 'CN=docs example device');
      expect(outcome).toMatchObject({ accepted: false, failInfo: ['badCertTemplate'] });
    });
  });
});

describe('explain-failure', () => {
  it('succeeds quietly', async () => {
    await withServer([], async (server) => {
      await expect(enrollOrExplain(enrollment(server))).resolves.toBeUndefined();
    });
  });

  it("reports the CA's rejection with its failInfo and statusString", async () => {
    await withServer(['-pkistatus', '2', '-failure', '5', '-statusstring', 'not today'], async (server) => {
      await expect(enrollOrExplain(enrollment(server))).resolves.toEqual({
        code: 'ERR_REQUEST_REJECTED',
        advice: 'the CA refused the request: see failInfo and statusString',
        failInfo: ['badDataFormat'],
        statusString: ['not today'],
      });
    });
  });

  it('tells a wrong secret from a rejection', async () => {
    await withServer([], async (server) => {
      await expect(enrollOrExplain(enrollment(server, { secret: 'not the secret' }))).resolves.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
    });
  });
});

describe('custom-transfer', () => {
  /** A stand-in for an API gateway: records the API key of each request and forwards it to the CA. */
  async function withGateway<T>(target: string, run: (url: string, keys: (string | undefined)[]) => Promise<T>): Promise<T> {
    const keys: (string | undefined)[] = [];
    const gateway = http.createServer((req, res) => {
      keys.push(req.headers['x-api-key'] as string | undefined);
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        // The OpenSSL mock reads a Content-Length body only, so the request is forwarded whole.
        const body = Buffer.concat(chunks);
        const headers = { 'content-type': 'application/pkixcmp', 'content-length': body.length };
        const upstream = http.request(target, { method: 'POST', headers, agent: false }, (answer) => {
          res.writeHead(answer.statusCode ?? 502, { 'content-type': 'application/pkixcmp' });
          answer.pipe(res);
        });
        upstream.end(body);
      });
    });
    await new Promise<void>((resolve) => gateway.listen(0, '127.0.0.1', resolve));
    try {
      return await run(`http://127.0.0.1:${(gateway.address() as AddressInfo).port}/pkix/`, keys);
    } finally {
      await new Promise((resolve) => gateway.close(resolve));
    }
  }

  it('enrolls through the gateway transfer, which sends ir then certConf, each with the API key', async () => {
    await withServer([], async (server) => {
      await withGateway(server.url, async (url, keys) => {
        const { result, sent } = await enrollThroughGateway(enrollment(server, { serverUrl: url }), 'key-123');
        expect(result.certificate.equal(enrolledCert())).toBe(true);
        expect(sent).toEqual(['ir', 'certConf']);
        expect(keys).toEqual(['key-123', 'key-123']);
      });
    });
  });
});

describe('axios-transfer', () => {
  it("enrolls through the application's axios instance, whose interceptor sees the ir and the certConf", async () => {
    await withServer([], async (server) => {
      const { result, sent } = await enrollThroughAxios(enrollment(server), 'key-123');
      expect(result.certificate.equal(enrolledCert())).toBe(true);
      expect(sent).toHaveLength(2);
      for (const bytes of sent) expect(bytes).toBeGreaterThan(100);
    });
  });
});

describe('provide-actors', () => {
  it('runs the machine with an audited exchangeMessage actor to a confirmed certificate', async () => {
    await withServer([], async (server) => {
      const { output, audit } = await enrollWithAudit(enrollment(server));
      expect(output.outcome).toBe('confirmed');
      expect(output.certificate?.certificate).toBe(Buffer.from(enrolledCert().rawData).toString('base64'));
      expect(audit.map((a) => a.bodyType)).toEqual(['ir', 'certConf']);
      for (const entry of audit) {
        expect(entry.sentBytes).toBeGreaterThan(0);
        expect(entry.receivedBytes).toBeGreaterThan(0);
      }
    });
  });
});

describe('provide-actors, with a key the CA did not certify', () => {
  it('fails with ERR_PUBLIC_KEY_MISMATCH, since the machine input names the key asked for', async () => {
    await withServer([], async (server) => {
      // The mock always answers with pki.enrolled, which is not for the client's key.
      const { output } = await enrollWithAudit(enrollment(server, { newKeyPath: pki.client.keyPath }));
      expect(output.outcome).toBe('failed');
      expect(output.error?.code).toBe('ERR_PUBLIC_KEY_MISMATCH');
    });
  });
});

describe('hsm-key', () => {
  it('protects a cr with a key only the signing device holds, and leaves the crypto provider as it was', async () => {
    await withServer([], async (server) => {
      const deviceKey = createPrivateKey(pki.client.keyPem);
      const signed: string[] = [];
      const device: SigningDevice = {
        label: 'test device',
        async sign(hash, data) {
          signed.push(hash);
          return new Uint8Array(sign(hash.replace('-', '').toLowerCase(), data, { key: deviceKey, dsaEncoding: 'der' }));
        },
      };
      const before = getCryptoProvider();
      const result = await enrollWithDeviceKey(
        {
          serverUrl: server.url,
          certPath: pki.client.certPath,
          untrustedPath: pki.untrustedPath,
          trustedPath: pki.trustedPath,
          newKeyPath: pki.newKeyPath,
          subject: '/CN=docs example device',
        },
        device,
      );
      expect(result.certificate.equal(enrolledCert())).toBe(true);
      // The cr and the certConf were protected by the device.
      expect(signed).toEqual(['SHA-256', 'SHA-256']);
      expect(getCryptoProvider()).toBe(before);
    });
  });
});

describe('inspect-session', () => {
  it('traces the states of the enrollment, and the events it saw carry no secret', async () => {
    await withServer([], async (server) => {
      const { states, events } = await enrollAndTrace(enrollment(server));
      expect(states).toEqual([
        'requesting.building',
        'requesting.sending',
        'requesting.checking',
        'accepting',
        'confirming.building',
        'confirming.sending',
        'confirming.checking',
        'confirmed',
      ]);
      expect(JSON.stringify(events)).not.toContain(SECRET);
    });
  });
});
