/**
 * Protection against the real OpenSSL: messages protected here are accepted by the `openssl cmp`
 * mock server, its protected answers verify here, and so does every protected message of the
 * captured OpenSSL client/server exchanges.
 */
import * as path from 'node:path';
import type { X509Certificate } from '@peculiar/x509';
import { decodePkiMessage, encodePkiMessage, pkiBodyType, type PKIMessage } from '../../src/asn1';
import { loadCertificate, loadCertificates, loadPrivateKey } from '../../src/credentials';
import type { SignatureAlgorithm } from '../../src/crypto';
import { protectPkiMessage, verifyPkiMessageProtection, type ProtectionConfig } from '../../src/protection';
import { loadOpenSslCapture, type OpenSslCapture } from '../support/capture';
import { runOpenSsl, startMockServer, type MockServer } from '../support/openssl';
import { makeTestPki, type TestPki } from '../support/pki';
import { genmMessage, postPkiMessage, subjectKeyId } from './fixtures';

const utf8 = (s: string) => new TextEncoder().encode(s);

let pki: TestPki;

beforeAll(async () => {
  pki = await makeTestPki();
}, 120_000);

afterAll(async () => {
  await pki?.cleanup();
});

async function exchange(server: MockServer, der: Uint8Array): Promise<PKIMessage> {
  const response = decodePkiMessage(await postPkiMessage(server.url, der));
  if (pkiBodyType(response.body) !== 'genp') throw new Error(`expected genp, got ${pkiBodyType(response.body)}\n${server.log()}`);
  return response;
}

