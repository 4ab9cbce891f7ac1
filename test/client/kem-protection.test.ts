/**
 * KEM-based MAC protection end to end (RFC 9810 section 5.1.3.4), cmpflow client against the
 * embedded CA over HTTP on loopback. A device first enrols an ML-KEM key (indirect POP, MAC-protected
 * ir); with that certificate and key as its only credential it then runs cr, kur, rr and genm: each
 * transaction starts with the unprotected genm asking for id-it-KemCiphertextInfo, and every later
 * message in both directions is protected with KemBasedMac keyed from the decapsulated secret.
 */
import { X509Certificate } from '@peculiar/x509';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import {
  CmpOids,
  decodeDer,
  decodePkiMessage,
  encodeDer,
  encodePkiMessage,
  KemBMParameter,
  KemCiphertextInfo,
  PKIHeader,
  PKIMessage,
  pkiBodyType,
  protectedPartBytes,
} from '../../src/asn1';
import { toArrayBuffer } from '../../src/bytes';
import { CmpClient } from '../../src/client';
import { encodePem } from '../../src/credentials';
import { getCryptoProvider, Oids } from '../../src/crypto';
import { generateMlKemKey, type MlKemPrivateKey } from '../../src/crypto/ml-kem';
import { createCmpServer, createThrowawayCa, listen, type CmpServer, type ThrowawayCa } from '../../src/server';
import type { CmpClientOptions } from '../../src/options';
import { createHttpTransfer, type Transfer } from '../../src/transport';
import { decapsulateKemCiphertext } from '../../src/protection/kem-ciphertext';
import { kemMacVerify } from '../../src/protection/kem-mac';

const SECRET = 'kem-protection-secret';
let ca: ThrowawayCa;
let stranger: ThrowawayCa;
const closers: (() => Promise<void>)[] = [];

beforeAll(async () => {
  [ca, stranger] = await Promise.all([createThrowawayCa(), createThrowawayCa({ caName: '/CN=stranger CA' })]);
});
afterAll(async () => {
  await Promise.all(closers.map((c) => c()));
  await ca?.cleanup();
  await stranger?.cleanup();
});

async function start(
  authority: ThrowawayCa = ca,
  extra: { pollCount?: number; checkAfter?: number; now?: () => Date } = {},
): Promise<{ server: CmpServer; url: string }> {
  // One MAC reference per device: a reference may only ever request its first subject.
  const secrets = ['kem device', 'kem updated', 'kem leaving', 'kem waiting', 'kem late', 'foreign device'].map((ref) => ({ ref, secret: SECRET }));
  const server = createCmpServer({ ...authority.serverConfig(), secrets, checkAfter: 0, ...extra });
  const listener = await listen(server);
  closers.push(() => listener.close());
  return { server, url: listener.url };
}

interface KemDevice {
  key: MlKemPrivateKey;
  certPem: string;
  keyPem: string;
}

/** An ML-KEM key certified by `url`'s CA the usual way: MAC-protected ir, indirect POP. */
async function enrolKemDevice(url: string, authority: ThrowawayCa, cn: string): Promise<KemDevice> {
  const key = generateMlKemKey('ml-kem-768');
  const keyPem = encodePem('PRIVATE KEY', key.pkcs8());
  const r = await new CmpClient({ server: url, ref: cn, secret: SECRET, trusted: [authority.ca.cert], newKey: keyPem, subject: `/CN=${cn}` }).ir();
  return { key, keyPem, certPem: r.certificate.toString('pem') };
}

/** Options of a device whose only credential is its KEM certificate and key. */
const kemOptions = (url: string, device: KemDevice): CmpClientOptions => ({
  server: url,
  cert: device.certPem,
  key: device.keyPem,
  trusted: [ca.ca.cert],
});

/** Every message both ways, decoded, with the transfer's answers passed through. */
function recorder(): { messages: PKIMessage[]; intercept: (send: Transfer) => Transfer } {
  const messages: PKIMessage[] = [];
  return {
    messages,
    intercept:
      (send: Transfer): Transfer =>
      async (der, options) => {
        messages.push(decodePkiMessage(der));
        const answer = await send(der, options);
        messages.push(decodePkiMessage(answer));
        return answer;
      },
  };
}

