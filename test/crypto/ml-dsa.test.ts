/**
 * ML-DSA (FIPS 204) through cmpflow's crypto providers, checked against data we did not make:
 * NIST's ACVP keyGen vector, Wycheproof's verification cases (valid, and invalid in the ways
 * implementations get wrong), and RFC 9881's example keys and certificates (made with Go's
 * ML-DSA, an independent implementation). See test/vectors/ml-dsa/README.md for their origin.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import { createCipheriv, pbkdf2Sync, randomBytes, webcrypto } from 'node:crypto';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { EncryptedPrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { PBKDF2Params, PBKDF2Salt } from '../../src/asn1/cmp/pbmac1';
import { Pbes2Params } from '../../src/credentials/pbe-params';
import { encodePem } from '../../src/credentials';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { NodeCryptoProvider } from '../../src/crypto/node';
import { WebCryptoProvider } from '../../src/crypto/webcrypto';
import { defaultSignatureAlgorithm, Oids, signatureAlgorithmFromId, signatureAlgorithmId } from '../../src/crypto/algorithms';
import type { CryptoProvider, MlDsaName } from '../../src/crypto/provider';
import { validatePath } from '../../src/pki/path';
import { isCmpError } from '../../src/errors';
import { loadPrivateKey } from '../../src/credentials';

const vectors = join(__dirname, '..', 'vectors', 'ml-dsa');
const rfc = (name: string) => readFileSync(join(vectors, 'rfc9881', name), 'utf8');
const pemDer = (pem: string) => new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
const hexBytes = (hex: string) => new Uint8Array(Buffer.from(hex, 'hex'));
const message = new TextEncoder().encode('a CMP message to protect');

const providers: [string, CryptoProvider][] = [
  ['NodeCryptoProvider', new NodeCryptoProvider()],
  ['WebCryptoProvider', new WebCryptoProvider(webcrypto as unknown as Crypto)],
];
const variants: [MlDsaName, string][] = [
  ['ml-dsa-44', 'ML-DSA-44'],
  ['ml-dsa-65', 'ML-DSA-65'],
  ['ml-dsa-87', 'ML-DSA-87'],
];

/** DER PKCS#8 around one of RFC 9881's private key CHOICEs for ML-DSA-44. */
function pkcs8MlDsa44(privateKeyChoice: Uint8Array): Uint8Array {
  const len = (n: number) => (n < 0x80 ? [n] : n < 0x100 ? [0x81, n] : [0x82, n >> 8, n & 0xff]);
  const octet = [0x04, ...len(privateKeyChoice.length), ...privateKeyChoice];
  const body = [0x02, 0x01, 0x00, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x03, 0x11, ...octet];
  return new Uint8Array([0x30, ...len(body.length), ...body]);
}

/**
 * PBES2 (PBKDF2-HMAC-SHA256, AES-256-CBC) around a PKCS#8, as `openssl pkcs8 -topk8 -v2 aes-256-cbc`
 * writes it; OpenSSL 3.0 itself cannot, it does not parse ML-DSA keys.
 */
function encryptPkcs8(pkcs8: Uint8Array, passphrase: string): string {
  const salt = randomBytes(16);
  const iv = randomBytes(16);
  const key = pbkdf2Sync(passphrase, salt, 2048, 32, 'sha256');
  const cipher = createCipheriv('aes-256-cbc', key, iv);
  const encrypted = Buffer.concat([cipher.update(pkcs8), cipher.final()]);
  const kdf = new PBKDF2Params({
    salt: new PBKDF2Salt({ specified: new Uint8Array(salt).buffer }),
    iterationCount: 2048n,
    prf: new AlgorithmIdentifier({ algorithm: Oids.hmacWithSHA256, parameters: null }),
  });
  const params = new Pbes2Params();
  params.keyDerivationFunc = new AlgorithmIdentifier({ algorithm: Oids.pbkdf2, parameters: AsnConvert.serialize(kdf) });
  params.encryptionScheme = new AlgorithmIdentifier({ algorithm: Oids.aes256Cbc, parameters: AsnConvert.serialize(new OctetString(iv)) });
  const info = new EncryptedPrivateKeyInfo({
    encryptionAlgorithm: new AlgorithmIdentifier({ algorithm: Oids.pbes2, parameters: AsnConvert.serialize(params) }),
    encryptedData: new OctetString(encrypted),
  });
  return encodePem('ENCRYPTED PRIVATE KEY', new Uint8Array(AsnConvert.serialize(info)));
}

