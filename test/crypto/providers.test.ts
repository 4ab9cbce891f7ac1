import { inspect } from 'node:util';
import { randomBytes as nodeRandomBytes, webcrypto } from 'node:crypto';
import { NodeCryptoProvider } from '../../src/crypto/node';
import { WebCryptoProvider } from '../../src/crypto/webcrypto';
import type { CryptoProvider, HashName, KeySpec, PrivateKeyHandle, SignatureAlgorithm } from '../../src/crypto/provider';
import { isCmpError } from '../../src/errors';
import { generateOpenSslKey, openssl, opensslSucceeds, OpenSslKey, TempDir } from './openssl-cli';

const opensslDigestNames: Record<HashName, string> = {
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA3-256': 'sha3-256',
  'SHA3-384': 'sha3-384',
  'SHA3-512': 'sha3-512',
  SHAKE128: 'shake128',
  SHAKE256: 'shake256',
};

const allHashes = Object.keys(opensslDigestNames) as HashName[];
const fixedHashes = allHashes.filter((h) => !h.startsWith('SHAKE'));
const webHashes: HashName[] = ['SHA-1', 'SHA-256', 'SHA-384', 'SHA-512'];

interface ProviderCase {
  name: string;
  provider: CryptoProvider;
  hashes: HashName[];
  /** Hashes usable with HMAC, PBKDF2 and signatures. */
  macHashes: HashName[];
}

const cases: ProviderCase[] = [
  { name: 'NodeCryptoProvider', provider: new NodeCryptoProvider(), hashes: allHashes, macHashes: fixedHashes },
  { name: 'WebCryptoProvider', provider: new WebCryptoProvider(webcrypto as unknown as Crypto), hashes: webHashes, macHashes: webHashes },
];

const keyAlgorithms = { rsa: 'RSA', p256: 'EC:P-256', p384: 'EC:P-384', p521: 'EC:P-521', ed25519: 'ED25519', ed448: 'ED448' } as const;
type KeyName = keyof typeof keyAlgorithms;

let dir: TempDir;
const keys = {} as Record<KeyName, OpenSslKey>;

beforeAll(() => {
  dir = new TempDir();
  for (const [name, algorithm] of Object.entries(keyAlgorithms)) keys[name as KeyName] = generateOpenSslKey(dir, name, algorithm);
});

afterAll(() => dir.cleanup());

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

function opensslDigest(hash: HashName, data: Uint8Array): string {
  const xof = hash === 'SHAKE128' ? ['-xoflen', '32'] : hash === 'SHAKE256' ? ['-xoflen', '64'] : [];
  return hex(openssl(['dgst', `-${opensslDigestNames[hash]}`, ...xof, '-binary'], data));
}

interface SignatureCase {
  label: string;
  key: KeyName;
  alg: SignatureAlgorithm;
}

function signatureCases(macHashes: HashName[]): SignatureCase[] {
  const out: SignatureCase[] = [];
  for (const hash of macHashes) {
    out.push({ label: `rsa-pkcs1 ${hash}`, key: 'rsa', alg: { scheme: 'rsa-pkcs1', hash } });
    out.push({ label: `rsa-pss ${hash}`, key: 'rsa', alg: { scheme: 'rsa-pss', hash } });
    out.push({ label: `ecdsa P-256 ${hash}`, key: 'p256', alg: { scheme: 'ecdsa', hash } });
  }
  out.push({ label: 'rsa-pss SHA-256 salt 20', key: 'rsa', alg: { scheme: 'rsa-pss', hash: 'SHA-256', saltLength: 20 } });
  out.push({ label: 'rsa-pss SHA-512 salt 0', key: 'rsa', alg: { scheme: 'rsa-pss', hash: 'SHA-512', saltLength: 0 } });
  out.push({ label: 'ecdsa P-384 SHA-384', key: 'p384', alg: { scheme: 'ecdsa', hash: 'SHA-384' } });
  out.push({ label: 'ecdsa P-521 SHA-512', key: 'p521', alg: { scheme: 'ecdsa', hash: 'SHA-512' } });
  out.push({ label: 'ed25519', key: 'ed25519', alg: { scheme: 'ed25519' } });
  out.push({ label: 'ed448', key: 'ed448', alg: { scheme: 'ed448' } });
  return out;
}

function saltLengthOf(alg: SignatureAlgorithm): number {
  const lengths: Partial<Record<HashName, number>> = {
    'SHA-1': 20,
    'SHA-224': 28,
    'SHA-256': 32,
    'SHA-384': 48,
    'SHA-512': 64,
    'SHA3-256': 32,
    'SHA3-384': 48,
    'SHA3-512': 64,
  };
  return alg.saltLength ?? lengths[alg.hash!]!;
}

