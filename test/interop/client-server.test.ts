/**
 * cmpflow's client against cmpflow's embedded CA, over HTTP on loopback: every transaction with
 * PBM, PBMAC1 and signatures, polling and implicit confirm, and the RFC 9480 general messages
 * with real values (caCerts, rootCaKeyUpdate, certReqTemplate, CRL update).
 */
import { X509Certificate, X509Crl } from '@peculiar/x509';
import { execFileSync } from 'child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { CmpClient } from '../../src/client';
import { getCryptoProvider, type PrivateKeyHandle } from '../../src/crypto';
import { encodePem } from '../../src/credentials';
import { CmpError } from '../../src/errors';
import type { CmpClientOptions } from '../../src/options';
import { createCmpServer, createThrowawayCa, listen, type CmpServerConfig, type ThrowawayCa } from '../../src/server';
import { CertTemplate, CertReqTemplateContent } from '../../src/asn1';
import { parseName } from '../../src/pki/names';
import { generateKey, issueCa } from '../pki/certificate-factory';

const REF = 'device-1';
const SECRET = 'client-server-secret';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => ca?.cleanup());

async function withCa<T>(extra: Partial<CmpServerConfig>, run: (url: string) => Promise<T>): Promise<T> {
  // The signed runs enroll a device name with a bootstrap certificate named otherwise, which the CA's
  // policy refuses unless the operator allows it.
  const policy = { signersMayRequestOtherNames: true };
  const server = createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }], policy, ...extra });
  const listener = await listen(server);
  try {
    return await run(listener.url);
  } finally {
    await listener.close();
  }
}

const newKey = () => getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });

async function enrolled(url: string): Promise<{ cert: X509Certificate; key: PrivateKeyHandle }> {
  const key = await newKey();
  const r = await new CmpClient({ server: url, ref: REF, secret: SECRET, trusted: [ca.ca.cert], newKey: key, subject: '/CN=bootstrap' }).ir();
  return { cert: r.certificate, key };
}

const protections: [string, (url: string) => Promise<CmpClientOptions>][] = [
  ['PBM', async (url) => ({ server: url, ref: REF, secret: SECRET, trusted: [ca.ca.cert] })],
  ['PBMAC1', async (url) => ({ server: url, ref: REF, secret: SECRET, macProtection: 'pbmac1', trusted: [ca.ca.cert] })],
  [
    'signature',
    async (url) => {
      const { cert, key } = await enrolled(url);
      return { server: url, cert, key, trusted: [ca.ca.cert] };
    },
  ],
];