async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

describe('ML-DSA keyGen matches NIST ACVP (ML-DSA-keyGen-FIPS204, tcId 1)', () => {
  const acvp = JSON.parse(readFileSync(join(vectors, 'acvp', 'ML-DSA-keyGen-FIPS204-tc1.json'), 'utf8')) as { seed: string; pk: string; sk: string };
  const spkiOf = (pk: string) =>
    new Uint8Array([
      0x30,
      0x82,
      0x05,
      0x32,
      0x30,
      0x0b,
      0x06,
      0x09,
      0x60,
      0x86,
      0x48,
      0x01,
      0x65,
      0x03,
      0x04,
      0x03,
      0x11,
      0x03,
      0x82,
      0x05,
      0x21,
      0x00,
      ...hexBytes(pk),
    ]);

  it.each(providers)('%s: a seed-form key gives the expected public key, and its expanded key is the expected one', async (_name, provider) => {
    const seed = hexBytes(acvp.seed);
    const key = await provider.importPrivateKey(pkcs8MlDsa44(new Uint8Array([0x80, 0x20, ...seed])));
    expect(key.keyType).toBe('ml-dsa-44');
    expect(Buffer.from(key.spki)).toEqual(Buffer.from(spkiOf(acvp.pk)));
    // "both" with the expected expanded key passes RFC 9881's seed consistency check: keygen gave exactly sk.
    const sk = hexBytes(acvp.sk);
    const both = new Uint8Array([0x30, 0x82, 0x0a, 0x26, 0x04, 0x20, ...seed, 0x04, 0x82, 0x0a, 0x00, ...sk]);
    expect(Buffer.from((await provider.importPrivateKey(pkcs8MlDsa44(both))).spki)).toEqual(Buffer.from(spkiOf(acvp.pk)));
  });

  it.each(providers)('%s: the expected expanded key alone signs what the expected public key verifies', async (_name, provider) => {
    const key = await provider.importPrivateKey(pkcs8MlDsa44(new Uint8Array([0x04, 0x82, 0x0a, 0x00, ...hexBytes(acvp.sk)])));
    const signature = await provider.sign({ scheme: 'ml-dsa-44' }, key, message);
    expect(await provider.verify({ scheme: 'ml-dsa-44' }, spkiOf(acvp.pk), signature, message)).toBe(true);
  });
});

interface WycheproofVerifyFile {
  testGroups: {
    publicKeyDer: string;
    tests: { tcId: number; comment: string; msg: string; sig: string; result: 'valid' | 'invalid'; flags: string[] }[];
  }[];
}

describe.each(providers)('Wycheproof ML-DSA sigVer (empty context) through %s', (_name, provider) => {
  describe.each(variants)('%s', (variant) => {
    const file = JSON.parse(
      readFileSync(join(vectors, 'wycheproof', `mldsa_${variant.slice(-2)}_verify_subset.json`), 'utf8'),
    ) as WycheproofVerifyFile;
    const cases = file.testGroups.flatMap((g) => g.tests.map((t) => ({ ...t, spki: g.publicKeyDer })));
    it.each(cases.map((c) => [c.tcId, c.result, c.flags.join(',') || c.comment, c] as const))(
      'tcId %i is %s (%s)',
      async (_id, result, _flags, c) => {
        expect(await provider.verify({ scheme: variant }, hexBytes(c.spki), hexBytes(c.sig), hexBytes(c.msg))).toBe(result === 'valid');
      },
    );
  });
});

