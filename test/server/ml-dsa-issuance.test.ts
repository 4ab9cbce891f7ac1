/**
 * What the embedded CA makes of ML-DSA public keys in requests: it certifies well-formed ones with
 * the usages RFC 9881 allows an end entity (digitalSignature, nonRepudiation), and refuses keys
 * whose SubjectPublicKeyInfo RFC 9881 does not allow (their POPO cannot verify), and usages an
 * ML-DSA key cannot have.
 */
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate, Extension, KeyUsage, KeyUsageFlags, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { getCryptoProvider, type PrivateKeyHandle } from '../../src/crypto';
import { PkixOids } from '../../src/asn1';
import { createCmpServer, createThrowawayCa, type ThrowawayCa } from '../../src/server';
import { certRequestBody, exchange } from './client-messages';

const SECRET = 'ml-dsa-issuance-secret';
const PBM = { kind: 'pbm' as const, secret: SECRET, ref: 'client-1' };
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa();
});

const server = () => createCmpServer({ ...ca.serverConfig(), srvSecret: SECRET });

/** `key`, but presenting another SubjectPublicKeyInfo (its POPO is still signed by `key`). */
function presenting(key: PrivateKeyHandle, spki: Uint8Array): PrivateKeyHandle {
  return {
    kind: 'private',
    keyType: key.keyType,
    handle: undefined,
    spki,
    toJSON: () => '[private key]',
    sign: (alg, data) => getCryptoProvider().sign(alg, key, data),
  };
}

function keyUsage(flags: number): Extension {
  return new Extension({ extnID: PkixOids.keyUsage, critical: true, extnValue: new OctetString(AsnConvert.serialize(new KeyUsage(flags))) });
}

it('certifies an ML-DSA-87 key with digitalSignature and nonRepudiation when asked', async () => {
  const key = await getCryptoProvider().generateKey({ type: 'ml-dsa-87' });
  const answer = await exchange(
    server(),
    await certRequestBody({ key, subject: '/CN=pq usages', extensions: [keyUsage(KeyUsageFlags.digitalSignature | KeyUsageFlags.nonRepudiation)] }),
    { auth: PBM },
  );
  expect(answer.type).toBe('ip');
  expect(Buffer.from(answer.cert!.publicKey.rawData)).toEqual(Buffer.from(key.spki));
  const extensions = AsnConvert.parse(answer.cert!.rawData, Certificate).tbsCertificate.extensions!;
  const usage = extensions.find((e) => e.extnID === PkixOids.keyUsage)!;
  expect(AsnConvert.parse(usage.extnValue, KeyUsage).toJSON()).toEqual(['digitalSignature', 'nonRepudiation']);
});

it('refuses keyEncipherment for an ML-DSA key: badCertTemplate', async () => {
  const key = await getCryptoProvider().generateKey({ type: 'ml-dsa-44' });
  const answer = await exchange(
    server(),
    await certRequestBody({ key, subject: '/CN=pq encipher', extensions: [keyUsage(KeyUsageFlags.keyEncipherment)] }),
    {
      auth: PBM,
    },
  );
  expect(answer.type).toBe('error');
  expect(answer.failInfo).toEqual(['badCertTemplate']);
});

it.each([
  [
    'with NULL parameters',
    (spki: SubjectPublicKeyInfo) => (spki.algorithm = new AlgorithmIdentifier({ algorithm: spki.algorithm.algorithm, parameters: null })),
  ],
  ['one byte short', (spki: SubjectPublicKeyInfo) => (spki.subjectPublicKey = spki.subjectPublicKey.slice(0, -1))],
])('refuses an ML-DSA public key %s, which RFC 9881 does not allow: no signature verifies with it (badPOP)', async (_what, spoil) => {
  const key = await getCryptoProvider().generateKey({ type: 'ml-dsa-44' });
  const spki = AsnConvert.parse(key.spki, SubjectPublicKeyInfo);
  spoil(spki);
  const body = await certRequestBody({ key: presenting(key, new Uint8Array(AsnConvert.serialize(spki))), subject: '/CN=pq spoilt' });
  const answer = await exchange(server(), body, { auth: PBM });
  expect(answer.type).toBe('error');
  expect(answer.failInfo).toEqual(['badPOP']);
});