const bodies = (messages: PKIMessage[]) => messages.map((m) => pkiBodyType(m.body));
const protections = (messages: PKIMessage[]) => messages.map((m) => m.header.protectionAlg?.algorithm ?? 'none');

describe('KEM-based MAC protection between the client and the embedded CA', () => {
  let url: string;
  let server: CmpServer;
  let device: KemDevice;

  beforeAll(async () => {
    ({ server, url } = await start());
    device = await enrolKemDevice(url, ca, 'kem device');
  });

  it('cr: genm/genp for the ciphertext, then cr, cp, certConf and pkiConf all KemBasedMac under one transactionID', async () => {
    const { messages, intercept } = recorder();
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const r = await new CmpClient({ ...kemOptions(url, device), newKey, subject: '/CN=kem device', interceptTransfer: intercept }).cr();
    expect(r.certificate.subject).toBe('CN=kem device');
    expect(bodies(messages)).toEqual(['genm', 'genp', 'cr', 'cp', 'certConf', 'pkiconf']);
    const [genm, genp, ...rest] = messages;
    // The genm is unprotected and carries the KEM certificate; the genp is the CA's signed answer.
    expect(genm!.header.protectionAlg).toBeUndefined();
    expect(genm!.body.genm!.map((i) => [i.infoType, i.infoValue])).toEqual([[CmpOids.idItKemCiphertextInfo, undefined]]);
    expect(Buffer.from(new Uint8Array(genm!.extraCerts![0]!.tbsCertificate.subjectPublicKeyInfo.subjectPublicKey))).toEqual(
      Buffer.from(device.key.publicKey),
    );
    expect(genp!.header.protectionAlg!.algorithm).not.toBe(CmpOids.kemBasedMac);
    expect(protections(rest)).toEqual(rest.map(() => CmpOids.kemBasedMac));
    const tid = Buffer.from(genm!.header.transactionID!).toString('hex');
    expect(messages.every((m) => Buffer.from(m.header.transactionID!).toString('hex') === tid)).toBe(true);
    // The cr continues from the genp: it echoes the genp's senderNonce.
    expect(Buffer.from(rest[0]!.header.recipNonce!)).toEqual(Buffer.from(genp!.header.senderNonce!));
    expect(server.state.ca!.record(r.certificate.serialNumber)!.confirmed).toBe(true);
  });

  it('ir and p10cr: the same KEM exchange first, then the request and its answers KemBasedMac', async () => {
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const ir = recorder();
    const issued = await new CmpClient({ ...kemOptions(url, device), newKey, subject: '/CN=kem device', interceptTransfer: ir.intercept }).ir();
    expect(issued.certificate.subject).toBe('CN=kem device');
    expect(bodies(ir.messages)).toEqual(['genm', 'genp', 'ir', 'ip', 'certConf', 'pkiconf']);
    expect(protections(ir.messages.slice(2))).toEqual(ir.messages.slice(2).map(() => CmpOids.kemBasedMac));
    const { Pkcs10CertificateRequestGenerator } = await import('@peculiar/x509');
    const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
    const keys = await crypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
    const csr = (await Pkcs10CertificateRequestGenerator.create({ name: 'CN=kem device', keys, signingAlgorithm: algorithm })).toString('pem');
    const p10 = recorder();
    const fromCsr = await new CmpClient({ ...kemOptions(url, device), csr, interceptTransfer: p10.intercept }).p10cr();
    expect(fromCsr.certificate.subject).toBe('CN=kem device');
    expect(bodies(p10.messages)).toEqual(['genm', 'genp', 'p10cr', 'cp', 'certConf', 'pkiconf']);
    expect(protections(p10.messages.slice(2))).toEqual(p10.messages.slice(2).map(() => CmpOids.kemBasedMac));
  });

  it('central key generation: the CA encrypts the key it made to the KEM certificate (KEMRecipientInfo), which the client opens', async () => {
    const { messages, intercept } = recorder();
    const r = await new CmpClient({
      ...kemOptions(url, device),
      centralKeyGeneration: true,
      subject: '/CN=kem device',
      interceptTransfer: intercept,
    }).cr();
    expect(r.privateKey).toBeDefined();
    const recipient = messages[3]!.body.cp!.response[0]!.certifiedKeyPair!.privateKey!.envelopedData!.recipientInfos[0]!;
    expect(recipient.ori?.oriType).toBe('1.2.840.113549.1.9.16.13.3');
  });

  it('kur: the KEM certificate is the one updated, to a new ML-KEM key', async () => {
    const updating = await enrolKemDevice(url, ca, 'kem updated');
    const newKem = generateMlKemKey('ml-kem-768');
    const { messages, intercept } = recorder();
    const r = await new CmpClient({
      ...kemOptions(url, updating),
      newKey: encodePem('PRIVATE KEY', newKem.pkcs8()),
      interceptTransfer: intercept,
    }).kur();
    expect(r.certificate.subject).toBe('CN=kem updated');
    expect(Buffer.from(r.certificate.publicKey.rawData)).toEqual(Buffer.from(newKem.spki()));
    expect(bodies(messages).slice(0, 4)).toEqual(['genm', 'genp', 'kur', 'kup']);
  });

  it('genm: the CA certificates, the genp KemBasedMac-protected', async () => {
    const { messages, intercept } = recorder();
    const certs = await new CmpClient({ ...kemOptions(url, device), interceptTransfer: intercept }).getCaCerts();
    expect(certs?.map((c) => c.subject)).toContain(ca.ca.cert.subject);
    expect(bodies(messages)).toEqual(['genm', 'genp', 'genm', 'genp']);
    expect(protections(messages.slice(2))).toEqual([CmpOids.kemBasedMac, CmpOids.kemBasedMac]);
  });

  it('rr: the device revokes its own KEM certificate, which the CA then refuses for KEM exchanges (certRevoked)', async () => {
    const leaving = await enrolKemDevice(url, ca, 'kem leaving');
    await new CmpClient({ ...kemOptions(url, leaving), oldCert: leaving.certPem }).rr();
    expect(server.state.ca!.record(new X509Certificate(leaving.certPem).serialNumber)!.revocation).toBeDefined();
    await expect(new CmpClient(kemOptions(url, leaving)).getCaCerts()).rejects.toMatchObject({ failInfo: ['certRevoked'] });
  });

  it('a response whose KemBasedMac was altered is refused by the client (ERR_PROTECTION_INVALID)', async () => {
    const tamper =
      (send: Transfer): Transfer =>
      async (der, options) => {
        const answer = await send(der, options);
        const msg = decodePkiMessage(answer);
        if (msg.header.protectionAlg?.algorithm !== CmpOids.kemBasedMac) return answer;
        // The protection BIT STRING's last octet is the MAC's last octet.
        const bits = Buffer.from(new Uint8Array(msg.protection!)).toString('hex');
        const hex = Buffer.from(answer).toString('hex');
        const at = hex.lastIndexOf(bits) / 2 + bits.length / 2 - 1;
        const altered = Uint8Array.from(answer);
        altered[at] ^= 1;
        return altered;
      };
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    await expect(
      new CmpClient({ ...kemOptions(url, device), newKey, subject: '/CN=kem device', interceptTransfer: tamper }).cr(),
    ).rejects.toMatchObject({
      code: 'ERR_PROTECTION_INVALID',
    });
  });

  it('a request whose KemBasedMac was altered is refused by the CA (badMessageCheck)', async () => {
    const tamper =
      (send: Transfer): Transfer =>
      async (der, options) => {
        const msg = decodePkiMessage(der);
        if (msg.header.protectionAlg?.algorithm !== CmpOids.kemBasedMac) return send(der, options);
        const altered = Uint8Array.from(der);
        const bits = Buffer.from(new Uint8Array(msg.protection!)).toString('hex');
        altered[Buffer.from(der).toString('hex').lastIndexOf(bits) / 2] ^= 1;
        return send(altered, options);
      };
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const failure = new CmpClient({ ...kemOptions(url, device), newKey, subject: '/CN=kem device', interceptTransfer: tamper }).cr();
    await expect(failure).rejects.toMatchObject({ failInfo: expect.arrayContaining(['badMessageCheck']) });
  });

  describe.each([
    ['an unsupported KDF (HKDF with SHA-1 is no RFC 8619 OID)', { kdf: '1.2.840.113549.1.9.16.3.27' }, 'badAlg'],
    ['an unsupported MAC (hmacWithSHA1)', { mac: Oids.hmacWithSHA1 }, 'badAlg'],
    ['a key length above 64 octets', { len: 4096n }, 'badMessageCheck'],
    ['a kemContext above 1024 octets', { kemContext: new Uint8Array(2048).buffer }, 'badMessageCheck'],
  ] as const)('a cr whose KemBMParameter asks for %s', (_what, change, failInfo) => {
    it(`is refused by the CA (${failInfo}), whose error answer is KemBasedMac-protected all the same`, async () => {
      const { messages, intercept } = recorder();
      const rewrite =
        (send: Transfer): Transfer =>
        async (der, options) => {
          const msg = decodePkiMessage(der);
          if (!msg.body.cr) return send(der, options);
          const defaults = decodeDer(msg.header.protectionAlg!.parameters!, KemBMParameter);
          const params = new KemBMParameter({
            kdf: new AlgorithmIdentifier({ algorithm: 'kdf' in change ? change.kdf : defaults.kdf.algorithm }),
            ...('kemContext' in change ? { kemContext: change.kemContext } : {}),
            len: 'len' in change ? change.len : defaults.len,
            mac: new AlgorithmIdentifier({ algorithm: 'mac' in change ? change.mac : defaults.mac.algorithm }),
          });
          const header = new PKIHeader({
            ...msg.header,
            protectionAlg: new AlgorithmIdentifier({ algorithm: CmpOids.kemBasedMac, parameters: toArrayBuffer(encodeDer(params)) }),
          });
          return send(encodePkiMessage(new PKIMessage({ header, body: msg.body, protection: msg.protection! })), options);
        };
      const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
      const both = (send: Transfer) => intercept(rewrite(send));
      const failure = new CmpClient({ ...kemOptions(url, device), newKey, subject: '/CN=kem device', interceptTransfer: both }).cr();
      await expect(failure).rejects.toMatchObject({ failInfo: [failInfo] });
      expect(bodies(messages)).toEqual(['genm', 'genp', 'cr', 'error']);
      expect(messages[3]!.header.protectionAlg!.algorithm).toBe(CmpOids.kemBasedMac);
    });
  });

  it('the CA forgets a transaction’s shared secret after transactionTimeoutMs without a message (wrongIntegrity)', async () => {
    let skew = 0;
    const late = await start(ca, { now: () => new Date(Date.now() + skew) });
    const lateDevice = await enrolKemDevice(late.url, ca, 'kem late');
    // The cr arrives 301 s after the genp: the default transactionTimeoutMs is 300 s.
    const pause =
      (send: Transfer): Transfer =>
      async (der, options) => {
        if (decodePkiMessage(der).body.cr) skew = 301_000;
        return send(der, options);
      };
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const failure = new CmpClient({ ...kemOptions(late.url, lateDevice), newKey, subject: '/CN=kem late', interceptTransfer: pause }).cr();
    await expect(failure).rejects.toMatchObject({ failInfo: ['wrongIntegrity'] });
  });

  it('a KEM certificate past its notAfter is refused at the genm (signerNotTrusted), before any encapsulation', async () => {
    // The device's certificate ends with its CA's: a CA clock past both.
    const expiry = new X509Certificate(device.certPem).notAfter.getTime();
    const later = await start(ca, { now: () => new Date(expiry + 60_000) });
    const { messages, intercept } = recorder();
    const failure = new CmpClient({ ...kemOptions(later.url, device), interceptTransfer: intercept }).getCaCerts();
    await expect(failure).rejects.toMatchObject({ failInfo: expect.arrayContaining(['signerNotTrusted']) });
    expect(bodies(messages)).toEqual(['genm', 'error']);
  });

  it('a KEM certificate from a CA this one does not trust is refused at the genm (signerNotTrusted)', async () => {
    const { url: strangerUrl } = await start(stranger);
    const foreign = await enrolKemDevice(strangerUrl, stranger, 'foreign device');
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const { messages, intercept } = recorder();
    const failure = new CmpClient({ ...kemOptions(url, foreign), newKey, subject: '/CN=foreign device', interceptTransfer: intercept }).cr();
    await expect(failure).rejects.toMatchObject({ failInfo: expect.arrayContaining(['signerNotTrusted']) });
    expect(bodies(messages)).toEqual(['genm', 'error']);
  });

  it('someone repeating the KEM genm under the client’s transactionID (its certificate is public) breaks nothing: the client’s secret stays', async () => {
    const other = createHttpTransfer({ server: url });
    closers.push(async () => other.close());
    let genm: Uint8Array | undefined;
    const replies: (string | undefined)[] = [];
    const meddle =
      (send: Transfer): Transfer =>
      async (der, options) => {
        const msg = decodePkiMessage(der);
        if (msg.body.genm) genm = der;
        // Before the cr and again before the certConf: the CA then holds a second, unproven exchange.
        else replies.push(pkiBodyType(decodePkiMessage(await other(genm!, options)).body));
        return send(der, options);
      };
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const r = await new CmpClient({ ...kemOptions(url, device), newKey, subject: '/CN=kem device', interceptTransfer: meddle }).cr();
    expect(replies).toEqual(['genp', 'genp']);
    expect(server.state.ca!.record(r.certificate.serialNumber)!.confirmed).toBe(true);
  });

  it('a KemBasedMac request in a transaction without KEM exchange is refused (wrongIntegrity)', async () => {
    // The genm goes to this CA, the cr to another one, which never saw the KEM exchange.
    const other = await start();
    const toOther = createHttpTransfer({ server: other.url });
    closers.push(async () => toOther.close());
    const split =
      (send: Transfer): Transfer =>
      async (der, options) =>
        decodePkiMessage(der).body.genm ? send(der, options) : toOther(der, options);
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    await expect(
      new CmpClient({ ...kemOptions(url, device), newKey, subject: '/CN=kem device', interceptTransfer: split }).cr(),
    ).rejects.toMatchObject({
      failInfo: expect.arrayContaining(['wrongIntegrity']),
    });
  });
});