describe.each(providers)('RFC 9881 example keys through %s', (_name, provider) => {
  describe.each(variants)('%s', (variant, file) => {
    const publicDer = pemDer(rfc(`${file}.pub`));

    it.each(['seed', 'expanded', 'both'])('the %s form loads (PEM) and has the example public key', async (form) => {
      const key = await loadPrivateKey(rfc(`${file}-${form}.priv`), undefined, provider);
      expect(key.keyType).toBe(variant);
      expect(Buffer.from(key.spki)).toEqual(Buffer.from(publicDer));
    });

    it('a key read with its seed is written in the seed form, byte for byte as RFC 9881 shows it', async () => {
      for (const form of ['seed', 'both']) {
        const key = await loadPrivateKey(pemDer(rfc(`${file}-${form}.priv`)), undefined, provider);
        expect(Buffer.from(await provider.exportPrivateKey(key))).toEqual(Buffer.from(pemDer(rfc(`${file}-seed.priv`))));
      }
    });

    it('a key read without its seed is written expanded, the only form left', async () => {
      const key = await loadPrivateKey(rfc(`${file}-expanded.priv`), undefined, provider);
      expect(Buffer.from(await provider.exportPrivateKey(key))).toEqual(Buffer.from(pemDer(rfc(`${file}-expanded.priv`))));
    });

    it("the example certificate's self-signature (made by Go's ML-DSA) verifies, and one changed bit does not", async () => {
      const cert = AsnConvert.parse(pemDer(rfc(`${file}.crt`)), Certificate);
      const algorithm = signatureAlgorithmFromId(cert.signatureAlgorithm);
      expect(algorithm).toEqual({ scheme: variant });
      const tbs = new Uint8Array(AsnConvert.serialize(cert.tbsCertificate));
      const signature = new Uint8Array(cert.signatureValue);
      expect(await provider.verify(algorithm, publicDer, signature, tbs)).toBe(true);
      const forged = signature.slice();
      forged[100]! ^= 0x01;
      expect(await provider.verify(algorithm, publicDer, forged, tbs)).toBe(false);
      const otherVariant = variants.find(([v]) => v !== variant)![0];
      expect(await provider.verify({ scheme: otherVariant }, publicDer, signature, tbs)).toBe(false);
    });

    it('signs so that the other provider verifies, with a fresh (hedged) signature each time', async () => {
      const key = await loadPrivateKey(rfc(`${file}-seed.priv`), undefined, provider);
      const alg = defaultSignatureAlgorithm(key);
      expect(alg).toEqual({ scheme: variant });
      const [a, b] = [await provider.sign(alg, key, message), await provider.sign(alg, key, message)];
      expect(Buffer.from(a)).not.toEqual(Buffer.from(b));
      for (const [, verifier] of providers) expect(await verifier.verify(alg, key.spki, a, message)).toBe(true);
      expect(await provider.verify(alg, key.spki, a, new TextEncoder().encode('another message'))).toBe(false);
    });
  });

  it.each([
    ['bad-ML-DSA-44-1.priv', 'seed and expanded key disagree'],
    ['bad-ML-DSA-44-2.priv', 'expanded key with a tr that does not fit'],
  ])('refuses RFC 9881 inconsistent key %s (%s) with ERR_CREDENTIALS', async (file) => {
    const error = await rejection(loadPrivateKey(rfc(file), undefined, provider));
    expect(isCmpError(error, 'ERR_CREDENTIALS')).toBe(true);
  });

  it.each(variants)('generates %s keys whose file is the 32-byte seed form and that load back to the same key', async (variant) => {
    const key = await provider.generateKey({ type: variant });
    expect(key.keyType).toBe(variant);
    const pkcs8 = await provider.exportPrivateKey(key);
    expect(pkcs8.length).toBe(54);
    const seedHex = Buffer.from(pkcs8.subarray(-32)).toString('hex');
    for (const shown of [
      JSON.stringify({ key, handle: key.handle }),
      inspect(key.handle, { showHidden: false }),
      String(key.handle),
      inspect({ ...(key.handle as object) }),
    ]) {
      expect(shown).not.toContain(seedHex);
      expect(shown).not.toContain('secretKey');
    }
    const again = await provider.importPrivateKey(pkcs8);
    expect(Buffer.from(again.spki)).toEqual(Buffer.from(key.spki));
    const signature = await provider.sign({ scheme: variant }, again, message);
    expect(await provider.verify({ scheme: variant }, key.spki, signature, message)).toBe(true);
  });

  it('reads a password-encrypted (PBES2) PKCS#8 ML-DSA key; a wrong pass phrase is ERR_BAD_PASSPHRASE', async () => {
    const encrypted = encryptPkcs8(pemDer(rfc('ML-DSA-65-seed.priv')), 'kp-secret');
    const key = await loadPrivateKey(encrypted, 'kp-secret', provider);
    expect(Buffer.from(key.spki)).toEqual(Buffer.from(pemDer(rfc('ML-DSA-65.pub'))));
    expect(isCmpError(await rejection(loadPrivateKey(encrypted, 'not-it', provider)), 'ERR_BAD_PASSPHRASE')).toBe(true);
  });

  it('refuses to sign with another scheme, or with a separate hash (HashML-DSA is not allowed in PKIX)', async () => {
    const key = await loadPrivateKey(rfc('ML-DSA-44-seed.priv'), undefined, provider);
    expect(isCmpError(await rejection(provider.sign({ scheme: 'ml-dsa-65' }, key, message)), 'ERR_CREDENTIALS')).toBe(true);
    expect(isCmpError(await rejection(provider.sign({ scheme: 'ed25519' }, key, message)))).toBe(true);
    expect(isCmpError(await rejection(provider.sign({ scheme: 'ml-dsa-44', hash: 'SHA-512' }, key, message)), 'ERR_UNSUPPORTED_ALGORITHM')).toBe(
      true,
    );
  });
});

