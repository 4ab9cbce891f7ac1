/**
 * Requests the server must refuse, each with the PKIFailureInfo RFC 9810 / RFC 9483 name for the
 * problem, in a protected error message, and without disturbing other transactions.
 */
import { BasicConstraints, KeyUsage, KeyUsageFlags, NameConstraints } from '@peculiar/asn1-x509';
import { PKIBody, PkixOids, PollReqContent, PollReqContentEntry, readDer, nodeBytes, RevDetails, RevReqContent, CertTemplate } from '../../src/asn1';
import { encodeTlv } from '../../src/asn1/der';
import { buildErrorMsg, buildRevReq } from '../../src/message/bodies';
import { extension } from '../../src/server/certificate-builder';
import { createThrowawayCa } from '../../src/server';
import { buildRequest, certConfBody, certRequestBody, enroll, exchange, newKey, readAnswer, type Auth } from './client-messages';
import { makeServer, PBM, pbmAs, SECRET, throwawayCa, verifyAnswer } from './fixtures';

describe('the server refuses a reused transactionID', () => {
  it('when the same ir is sent again once the transaction went on (replay): transactionIdInUse', async () => {
    const server = await makeServer();
    const sent = await buildRequest(await certRequestBody({ key: await newKey(), subject: '/CN=replay' }), { auth: PBM });
    const answer = readAnswer(await server.handle(sent.der));
    expect(answer.type).toBe('ip');
    // Right away, the same message is a retransmission and gets the same answer (retransmission.test.ts);
    // after the certConf it is a replay.
    const conf = await certConfBody(answer.cert!);
    const done = await exchange(server, conf.body, { auth: PBM, pvno: conf.pvno, transactionId: sent.transactionId, recipNonce: answer.senderNonce });
    expect(done.type).toBe('pkiconf');
    const replay = readAnswer(await server.handle(sent.der));
    expect(replay.type).toBe('error');
    expect(replay.failInfo).toEqual(['transactionIdInUse']);
  });

  it('for a new ir in a running transaction, which then still completes', async () => {
    const server = await makeServer();
    const first = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=first' }), { auth: PBM });
    const intruder = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=second' }), {
      auth: PBM,
      transactionId: first.sent.transactionId,
    });
    expect(intruder.failInfo).toEqual(['transactionIdInUse']);
    const conf = await certConfBody(first.cert!);
    const done = await exchange(server, conf.body, { auth: PBM, transactionId: first.sent.transactionId, recipNonce: first.senderNonce });
    expect(done.type).toBe('pkiconf');
  });

  it('for a new ir in a finished transaction', async () => {
    const server = await makeServer();
    const first = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=done' }), { auth: PBM });
    const conf = await certConfBody(first.cert!);
    await exchange(server, conf.body, { auth: PBM, transactionId: first.sent.transactionId, recipNonce: first.senderNonce });
    const again = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=again' }), {
      auth: PBM,
      transactionId: first.sent.transactionId,
    });
    expect(again.failInfo).toEqual(['transactionIdInUse']);
  });
});

describe('the server refuses mis-protected requests', () => {
  it('with a wrong shared secret: badMessageCheck, answered under the server secret', async () => {
    const server = await makeServer();
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=x' }), {
      auth: { kind: 'pbm', secret: 'wrong' },
    });
    expect(answer.type).toBe('error');
    expect(answer.failInfo).toEqual(['badMessageCheck']);
    await expect(verifyAnswer(answer.msg, SECRET)).resolves.toBe('pbm');
    expect(server.state.ca!.issued).toHaveLength(0);
  });

  it('signed by a certificate no trusted certificate vouches for: signerNotTrusted, answered with a signature', async () => {
    const server = await makeServer();
    const foreign = await createThrowawayCa({ caName: '/CN=foreign CA' });
    const auth: Auth = { kind: 'signature', key: foreign.server.key, cert: foreign.server.cert };
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=x' }), { auth });
    expect(answer.failInfo).toEqual(['signerNotTrusted']);
    await expect(verifyAnswer(answer.msg)).resolves.toBe('signature');
  });

  it('signed by a certificate whose path breaks the verification parameters (OpenSSL applies them to -srv_trusted): signerNotTrusted', async () => {
    const foreign = await createThrowawayCa({ caName: '/CN=parameters CA' });
    const auth: Auth = { kind: 'signature', key: foreign.server.key, cert: foreign.server.cert };
    const request = async () => certRequestBody({ key: await newKey(), subject: '/CN=x' });
    const lenient = await makeServer({ srvTrusted: [foreign.ca.cert], srvVerification: { policies: ['1.2.3'] } });
    // Past the protection check, an ir from a foreign certificate is refused for what it asks.
    expect((await exchange(lenient, await request(), { auth })).failInfo).toEqual(['notAuthorized']);
    const strict = await makeServer({ srvTrusted: [foreign.ca.cert], srvVerification: { policies: [], explicitPolicy: true } });
    expect((await exchange(strict, await request(), { auth })).failInfo).toEqual(['signerNotTrusted']);
  });

  it('MAC-protected when the server holds no secret: wrongIntegrity', async () => {
    const server = await makeServer({ srvSecret: undefined });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=x' }), { auth: PBM });
    expect(answer.failInfo).toEqual(['wrongIntegrity']);
  });

  it('without protection: badMessageCheck, unless acceptUnprotected', async () => {
    const body = await certRequestBody({ key: await newKey(), subject: '/CN=x' });
    const strict = await exchange(await makeServer(), body, { auth: { kind: 'none' } });
    expect(strict.failInfo).toEqual(['badMessageCheck']);
    await expect(verifyAnswer(strict.msg)).resolves.toBe('signature');
    const lenient = await exchange(await makeServer({ acceptUnprotected: true }), body, { auth: { kind: 'none' } });
    expect(lenient.type).toBe('ip');
  });

  it('signed with a certificate this CA has revoked: certRevoked', async () => {
    const server = await makeServer();
    const key = await newKey();
    const cert = await enroll(server, { key, subject: '/CN=to be revoked' }, PBM);
    const auth: Auth = { kind: 'signature', key, cert };
    const revoked = await exchange(server, new PKIBody({ rr: buildRevReq({ cert }, 1) }), { auth });
    expect(revoked.type).toBe('rp');
    const answer = await exchange(server, await certRequestBody({ type: 'cr', key: await newKey(), subject: '/CN=after' }), { auth });
    expect(answer.failInfo).toEqual(['certRevoked']);
  });
});