describe('the KEM shared secret stays out of sessions and inspection', () => {
  it('a waiting session and every inspection event hold no form of ss; resumed elsewhere with the KEM key, it finishes', async () => {
    const device = await enrolKemDevice((await start()).url, ca, 'kem waiting');
    // Another server of the same CA, which makes the cr wait once.
    const { url } = await start(ca, { pollCount: 2, checkAfter: 30 });
    const { messages, intercept } = recorder();
    const events: unknown[] = [];
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const options: CmpClientOptions = { ...kemOptions(url, device), newKey, subject: '/CN=kem waiting', interceptTransfer: intercept };
    const client = new CmpClient({ ...options, inspect: (event) => events.push(event) });
    const step = await client.tryCertReq('cr');
    await client.close();
    expect(step.status).toBe('waiting');
    // The shared secret as the device has it: decapsulated from the genp, and the cr's MAC verifies with it.
    const genp = messages.find((m) => m.body.genp)!;
    const ss = decapsulateKemCiphertext(device.key, decodeDer(new Uint8Array(genp.body.genp![0]!.infoValue!), KemCiphertextInfo));
    const cr = messages.find((m) => m.body.cr)!;
    expect(() =>
      kemMacVerify(cr.header.protectionAlg!, ss, new Uint8Array(cr.header.transactionID!), protectedPartBytes(cr), new Uint8Array(cr.protection!)),
    ).not.toThrow();
    const text = JSON.stringify([step, events], (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v));
    expect(events.length).toBeGreaterThan(10);
    for (const form of ['hex', 'base64', 'base64url'] as const) expect(text).not.toContain(Buffer.from(ss).toString(form));
    if (step.status !== 'waiting') return;
    // Resumed by another client: a new KEM exchange in the same transaction, then the poll gets the certificate.
    const sent = messages.length;
    const r = await new CmpClient({ ...options, now: () => Date.now() + 31_000 }).resume(JSON.stringify(step.session));
    expect(r.certificate.subject).toBe('CN=kem waiting');
    expect(bodies(messages.slice(sent))).toEqual(['genm', 'genp', 'pollReq', 'cp', 'certConf', 'pkiconf']);
    expect(protections(messages.slice(sent + 2))).toEqual(Array(4).fill(CmpOids.kemBasedMac));
  });
});
