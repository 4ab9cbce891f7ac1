/**
 * What the server issues and how it answers a well-behaved client: real certificates for the
 * requested key and subject under the CA's profile, answers protected like the request, polling,
 * implicit confirmation, key update, revocation and the CRL, transaction expiry and the size limit
 * of the transaction store.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CertificatePolicies,
  ExtendedKeyUsage,
  GeneralName,
  PolicyInformation,
  SubjectAlternativeName,
  SubjectPublicKeyInfo,
} from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { CertConfirmContent, CertStatus, PKIBody, PkixOids, PollReqContent, PollReqContentEntry, CmpOids } from '../../src/asn1';
import { getCryptoProvider, hashAlgorithmId } from '../../src/crypto';
import { buildRevReq } from '../../src/message/bodies';
import { extension } from '../../src/server/certificate-builder';
import { createCmpServer } from '../../src/server';
import { certConfBody, certRequestBody, enroll, exchange, newKey, type Auth } from './client-messages';
import { makeServer, PBM, pbmAs, SECRET, throwawayCa, verifyAnswer } from './fixtures';

const DAY = 86_400_000;
const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

describe('certificates the server issues', () => {
  it('certify the requested key and subject, are signed by the CA and carry the requested extensions', async () => {
    const server = await makeServer();
    const ca = await throwawayCa();
    const key = await newKey();
    const extensions = [
      extension(PkixOids.subjectAltName, false, new SubjectAlternativeName([new GeneralName({ dNSName: 'device.example' })])),
      extension(PkixOids.extKeyUsage, false, new ExtendedKeyUsage([PkixOids.idKpClientAuth])),
      extension(PkixOids.certificatePolicies, false, new CertificatePolicies([new PolicyInformation({ policyIdentifier: '1.3.6.1.4.1.99999.1' })])),
    ];
    const cert = await enroll(server, { key, subject: '/O=cmpflow/CN=device 1', extensions }, PBM);

    expect(cert.subject).toBe('O=cmpflow, CN=device 1');
    expect(cert.issuer).toBe(ca.ca.cert.subject);
    expect(Buffer.from(cert.publicKey.rawData)).toEqual(Buffer.from(key.spki));
    await expect(cert.verify({ publicKey: ca.ca.cert.publicKey, signatureOnly: true })).resolves.toBe(true);
    expect(cert.serialNumber).toHaveLength(32);
    expect(parseInt(cert.serialNumber.slice(0, 2), 16)).toBeLessThan(0x80);

    const san = cert.getExtension(x509.SubjectAlternativeNameExtension)!;
    expect(san.names.items.map((n) => n.value)).toEqual(['device.example']);
    expect(cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([PkixOids.idKpClientAuth]);
    expect(cert.getExtension(x509.CertificatePolicyExtension)!.policies).toEqual(['1.3.6.1.4.1.99999.1']);
    expect(cert.getExtension(x509.BasicConstraintsExtension)!.ca).toBe(false);
    const usage = cert.getExtension(x509.KeyUsagesExtension)!;
    expect(usage.critical).toBe(true);
    expect(usage.usages).toBe(x509.KeyUsageFlags.digitalSignature);

    const spki = AsnConvert.parse(key.spki, SubjectPublicKeyInfo);
    const expectedSki = createHash('sha1').update(new Uint8Array(spki.subjectPublicKey)).digest('hex');
    expect(cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId).toBe(expectedSki);
    const caSki = ca.ca.cert.getExtension(x509.SubjectKeyIdentifierExtension)!.keyId;
    expect(cert.getExtension(x509.AuthorityKeyIdentifierExtension)!.keyId).toBe(caSki);
  });

  it('get a fresh random serial number each', async () => {
    const server = await makeServer();
    const serials = new Set<string>();
    for (let i = 0; i < 5; i++)
      serials.add((await enroll(server, { key: await newKey(), subject: `/CN=serial ${i}` }, pbmAs(`serial ${i}`))).serialNumber);
    expect(serials.size).toBe(5);
  });

  it('end with the CA certificate at the latest, without counting as a modification', async () => {
    const server = await makeServer();
    const ca = await throwawayCa();
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=default validity' }), { auth: PBM });
    expect(answer.status).toBe(0);
    expect(answer.cert!.notAfter.getTime()).toBe(ca.ca.cert.notAfter.getTime());
  });

  it('are shortened to the policy maximum, answered grantedWithMods', async () => {
    const server = await makeServer({ policy: { maxValidityDays: 10 } });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=too long', days: 20 }), { auth: PBM });
    expect(answer.status).toBe(1);
    const cert = answer.cert!;
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBeLessThanOrEqual(10 * DAY);
    expect(cert.notAfter.getTime() - cert.notBefore.getTime()).toBeGreaterThan(10 * DAY - 2000);
  });
});

describe('answers are protected like the request', () => {
  it('PBMAC1 with PBMAC1, PasswordBasedMac with PasswordBasedMac, under the same secret', async () => {
    const server = await makeServer();
    const body = async () => certRequestBody({ key: await newKey(), subject: '/CN=mac' });
    const pbmac1 = await exchange(server, await body(), { auth: { kind: 'pbmac1', secret: SECRET, ref: 'client-1' } });
    expect(pbmac1.type).toBe('ip');
    await expect(verifyAnswer(pbmac1.msg)).resolves.toBe('pbmac1');
    const pbm = await exchange(server, await body(), { auth: PBM });
    await expect(verifyAnswer(pbm.msg)).resolves.toBe('pbm');
  });

  it('with the secret the senderKID refers to, echoing it as recipKID', async () => {
    const server = await makeServer({ secrets: [{ ref: 'device-7', secret: 'device 7 secret' }] });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=d7' }), {
      auth: { kind: 'pbm', secret: 'device 7 secret', ref: 'device-7' },
    });
    expect(answer.type).toBe('ip');
    await expect(verifyAnswer(answer.msg, 'device 7 secret')).resolves.toBe('pbm');
    expect(Buffer.from(answer.msg.header.recipKID!).toString()).toBe('device-7');
  });

  it('signatures with the server certificate, which with the CA chain is in extraCerts', async () => {
    const server = await makeServer();
    const ca = await throwawayCa();
    const key = await newKey();
    const cert = await enroll(server, { key, subject: '/CN=signer' }, PBM);
    const answer = await exchange(server, await certRequestBody({ type: 'cr', key: await newKey(), subject: '/CN=signer' }), {
      auth: { kind: 'signature', key, cert },
    });
    expect(answer.type).toBe('cp');
    await expect(verifyAnswer(answer.msg)).resolves.toBe('signature');
    expect(answer.msg.header.sender.directoryName).toBeDefined();
    const extra = answer.msg.extraCerts!.map((c) => hex(AsnConvert.serialize(c)));
    expect(extra).toEqual(expect.arrayContaining([hex(ca.server.cert.rawData), hex(ca.ca.cert.rawData)]));
  });

  it('with an ip to a MAC-protected ir carrying the root in caPubs', async () => {
    const server = await makeServer();
    const ca = await throwawayCa();
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=caPubs' }), { auth: PBM });
    expect(answer.msg.body.ip!.caPubs!.map((c) => hex(AsnConvert.serialize(c)))).toEqual([hex(ca.ca.cert.rawData)]);
  });
});

describe('confirmation', () => {
  it('is implicit when the client asks and the server grants it', async () => {
    const server = await makeServer({ grantImplicitConf: true });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=implicit' }), {
      auth: PBM,
      implicitConfirm: true,
    });
    expect(answer.msg.header.generalInfo?.map((i) => i.infoType)).toEqual([CmpOids.idItImplicitConfirm]);
    expect(server.state.ca!.issued[0]!.confirmed).toBe(true);
    expect(server.state.transactions.get(hex(answer.sent.transactionId))!.phase).toBe('done');
  });

  it('is expected explicitly when the server does not grant implicit confirmation', async () => {
    const server = await makeServer();
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=explicit' }), {
      auth: PBM,
      implicitConfirm: true,
    });
    expect(answer.msg.header.generalInfo).toBeUndefined();
    expect(server.state.transactions.get(hex(answer.sent.transactionId))!.phase).toBe('confirming');
  });

  async function certConfWithHashAlg(pvno: 2 | 3) {
    const server = await makeServer();
    const ip = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=hashAlg' }), { auth: PBM });
    const hash = await getCryptoProvider().digest('SHA-384', new Uint8Array(ip.cert!.rawData));
    const status = new CertStatus({ certHash: Uint8Array.from(hash).buffer, certReqId: 0n, hashAlg: hashAlgorithmId('SHA-384') });
    const body = new PKIBody({ certConf: new CertConfirmContent([status]) });
    return exchange(server, body, { auth: PBM, pvno, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
  }

  it('accepts a cmp2021 (pvno 3) certConf whose certHash uses the hash named in hashAlg', async () => {
    const answer = await certConfWithHashAlg(3);
    expect(answer.type).toBe('pkiconf');
    expect(answer.msg.header.pvno).toBe(3);
  });

  it('refuses hashAlg in a pvno 2 certConf: badRequest', async () => {
    expect((await certConfWithHashAlg(2)).failInfo).toEqual(['badRequest']);
  });

  it('that rejects the certificate gets it revoked', async () => {
    const server = await makeServer();
    const ip = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=unwanted' }), { auth: PBM });
    const conf = await certConfBody(ip.cert!, 0n, false);
    const done = await exchange(server, conf.body, { auth: PBM, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
    expect(done.type).toBe('pkiconf');
    const crl = new x509.X509Crl(await server.crl());
    expect(crl.entries.map((e) => e.serialNumber)).toEqual([ip.cert!.serialNumber]);
  });
});

describe('polling', () => {
  it('answers waiting, then pollRep with checkAfter until pollCount answers were given, then the certificate', async () => {
    const server = await makeServer({ pollCount: 3, checkAfter: 7 });
    const ir = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=patient' }), { auth: PBM });
    expect(ir.type).toBe('ip');
    expect(ir.status).toBe(3);
    expect(ir.cert).toBeUndefined();
    const poll = new PKIBody({ pollReq: new PollReqContent([new PollReqContentEntry({ certReqId: 0n })]) });
    let last = ir;
    const seen: string[] = [];
    for (let i = 0; i < 3; i++) {
      last = await exchange(server, poll, { auth: PBM, transactionId: ir.sent.transactionId, recipNonce: last.senderNonce });
      seen.push(last.type);
      if (last.type === 'pollRep') expect(last.msg.body.pollRep![0]!.checkAfter).toBe(7n);
    }
    expect(seen).toEqual(['pollRep', 'pollRep', 'ip']);
    expect(last.cert).toBeDefined();
    const conf = await certConfBody(last.cert!);
    const done = await exchange(server, conf.body, { auth: PBM, transactionId: ir.sent.transactionId, recipNonce: last.senderNonce });
    expect(done.type).toBe('pkiconf');
  });
});

describe('key update and revocation', () => {
  it('kur signed by the old certificate gets a certificate for the new key with the old subject and names', async () => {
    const server = await makeServer();
    const key = await newKey();
    const san = extension(PkixOids.subjectAltName, false, new SubjectAlternativeName([new GeneralName({ dNSName: 'kept.example' })]));
    const old = await enroll(server, { key, subject: '/CN=updated', extensions: [san] }, PBM);
    const newer = await newKey();
    const auth: Auth = { kind: 'signature', key, cert: old };
    const updated = await enroll(server, { type: 'kur', key: newer, oldCert: old }, auth);
    expect(updated.subject).toBe('CN=updated');
    expect(Buffer.from(updated.publicKey.rawData)).toEqual(Buffer.from(newer.spki));
    expect(updated.getExtension(x509.SubjectAlternativeNameExtension)!.names.items.map((n) => n.value)).toEqual(['kept.example']);
  });

  it('rr revokes, answers with the CertId, and the signed CRL lists the serial with its reason', async () => {
    const server = await makeServer();
    const ca = await throwawayCa();
    const key = await newKey();
    const cert = await enroll(server, { key, subject: '/CN=revoked' }, PBM);
    const answer = await exchange(server, new PKIBody({ rr: buildRevReq({ cert }, 1) }), { auth: { kind: 'signature', key, cert } });
    expect(answer.type).toBe('rp');
    expect(answer.status).toBe(0);
    expect(hex(answer.msg.body.rp!.revCerts![0]!.serialNumber)).toBe(cert.serialNumber);
    const crl = new x509.X509Crl(await server.crl());
    await expect(crl.verify({ publicKey: ca.ca.cert })).resolves.toBe(true);
    expect(crl.entries.map((e) => [e.serialNumber, e.reason])).toEqual([[cert.serialNumber, x509.X509CrlReason.keyCompromise]]);
  });
});

describe('the transaction store', () => {
  it('lets an unconfirmed transaction expire and revokes its certificate', async () => {
    let now = Date.now();
    const ca = await throwawayCa();
    const server = createCmpServer({ ...ca.serverConfig(), srvSecret: SECRET, transactionTimeoutMs: 60_000, now: () => new Date(now) });
    const ip = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=forgotten' }), { auth: PBM });
    now += 61_000;
    const conf = await certConfBody(ip.cert!);
    const late = await exchange(server, conf.body, { auth: PBM, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
    expect(late.failInfo).toEqual(['badRequest']);
    expect(server.state.ca!.record(ip.cert!.serialNumber)!.revocation).toBeDefined();
  });

  it('refuses new transactions when full of open ones, and makes room by dropping finished ones', async () => {
    const server = await makeServer({ maxTransactions: 2 });
    const open = [];
    for (const name of ['one', 'two'])
      open.push(await exchange(server, await certRequestBody({ key: await newKey(), subject: `/CN=${name}` }), { auth: pbmAs(name) }));
    const third = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=three' }), { auth: pbmAs('three') });
    expect(third.failInfo).toEqual(['systemUnavail']);
    const conf = await certConfBody(open[0]!.cert!);
    await exchange(server, conf.body, { auth: pbmAs('one'), transactionId: open[0]!.sent.transactionId, recipNonce: open[0]!.senderNonce });
    const fourth = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=four' }), { auth: pbmAs('four') });
    expect(fourth.type).toBe('ip');
    expect(server.state.transactions.size).toBe(2);
  });
});