describe('the server refuses malformed requests', () => {
  it('bytes that are no DER: badDataFormat, unprotected as nothing tells how to protect', async () => {
    const server = await makeServer();
    const answer = readAnswer(await server.handle(Uint8Array.of(0x30, 0x82, 0xff, 0xff, 1, 2, 3)));
    expect(answer.type).toBe('error');
    expect(answer.failInfo).toEqual(['badDataFormat']);
    expect(answer.msg.protection).toBeUndefined();
  });

  it('a readable header with a broken body: badDataFormat, protected as the header says, nonces echoed', async () => {
    const server = await makeServer();
    const sent = await buildRequest(await certRequestBody({ key: await newKey(), subject: '/CN=x' }), { auth: PBM });
    const root = readDer(sent.der);
    const [header, , protection] = root.children!;
    const brokenBody = Uint8Array.of(0xa0, 0x05, 0x30, 0x03, 0x02, 0x01, 0x05);
    const broken = encodeTlv(0x30, nodeBytes(sent.der, header!), brokenBody, nodeBytes(sent.der, protection!));
    const answer = readAnswer(await server.handle(broken));
    expect(answer.failInfo).toEqual(['badDataFormat']);
    await expect(verifyAnswer(answer.msg)).resolves.toBe('pbm');
    expect(Buffer.from(answer.msg.header.recipNonce!)).toEqual(Buffer.from(sent.senderNonce));
    expect(Buffer.from(answer.msg.header.transactionID!)).toEqual(Buffer.from(sent.transactionId));
  });

  it('an unsupported pvno: unsupportedVersion, answered with pvno 2', async () => {
    const server = await makeServer({ pvnos: [2] });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=x' }), { auth: PBM, pvno: 3 });
    expect(answer.failInfo).toEqual(['unsupportedVersion']);
    expect(answer.msg.header.pvno).toBe(2);
  });

  it('a short senderNonce: badSenderNonce', async () => {
    const server = await makeServer();
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=x' }), {
      auth: PBM,
      senderNonce: Uint8Array.of(1, 2, 3),
    });
    expect(answer.failInfo).toEqual(['badSenderNonce']);
  });

  it('a body a server never receives (ip): badRequest', async () => {
    const server = await makeServer();
    const answer = await exchange(server, new PKIBody({ pkiconf: null }), { auth: PBM });
    expect(answer.failInfo).toEqual(['badRequest']);
  });
});

describe('the server checks the proof of possession', () => {
  it('signed with another key than the one to certify: badPOP', async () => {
    const server = await makeServer();
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), popoKey: await newKey(), subject: '/CN=x' }), { auth: PBM });
    expect(answer.failInfo).toEqual(['badPOP']);
    expect(server.state.ca!.issued).toHaveLength(0);
  });

  it('missing: badPOP', async () => {
    const answer = await exchange(await makeServer(), await certRequestBody({ key: await newKey(), popo: -1, subject: '/CN=x' }), { auth: PBM });
    expect(answer.failInfo).toEqual(['badPOP']);
  });

  it('raVerified: badPOP unless acceptRaVerified', async () => {
    const body = await certRequestBody({ key: await newKey(), popo: 0, subject: '/CN=x' });
    expect((await exchange(await makeServer(), body, { auth: PBM })).failInfo).toEqual(['badPOP']);
    expect((await exchange(await makeServer({ acceptRaVerified: true }), body, { auth: PBM })).type).toBe('ip');
  });
});

