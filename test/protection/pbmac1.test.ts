/**
 * PBMAC1 protection (RFC 9481 section 6.1.2, RFC 8018 section 7.1). No peer here speaks it, so the
 * construction is checked against node:crypto (pbkdf2Sync, then createHmac over DER(ProtectedPart))
 * with the parameters read independently by asn1js, and the parameters of the Lightweight CMP RA's
 * PBMAC1-protected ir are read as published.
 */
import { createHmac, pbkdf2Sync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as asn1js from 'asn1js';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { CmpOids, createInfoTypeAndValue, decodePkiMessage, PBKDF2Params, PBKDF2Salt, PBMAC1Params, type PKIMessage } from '../../src/asn1';
import { getCryptoProvider } from '../../src/crypto';
import { computePbmac1, protectPkiMessage, readPbmac1Parameters, verifyPkiMessageProtection } from '../../src/protection';
import { arrayBuffer, genmMessage, messageParts, uniqueOffset } from './fixtures';

const secret = new TextEncoder().encode('pbmac1 test secret');
const noCerts = { trusted: [], untrusted: [] };
const pbmac1Oid = Uint8Array.of(0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x05, 0x0e);
const hmacWith = { 'SHA-1': '1.2.840.113549.2.7', 'SHA-256': '1.2.840.113549.2.9', 'SHA-512': '1.2.840.113549.2.11' };

interface IndependentReading {
  salt: Buffer;
  iterations: number;
  keyLength?: number;
  /** Absent: the DEFAULT, hmacWithSHA1. */
  prf?: string;
  prfHasNullParameters?: boolean;
  mac: string;
  macHasParameters: boolean;
}

/** The PBMAC1 AlgorithmIdentifier in a DER message, read with asn1js rather than the code under test. */
function readIndependently(der: Uint8Array): IndependentReading {
  const start = uniqueOffset(der, pbmac1Oid) - 2; // SEQUENCE, short length, then the OID
  const algorithm = asn1js.fromBER(der.slice(start)).result as asn1js.Sequence;
  const [, params] = algorithm.valueBlock.value as [asn1js.ObjectIdentifier, asn1js.Sequence];
  const [kdf, mac] = params.valueBlock.value as [asn1js.Sequence, asn1js.Sequence];
  const [kdfOid, kdfParams] = kdf.valueBlock.value as [asn1js.ObjectIdentifier, asn1js.Sequence];
  expect(kdfOid.valueBlock.toString()).toBe('1.2.840.113549.1.5.12');
  const fields = kdfParams.valueBlock.value;
  const salt = Buffer.from((fields[0] as asn1js.OctetString).valueBlock.valueHexView);
  const iterations = (fields[1] as asn1js.Integer).valueBlock.valueDec;
  const keyLength = fields[2] instanceof asn1js.Integer ? fields[2].valueBlock.valueDec : undefined;
  const prf = fields[fields.length - 1];
  const [prfOid, prfParams] = prf instanceof asn1js.Sequence ? prf.valueBlock.value : [];
  const [macOid, macParams] = mac.valueBlock.value;
  return {
    salt,
    iterations,
    ...(keyLength !== undefined ? { keyLength } : {}),
    ...(prfOid ? { prf: (prfOid as asn1js.ObjectIdentifier).valueBlock.toString(), prfHasNullParameters: prfParams instanceof asn1js.Null } : {}),
    mac: (macOid as asn1js.ObjectIdentifier).valueBlock.toString(),
    macHasParameters: macParams !== undefined,
  };
}

function genm(): PKIMessage {
  return genmMessage({
    sender: '/CN=pbmac1 client',
    senderKID: new TextEncoder().encode('client-ref'),
    itavs: [createInfoTypeAndValue(CmpOids.idItCaCerts)],
  });
}

describe('PBMAC1 construction', () => {
  it('is PBKDF2 with the PRF, then the HMAC, over DER(ProtectedPart) of the message returned', async () => {
    const der = await protectPkiMessage(genm(), {
      kind: 'pbmac1',
      secret,
      prf: 'SHA-512',
      mac: 'SHA-256',
      iterations: 2048,
      keyLength: 48,
      saltLength: 20,
    });
    const read = readIndependently(der);
    expect(read).toMatchObject({ iterations: 2048, keyLength: 48, prf: hmacWith['SHA-512'], mac: hmacWith['SHA-256'] });
    expect(read.salt).toHaveLength(20);
    const key = pbkdf2Sync(secret, read.salt, 2048, 48, 'sha512');
    const parts = messageParts(der);
    expect(Buffer.from(parts.protection!)).toEqual(createHmac('sha256', key).update(parts.protectedPart).digest());
    await expect(verifyPkiMessageProtection(decodePkiMessage(der), { ...noCerts, secret })).resolves.toEqual({ kind: 'mac', algorithm: 'pbmac1' });
  });

  it('defaults to HMAC-SHA256 as PRF (NULL parameters) and as MAC (no parameters), 10000 iterations, a 32-byte key and 16 bytes of random salt', async () => {
    const first = readIndependently(await protectPkiMessage(genm(), { kind: 'pbmac1', secret }));
    expect(first).toMatchObject({
      iterations: 10_000,
      keyLength: 32,
      prf: hmacWith['SHA-256'],
      prfHasNullParameters: true,
      mac: hmacWith['SHA-256'],
      macHasParameters: false,
    });
    expect(first.salt).toHaveLength(16);
    // How long a sender keeps its salt is pbm-key-cache.test.ts's subject.
    const otherSecret = new TextEncoder().encode('another secret');
    const second = readIndependently(await protectPkiMessage(genm(), { kind: 'pbmac1', secret: otherSecret }));
    expect(second.salt).not.toEqual(first.salt);
  });

  it('names HMAC-SHA1 by the RFC 8018 identifier, which is also the PRF DEFAULT and then left out', async () => {
    const der = await protectPkiMessage(genm(), { kind: 'pbmac1', secret, prf: 'SHA-1', mac: 'SHA-1', iterations: 1000 });
    const parameters = readPbmac1Parameters(decodePkiMessage(der).header.protectionAlg!);
    expect(parameters).toMatchObject({ prf: 'SHA-1', mac: 'SHA-1', keyLength: 20n });
    const read = readIndependently(der);
    expect(read.prf).toBeUndefined();
    expect(read.mac).toBe(hmacWith['SHA-1']);
    await expect(verifyPkiMessageProtection(decodePkiMessage(der), { ...noCerts, secret })).resolves.toEqual({ kind: 'mac', algorithm: 'pbmac1' });
  });
});

describe('the Lightweight CMP RA PBMAC1-protected ir', () => {
  const file = path.join(__dirname, '../vectors/lightweightcmpra/IrWithMacProtection/downstream_INIT_REQ.PKI');
  const msg = () => decodePkiMessage(new Uint8Array(readFileSync(file)));

  it('has its PBMAC1 parameters read as published: 20 bytes of salt, 10000 iterations, a 4096-byte key, HMAC-SHA256 twice', () => {
    expect(readPbmac1Parameters(msg().header.protectionAlg!)).toEqual({
      salt: new Uint8Array(Buffer.from('7EC7F1E083FDF62FF5AC948A32EA9E3286B22C7E', 'hex')),
      iterationCount: 10_000n,
      keyLength: 4096n,
      prf: 'SHA-256',
      mac: 'SHA-256',
    });
  });

  it('is refused for its 4096-byte key (128 runs of PBKDF2) before any key is derived, and without a secret for lack of one', async () => {
    const spy = jest.spyOn(getCryptoProvider(), 'pbkdf2');
    await expect(verifyPkiMessageProtection(msg(), noCerts)).rejects.toMatchObject({ code: 'ERR_NO_SECRET' });
    await expect(verifyPkiMessageProtection(msg(), { ...noCerts, secret })).rejects.toMatchObject({
      code: 'ERR_UNSUPPORTED_ALGORITHM',
      message: expect.stringContaining('key length 4096'),
    });
    expect(spy).not.toHaveBeenCalled();
    spy.mockRestore();
  });
});

describe('verifying PBMAC1', () => {
  it('rejects a tampered body and a wrong secret with ERR_PROTECTION_INVALID', async () => {
    const der = await protectPkiMessage(genm(), { kind: 'pbmac1', secret, iterations: 1000 });
    await expect(verifyPkiMessageProtection(decodePkiMessage(der), { ...noCerts, secret: new TextEncoder().encode('wrong') })).rejects.toMatchObject({
      code: 'ERR_PROTECTION_INVALID',
    });
    const caCerts = Uint8Array.of(0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x04, 0x11);
    der[uniqueOffset(der, caCerts) + caCerts.length - 1] = 0x12; // id-it-caCerts -> id-it-rootCaKeyUpdate
    await expect(verifyPkiMessageProtection(decodePkiMessage(der), { ...noCerts, secret })).rejects.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
  });

  function withPbkdf2(change: Partial<PBKDF2Params>, kdfOid: string = CmpOids.pbkdf2): PKIMessage {
    const kdf = new PBKDF2Params({
      salt: new PBKDF2Salt({ specified: arrayBuffer(new Uint8Array(16)) }),
      iterationCount: 1000n,
      keyLength: 32n,
      prf: new AlgorithmIdentifier({ algorithm: hmacWith['SHA-256'], parameters: null }),
      ...change,
    });
    const params = new PBMAC1Params({
      keyDerivationFunc: new AlgorithmIdentifier({ algorithm: kdfOid, parameters: AsnConvert.serialize(kdf) }),
      messageAuthScheme: new AlgorithmIdentifier({ algorithm: hmacWith['SHA-256'] }),
    });
    const msg = genm();
    msg.header.protectionAlg = new AlgorithmIdentifier({ algorithm: CmpOids.pbmac1, parameters: AsnConvert.serialize(params) });
    msg.protection = new ArrayBuffer(32);
    return msg;
  }

  afterEach(() => jest.restoreAllMocks());

  it('refuses 10^9 iterations with ERR_PBM_ITERATIONS without deriving a key', async () => {
    const spy = jest.spyOn(getCryptoProvider(), 'pbkdf2');
    const started = Date.now();
    await expect(verifyPkiMessageProtection(withPbkdf2({ iterationCount: 10n ** 9n }), { ...noCerts, secret })).rejects.toMatchObject({
      code: 'ERR_PBM_ITERATIONS',
    });
    expect(Date.now() - started).toBeLessThan(500);
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses a derived key longer than 64 bytes (the longest HMAC output) with ERR_UNSUPPORTED_ALGORITHM without deriving it', async () => {
    const spy = jest.spyOn(getCryptoProvider(), 'pbkdf2');
    for (const keyLength of [65n, 4096n]) {
      await expect(verifyPkiMessageProtection(withPbkdf2({ keyLength }), { ...noCerts, secret })).rejects.toMatchObject({
        code: 'ERR_UNSUPPORTED_ALGORITHM',
      });
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it('refuses an empty salt and one longer than 256 bytes with ERR_UNSUPPORTED_ALGORITHM without deriving a key', async () => {
    const spy = jest.spyOn(getCryptoProvider(), 'pbkdf2');
    for (const length of [0, 257, 100_000]) {
      const salt = new PBKDF2Salt({ specified: arrayBuffer(new Uint8Array(length)) });
      await expect(verifyPkiMessageProtection(withPbkdf2({ salt }), { ...noCerts, secret })).rejects.toMatchObject({
        code: 'ERR_UNSUPPORTED_ALGORITHM',
      });
    }
    expect(spy).not.toHaveBeenCalled();
  });

  it('will not send with a key longer than it accepts', async () => {
    await expect(protectPkiMessage(genm(), { kind: 'pbmac1', secret, keyLength: 65 })).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED_ALGORITHM' });
  });

  it('refuses another KDF, a salt from another source and an unknown PRF with ERR_UNSUPPORTED_ALGORITHM', async () => {
    const scrypt = '1.3.6.1.4.1.11591.4.11';
    const unknownPrf = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.2.5', parameters: null }); // MD5
    const otherSource = new PBKDF2Salt({ otherSource: new AlgorithmIdentifier({ algorithm: '1.3.6.1.4.1.99999.1' }) });
    for (const msg of [withPbkdf2({}, scrypt), withPbkdf2({ salt: otherSource }), withPbkdf2({ prf: unknownPrf })]) {
      await expect(verifyPkiMessageProtection(msg, { ...noCerts, secret })).rejects.toMatchObject({ code: 'ERR_UNSUPPORTED_ALGORITHM' });
    }
  });

  it('uses the MAC hash length as key length when keyLength is absent', async () => {
    const msg = withPbkdf2({ keyLength: undefined });
    const data = new TextEncoder().encode('the protected part');
    const parameters = readPbmac1Parameters(msg.header.protectionAlg!);
    expect(parameters.keyLength).toBeUndefined();
    const expected = createHmac('sha256', pbkdf2Sync(secret, Buffer.alloc(16), 1000, 32, 'sha256'))
      .update(data)
      .digest();
    expect(Buffer.from(await computePbmac1(parameters, secret, data))).toEqual(expected);
  });
});
