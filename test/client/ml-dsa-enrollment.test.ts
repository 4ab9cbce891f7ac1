/**
 * An ML-DSA enrollment end to end, cmpflow's client against cmpflow's embedded CA over HTTP on
 * loopback: the CA's own key is ML-DSA (it signs the certificates and protects its answers with
 * it), the request is protected by an ML-DSA signature, the new key is ML-DSA and proves
 * possession with an ML-DSA POPO signature, and certConf names its hash in hashAlg because ML-DSA
 * names none (RFC 9810 section 5.3.18).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, KeyUsage } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { decodePkiMessage, type PKIMessage } from '../../src/asn1';
import { CmpClient } from '../../src/client';
import { getCryptoProvider, Oids, type MlDsaName, type PrivateKeyHandle } from '../../src/crypto';
import { signatureAlgorithmFromId } from '../../src/crypto/algorithms';
import { createCmpServer, createThrowawayCa, listen, type CmpServer, type CmpServerConfig, type ThrowawayCa } from '../../src/server';
import { validatePath } from '../../src/pki/path';

const REF = 'pq-device';
const SECRET = 'ml-dsa-enrollment-secret';
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa({ keySpec: { type: 'ml-dsa-65' } });
});
afterAll(async () => ca?.cleanup());

interface Seen {
  requests: PKIMessage[];
  responses: PKIMessage[];
}

/** The server, with every request and answer kept for the test to look at. */
function recording(server: CmpServer, seen: Seen): CmpServer {
  return new Proxy(server, {
    get(target, property) {
      if (property === 'handle') {
        return async (request: Uint8Array) => {
          seen.requests.push(decodePkiMessage(request));
          const response = await target.handle(request);
          seen.responses.push(decodePkiMessage(response));
          return response;
        };
      }
      const value = Reflect.get(target, property) as unknown;
      return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
    },
  });
}

async function withCa<T>(run: (url: string, seen: Seen) => Promise<T>, extra: Partial<CmpServerConfig> = {}): Promise<T> {
  const seen: Seen = { requests: [], responses: [] };
  const policy = { signersMayRequestOtherNames: true };
  const server = createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: REF, secret: SECRET }], policy, ...extra });
  const listener = await listen(recording(server, seen));
  try {
    return await run(listener.url, seen);
  } finally {
    await listener.close();
  }
}

const oidOf: Record<MlDsaName, string> = { 'ml-dsa-44': Oids.mlDsa44, 'ml-dsa-65': Oids.mlDsa65, 'ml-dsa-87': Oids.mlDsa87 };

async function bootstrap(url: string, variant: MlDsaName) {
  const key = await getCryptoProvider().generateKey({ type: variant });
  const r = await new CmpClient({ server: url, ref: REF, secret: SECRET, trusted: [ca.ca.cert], newKey: key, subject: '/CN=pq bootstrap' }).ir();
  return { cert: r.certificate, key };
}

