/**
 * PasswordBasedMac protection (RFC 9810 section 5.1.3.1): the MAC matches an independent
 * node:crypto computation, our messages verify, and every way a received message can be wrong
 * gives its own error code, the iteration count being refused before any hashing.
 */
import { createHash, createHmac } from 'node:crypto';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { CmpOids, createInfoTypeAndValue, decodePkiMessage, encodePkiMessage, PBMParameter } from '../../src/asn1';
import { getCryptoProvider } from '../../src/crypto';
import { computePbm, pbmAlgorithmId, protectPkiMessage, readPbmParameter, verifyPkiMessageProtection } from '../../src/protection';
import { arrayBuffer, assembleMessage, contentOf, genmMessage, messageParts, sequenceOf, uniqueOffset } from './fixtures';

const secret = new TextEncoder().encode('pbm test secret');
const noCerts = { trusted: [], untrusted: [] };
const oids = {
  sha1: '1.3.14.3.2.26',
  sha256: '2.16.840.1.101.3.4.2.1',
  sha512: '2.16.840.1.101.3.4.2.3',
  hmacSha1: '1.3.6.1.5.5.8.1.2',
  hmacSha256: '1.2.840.113549.2.9',
};

/** RFC 9810 5.1.3.1 with node:crypto: K = OWF^n(secret || salt), then HMAC_K(data). */
function expectedPbm(owf: string, mac: string, iterations: number, salt: Uint8Array, data: Uint8Array, key: Uint8Array = secret): Buffer {
  let k = Buffer.concat([key, salt]);
  for (let i = 0; i < iterations; i++) k = createHash(owf).update(k).digest();
  return createHmac(mac, k).update(data).digest();
}

function signKeyPairTypesGenm() {
  return genmMessage({
    sender: '/CN=pbm client',
    senderKID: new TextEncoder().encode('client-ref'),
    itavs: [createInfoTypeAndValue(CmpOids.idItSignKeyPairTypes)],
  });
}

async function protectedGenm(): Promise<Uint8Array> {
  return protectPkiMessage(signKeyPairTypesGenm(), { kind: 'pbm', secret });
}

describe('PasswordBasedMac computation', () => {
  it.each([
    ['sha1', 'sha1', 100, oids.sha1, oids.hmacSha1],
    ['sha256', 'sha1', 500, oids.sha256, oids.hmacSha1],
    ['sha512', 'sha256', 1000, oids.sha512, oids.hmacSha256],
  ])('with OWF %s, HMAC-%s and %d iterations equals the node:crypto computation', async (owf, mac, iterations, owfOid, macOid) => {
    const salt = new TextEncoder().encode('sixteen byte slt');
    const data = new TextEncoder().encode('the protected part');
    const parameter = new PBMParameter({
      salt: arrayBuffer(salt),
      owf: new AlgorithmIdentifier({ algorithm: owfOid }),
      iterationCount: BigInt(iterations),
      mac: new AlgorithmIdentifier({ algorithm: macOid }),
    });
    expect(Buffer.from(await computePbm(parameter, secret, data))).toEqual(expectedPbm(owf, mac, iterations, salt, data));
  });

  it('protects DER(ProtectedPart) of the message it returns, with OpenSSL default parameters and a random salt', async () => {
    const der = await protectedGenm();
    const parameter = readPbmParameter(decodePkiMessage(der).header.protectionAlg!);
    expect(parameter.owf.algorithm).toBe(oids.sha256);
    expect(parameter.mac.algorithm).toBe(oids.hmacSha1);
    expect(parameter.iterationCount).toBe(500n);
    expect(parameter.salt.byteLength).toBe(16);
    const parts = messageParts(der);
    expect(Buffer.from(parts.protection!)).toEqual(expectedPbm('sha256', 'sha1', 500, new Uint8Array(parameter.salt), parts.protectedPart));
    // How long a salt is kept is pbm-key-cache.test.ts's subject.
    expect(Buffer.from(parameter.salt).equals(Buffer.alloc(16))).toBe(false);
  });
});