describe('PasswordBasedMac with the openssl cmp mock server', () => {
  const secret = utf8('interop shared secret');
  let server: MockServer;

  beforeAll(async () => {
    server = await startMockServer(['-srv_ref', 'cmpflow-mock', '-srv_secret', 'pass:interop shared secret'], { cwd: pki.dir });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.each<[string, Extract<ProtectionConfig, { kind: 'pbm' }>]>([
    ['OpenSSL defaults (SHA-256 OWF, HMAC-SHA1, 500 iterations)', { kind: 'pbm', secret }],
    [
      'SHA-512 OWF, HMAC-SHA256, 2000 iterations, 24 bytes of salt',
      { kind: 'pbm', secret, owf: 'SHA-512', mac: 'SHA-256', iterations: 2000, saltLength: 24 },
    ],
  ])('accepts our genm protected with %s and answers with a genp that verifies with the secret', async (_, config) => {
    const der = await protectPkiMessage(genmMessage({ sender: '/CN=cmpflow pbm client', senderKID: utf8('cmpflow-ref') }), config);
    const response = await exchange(server, der);
    await expect(verifyPkiMessageProtection(response, { secret, trusted: [], untrusted: [] })).resolves.toEqual({ kind: 'mac', algorithm: 'pbm' });
  });

  it('answers a genm MACed with another secret with an error, not a genp', async () => {
    const der = await protectPkiMessage(genmMessage({ sender: '/CN=cmpflow pbm client', senderKID: utf8('cmpflow-ref') }), {
      kind: 'pbm',
      secret: utf8('not the shared secret'),
    });
    const response = decodePkiMessage(await postPkiMessage(server.url, der));
    expect(pkiBodyType(response.body)).toBe('error');
  });

  it('its genp does not verify with another secret', async () => {
    const der = await protectPkiMessage(genmMessage({ sender: '/CN=cmpflow pbm client', senderKID: utf8('cmpflow-ref') }), { kind: 'pbm', secret });
    const response = await exchange(server, der);
    await expect(verifyPkiMessageProtection(response, { secret: utf8('not the secret'), trusted: [], untrusted: [] })).rejects.toMatchObject({
      code: 'ERR_PROTECTION_INVALID',
    });
  });
});

interface Signer {
  name: string;
  keyPath: string;
  certPath: string;
  algorithm?: SignatureAlgorithm;
}

/** Issues a signer certificate for a fresh key (`openssl genpkey` arguments) under the test intermediate. */
async function issueSigner(name: string, genpkey: string[]): Promise<Signer> {
  const run = async (args: string[]) => {
    const r = await runOpenSsl(args, { cwd: pki.dir });
    if (r.code !== 0) throw new Error(`openssl ${args.join(' ')}: ${r.stderr}`);
  };
  await run(['genpkey', ...genpkey, '-out', `${name}.key`]);
  await run([
    'req',
    '-new',
    '-config',
    'openssl.cnf',
    '-key',
    `${name}.key`,
    '-subj',
    `/O=cmpflow test/CN=cmpflow ${name} signer`,
    '-out',
    `${name}.csr`,
  ]);
  await run([
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    pki.intermediate.certPath,
    '-CAkey',
    pki.intermediate.keyPath,
    '-set_serial',
    String(Date.now()),
    '-days',
    '2',
    '-extfile',
    'openssl.cnf',
    '-extensions',
    'v3_signer',
    '-out',
    `${name}.crt`,
  ]);
  return { name, keyPath: path.join(pki.dir, `${name}.key`), certPath: path.join(pki.dir, `${name}.crt`) };
}

describe('signatures with the openssl cmp mock server', () => {
  let server: MockServer;
  let root: X509Certificate;
  let intermediate: X509Certificate;
  const signers: Signer[] = [];

  beforeAll(async () => {
    server = await startMockServer(
      [
        '-srv_cert',
        pki.server.certPath,
        '-srv_key',
        pki.server.keyPath,
        '-srv_trusted',
        pki.root.certPath,
        '-srv_untrusted',
        pki.intermediate.certPath,
      ],
      { cwd: pki.dir },
    );
    root = loadCertificate(pki.root.certPath);
    intermediate = loadCertificate(pki.intermediate.certPath);
    signers.push(
      { name: 'ECDSA P-256', keyPath: pki.client.keyPath, certPath: pki.client.certPath },
      { name: 'RSA PKCS#1 v1.5', keyPath: pki.rsaClient.keyPath, certPath: pki.rsaClient.certPath },
      { name: 'RSA-PSS', keyPath: pki.rsaClient.keyPath, certPath: pki.rsaClient.certPath, algorithm: { scheme: 'rsa-pss', hash: 'SHA-256' } },
      { ...(await issueSigner('p384', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-384'])), name: 'ECDSA P-384' },
      { ...(await issueSigner('p521', ['-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-521'])), name: 'ECDSA P-521' },
      { ...(await issueSigner('ed25519', ['-algorithm', 'ED25519'])), name: 'Ed25519' },
      { ...(await issueSigner('ed448', ['-algorithm', 'ED448'])), name: 'Ed448' },
    );
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  it.each(['ECDSA P-256', 'RSA PKCS#1 v1.5', 'RSA-PSS', 'ECDSA P-384', 'ECDSA P-521', 'Ed25519', 'Ed448'])(
    'accepts our genm signed with %s and answers with a genp whose signature and path validate',
    async (name) => {
      const signer = signers.find((s) => s.name === name)!;
      const cert = loadCertificate(signer.certPath);
      const key = await loadPrivateKey(signer.keyPath);
      const msg = genmMessage({ sender: cert, senderKID: subjectKeyId(cert), extraCerts: [cert, intermediate] });
      const der = await protectPkiMessage(msg, { kind: 'signature', key, cert, ...(signer.algorithm ? { algorithm: signer.algorithm } : {}) });
      const response = await exchange(server, der);
      const verified = await verifyPkiMessageProtection(response, { trusted: [root], untrusted: [] });
      expect(verified.kind).toBe('signature');
      if (verified.kind !== 'signature') return;
      expect(verified.signer.subject).toBe(loadCertificate(pki.server.certPath).subject);
      expect(verified.chain.map((c) => c.subject)).toEqual([verified.signer.subject, intermediate.subject, root.subject]);
    },
  );

  it('answers a genm whose signature does not verify with an error, not a genp', async () => {
    const cert = loadCertificate(pki.client.certPath);
    const key = await loadPrivateKey(pki.client.keyPath);
    const msg = genmMessage({ sender: cert, senderKID: subjectKeyId(cert), extraCerts: [cert, intermediate] });
    const der = await protectPkiMessage(msg, { kind: 'signature', key, cert });
    const tampered = decodePkiMessage(der);
    const signature = new Uint8Array(tampered.protection!);
    signature[signature.length - 1] ^= 0x01;
    tampered.protection = signature.buffer;
    const response = decodePkiMessage(await postPkiMessage(server.url, encodePkiMessage(tampered)));
    expect(pkiBodyType(response.body)).toBe('error');
  });
});

describe('the captured OpenSSL exchanges', () => {
  let capture: OpenSslCapture;

  beforeAll(async () => {
    capture = await loadOpenSslCapture();
  }, 120_000);

  it('every PBM-protected request and response verifies with the shared secret', async () => {
    const messages = capture.exchanges.filter((e) => e.protection === 'pbm').flatMap((e) => e.messages);
    expect(messages.length).toBeGreaterThan(10);
    for (const m of messages) {
      const verified = await verifyPkiMessageProtection(decodePkiMessage(m.der), { secret: utf8(capture.secret), trusted: [], untrusted: [] });
      expect({ file: path.basename(m.file), verified }).toEqual({ file: path.basename(m.file), verified: { kind: 'mac', algorithm: 'pbm' } });
    }
  });

  it('every signed request and response verifies with the test PKI, its signer found and its path validated', async () => {
    const trusted = loadCertificates(capture.files.root);
    const messages = capture.exchanges.filter((e) => e.protection === 'signature').flatMap((e) => e.messages);
    expect(messages.length).toBeGreaterThan(10);
    const signers = new Set<string>();
    for (const m of messages) {
      const verified = await verifyPkiMessageProtection(decodePkiMessage(m.der), { trusted, untrusted: [] });
      if (verified.kind !== 'signature') throw new Error(`${m.file} verified as ${verified.kind}`);
      expect(verified.chain[verified.chain.length - 1]!.subject).toBe(trusted[0]!.subject);
      signers.add(`${m.direction}: ${verified.signer.subject}`);
    }
    const subject = (file: string) => loadCertificate(file).subject;
    expect([...signers].sort()).toEqual(
      [
        `request: ${subject(capture.files.clientCert)}`,
        `request: ${subject(capture.files.enrolledCert)}`,
        `response: ${subject(capture.files.serverCert)}`,
      ].sort(),
    );
  });

  it('an unprotected message is reported as such', async () => {
    const messages = capture.exchanges.filter((e) => e.protection === 'none').flatMap((e) => e.messages);
    expect(messages.length).toBeGreaterThan(0);
    for (const m of messages) {
      await expect(
        verifyPkiMessageProtection(decodePkiMessage(m.der), { secret: utf8(capture.secret), trusted: [], untrusted: [] }),
      ).rejects.toMatchObject({
        code: 'ERR_PROTECTION_MISSING',
      });
    }
  });
});