describe('the embedded CA with an ML-DSA-65 key', () => {
  it('signs its own certificates with ML-DSA-65, and path validation verifies them', async () => {
    expect(signatureAlgorithmFromId(AsnConvert.parse(ca.ca.cert.rawData, Certificate).signatureAlgorithm)).toEqual({ scheme: 'ml-dsa-65' });
    const path = await validatePath(ca.server.cert, { trusted: [ca.ca.cert], checkSelfSignature: true });
    expect(path.map((c) => c.subject)).toEqual([ca.server.cert.subject, ca.ca.cert.subject]);
  });

  it.each(['ml-dsa-44', 'ml-dsa-65', 'ml-dsa-87'] as const)(
    'ir protected with an ML-DSA signature enrolls a %s key (POPO signature), answered with ML-DSA protection, confirmed with hashAlg SHA-512',
    async (variant) => {
      await withCa(async (url, seen) => {
        const signer = await bootstrap(url, 'ml-dsa-44');
        seen.requests.length = 0;
        seen.responses.length = 0;
        const newKey = await getCryptoProvider().generateKey({ type: variant });
        const r = await new CmpClient({
          server: url,
          cert: signer.cert,
          key: signer.key,
          trusted: [ca.ca.cert],
          newKey,
          subject: '/CN=pq device/O=cmpflow test',
        }).ir();

        // The certificate: our ML-DSA key, signed by the CA with ML-DSA-65, chaining to it.
        expect(Buffer.from(r.certificate.publicKey.rawData)).toEqual(Buffer.from(newKey.spki));
        const asn = AsnConvert.parse(r.certificate.rawData, Certificate);
        expect(asn.signatureAlgorithm.algorithm).toBe(Oids.mlDsa65);
        expect(asn.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(oidOf[variant]);
        expect(asn.tbsCertificate.subjectPublicKeyInfo.algorithm.parameters).toBeUndefined();
        const keyUsage = asn.tbsCertificate.extensions!.find((e) => e.extnID === '2.5.29.15')!;
        expect(AsnConvert.parse(keyUsage.extnValue, KeyUsage).toJSON()).toEqual(['digitalSignature']);
        expect(r.chain.map((c) => c.subject)).toEqual([r.certificate.subject, ca.ca.cert.subject]);
        // @peculiar/x509 round-trips the issued certificate.
        expect(Buffer.from(new X509Certificate(r.certificate.toString('pem')).rawData)).toEqual(Buffer.from(r.certificate.rawData));

        // On the wire: ir signed with ML-DSA-44 (the signer's key), POPO signed with the new key's ML-DSA.
        const [ir, certConf] = seen.requests;
        expect(ir!.header.protectionAlg?.algorithm).toBe(Oids.mlDsa44);
        expect(ir!.header.protectionAlg?.parameters).toBeUndefined();
        const popo = ir!.body.ir![0]!.popo!.signature!;
        expect(popo.algorithmIdentifier.algorithm).toBe(oidOf[variant]);
        // certConf: ML-DSA names no hash, so hashAlg does (SHA-512), with pvno 3; the CA accepted it.
        const status = certConf!.body.certConf![0]!;
        expect(status.hashAlg?.algorithm).toBe(Oids.sha512);
        expect(certConf!.header.pvno).toBe(3);
        const expected = await getCryptoProvider().digest('SHA-512', new Uint8Array(r.certificate.rawData));
        expect(Buffer.from(status.certHash)).toEqual(Buffer.from(expected));
        // The CA answered the signed requests with ML-DSA-65 signatures, which the client verified to get here.
        expect(seen.responses.map((m) => m.header.protectionAlg?.algorithm)).toEqual([Oids.mlDsa65, Oids.mlDsa65]);
        expect(seen.responses.map((m) => Object.keys(m.body).find((k) => (m.body as unknown as Record<string, unknown>)[k] !== undefined))).toEqual([
          'ip',
          'pkiconf',
        ]);
      });
    },
  );

  it("central key generation under a MAC: the key generation authority's certificate, signed with ML-DSA-65, validates", async () => {
    await withCa(async (url) => {
      const r = await new CmpClient({
        server: url,
        ref: REF,
        secret: SECRET,
        trusted: [ca.ca.cert],
        centralKeyGeneration: true,
        subject: '/CN=pq central',
      }).ir();
      expect(AsnConvert.parse(r.certificate.rawData, Certificate).signatureAlgorithm.algorithm).toBe(Oids.mlDsa65);
      expect(Buffer.from(r.privateKey!.spki)).toEqual(Buffer.from(r.certificate.publicKey.rawData));
    });
  });

  it('refuses an ML-DSA POPO signature that does not verify: badPOP', async () => {
    const key = await getCryptoProvider().generateKey({ type: 'ml-dsa-44' });
    const other = await getCryptoProvider().generateKey({ type: 'ml-dsa-44' });
    // The certificate request carries `key`'s public key, the POPO is signed by `other`.
    const forged: PrivateKeyHandle = {
      kind: 'private',
      keyType: 'ml-dsa-44',
      handle: undefined,
      spki: key.spki,
      toJSON: () => '[private key]',
      sign: (alg, data) => getCryptoProvider().sign(alg, other, data),
    };
    await withCa(async (url, seen) => {
      await expect(
        new CmpClient({ server: url, ref: REF, secret: SECRET, trusted: [ca.ca.cert], newKey: forged, subject: '/CN=pq forged' }).ir(),
      ).rejects.toMatchObject({ code: 'ERR_ERROR_RESPONSE' });
      const failInfo = seen.responses[0]!.body.error!.pKIStatusInfo.failInfo;
      expect(failInfo?.toNames()).toEqual(['badPOP']);
    });
  });
});