describe('verifying PasswordBasedMac', () => {
  it('accepts a message protected with the same secret', async () => {
    await expect(verifyPkiMessageProtection(decodePkiMessage(await protectedGenm()), { ...noCerts, secret })).resolves.toEqual({
      kind: 'mac',
      algorithm: 'pbm',
    });
  });

  it('computes the MAC over the header bytes as received, even where re-encoding would change them', async () => {
    // A messageTime with a fraction of a second: valid DER, which our encoder would write without it.
    const der = await protectedGenm();
    const original = messageParts(der);
    const content = contentOf(original.header);
    const time = uniqueOffset(content, Uint8Array.of(0xa0, 0x11, 0x18, 0x0f));
    const stamp = content.slice(time + 4, time + 18); // YYYYMMDDHHMMSS, then 'Z'
    const fractional = Uint8Array.of(0xa0, 0x13, 0x18, 0x11, ...stamp, 0x2e, 0x35, 0x5a); // "<stamp>.5Z"
    const header = sequenceOf(content.slice(0, time), fractional, content.slice(time + 19));
    const salt = new Uint8Array(readPbmParameter(decodePkiMessage(der).header.protectionAlg!).salt);
    const mac = expectedPbm('sha256', 'sha1', 500, salt, sequenceOf(header, original.body));
    const received = decodePkiMessage(assembleMessage(header, original.body, mac));
    expect(received.header.messageTime!.getUTCMilliseconds()).toBe(500);
    await expect(verifyPkiMessageProtection(received, { ...noCerts, secret })).resolves.toEqual({ kind: 'mac', algorithm: 'pbm' });
  });

  it('rejects a wrong MAC value with ERR_PROTECTION_INVALID', async () => {
    const der = await protectedGenm();
    der[der.length - 1] ^= 0x01; // the last byte of the protection (no extraCerts follow)
    await expect(verifyPkiMessageProtection(decodePkiMessage(der), { ...noCerts, secret })).rejects.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
  });

  it('rejects the message under a wrong secret with ERR_PROTECTION_INVALID, not naming the secret', async () => {
    const wrong = new TextEncoder().encode('another secret');
    const error = await verifyPkiMessageProtection(decodePkiMessage(await protectedGenm()), { ...noCerts, secret: wrong }).catch((e: Error) => e);
    expect(error).toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
    expect((error as Error).message).not.toContain('another secret');
  });

  it('rejects a tampered header (one bit of the transactionID) with ERR_PROTECTION_INVALID', async () => {
    const msg = signKeyPairTypesGenm();
    const transactionID = new Uint8Array(msg.header.transactionID!);
    const der = await protectPkiMessage(msg, { kind: 'pbm', secret });
    der[uniqueOffset(der, transactionID)] ^= 0x80;
    await expect(verifyPkiMessageProtection(decodePkiMessage(der), { ...noCerts, secret })).rejects.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
  });

  it('rejects a tampered body (signKeyPairTypes turned into encKeyPairTypes) with ERR_PROTECTION_INVALID', async () => {
    const der = await protectedGenm();
    const oid = Uint8Array.of(0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x04, 0x02);
    der[uniqueOffset(der, oid) + oid.length - 1] = 0x03;
    const tampered = decodePkiMessage(der);
    expect(tampered.body.genm![0]!.infoType).toBe(CmpOids.idItEncKeyPairTypes);
    await expect(verifyPkiMessageProtection(tampered, { ...noCerts, secret })).rejects.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
  });

  it('refuses an unprotected message with ERR_PROTECTION_MISSING', async () => {
    const der = await protectPkiMessage(signKeyPairTypesGenm(), { kind: 'none' });
    await expect(verifyPkiMessageProtection(decodePkiMessage(der), { ...noCerts, secret })).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
  });

  it('needs a secret: ERR_NO_SECRET without one', async () => {
    const msg = decodePkiMessage(await protectedGenm());
    await expect(verifyPkiMessageProtection(msg, noCerts)).rejects.toMatchObject({ code: 'ERR_NO_SECRET' });
    await expect(verifyPkiMessageProtection(msg, { ...noCerts, secret: new Uint8Array(0) })).rejects.toMatchObject({ code: 'ERR_NO_SECRET' });
  });
});