describe('ML-DSA algorithm identifiers (RFC 9881 section 2)', () => {
  it.each(variants)('%s is named by its id-ml-dsa OID with parameters absent, both ways', (variant) => {
    const id = signatureAlgorithmId({ scheme: variant });
    const oid = { 'ml-dsa-44': Oids.mlDsa44, 'ml-dsa-65': Oids.mlDsa65, 'ml-dsa-87': Oids.mlDsa87 }[variant];
    expect(id.algorithm).toBe(oid);
    const lastArc = { 'ml-dsa-44': '11', 'ml-dsa-65': '12', 'ml-dsa-87': '13' }[variant];
    expect(Buffer.from(AsnConvert.serialize(id)).toString('hex')).toBe(`300b06096086480165030403${lastArc}`);
    expect(signatureAlgorithmFromId(id)).toEqual({ scheme: variant });
  });

  it('refuses an id-ml-dsa identifier with parameters', () => {
    const withNull = AsnConvert.parse(Buffer.from('300d06096086480165030403120500', 'hex'), AlgorithmIdentifier);
    expect(() => signatureAlgorithmFromId(withNull)).toThrow(expect.objectContaining({ code: 'ERR_UNSUPPORTED_ALGORITHM' }));
  });
});

describe('ML-DSA certificates in @peculiar/x509 and path validation', () => {
  it.each(variants)('%s: @peculiar/x509 parses the RFC 9881 certificate and writes it back unchanged', (_variant, file) => {
    const der = pemDer(rfc(`${file}.crt`));
    const cert = new X509Certificate(der);
    expect(cert.subject).toBe('O=IETF, CN=LAMPS WG');
    expect(Buffer.from(cert.publicKey.rawData)).toEqual(Buffer.from(pemDer(rfc(`${file}.pub`))));
    const again = new X509Certificate(cert.toString('pem'));
    expect(Buffer.from(again.rawData)).toEqual(Buffer.from(der));
  });

  it.each(variants)('%s: a trusted ML-DSA root validates, its self-signature checked (-check_ss_sig)', async (_variant, file) => {
    const cert = new X509Certificate(pemDer(rfc(`${file}.crt`)));
    const path = await validatePath(cert, { trusted: [cert], checkSelfSignature: true, at: new Date('2030-01-01T00:00:00Z') });
    expect(path).toHaveLength(1);
  });

  it('-auth_level counts ML-DSA-44/65/87 keys as 128/192/256 bits: level 4 (192) takes ML-DSA-65 and 87, not 44', async () => {
    const at = new Date('2030-01-01T00:00:00Z');
    const verdicts = await Promise.all(
      variants.map(async ([, file]) => {
        const cert = new X509Certificate(pemDer(rfc(`${file}.crt`)));
        return validatePath(cert, { trusted: [cert], authLevel: 4, at }).then(
          () => 'ok',
          (e: unknown) => (e as { code?: string }).code,
        );
      }),
    );
    expect(verdicts).toEqual(['ERR_PATH_SECURITY_LEVEL', 'ok', 'ok']);
  });
});
