/**
 * An embedded CA with an ML-DSA key on worker threads (createCmpCluster): the CA and response
 * signing keys reach the workers intact, so a worker signs certificates and protects answers with
 * ML-DSA as the single-threaded server does.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { CmpClient } from '../../src/client';
import { getCryptoProvider, Oids } from '../../src/crypto';
import { createCmpCluster, createThrowawayCa, listen, type ThrowawayCa } from '../../src/server';

jest.setTimeout(120_000);

const REF = 'pq-cluster-device';
const SECRET = 'pq cluster secret';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa({ keySpec: { type: 'ml-dsa-44' } });
});
afterAll(async () => ca?.cleanup());

it('a worker signs the certificate with the CA ML-DSA key and the signed exchange with the server ML-DSA key', async () => {
  const cluster = createCmpCluster({ ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }] }, { workers: 1 });
  await cluster.ready();
  const listener = await listen({ maxMsgs: 0, handle: (der) => cluster.handle(der) });
  try {
    const key = await getCryptoProvider().generateKey({ type: 'ml-dsa-44' });
    const first = await new CmpClient({
      server: listener.url,
      ref: REF,
      secret: SECRET,
      trusted: [ca.ca.cert],
      newKey: key,
      subject: '/CN=pq cluster',
    }).ir();
    expect(AsnConvert.parse(first.certificate.rawData, Certificate).signatureAlgorithm.algorithm).toBe(Oids.mlDsa44);
    // Signed with the new ML-DSA certificate, answered with the worker's ML-DSA signature, which the client verifies.
    const second = await new CmpClient({
      server: listener.url,
      cert: first.certificate,
      key,
      trusted: [ca.ca.cert],
      newKey: key,
      subject: '/CN=pq cluster',
    }).cr();
    expect(second.certificate.subject).toBe('CN=pq cluster');
  } finally {
    await listener.close();
    await cluster.close();
  }
});
