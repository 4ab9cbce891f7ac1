/**
 * Indirect proof of possession at the embedded CA (RFC 9810 section 5.2.8.3, RFC 4211 POPOPrivKey
 * subsequentMessage encrCert): the certificate goes out encrypted for the key it certifies, read here by
 * an independent implementation (`openssl cms -decrypt` for EnvelopedData with RSA-OAEP key transport and
 * ECDH key agreement; `openssl pkeyutl`/`openssl enc` for a cmp2000 client's EncryptedValue), and only a
 * certConf whose certHash matches the decrypted certificate confirms it; a wrong one is badPOP and the
 * certificate is revoked.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo } from '@peculiar/asn1-cms';
import { KeyUsageFlags, KeyUsagesExtension, X509Certificate } from '@peculiar/x509';
import { generateMlKemKey } from '../../src/crypto/ml-kem';
import { parseName } from '../../src/pki/names';
import { CertConfirmContent, CertStatus, PKIBody } from '../../src/asn1';
import { CmsOids, idData, openCertificate } from '../../src/cms';
import { encodePem } from '../../src/credentials';
import { getCryptoProvider, type KeySpec, type PrivateKeyHandle } from '../../src/crypto';
import { runOpenSsl } from '../support/openssl';
import { certConfBody, certRequestBody, exchange, type Auth } from './client-messages';
import { makeServer, PBM } from './fixtures';
import { createPrivateKey } from 'crypto';
import { buildCertReqMessages } from '../../src/message/cert-request';
import { CertReqMessages, POPOPrivKey, ProofOfPossession, SubsequentMessage } from '../../src/asn1';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-indirect-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function openssl(args: string[]): Promise<Buffer> {
  const run = await runOpenSsl(args, { cwd: dir });
  if (run.code !== 0) throw new Error(`openssl ${args.join(' ')}:\n${run.stderr}`);
  return Buffer.from(run.stdout);
}

async function keyFile(key: PrivateKeyHandle, name: string): Promise<string> {
  const file = path.join(dir, `${name}.key`);
  await fs.writeFile(file, encodePem('PRIVATE KEY', await getCryptoProvider().exportPrivateKey(key)));
  return file;
}

async function nodeKey(key: PrivateKeyHandle) {
  return createPrivateKey({ key: Buffer.from(await getCryptoProvider().exportPrivateKey(key)), format: 'der', type: 'pkcs8' });
}

const rsa: KeySpec = { type: 'rsa', modulusLength: 2048 };
const ec: KeySpec = { type: 'ec', curve: 'P-256' };

async function indirectRequest(server: Awaited<ReturnType<typeof makeServer>>, key: PrivateKeyHandle, popo: 2 | 3, subject: string, pvno: 2 | 3 = 3) {
  const answer = await exchange(server, await certRequestBody({ key, popo, subject }), { auth: PBM, pvno });
  expect({ type: answer.type, failInfo: answer.failInfo, text: answer.statusText }).toEqual({ type: 'ip', failInfo: [], text: '' });
  const pair = answer.msg.body.ip!.response[0]!.certifiedKeyPair!;
  expect(pair.certOrEncCert.certificate).toBeUndefined();
  return { answer, encrypted: pair.certOrEncCert.encryptedCert! };
}

async function confirm(
  server: Awaited<ReturnType<typeof makeServer>>,
  answer: Awaited<ReturnType<typeof exchange>>,
  cert: X509Certificate,
  auth: Auth = PBM,
) {
  const conf = await certConfBody(cert);
  return exchange(server, conf.body, { auth, pvno: 3, transactionId: answer.sent.transactionId, recipNonce: answer.senderNonce });
}

describe.each([
  ['keyEncipherment (popo 2) for an RSA key: RSA-OAEP key transport', rsa, 2 as const, 'ktri'],
  ['keyAgreement (popo 3) for an EC key: ECDH key agreement', ec, 3 as const, 'kari'],
])('%s', (name, spec, popo, recipient) => {
  it('returns the certificate in EnvelopedData that openssl cms -decrypt opens with the new key, and certConf confirms it', async () => {
    const server = await makeServer();
    const key = await getCryptoProvider().generateKey(spec);
    const { answer, encrypted } = await indirectRequest(server, key, popo, `/CN=indirect ${popo}`);
    const enveloped = encrypted.envelopedData!;
    expect(enveloped.recipientInfos[0]![recipient as 'ktri' | 'kari']).toBeDefined();
    expect(enveloped.encryptedContentInfo.contentType).toBe(idData);
    const tag = `env-${popo}`;
    const info = new ContentInfo({ contentType: CmsOids.envelopedData, content: AsnConvert.serialize(enveloped) });
    await fs.writeFile(path.join(dir, `${tag}.der`), Buffer.from(AsnConvert.serialize(info)));
    await openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', `${tag}.der`, '-inkey', await keyFile(key, tag), '-out', `${tag}.crt`]);
    const decrypted = await fs.readFile(path.join(dir, `${tag}.crt`));
    const cert = new X509Certificate(decrypted);
    expect(Buffer.from(cert.publicKey.rawData)).toEqual(Buffer.from(key.spki));
    expect(cert.subject).toBe(`CN=indirect ${popo}`);
    // cmpflow's own decryption gives the very same bytes.
    expect(Buffer.from(openCertificate(encrypted, { kind: 'privateKey', privateKey: await nodeKey(key) }))).toEqual(decrypted);
    const record = () => server.state.ca!.record(cert.serialNumber)!;
    expect(record().confirmed).toBe(false);
    const done = await confirm(server, answer, cert);
    expect(done.type).toBe('pkiconf');
    expect(record().confirmed).toBe(true);
  });
});

it('enrolls an ML-KEM-768 key (popo 2): the certificate comes in EnvelopedData with a KEMRecipientInfo, opened by decapsulation', async () => {
  const server = await makeServer();
  const kem = generateMlKemKey('ml-kem-768');
  const messages = await buildCertReqMessages({ certReqId: 0n, publicKey: kem.spki(), subject: parseName('/CN=ml-kem'), popo: 2 });
  const answer = await exchange(server, new PKIBody({ ir: messages }), { auth: PBM, pvno: 3 });
  expect({ type: answer.type, failInfo: answer.failInfo, text: answer.statusText }).toEqual({ type: 'ip', failInfo: [], text: '' });
  const encrypted = answer.msg.body.ip!.response[0]!.certifiedKeyPair!.certOrEncCert.encryptedCert!;
  expect(encrypted.envelopedData!.recipientInfos[0]!.ori!.oriType).toBe('1.2.840.113549.1.9.16.13.3');
  const cert = new X509Certificate(Buffer.from(openCertificate(encrypted, { kind: 'kem', key: kem })));
  expect(Buffer.from(cert.publicKey.rawData)).toEqual(Buffer.from(kem.spki()));
  // RFC 9935: an ML-KEM certificate's key usage is keyEncipherment alone.
  expect(cert.getExtension(KeyUsagesExtension)?.usages).toBe(KeyUsageFlags.keyEncipherment);
  expect((await confirm(server, answer, cert)).type).toBe('pkiconf');
  expect(server.state.ca!.record(cert.serialNumber)!.confirmed).toBe(true);
});

it('answers a cmp2000 (pvno 2) request for an RSA key with EncryptedValue, which openssl pkeyutl and enc decrypt', async () => {
  const server = await makeServer();
  const key = await getCryptoProvider().generateKey(rsa);
  const { encrypted } = await indirectRequest(server, key, 2, '/CN=encrypted value', 2);
  const value = encrypted.encryptedValue!;
  expect(encrypted.envelopedData).toBeUndefined();
  await fs.writeFile(path.join(dir, 'ev.key.bin'), Buffer.from(value.encSymmKey!));
  await fs.writeFile(path.join(dir, 'ev.value.bin'), Buffer.from(value.encValue));
  await openssl(['pkeyutl', '-decrypt', '-inkey', await keyFile(key, 'ev'), '-in', 'ev.key.bin', '-out', 'ev.symmetric']);
  const symmetric = await fs.readFile(path.join(dir, 'ev.symmetric'));
  expect(symmetric).toHaveLength(32);
  expect(value.symmAlg!.algorithm).toBe(CmsOids.aes256Cbc);
  const iv = Buffer.from(value.symmAlg!.parameters!).subarray(2);
  await openssl(['enc', '-d', '-aes-256-cbc', '-K', symmetric.toString('hex'), '-iv', iv.toString('hex'), '-in', 'ev.value.bin', '-out', 'ev.crt']);
  const decrypted = await fs.readFile(path.join(dir, 'ev.crt'));
  expect(Buffer.from(new X509Certificate(decrypted).publicKey.rawData)).toEqual(Buffer.from(key.spki));
  expect(Buffer.from(openCertificate(encrypted, { kind: 'privateKey', privateKey: await nodeKey(key) }))).toEqual(decrypted);
});

it('takes a certHash that is not the decrypted certificate as failed proof of possession (badPOP) and revokes the certificate', async () => {
  const server = await makeServer();
  const key = await getCryptoProvider().generateKey(ec);
  const { answer, encrypted } = await indirectRequest(server, key, 3, '/CN=no proof');
  const cert = new X509Certificate(Buffer.from(openCertificate(encrypted, { kind: 'privateKey', privateKey: await nodeKey(key) })));
  // A client that cannot decrypt can only guess the certificate's hash.
  const status = new CertStatus({ certHash: new Uint8Array(32).fill(7).buffer, certReqId: 0n });
  const done = await exchange(server, new PKIBody({ certConf: new CertConfirmContent([status]) }), {
    auth: PBM,
    pvno: 3,
    transactionId: answer.sent.transactionId,
    recipNonce: answer.senderNonce,
  });
  expect({ type: done.type, failInfo: done.failInfo }).toEqual({ type: 'error', failInfo: ['badPOP'] });
  const record = server.state.ca!.record(cert.serialNumber)!;
  expect(record.confirmed).toBe(false);
  expect(record.revocation).toBeDefined();
});

it('does not grant implicit confirmation after indirect proof of possession: only certConf proves it', async () => {
  const server = await makeServer({ grantImplicitConf: true });
  const key = await getCryptoProvider().generateKey(rsa);
  const answer = await exchange(server, await certRequestBody({ key, popo: 2, subject: '/CN=no implicit' }), {
    auth: PBM,
    pvno: 3,
    implicitConfirm: true,
  });
  expect(answer.type).toBe('ip');
  expect(answer.msg.header.generalInfo?.some((i) => i.infoType === '1.3.6.1.5.5.7.4.13') ?? false).toBe(false);
});

describe('refuses with badPOP', () => {
  it.each([
    ['keyAgreement for an RSA key', rsa, 3 as const],
    ['keyEncipherment for an EC key', ec, 2 as const],
  ])('%s', async (name, spec, popo) => {
    const server = await makeServer();
    const key = await getCryptoProvider().generateKey(spec);
    const messages = await buildCertReqMessages({ certReqId: 0n, publicKey: key.spki, popo: 1, popoKey: key });
    const privKey = new POPOPrivKey({ subsequentMessage: SubsequentMessage.encrCert });
    messages[0]!.popo = new ProofOfPossession(popo === 2 ? { keyEncipherment: privKey } : { keyAgreement: privKey });
    const answer = await exchange(server, new PKIBody({ ir: messages }), { auth: PBM, pvno: 3 });
    expect(answer.failInfo).toContain('badPOP');
  });

  it('the challenge-response variant (subsequentMessage challengeResp), which needs POPODecKeyChall', async () => {
    const server = await makeServer();
    const key = await getCryptoProvider().generateKey(rsa);
    const messages: CertReqMessages = await buildCertReqMessages({ certReqId: 0n, publicKey: key.spki, popo: 2 });
    messages[0]!.popo = new ProofOfPossession({ keyEncipherment: new POPOPrivKey({ subsequentMessage: SubsequentMessage.challengeResp }) });
    const answer = await exchange(server, new PKIBody({ ir: messages }), { auth: PBM, pvno: 3 });
    expect(answer.failInfo).toContain('badPOP');
  });
});