describe.each(protections)('cmpflow client against the embedded CA with %s', (_name, base) => {
  it.each(['ir', 'cr'] as const)('%s issues a certificate for our key and subject, chaining to the CA', async (kind) => {
    await withCa({}, async (url) => {
      const key = await newKey();
      const r = await new CmpClient({
        ...(await base(url)),
        newKey: key,
        subject: '/CN=device-1/O=cmpflow test',
        sans: ['device-1.example', '192.0.2.7'],
        days: 10,
      }).certReq(kind);
      expect(r.certificate.subject).toBe('CN=device-1, O=cmpflow test');
      expect(Buffer.from(r.certificate.publicKey.rawData).equals(Buffer.from(key.spki))).toBe(true);
      expect(r.chain.map((c) => c.subject)).toEqual([r.certificate.subject, ca.ca.cert.subject]);
      expect(r.certificate.notAfter.getTime() - r.certificate.notBefore.getTime()).toBeLessThanOrEqual(10 * 86_400_000 + 120_000);
    });
  });

  it('p10cr issues a certificate for a PKCS#10 request', async () => {
    await withCa({}, async (url) => {
      const dir = mkdtempSync(join(tmpdir(), 'cmpflow-p10-'));
      try {
        execFileSync(
          'openssl',
          [
            'req',
            '-new',
            '-newkey',
            'ec',
            '-pkeyopt',
            'ec_paramgen_curve:P-256',
            '-nodes',
            '-keyout',
            join(dir, 'k.pem'),
            '-subj',
            '/CN=p10 device',
            '-out',
            join(dir, 'r.csr'),
          ],
          { stdio: 'pipe' },
        );
        const r = await new CmpClient({ ...(await base(url)), csr: join(dir, 'r.csr') }).p10cr();
        expect(r.certificate.subject).toBe('CN=p10 device');
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  it('kur updates a certificate to a new key, keeping its subject', async () => {
    await withCa({}, async (url) => {
      const old = await enrolled(url);
      const fresh = await newKey();
      const opts = await base(url);
      const r = await new CmpClient({
        ...opts,
        cert: old.cert,
        key: old.key,
        oldCert: old.cert,
        newKey: fresh,
        secret: undefined,
        ref: undefined,
        macProtection: undefined,
      }).kur();
      expect(r.certificate.subject).toBe(old.cert.subject);
      expect(Buffer.from(r.certificate.publicKey.rawData).equals(Buffer.from(fresh.spki))).toBe(true);
    });
  });

  it('genm returns the CA certificates', async () => {
    await withCa({}, async (url) => {
      const certs = await new CmpClient(await base(url)).getCaCerts();
      expect(certs.map((c) => c.subject)).toContain(ca.ca.cert.subject);
    });
  });
});

describe('the embedded CA with the cmpflow client: protocol features', () => {
  const pbm = (url: string, more: Partial<CmpClientOptions> = {}): CmpClientOptions => ({
    server: url,
    ref: REF,
    secret: SECRET,
    trusted: [ca.ca.cert],
    subject: '/CN=feature',
    ...more,
  });

  it('polls while the CA answers waiting, then confirms', async () => {
    await withCa({ pollCount: 3, checkAfter: 1 }, async (url) => {
      const started = Date.now();
      const r = await new CmpClient(pbm(url, { newKey: await newKey() })).ir();
      expect(r.polls).toBeGreaterThanOrEqual(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(1000);
    });
  });

  it('ends without certConf when implicit confirmation is granted', async () => {
    await withCa({ grantImplicitConf: true }, async (url) => {
      const r = await new CmpClient(pbm(url, { newKey: await newKey(), implicitConfirm: true })).ir();
      expect(r.implicitConfirmGranted).toBe(true);
    });
  });

  it('revokes a certificate with rr signed by that certificate, and the CRL update names it', async () => {
    await withCa({}, async (url) => {
      const victim = await enrolled(url);
      const r = await new CmpClient({
        server: url,
        cert: victim.cert,
        key: victim.key,
        oldCert: victim.cert,
        trusted: [ca.ca.cert],
        revReason: 1,
      }).rr();
      expect(r.statusName).toBe('accepted');
      const crl = await new CmpClient(pbm(url)).getCrlUpdate({ cert: victim.cert });
      expect(crl).toBeInstanceOf(X509Crl);
      expect(crl!.findRevoked(victim.cert)).not.toBeNull();
    });
  });

  it('refuses a second revocation of the same certificate', async () => {
    await withCa({}, async (url) => {
      const victim = await enrolled(url);
      const rr = () => new CmpClient({ server: url, cert: victim.cert, key: victim.key, oldCert: victim.cert, trusted: [ca.ca.cert] }).rr();
      await rr();
      const e = await rr().catch((err: unknown) => err);
      expect(e).toBeInstanceOf(CmpError);
      expect((e as CmpError).failInfo).toEqual(expect.arrayContaining(['certRevoked']));
    });
  });

  it('serves a root CA key update that the client authenticates with the old root', async () => {
    const oldRoot = await issueCa({ subject: 'CN=Old Root, O=cmpflow', key: await generateKey() });
    const newRoot = await issueCa({ subject: 'CN=New Root, O=cmpflow', key: await generateKey() });
    const newWithOld = await issueCa({ subject: 'CN=New Root, O=cmpflow', key: newRoot.key, issuer: oldRoot });
    await withCa({ rootCaKeyUpdate: { oldRoot: oldRoot.cert, newWithNew: newRoot.cert, newWithOld: newWithOld.cert } }, async (url) => {
      const update = await new CmpClient(pbm(url)).getRootCaUpdate(oldRoot.cert);
      expect(update!.newWithNew.equal(newRoot.cert)).toBe(true);
    });
  });

  it('serves the certificate request template', async () => {
    const template = new CertReqTemplateContent({ certTemplate: new CertTemplate({ subject: parseName('/O=cmpflow template') }) });
    await withCa({ certReqTemplate: template }, async (url) => {
      const got = await new CmpClient(pbm(url)).getCertReqTemplate();
      expect(got!.certTemplate.subject).toBeDefined();
    });
  });

  it('lets another client object resume a waiting enrollment once its poll is due', async () => {
    await withCa({ pollCount: 2, checkAfter: 30 }, async (url) => {
      const key = await newKey();
      const first = await new CmpClient(pbm(url, { newKey: key })).tryCertReq('ir');
      expect(first.status).toBe('waiting');
      if (first.status !== 'waiting') return;
      // A different client object, as after a restart, whose clock is past the 30 s wait.
      const done = await new CmpClient(pbm(url, { newKey: key, now: () => Date.now() + 31_000 })).resume(JSON.stringify(first.session));
      expect(done.certificate.subject).toBe('CN=feature');
    });
  });

  it('files written by the CA are readable PEM (throwaway CA)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'cmpflow-pem-'));
    try {
      writeFileSync(join(dir, 'ca.pem'), encodePem('CERTIFICATE', new Uint8Array(ca.ca.cert.rawData)));
      expect(execFileSync('openssl', ['x509', '-in', join(dir, 'ca.pem'), '-noout', '-subject'], { encoding: 'utf8' })).toMatch(/throwaway CA/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
