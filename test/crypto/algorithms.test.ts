import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { RsaSaPssParams } from '@peculiar/asn1-rsa';
import {
  Oids,
  algorithmOidNames,
  certHashAlgorithm,
  defaultSignatureAlgorithm,
  digestByName,
  hashAlgorithmId,
  hashFromOid,
  hashOid,
  hmacAlgorithmId,
  hmacFromOid,
  hmacOid,
  signatureAlgorithmFromId,
  signatureAlgorithmId,
} from '../../src/crypto/algorithms';
import { NodeCryptoProvider } from '../../src/crypto/node';
import type { HashName, SignatureAlgorithm } from '../../src/crypto/provider';
import { isCmpError } from '../../src/errors';
import { generateOpenSslKey, openssl, OpenSslKey, TempDir } from './openssl-cli';

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
const der = (id: AlgorithmIdentifier): string => hex(AsnConvert.serialize(id));

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return isCmpError(e) ? e.code : `not a CmpError: ${String(e)}`;
  }
}

const provider = new NodeCryptoProvider();
let dir: TempDir;
let rsa: OpenSslKey;
let p384: OpenSslKey;
let ed25519: OpenSslKey;
let ed448: OpenSslKey;

beforeAll(() => {
  dir = new TempDir();
  rsa = generateOpenSslKey(dir, 'rsa', 'RSA');
  p384 = generateOpenSslKey(dir, 'p384', 'EC:P-384');
  ed25519 = generateOpenSslKey(dir, 'ed25519', 'ED25519');
  ed448 = generateOpenSslKey(dir, 'ed448', 'ED448');
});

afterAll(() => dir.cleanup());

/** The signatureAlgorithm of a self-signed certificate openssl makes with the given options. */
function opensslSignatureAlgorithm(key: OpenSslKey, options: string[]): AlgorithmIdentifier {
  const cert = openssl(['req', '-new', '-x509', '-key', key.pemPath, '-subj', '/CN=test', ...options, '-outform', 'DER']);
  return AsnConvert.parse(cert, Certificate).signatureAlgorithm;
}

