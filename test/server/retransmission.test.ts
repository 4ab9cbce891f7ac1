/**
 * A client that lost an answer (its process was killed, its connection dropped) sends the same
 * message again: the server answers it as before instead of refusing it, so the transaction goes
 * on and no second one is started. The fleet relies on this for exactly-once enrollment.
 */
import { buildRequest, certConfBody, certRequestBody, newKey, readAnswer } from './client-messages';
import { makeServer, PBM } from './fixtures';

describe('a retransmitted request', () => {
  it('gets the same answer, is reported as a retransmission, and the transaction goes on to one certificate', async () => {
    const seen: string[] = [];
    const server = await makeServer({ onRequest: (type, { retransmission }) => seen.push(retransmission ? `${type} again` : type) });
    const ir = await buildRequest(await certRequestBody({ key: await newKey(), subject: '/CN=lost answer' }), { auth: PBM });
    const first = await server.handle(ir.der);
    const again = await server.handle(ir.der);
    expect(Buffer.from(again).equals(Buffer.from(first))).toBe(true);
    const answer = readAnswer(first);
    expect(answer.cert?.subject).toBe('CN=lost answer');

    const conf = await certConfBody(answer.cert!);
    const certConf = await buildRequest(conf.body, { auth: PBM, pvno: conf.pvno, transactionId: ir.transactionId, recipNonce: answer.senderNonce });
    const pkiConf = await server.handle(certConf.der);
    expect(readAnswer(pkiConf).type).toBe('pkiconf');
    expect(Buffer.from(await server.handle(certConf.der)).equals(Buffer.from(pkiConf))).toBe(true);
    expect(seen).toEqual(['ir', 'ir again', 'certConf', 'certConf again']);
  });

  it('is told apart from a new request reusing the transactionID, which is still refused', async () => {
    const server = await makeServer();
    const body = await certRequestBody({ key: await newKey(), subject: '/CN=reused id' });
    const ir = await buildRequest(body, { auth: PBM });
    expect(readAnswer(await server.handle(ir.der)).type).toBe('ip');
    const reused = await buildRequest(body, { auth: PBM, transactionId: ir.transactionId });
    const refused = readAnswer(await server.handle(reused.der));
    expect(refused.type).toBe('error');
    expect(refused.failInfo).toContain('transactionIdInUse');
  });
});