describe('PasswordBasedMac iteration counts', () => {
  function withParameter(parameter: PBMParameter) {
    const msg = signKeyPairTypesGenm();
    msg.header.protectionAlg = pbmAlgorithmId(parameter);
    msg.protection = new ArrayBuffer(20);
    return msg;
  }

  const parameter = (iterationCount: bigint, owf = oids.sha256, mac = oids.hmacSha1) =>
    new PBMParameter({
      salt: arrayBuffer(new Uint8Array(16)),
      owf: new AlgorithmIdentifier({ algorithm: owf }),
      iterationCount,
      mac: new AlgorithmIdentifier({ algorithm: mac }),
    });

  afterEach(() => jest.restoreAllMocks());

  it('refuses 10^9 iterations with ERR_PBM_ITERATIONS at once, without hashing anything', async () => {
    const provider = getCryptoProvider();
    const spies = (['iteratedDigest', 'digest', 'hmac', 'pbkdf2'] as const).map((m) => jest.spyOn(provider, m));
    const started = Date.now();
    await expect(verifyPkiMessageProtection(withParameter(parameter(10n ** 9n)), { ...noCerts, secret })).rejects.toMatchObject({
      code: 'ERR_PBM_ITERATIONS',
    });
    expect(Date.now() - started).toBeLessThan(500);
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('refuses fewer than 100 iterations by default and honours other limits', async () => {
    await expect(verifyPkiMessageProtection(withParameter(parameter(99n)), { ...noCerts, secret })).rejects.toMatchObject({
      code: 'ERR_PBM_ITERATIONS',
    });
    await expect(verifyPkiMessageProtection(withParameter(parameter(500n)), { ...noCerts, secret, maxIterations: 499 })).rejects.toMatchObject({
      code: 'ERR_PBM_ITERATIONS',
    });
    const few = decodePkiMessage(await protectPkiMessage(signKeyPairTypesGenm(), { kind: 'pbm', secret, iterations: 10 }));
    await expect(verifyPkiMessageProtection(few, { ...noCerts, secret, minIterations: 10 })).resolves.toEqual({ kind: 'mac', algorithm: 'pbm' });
  });

  it('refuses an empty salt and one longer than 256 bytes with ERR_UNSUPPORTED_ALGORITHM, without hashing anything', async () => {
    const provider = getCryptoProvider();
    const spies = (['iteratedDigest', 'hmac'] as const).map((m) => jest.spyOn(provider, m));
    for (const length of [0, 257, 500_000]) {
      const salted = new PBMParameter({ ...parameter(100_000n), salt: arrayBuffer(new Uint8Array(length)) });
      await expect(verifyPkiMessageProtection(withParameter(salted), { ...noCerts, secret })).rejects.toMatchObject({
        code: 'ERR_UNSUPPORTED_ALGORITHM',
      });
    }
    for (const spy of spies) expect(spy).not.toHaveBeenCalled();
  });

  it('lets other work run while it derives a key from the largest accepted iteration count', async () => {
    let turns = 0;
    const ticker = setInterval(() => turns++, 0);
    for (const owf of [oids.sha256, oids.sha512]) {
      const msg = withParameter(new PBMParameter({ ...parameter(100_000n, owf), salt: arrayBuffer(getCryptoProvider().randomBytes(16)) }));
      await expect(verifyPkiMessageProtection(msg, { ...noCerts, secret })).rejects.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
    }
    clearInterval(ticker);
    // 100000 rounds run in slices of a few milliseconds: a timer gets its turn between them.
    expect(turns).toBeGreaterThanOrEqual(10);
  });

  it('refuses an OWF or a MAC it does not know with ERR_UNSUPPORTED_ALGORITHM', async () => {
    const md5 = '1.2.840.113549.2.5';
    const hmacMd5 = '1.3.6.1.5.5.8.1.1';
    await expect(verifyPkiMessageProtection(withParameter(parameter(500n, md5)), { ...noCerts, secret })).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_ALGORITHM',
    });
    await expect(verifyPkiMessageProtection(withParameter(parameter(500n, oids.sha256, hmacMd5)), { ...noCerts, secret })).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_ALGORITHM',
    });
  });

  it('refuses a PasswordBasedMac without parameters with ERR_ASN1_DECODE', async () => {
    const msg = withParameter(parameter(500n));
    msg.header.protectionAlg = new AlgorithmIdentifier({ algorithm: CmpOids.passwordBasedMac });
    await expect(verifyPkiMessageProtection(msg, { ...noCerts, secret })).rejects.toMatchObject({ code: 'ERR_ASN1_DECODE' });
  });
});

describe('MAC-based protections we do not implement', () => {
  // KemBasedMac is implemented (kem-mac.ts; test/protection/kem-mac-protection.test.ts).
  it.each([['DHBasedMac', CmpOids.dhBasedMac]])('%s is ERR_UNSUPPORTED_ALGORITHM', async (_, oid) => {
    const msg = signKeyPairTypesGenm();
    msg.header.protectionAlg = new AlgorithmIdentifier({ algorithm: oid, parameters: Uint8Array.of(0x30, 0x00).buffer });
    msg.protection = new ArrayBuffer(20);
    await expect(verifyPkiMessageProtection(msg, { ...noCerts, secret })).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED_ALGORITHM' });
  });
});

describe('protecting with PasswordBasedMac', () => {
  it('needs a secret (ERR_NO_SECRET) and sensible parameters (ERR_INVALID_OPTION)', async () => {
    await expect(protectPkiMessage(signKeyPairTypesGenm(), { kind: 'pbm', secret: new Uint8Array(0) })).rejects.toMatchObject({
      code: 'ERR_NO_SECRET',
    });
    await expect(protectPkiMessage(signKeyPairTypesGenm(), { kind: 'pbm', secret, iterations: 0 })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
    await expect(protectPkiMessage(signKeyPairTypesGenm(), { kind: 'pbm', secret, saltLength: 1.5 })).rejects.toMatchObject({
      code: 'ERR_INVALID_OPTION',
    });
  });

  it('leaves the protection in the message object, which encodes to the very bytes returned', async () => {
    const msg = signKeyPairTypesGenm();
    const der = await protectPkiMessage(msg, { kind: 'pbm', secret });
    expect(Buffer.from(msg.protection!)).toEqual(Buffer.from(messageParts(der).protection!));
    expect(Buffer.from(encodePkiMessage(msg))).toEqual(Buffer.from(der));
  });

  it('re-protecting a message replaces its protection', async () => {
    const msg = signKeyPairTypesGenm();
    await protectPkiMessage(msg, { kind: 'pbm', secret: new TextEncoder().encode('first secret') });
    const der = await protectPkiMessage(msg, { kind: 'pbm', secret });
    await expect(verifyPkiMessageProtection(decodePkiMessage(der), { ...noCerts, secret })).resolves.toEqual({ kind: 'mac', algorithm: 'pbm' });
  });
});