describe('the server holds templates to its profile', () => {
  const refused = async (spec: Parameters<typeof certRequestBody>[0]) => {
    const answer = await exchange(await makeServer(), await certRequestBody(spec), { auth: PBM });
    return answer.failInfo;
  };

  it('refuses an extension outside the profile', async () => {
    const nc = extension('2.5.29.30', true, new NameConstraints({}));
    expect(await refused({ key: await newKey(), subject: '/CN=x', extensions: [nc] })).toEqual(['badCertTemplate']);
  });

  it('refuses a CA certificate and CA key usages', async () => {
    const ca = extension(PkixOids.basicConstraints, true, new BasicConstraints({ cA: true }));
    expect(await refused({ key: await newKey(), subject: '/CN=x', extensions: [ca] })).toEqual(['badCertTemplate']);
    const ku = extension(PkixOids.keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign));
    expect(await refused({ key: await newKey(), subject: '/CN=x', extensions: [ku] })).toEqual(['badCertTemplate']);
  });

  it('refuses a key usage that does not fit the key (keyEncipherment for EC)', async () => {
    const ku = extension(PkixOids.keyUsage, true, new KeyUsage(KeyUsageFlags.keyEncipherment));
    expect(await refused({ key: await newKey(), subject: '/CN=x', extensions: [ku] })).toEqual(['badCertTemplate']);
  });

  it('refuses the same extension twice', async () => {
    const ku = extension(PkixOids.keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature));
    expect(await refused({ key: await newKey(), subject: '/CN=x', extensions: [ku, ku] })).toEqual(['badCertTemplate']);
  });

  it('refuses a template naming another issuer', async () => {
    expect(await refused({ key: await newKey(), subject: '/CN=x', issuer: '/CN=some other CA' })).toEqual(['badCertTemplate']);
  });

  it('refuses a template without subject and subjectAltName', async () => {
    expect(await refused({ key: await newKey() })).toEqual(['badCertTemplate']);
  });

  it('refuses a template that chooses the serial number', async () => {
    // Without POPO, so that changing the template afterwards breaks no signature; the template is checked first.
    const body = await certRequestBody({ key: await newKey(), subject: '/CN=x', popo: -1 });
    const template: CertTemplate = body.ir![0]!.certReq.certTemplate;
    template.serialNumber = Uint8Array.of(1).buffer;
    const answer = await exchange(await makeServer(), body, { auth: PBM });
    expect(answer.failInfo).toEqual(['badCertTemplate']);
  });
});