function opensslVerifies(alg: SignatureAlgorithm, key: OpenSslKey, signature: Uint8Array, data: Uint8Array): boolean {
  const sig = dir.file('sig.bin', signature);
  const msg = dir.file('msg.bin', data);
  if (alg.scheme === 'ed25519' || alg.scheme === 'ed448') {
    return opensslSucceeds(['pkeyutl', '-verify', '-pubin', '-inkey', key.publicPemPath, '-rawin', '-in', msg, '-sigfile', sig]);
  }
  const pss = alg.scheme === 'rsa-pss' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${saltLengthOf(alg)}`] : [];
  return opensslSucceeds(['dgst', `-${opensslDigestNames[alg.hash!]}`, ...pss, '-verify', key.publicPemPath, '-signature', sig, msg]);
}

function opensslSign(alg: SignatureAlgorithm, key: OpenSslKey, data: Uint8Array): Buffer {
  const msg = dir.file('msg.bin', data);
  if (alg.scheme === 'ed25519' || alg.scheme === 'ed448') {
    return openssl(['pkeyutl', '-sign', '-inkey', key.pemPath, '-rawin', '-in', msg]);
  }
  const pss = alg.scheme === 'rsa-pss' ? ['-sigopt', 'rsa_padding_mode:pss', '-sigopt', `rsa_pss_saltlen:${saltLengthOf(alg)}`] : [];
  return openssl(['dgst', `-${opensslDigestNames[alg.hash!]}`, ...pss, '-sign', key.pemPath, msg]);
}

async function expectCmpError(promise: Promise<unknown>, code: string): Promise<void> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isCmpError(error)).toBe(true);
  expect((error as { code: string }).code).toBe(code);
}

describe.each(cases)('$name', ({ name, provider, hashes, macHashes }) => {
  const data = nodeRandomBytes(1000);
  const importKey = (key: KeyName): Promise<PrivateKeyHandle> => provider.importPrivateKey(keys[key].pkcs8);

  describe('hashing', () => {
    test.each(hashes)('digest with %s equals openssl dgst', async (hash) => {
      expect(hex(await provider.digest(hash, data))).toBe(opensslDigest(hash, data));
    });

    test.each(hashes)('iteratedDigest with %s three times equals hashing the hash twice more with openssl', async (hash) => {
      const once = Buffer.from(opensslDigest(hash, data), 'hex');
      const twice = Buffer.from(opensslDigest(hash, once), 'hex');
      expect(hex(await provider.iteratedDigest(hash, data, 3))).toBe(opensslDigest(hash, twice));
    });

    test('iteratedDigest with count 1 is the plain digest', async () => {
      expect(await provider.iteratedDigest('SHA-256', data, 1)).toEqual(await provider.digest('SHA-256', data));
    });

    test('iteratedDigest rejects a count below 1 with ERR_INVALID_OPTION', async () => {
      await expectCmpError(provider.iteratedDigest('SHA-256', data, 0), 'ERR_INVALID_OPTION');
    });

    test('results are plain Uint8Arrays owning their buffer', async () => {
      const digest = await provider.digest('SHA-256', data);
      expect(digest.constructor).toBe(Uint8Array);
      expect(digest.buffer.byteLength).toBe(32);
    });
  });

  describe('HMAC and PBKDF2', () => {
    const key = nodeRandomBytes(40);

    test.each(macHashes)('hmac with %s equals openssl mac', async (hash) => {
      const expected = openssl(['mac', '-digest', opensslDigestNames[hash], '-macopt', `hexkey:${hex(key)}`, 'HMAC'], data)
        .toString()
        .trim();
      expect(hex(await provider.hmac(hash, key, data))).toBe(expected.toLowerCase());
    });

    test('hmac with an empty key equals openssl mac with an empty key', async () => {
      const expected = openssl(['mac', '-digest', 'sha256', '-macopt', 'hexkey:', 'HMAC'], data).toString().trim();
      expect(hex(await provider.hmac('SHA-256', new Uint8Array(0), data))).toBe(expected.toLowerCase());
    });

    test.each(macHashes)('pbkdf2 with %s equals openssl kdf PBKDF2', async (hash) => {
      const password = Buffer.from('correct horse battery staple');
      const salt = nodeRandomBytes(16);
      const expected = openssl([
        'kdf',
        '-keylen',
        '48',
        '-kdfopt',
        `digest:${opensslDigestNames[hash]}`,
        '-kdfopt',
        `hexpass:${hex(password)}`,
        '-kdfopt',
        `hexsalt:${hex(salt)}`,
        '-kdfopt',
        'iter:1000',
        'PBKDF2',
      ])
        .toString()
        .trim()
        .replace(/:/g, '');
      expect(hex(await provider.pbkdf2(hash, password, salt, 1000, 48))).toBe(expected.toLowerCase());
    });

    test('pbkdf2 reproduces the RFC 6070 test vector (SHA-1, 4096 iterations)', async () => {
      const out = await provider.pbkdf2('SHA-1', Buffer.from('password'), Buffer.from('salt'), 4096, 20);
      expect(hex(out)).toBe('4b007901b765489abead49d926f721d065a429c1');
    });
  });

  describe('randomBytes', () => {
    test('returns the requested number of bytes, different each call, beyond the 64 KiB getRandomValues limit', () => {
      const a = provider.randomBytes(70000);
      const b = provider.randomBytes(70000);
      expect(a.length).toBe(70000);
      expect(hex(a.subarray(65536))).not.toBe(hex(b.subarray(65536)));
      expect(hex(a.subarray(0, 32))).not.toBe(hex(b.subarray(0, 32)));
    });
  });

  describe('signatures', () => {
    const signable = signatureCases(macHashes);

    test.each(signable)('a $label signature verifies with openssl', async ({ key, alg }) => {
      const signature = await provider.sign(alg, await importKey(key), data);
      expect(opensslVerifies(alg, keys[key], signature, data)).toBe(true);
    });

    test.each(signable)('an openssl $label signature verifies', async ({ key, alg }) => {
      const signature = opensslSign(alg, keys[key], data);
      expect(await provider.verify(alg, keys[key].spki, signature, data)).toBe(true);
    });

    test.each(signable)('a $label signature over tampered data does not verify', async ({ key, alg }) => {
      const signature = await provider.sign(alg, await importKey(key), data);
      const tampered = Buffer.from(data);
      tampered[17]! ^= 1;
      expect(await provider.verify(alg, keys[key].spki, signature, tampered)).toBe(false);
    });

    test.each(signable)('a tampered $label signature does not verify', async ({ key, alg }) => {
      const signature = await provider.sign(alg, await importKey(key), data);
      signature[signature.length - 3]! ^= 0x40;
      expect(await provider.verify(alg, keys[key].spki, signature, data)).toBe(false);
    });

    test('an RSA-PSS signature does not verify with a different salt length', async () => {
      const signature = await provider.sign({ scheme: 'rsa-pss', hash: 'SHA-256', saltLength: 20 }, await importKey('rsa'), data);
      expect(await provider.verify({ scheme: 'rsa-pss', hash: 'SHA-256', saltLength: 32 }, keys.rsa.spki, signature, data)).toBe(false);
    });

    test('a signature does not verify with the public key of another key of the same type', async () => {
      const signature = await provider.sign({ scheme: 'ecdsa', hash: 'SHA-256' }, await importKey('p256'), data);
      const other = await provider.generateKey({ type: 'ec', curve: 'P-256' });
      expect(await provider.verify({ scheme: 'ecdsa', hash: 'SHA-256' }, other.spki, signature, data)).toBe(false);
    });

    test('verify returns false when the key type does not fit the scheme', async () => {
      const signature = await provider.sign({ scheme: 'ed25519' }, await importKey('ed25519'), data);
      expect(await provider.verify({ scheme: 'ecdsa', hash: 'SHA-256' }, keys.ed25519.spki, signature, data)).toBe(false);
      expect(await provider.verify({ scheme: 'ed448' }, keys.ed25519.spki, signature, data)).toBe(false);
    });

    test('verify returns false for a malformed public key or signature', async () => {
      expect(await provider.verify({ scheme: 'ed25519' }, new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), new Uint8Array(64), data)).toBe(false);
      expect(await provider.verify({ scheme: 'ecdsa', hash: 'SHA-256' }, keys.p256.spki, new Uint8Array([0x30, 0x00]), data)).toBe(false);
    });

    test('signing with a key of the wrong type fails with ERR_CREDENTIALS', async () => {
      await expectCmpError(provider.sign({ scheme: 'rsa-pkcs1', hash: 'SHA-256' }, await importKey('p256'), data), 'ERR_CREDENTIALS');
    });

    test('signing with a handle of another provider fails with ERR_CREDENTIALS', async () => {
      const other = cases.find((c) => c.name !== name)!.provider;
      const foreign = await other.importPrivateKey(keys.p256.pkcs8);
      await expectCmpError(provider.sign({ scheme: 'ecdsa', hash: 'SHA-256' }, foreign, data), 'ERR_CREDENTIALS');
    });

    test('SHAKE is not a signature hash: ERR_UNSUPPORTED_ALGORITHM', async () => {
      await expectCmpError(provider.sign({ scheme: 'ecdsa', hash: 'SHAKE256' }, await importKey('p256'), data), 'ERR_UNSUPPORTED_ALGORITHM');
    });
  });

  describe('private keys', () => {
    test.each([
      ['rsa', 'rsa', undefined, 2048],
      ['p256', 'ec', 'P-256', undefined],
      ['p384', 'ec', 'P-384', undefined],
      ['p521', 'ec', 'P-521', undefined],
      ['ed25519', 'ed25519', undefined, undefined],
      ['ed448', 'ed448', undefined, undefined],
    ] as const)(
      'importing the %s key describes it and fills in the SubjectPublicKeyInfo openssl derives',
      async (key, keyType, curve, modulusLength) => {
        const handle = await importKey(key);
        expect(handle.kind).toBe('private');
        expect(handle.keyType).toBe(keyType);
        expect(handle.curve).toBe(curve);
        expect(handle.modulusLength).toBe(modulusLength);
        expect(hex(handle.spki)).toBe(hex(keys[key].spki));
      },
    );

    test('a key handle shows no key material in JSON, string conversion or util.inspect', async () => {
      const handle = await importKey('rsa');
      expect(JSON.stringify(handle)).toBe('"[private key]"');
      expect(JSON.stringify({ key: handle })).toBe('{"key":"[private key]"}');
      expect(String(handle)).toBe('[private key]');
      expect(inspect(handle, { depth: 10, showHidden: true })).toBe('[private key]');
      expect(Object.keys(handle)).not.toContain('handle');
    });

    test('exportPrivateKey gives a PKCS#8 key openssl reads as the same key', async () => {
      const exported = await provider.exportPrivateKey(await importKey('p384'));
      expect(hex(openssl(['pkey', '-inform', 'DER', '-pubout', '-outform', 'DER'], exported))).toBe(hex(keys.p384.spki));
    });

    test('importing bytes that are not PKCS#8 fails with ERR_CREDENTIALS', async () => {
      await expectCmpError(provider.importPrivateKey(Buffer.from('not a key')), 'ERR_CREDENTIALS');
    });

    const specs: [KeySpec, SignatureAlgorithm][] = [
      [
        { type: 'rsa', modulusLength: 2048 },
        { scheme: 'rsa-pkcs1', hash: 'SHA-256' },
      ],
      [
        { type: 'ec', curve: 'P-256' },
        { scheme: 'ecdsa', hash: 'SHA-256' },
      ],
      [
        { type: 'ec', curve: 'P-521' },
        { scheme: 'ecdsa', hash: 'SHA-512' },
      ],
      [{ type: 'ed25519' }, { scheme: 'ed25519' }],
      [{ type: 'ed448' }, { scheme: 'ed448' }],
    ];

    test.each(specs)('generateKey(%o) makes a key that signs, with a public key openssl accepts', async (spec, alg) => {
      const key = await provider.generateKey(spec);
      expect(key.keyType).toBe(spec.type);
      const signature = await provider.sign(alg, key, data);
      expect(await provider.verify(alg, key.spki, signature, data)).toBe(true);
      expect(opensslSucceeds(['pkey', '-pubin', '-inform', 'DER', '-noout'], key.spki)).toBe(true);
    });

    test('generateKey rejects an RSA modulus below 1024 bits with ERR_INVALID_OPTION', async () => {
      await expectCmpError(provider.generateKey({ type: 'rsa', modulusLength: 512 }), 'ERR_INVALID_OPTION');
    });
  });
});

describe('the two providers interoperate', () => {
  const [node, web] = cases.map((c) => c.provider) as [CryptoProvider, CryptoProvider];
  const data = nodeRandomBytes(300);

  test.each(['p256', 'p384', 'p521'] as const)('a DER ECDSA signature over %s made by one verifies with the other', async (key) => {
    const alg: SignatureAlgorithm = { scheme: 'ecdsa', hash: 'SHA-384' };
    const byNode = await node.sign(alg, await node.importPrivateKey(keys[key].pkcs8), data);
    const byWeb = await web.sign(alg, await web.importPrivateKey(keys[key].pkcs8), data);
    expect(await web.verify(alg, keys[key].spki, byNode, data)).toBe(true);
    expect(await node.verify(alg, keys[key].spki, byWeb, data)).toBe(true);
  });

  test('WebCrypto refuses hashes it lacks with ERR_UNSUPPORTED_ALGORITHM, where node:crypto computes them', async () => {
    await expect(node.digest('SHA3-256', data)).resolves.toHaveLength(32);
    await expectCmpError(web.digest('SHA3-256', data), 'ERR_UNSUPPORTED_ALGORITHM');
    await expectCmpError(web.hmac('SHA-224', data, data), 'ERR_UNSUPPORTED_ALGORITHM');
  });
});
