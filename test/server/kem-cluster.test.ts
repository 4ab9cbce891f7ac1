/**
 * KEM-based MAC protection (RFC 9810 section 5.1.3.4) against a CA on worker threads
 * (createCmpCluster): the KEM exchange's genm and the transaction it protects share a transactionID,
 * so they reach the same worker, which alone holds the shared secret.
 */
import { CmpClient } from '../../src/client';
import { CmpOids, decodePkiMessage, pkiBodyType } from '../../src/asn1';
import { encodePem } from '../../src/credentials';
import { getCryptoProvider } from '../../src/crypto';
import { generateMlKemKey } from '../../src/crypto/ml-kem';
import { createCmpCluster, createThrowawayCa, listen, type ThrowawayCa } from '../../src/server';
import type { Transfer } from '../../src/transport';

jest.setTimeout(120_000);

const SECRET = 'kem cluster secret';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa();
});
afterAll(async () => ca?.cleanup());

it('an ML-KEM device enrolled through one worker runs KemBasedMac-protected cr and genm against two workers', async () => {
  const refs = ['kem cluster device'].map((ref) => ({ ref, secret: SECRET }));
  const cluster = createCmpCluster({ ...ca.serverConfig(), secrets: refs }, { workers: 2 });
  await cluster.ready();
  const listener = await listen({ maxMsgs: 0, handle: (der) => cluster.handle(der) });
  try {
    const kem = generateMlKemKey('ml-kem-768');
    const keyPem = encodePem('PRIVATE KEY', kem.pkcs8());
    const enrolled = await new CmpClient({
      server: listener.url,
      ref: 'kem cluster device',
      secret: SECRET,
      trusted: [ca.ca.cert],
      newKey: keyPem,
      subject: '/CN=kem cluster device',
    }).ir();
    const device = { server: listener.url, cert: enrolled.certificate.toString('pem'), key: keyPem, trusted: [ca.ca.cert] };
    // Eight transactions: the odds that their random transactionIDs all fall on one worker are 1 in 128.
    for (let i = 0; i < 8; i++) {
      const seen: string[] = [];
      const record =
        (send: Transfer): Transfer =>
        async (der, options) => {
          const answer = await send(der, options);
          for (const m of [decodePkiMessage(der), decodePkiMessage(answer)]) {
            seen.push(`${pkiBodyType(m.body)}:${m.header.protectionAlg?.algorithm === CmpOids.kemBasedMac ? 'kem' : 'other'}`);
          }
          return answer;
        };
      const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
      const r = await new CmpClient({ ...device, newKey, subject: '/CN=kem cluster device', interceptTransfer: record }).cr();
      expect(r.certificate.subject).toBe('CN=kem cluster device');
      expect(seen).toEqual(['genm:other', 'genp:other', 'cr:kem', 'cp:kem', 'certConf:kem', 'pkiconf:kem']);
    }
    const certs = await new CmpClient(device).getCaCerts();
    expect(certs?.map((c) => c.subject)).toContain(ca.ca.cert.subject);
  } finally {
    await listener.close();
    await cluster.close();
  }
});