describe('the server checks every message that continues a transaction', () => {
  async function started(auth: Auth = PBM) {
    const server = await makeServer({ secrets: [{ ref: 'other', secret: 'other-secret' }] });
    const ip = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=continued' }), { auth });
    return { server, ip, conf: await certConfBody(ip.cert!) };
  }

  it('a certConf with a wrong recipNonce: badRecipientNonce, and the transaction goes on', async () => {
    const { server, ip, conf } = await started();
    const stale = await exchange(server, conf.body, { auth: PBM, transactionId: ip.sent.transactionId, recipNonce: ip.sent.senderNonce });
    expect(stale.failInfo).toEqual(['badRecipientNonce']);
    const right = await exchange(server, conf.body, { auth: PBM, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
    expect(right.type).toBe('pkiconf');
    expect(server.state.ca!.issued[0]!.confirmed).toBe(true);
  });

  it('a certConf with a wrong certHash: badCertId, and the certificate is revoked', async () => {
    const { server, ip } = await started();
    const otherCert = (await throwawayCa()).server.cert;
    const wrong = await certConfBody(otherCert);
    const answer = await exchange(server, wrong.body, { auth: PBM, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
    expect(answer.failInfo).toEqual(['badCertId']);
    expect(server.state.ca!.issued[0]!.revocation).toBeDefined();
    expect(server.state.transactions.get(Buffer.from(ip.sent.transactionId).toString('hex'))!.phase).toBe('done');
  });

  it('a certConf with the wrong certReqId: badRequest', async () => {
    const { server, ip } = await started();
    const conf = await certConfBody(ip.cert!, 7n);
    const answer = await exchange(server, conf.body, { auth: PBM, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
    expect(answer.failInfo).toEqual(['badRequest']);
  });

  it('a certConf protected by another client: notAuthorized', async () => {
    const { server, ip, conf } = await started();
    const answer = await exchange(server, conf.body, {
      auth: { kind: 'pbm', secret: 'other-secret', ref: 'other' },
      transactionId: ip.sent.transactionId,
      recipNonce: ip.senderNonce,
    });
    expect(answer.failInfo).toEqual(['notAuthorized']);
  });

  it('a certConf for an unknown transaction: badRequest', async () => {
    const { server, conf } = await started();
    const answer = await exchange(server, conf.body, { auth: PBM, recipNonce: new Uint8Array(16) });
    expect(answer.failInfo).toEqual(['badRequest']);
  });

  it('a pollReq when nothing is pending: badRequest', async () => {
    const { server, ip } = await started();
    const poll = new PKIBody({ pollReq: new PollReqContent([new PollReqContentEntry({ certReqId: 0n })]) });
    const answer = await exchange(server, poll, { auth: PBM, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
    expect(answer.failInfo).toEqual(['badRequest']);
  });

  it('an error from the client ends the transaction with pkiconf and revokes the unconfirmed certificate', async () => {
    const { server, ip } = await started();
    const abort = await exchange(server, new PKIBody({ error: buildErrorMsg('giving up') }), {
      auth: PBM,
      transactionId: ip.sent.transactionId,
      recipNonce: ip.senderNonce,
    });
    expect(abort.type).toBe('pkiconf');
    expect(server.state.ca!.issued[0]!.revocation).toBeDefined();
  });
});

describe('the server guards key updates and revocations', () => {
  it('a kur protected by MAC: wrongIntegrity', async () => {
    const server = await makeServer();
    const key = await newKey();
    const old = await enroll(server, { key, subject: '/CN=kur mac' }, PBM);
    const answer = await exchange(server, await certRequestBody({ type: 'kur', key: await newKey(), oldCert: old }), { auth: PBM });
    expect(answer.failInfo).toEqual(['wrongIntegrity']);
  });

  it('a kur for a certificate another CA issued: badCertId', async () => {
    const foreign = await createThrowawayCa({ caName: '/CN=trusted foreign CA' });
    const server = await makeServer({ srvTrusted: [foreign.ca.cert] });
    const auth: Auth = { kind: 'signature', key: foreign.server.key, cert: foreign.server.cert };
    const answer = await exchange(server, await certRequestBody({ type: 'kur', key: await newKey(), oldCert: foreign.server.cert }), { auth });
    expect(answer.failInfo).toEqual(['badCertId']);
  });

  it('a kur signed by one certificate for another: notAuthorized', async () => {
    const server = await makeServer();
    const [keyA, keyB] = [await newKey(), await newKey()];
    const a = await enroll(server, { key: keyA, subject: '/CN=A' }, PBM);
    const b = await enroll(server, { key: keyB, subject: '/CN=B' }, pbmAs('B'));
    const answer = await exchange(server, await certRequestBody({ type: 'kur', key: await newKey(), oldCert: a }), {
      auth: { kind: 'signature', key: keyB, cert: b },
    });
    expect(answer.failInfo).toEqual(['notAuthorized']);
  });

  it('a kur that keeps the old key: badCertTemplate', async () => {
    const server = await makeServer();
    const key = await newKey();
    const old = await enroll(server, { key, subject: '/CN=same key' }, PBM);
    const answer = await exchange(server, await certRequestBody({ type: 'kur', key, oldCert: old }), { auth: { kind: 'signature', key, cert: old } });
    expect(answer.failInfo).toEqual(['badCertTemplate']);
  });

  it('an rr for a serial number this CA never issued: badCertId', async () => {
    const server = await makeServer();
    const answer = await exchange(server, new PKIBody({ rr: buildRevReq({ cert: (await throwawayCa()).server.cert }, -1) }), { auth: PBM });
    expect(answer.failInfo).toEqual(['badCertId']);
  });

  it('an rr signed by another end entity: notAuthorized', async () => {
    const server = await makeServer();
    const [keyA, keyB] = [await newKey(), await newKey()];
    const a = await enroll(server, { key: keyA, subject: '/CN=A' }, PBM);
    const b = await enroll(server, { key: keyB, subject: '/CN=B' }, pbmAs('B'));
    const answer = await exchange(server, new PKIBody({ rr: buildRevReq({ cert: a }, -1) }), { auth: { kind: 'signature', key: keyB, cert: b } });
    expect(answer.failInfo).toEqual(['notAuthorized']);
    expect(server.state.ca!.record(a.serialNumber)!.revocation).toBeUndefined();
  });

  it('an rr without serial number: badCertId', async () => {
    const server = await makeServer();
    const details = new RevDetails({ certDetails: new CertTemplate({}) });
    const answer = await exchange(server, new PKIBody({ rr: new RevReqContent([details]) }), { auth: PBM });
    expect(answer.failInfo).toEqual(['badCertId']);
  });
});