describe('signatureAlgorithmId', () => {
  const cases: [string, () => OpenSslKey, string[], SignatureAlgorithm][] = [
    ['sha1WithRSAEncryption', () => rsa, ['-sha1'], { scheme: 'rsa-pkcs1', hash: 'SHA-1' }],
    ['sha224WithRSAEncryption', () => rsa, ['-sha224'], { scheme: 'rsa-pkcs1', hash: 'SHA-224' }],
    ['sha256WithRSAEncryption', () => rsa, ['-sha256'], { scheme: 'rsa-pkcs1', hash: 'SHA-256' }],
    ['sha384WithRSAEncryption', () => rsa, ['-sha384'], { scheme: 'rsa-pkcs1', hash: 'SHA-384' }],
    ['sha512WithRSAEncryption', () => rsa, ['-sha512'], { scheme: 'rsa-pkcs1', hash: 'SHA-512' }],
    ['RSA with SHA3-256', () => rsa, ['-sha3-256'], { scheme: 'rsa-pkcs1', hash: 'SHA3-256' }],
    ['RSA with SHA3-512', () => rsa, ['-sha3-512'], { scheme: 'rsa-pkcs1', hash: 'SHA3-512' }],
    [
      'RSASSA-PSS with SHA-256',
      () => rsa,
      ['-sha256', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:32'],
      { scheme: 'rsa-pss', hash: 'SHA-256', saltLength: 32 },
    ],
    [
      'RSASSA-PSS with SHA-512 and salt 20',
      () => rsa,
      ['-sha512', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:20'],
      { scheme: 'rsa-pss', hash: 'SHA-512', saltLength: 20 },
    ],
    [
      'RSASSA-PSS with all defaults (SHA-1, salt 20)',
      () => rsa,
      ['-sha1', '-sigopt', 'rsa_padding_mode:pss', '-sigopt', 'rsa_pss_saltlen:20'],
      { scheme: 'rsa-pss', hash: 'SHA-1', saltLength: 20 },
    ],
    ['ecdsa-with-SHA256', () => p384, ['-sha256'], { scheme: 'ecdsa', hash: 'SHA-256' }],
    ['ecdsa-with-SHA384', () => p384, ['-sha384'], { scheme: 'ecdsa', hash: 'SHA-384' }],
    ['ecdsa-with-SHA512', () => p384, ['-sha512'], { scheme: 'ecdsa', hash: 'SHA-512' }],
    ['ecdsa-with-SHA3-384', () => p384, ['-sha3-384'], { scheme: 'ecdsa', hash: 'SHA3-384' }],
    ['Ed25519', () => ed25519, [], { scheme: 'ed25519' }],
    ['Ed448', () => ed448, [], { scheme: 'ed448' }],
  ];

  test.each(cases)('%s is encoded exactly as openssl encodes it in a certificate', (_name, key, options, alg) => {
    expect(der(signatureAlgorithmId(alg))).toBe(der(opensslSignatureAlgorithm(key(), options)));
  });

  test.each(cases)('%s read from an openssl certificate maps to the SignatureAlgorithm', (_name, key, options, alg) => {
    expect(signatureAlgorithmFromId(opensslSignatureAlgorithm(key(), options))).toEqual(alg);
  });

  test('PSS without a salt length uses the hash length', () => {
    const params = AsnConvert.parse(signatureAlgorithmId({ scheme: 'rsa-pss', hash: 'SHA-384' }).parameters!, RsaSaPssParams);
    expect(params.saltLength).toBe(48);
  });

  test('schemes without a usable hash are ERR_UNSUPPORTED_ALGORITHM', () => {
    expect(codeOf(() => signatureAlgorithmId({ scheme: 'ecdsa' }))).toBe('ERR_UNSUPPORTED_ALGORITHM');
    expect(codeOf(() => signatureAlgorithmId({ scheme: 'rsa-pkcs1', hash: 'SHAKE128' }))).toBe('ERR_UNSUPPORTED_ALGORITHM');
    expect(codeOf(() => signatureAlgorithmId({ scheme: 'rsa-pss', hash: 'SHAKE256' }))).toBe('ERR_UNSUPPORTED_ALGORITHM');
  });
});

describe('signatureAlgorithmFromId', () => {
  test('an unknown or obsolete algorithm is ERR_UNSUPPORTED_ALGORITHM, naming it', () => {
    expect(codeOf(() => signatureAlgorithmFromId(new AlgorithmIdentifier({ algorithm: '1.2.3.4' })))).toBe('ERR_UNSUPPORTED_ALGORITHM');
    try {
      signatureAlgorithmFromId(new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.4', parameters: null }));
      throw new Error('md5WithRSAEncryption was accepted');
    } catch (e) {
      expect(isCmpError(e, 'ERR_UNSUPPORTED_ALGORITHM')).toBe(true);
      expect((e as Error).message).toContain('1.2.840.113549.1.1.4');
    }
  });

  test('PSS with absent parameters means the RFC 4055 defaults: SHA-1, MGF1-SHA-1, salt 20', () => {
    expect(signatureAlgorithmFromId(new AlgorithmIdentifier({ algorithm: Oids.rsassaPss }))).toEqual({
      scheme: 'rsa-pss',
      hash: 'SHA-1',
      saltLength: 20,
    });
  });

  test('PSS whose MGF1 hash differs from the message hash is ERR_UNSUPPORTED_ALGORITHM', () => {
    const sha256 = new AlgorithmIdentifier({ algorithm: Oids.sha256, parameters: null });
    const sha1 = new AlgorithmIdentifier({ algorithm: Oids.sha1, parameters: null });
    const params = new RsaSaPssParams({
      hashAlgorithm: sha256,
      maskGenAlgorithm: new AlgorithmIdentifier({ algorithm: Oids.mgf1, parameters: AsnConvert.serialize(sha1) }),
      saltLength: 32,
    });
    const id = new AlgorithmIdentifier({ algorithm: Oids.rsassaPss, parameters: AsnConvert.serialize(params) });
    expect(codeOf(() => signatureAlgorithmFromId(id))).toBe('ERR_UNSUPPORTED_ALGORITHM');
  });

  test('PSS with garbage parameters is ERR_ASN1_DECODE', () => {
    const id = new AlgorithmIdentifier({ algorithm: Oids.rsassaPss, parameters: new Uint8Array([0x04, 0x01, 0x00]).buffer });
    expect(codeOf(() => signatureAlgorithmFromId(id))).toBe('ERR_ASN1_DECODE');
  });

  test('every SignatureAlgorithm survives a round trip through its AlgorithmIdentifier', () => {
    const hashes: HashName[] = ['SHA-1', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512', 'SHA3-256', 'SHA3-384', 'SHA3-512'];
    const algs: SignatureAlgorithm[] = [
      ...hashes.flatMap((hash): SignatureAlgorithm[] => [
        { scheme: 'rsa-pkcs1', hash },
        { scheme: 'ecdsa', hash },
        { scheme: 'rsa-pss', hash, saltLength: 11 },
      ]),
      { scheme: 'ed25519' },
      { scheme: 'ed448' },
    ];
    for (const alg of algs) {
      const reparsed = AsnConvert.parse(AsnConvert.serialize(signatureAlgorithmId(alg)), AlgorithmIdentifier);
      expect(signatureAlgorithmFromId(reparsed)).toEqual(alg);
    }
  });
});

describe('hash and HMAC identifiers', () => {
  const hashes: HashName[] = ['SHA-1', 'SHA-224', 'SHA-256', 'SHA-384', 'SHA-512', 'SHA3-256', 'SHA3-384', 'SHA3-512', 'SHAKE128', 'SHAKE256'];

  test.each(hashes)('%s maps to its OID and back, with the OID openssl knows by that name', (hash) => {
    expect(hashFromOid(hashOid(hash))).toBe(hash);
    const opensslName = openssl(['asn1parse', '-genstr', `OID:${hashOid(hash)}`]).toString();
    expect(opensslName.replace(/-/g, '').toLowerCase()).toContain(`:${hash.replace(/-/g, '').toLowerCase()}`);
  });

  test('hashAlgorithmId leaves the parameters absent', () => {
    expect(der(hashAlgorithmId('SHA-256'))).toBe('300b0609608648016503040201');
  });

  test('HMAC-SHA1 is written with the RFC 9481 OID 1.3.6.1.5.5.8.1.2 and read from either OID', () => {
    expect(hmacOid('SHA-1')).toBe('1.3.6.1.5.5.8.1.2');
    expect(hmacFromOid('1.3.6.1.5.5.8.1.2')).toBe('SHA-1');
    expect(hmacFromOid('1.2.840.113549.2.7')).toBe('SHA-1');
  });

  test.each([
    ['SHA-224', '1.2.840.113549.2.8'],
    ['SHA-256', '1.2.840.113549.2.9'],
    ['SHA-384', '1.2.840.113549.2.10'],
    ['SHA-512', '1.2.840.113549.2.11'],
  ] as const)('HMAC with %s is %s both ways', (hash, oid) => {
    expect(hmacOid(hash)).toBe(oid);
    expect(hmacFromOid(oid)).toBe(hash);
    expect(hmacAlgorithmId(hash).algorithm).toBe(oid);
  });

  test('unknown hash and MAC OIDs, and HMAC with SHAKE, are ERR_UNSUPPORTED_ALGORITHM', () => {
    expect(codeOf(() => hashFromOid('1.2.840.113549.2.5'))).toBe('ERR_UNSUPPORTED_ALGORITHM');
    expect(codeOf(() => hmacFromOid(Oids.sha256))).toBe('ERR_UNSUPPORTED_ALGORITHM');
    expect(codeOf(() => hmacOid('SHAKE128'))).toBe('ERR_UNSUPPORTED_ALGORITHM');
  });
});

describe('defaultSignatureAlgorithm', () => {
  test('RSA keys sign with PKCS#1 v1.5 and SHA-256 unless a digest is given', async () => {
    const key = await provider.importPrivateKey(rsa.pkcs8);
    expect(defaultSignatureAlgorithm(key)).toEqual({ scheme: 'rsa-pkcs1', hash: 'SHA-256' });
    expect(defaultSignatureAlgorithm(key, 'SHA-512')).toEqual({ scheme: 'rsa-pkcs1', hash: 'SHA-512' });
  });

  test('RSA keys restricted to RSASSA-PSS sign with PSS', async () => {
    const pss = generateOpenSslKey(dir, 'rsapss', 'RSA-PSS');
    const key = await provider.importPrivateKey(pss.pkcs8);
    expect(defaultSignatureAlgorithm(key)).toEqual({ scheme: 'rsa-pss', hash: 'SHA-256' });
  });

  test.each([
    ['P-256', 'SHA-256'],
    ['P-384', 'SHA-384'],
    ['P-521', 'SHA-512'],
  ] as const)('%s keys sign with ECDSA and %s unless a digest is given', async (curve, hash) => {
    const key = await provider.generateKey({ type: 'ec', curve });
    expect(defaultSignatureAlgorithm(key)).toEqual({ scheme: 'ecdsa', hash });
    expect(defaultSignatureAlgorithm(key, 'SHA-1')).toEqual({ scheme: 'ecdsa', hash: 'SHA-1' });
  });

  test('Edwards keys sign with their EdDSA, whatever digest is asked for', async () => {
    expect(defaultSignatureAlgorithm(await provider.importPrivateKey(ed25519.pkcs8), 'SHA-256')).toEqual({ scheme: 'ed25519' });
    expect(defaultSignatureAlgorithm(await provider.importPrivateKey(ed448.pkcs8))).toEqual({ scheme: 'ed448' });
  });
});

describe('certHashAlgorithm', () => {
  test('is the hash of the certificate signature algorithm', () => {
    expect(certHashAlgorithm(opensslSignatureAlgorithm(rsa, ['-sha384']))).toBe('SHA-384');
    expect(certHashAlgorithm(opensslSignatureAlgorithm(p384, ['-sha512']))).toBe('SHA-512');
    expect(certHashAlgorithm(opensslSignatureAlgorithm(rsa, ['-sha256', '-sigopt', 'rsa_padding_mode:pss']))).toBe('SHA-256');
  });

  test('is undefined for EdDSA certificates, whose algorithm has no separate hash', () => {
    expect(certHashAlgorithm(opensslSignatureAlgorithm(ed25519, []))).toBeUndefined();
    expect(certHashAlgorithm(opensslSignatureAlgorithm(ed448, []))).toBeUndefined();
  });

  test('is ERR_UNSUPPORTED_ALGORITHM for an unknown signature algorithm', () => {
    expect(codeOf(() => certHashAlgorithm(new AlgorithmIdentifier({ algorithm: '1.2.3.4' })))).toBe('ERR_UNSUPPORTED_ALGORITHM');
  });
});

describe('digestByName', () => {
  test.each([
    ['sha1', 'SHA-1'],
    ['SHA1', 'SHA-1'],
    ['sha224', 'SHA-224'],
    ['sha256', 'SHA-256'],
    ['SHA-256', 'SHA-256'],
    ['SHA2-256', 'SHA-256'],
    ['sha384', 'SHA-384'],
    ['sha512', 'SHA-512'],
    ['sha3-256', 'SHA3-256'],
    ['SHA3-384', 'SHA3-384'],
    ['sha3_512', 'SHA3-512'],
    ['shake128', 'SHAKE128'],
    ['SHAKE-256', 'SHAKE256'],
  ])('accepts %s as %s', (name, hash) => {
    expect(digestByName(name)).toBe(hash);
  });

  test.each(['md5', 'sha512-224', 'sm3', ''])('rejects %p with ERR_UNSUPPORTED_ALGORITHM', (name) => {
    expect(codeOf(() => digestByName(name))).toBe('ERR_UNSUPPORTED_ALGORITHM');
  });
});

describe('algorithmOidNames', () => {
  test('names every OID of the table', () => {
    for (const oid of Object.values(Oids)) expect(algorithmOidNames[oid]).toEqual(expect.any(String));
  });

  test('no two OIDs of the table share a name or a value', () => {
    const values = Object.values(Oids);
    expect(new Set(values).size).toBe(values.length);
    const names = values.map((oid) => algorithmOidNames[oid]);
    expect(new Set(names).size).toBe(names.length);
  });
});
