/**
 * The options that make the server behave like `openssl cmp`'s mock server (-rsp_*, -pkistatus,
 * -send_*, -accept_*, -srv_ref): fixed answers and forced outcomes for testing clients.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { PKIBody } from '../../src/asn1';
import { buildErrorMsg } from '../../src/message/bodies';
import { createCmpServer } from '../../src/server';
import { certRequestBody, exchange, newKey } from './client-messages';
import { makeServer, PBM, SECRET, throwawayCa, verifyAnswer } from './fixtures';

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

describe('fixed answers', () => {
  it('rspCert is returned instead of issuing, with rspExtraCerts and rspCaPubs', async () => {
    const ca = await throwawayCa();
    const server = await makeServer({ rspCert: ca.server.cert, rspExtraCerts: [ca.server.cert], rspCaPubs: [ca.ca.cert] });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=whatever' }), { auth: PBM });
    expect(hex(answer.cert!.rawData)).toBe(hex(ca.server.cert.rawData));
    expect(answer.msg.extraCerts!.map((c) => hex(AsnConvert.serialize(c)))).toEqual([hex(ca.server.cert.rawData)]);
    expect(answer.msg.body.ip!.caPubs!.map((c) => hex(AsnConvert.serialize(c)))).toEqual([hex(ca.ca.cert.rawData)]);
    expect(server.state.ca!.issued).toHaveLength(0);
  });

  it('work without any CA: MAC-protected answers with the fixed certificate, senderKID srvRef', async () => {
    const ca = await throwawayCa();
    const server = createCmpServer({ rspCert: ca.server.cert, srvSecret: SECRET, srvRef: 'mock-server' });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=mock' }), { auth: PBM });
    expect(answer.type).toBe('ip');
    await expect(verifyAnswer(answer.msg)).resolves.toBe('pbm');
    expect(Buffer.from(answer.msg.header.senderKID!).toString()).toBe('mock-server');
    expect(answer.msg.header.sender.directoryName).toHaveLength(0);
    expect(server.state.ca).toBeUndefined();
  });

  it('refCert: a kur must name it in its oldCertID control, as in OpenSSL 3.5; the rspCert comes back', async () => {
    const ca = await throwawayCa();
    const server = await makeServer({ rspCert: ca.server.cert, refCert: ca.ca.cert });
    const kur = (oldCert?: typeof ca.ca.cert) => async () =>
      certRequestBody({ type: 'kur', key: await newKey(), subject: '/CN=update', ...(oldCert ? { oldCert } : {}) });
    const named = await exchange(server, await kur(ca.ca.cert)(), { auth: PBM });
    expect(named.type).toBe('kup');
    expect(hex(named.cert!.rawData)).toBe(hex(ca.server.cert.rawData));
    const other = await exchange(server, await kur(ca.server.cert)(), { auth: PBM });
    expect({ failInfo: other.failInfo, text: other.statusText }).toEqual({
      failInfo: ['badCertId'],
      text: expect.stringContaining('does not name the certificate this server expects'),
    });
    const unnamed = await exchange(server, await kur()(), { auth: PBM });
    expect({ failInfo: unnamed.failInfo, text: unnamed.statusText }).toEqual({
      failInfo: ['badCertId'],
      text: expect.stringContaining('has no oldCertID control'),
    });
  });

  it('without CA and without rspCert, certificate requests are refused', async () => {
    const server = createCmpServer({ srvSecret: SECRET });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=nothing' }), { auth: PBM });
    expect(answer.failInfo).toEqual(['badRequest']);
  });
});

describe('forced outcomes', () => {
  it('pkiStatus rejection with failure bits and text: a rejection without certificate that ends the transaction', async () => {
    const server = await makeServer({ pkiStatus: 2, failure: 9, failureBits: 1 << 19, statusString: 'not today' });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=refused' }), { auth: PBM });
    expect(answer.type).toBe('ip');
    expect(answer.status).toBe(2);
    expect(answer.failInfo).toEqual(['badPOP', 'badCertTemplate']);
    expect(answer.statusText).toBe('not today');
    expect(answer.cert).toBeUndefined();
    expect(server.state.transactions.get(hex(answer.sent.transactionId))!.phase).toBe('done');
  });

  it('sendError answers every request with an error, as OpenSSL -send_error', async () => {
    const server = await makeServer({ sendError: true });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=x' }), { auth: PBM });
    expect(answer.type).toBe('error');
    expect(answer.failInfo).toEqual(['badRequest']);
    await expect(verifyAnswer(answer.msg)).resolves.toBe('pbm');
  });

  it('sendUnprotected sends every answer without protection', async () => {
    const server = await makeServer({ sendUnprotected: true });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=bare' }), { auth: PBM });
    expect(answer.type).toBe('ip');
    expect(answer.msg.protection).toBeUndefined();
  });

  it('sendUnprotErr sends only errors without protection', async () => {
    const server = await makeServer({ sendUnprotErr: true });
    const refused = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=x', popo: -1 }), { auth: PBM });
    expect(refused.failInfo).toEqual(['badPOP']);
    expect(refused.msg.protection).toBeUndefined();
    const granted = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=y' }), { auth: PBM });
    expect(granted.msg.protection).toBeDefined();
  });

  it('acceptUnprotErr lets a client abandon its transaction with an unprotected error', async () => {
    const body = () => new PKIBody({ error: buildErrorMsg('abandoned') });
    for (const [accept, expected] of [
      [false, 'error'],
      [true, 'pkiconf'],
    ] as const) {
      const server = await makeServer({ acceptUnprotErr: accept });
      const ip = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=abandoned' }), { auth: PBM });
      const answer = await exchange(server, body(), { auth: { kind: 'none' }, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
      expect(answer.type).toBe(expected);
    }
  });
});
