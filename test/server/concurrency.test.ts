/** Concurrent transactions are independent: each client gets its own certificate and confirmation. */
import { certConfBody, certRequestBody, exchange, newKey } from './client-messages';
import { makeServer, PBM } from './fixtures';

describe('50 transactions at once', () => {
  it('each get their own certificate for their own key, and each confirmation lands in its own transaction', async () => {
    const server = await makeServer();
    const keys = await Promise.all(Array.from({ length: 50 }, () => newKey()));
    const bodies = await Promise.all(keys.map((key, i) => certRequestBody({ key, subject: `/CN=client ${i}` })));
    const ips = await Promise.all(bodies.map((body) => exchange(server, body, { auth: PBM })));

    ips.forEach((ip, i) => {
      expect(ip.type).toBe('ip');
      expect(ip.cert!.subject).toBe(`CN=client ${i}`);
      expect(Buffer.from(ip.cert!.publicKey.rawData)).toEqual(Buffer.from(keys[i]!.spki));
    });
    expect(new Set(ips.map((ip) => ip.cert!.serialNumber)).size).toBe(50);

    // Confirm in reverse order, all at once: nonces and hashes must be matched per transaction.
    const confs = await Promise.all(
      [...ips].reverse().map(async (ip) => {
        const conf = await certConfBody(ip.cert!);
        return exchange(server, conf.body, { auth: PBM, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
      }),
    );
    expect(confs.map((c) => c.type)).toEqual(Array(50).fill('pkiconf'));
    expect(server.state.ca!.issued.filter((r) => r.confirmed)).toHaveLength(50);
    expect(server.state.transactions.list().filter((t) => t.phase === 'done')).toHaveLength(50);
  });

  it('a message racing another of the same transaction is refused without harming it', async () => {
    const server = await makeServer();
    const ip = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=raced' }), { auth: PBM });
    const conf = await certConfBody(ip.cert!);
    const send = () => exchange(server, conf.body, { auth: PBM, transactionId: ip.sent.transactionId, recipNonce: ip.senderNonce });
    const answers = await Promise.all([send(), send()]);
    expect(answers.map((a) => a.type).sort()).toEqual(['error', 'pkiconf']);
    expect(answers.find((a) => a.type === 'error')!.failInfo).toEqual(['badRequest']);
    expect(server.state.ca!.issued[0]!.confirmed).toBe(true);
  });
});
