/**
 * PBM key reuse: what cmpflow sends keeps its salt for a while, and a key once derived for a
 * secret, salt and settings is not derived again; but nothing about it lets another secret, salt or
 * setting find that key, and the MACs stay exactly those of RFC 9810 section 5.1.3.1.
 */
import { createHash, createHmac, pbkdf2Sync } from 'node:crypto';
import { CmpOids, createInfoTypeAndValue, decodePkiMessage } from '../../src/asn1';
import { getCryptoProvider, NodeCryptoProvider, setCryptoProvider, type CryptoProvider } from '../../src/crypto';
import {
  computePbm,
  computePbmac1,
  protectPkiMessage,
  readPbmac1Parameters,
  readPbmParameter,
  verifyPkiMessageProtection,
} from '../../src/protection';
import { clearPbmKeyCache, PBM_KEY_CACHE_SIZE, PBM_KEY_PROBATION_SIZE, PBM_SALT_USES, reusablePbmSalt } from '../../src/protection/pbm-key-cache';
import { newPbmParameter } from '../../src/protection/pbm';
import { genmMessage } from './fixtures';

const secret = new TextEncoder().encode('key cache secret');
const otherSecret = new TextEncoder().encode('key cache secreT');
const data = new TextEncoder().encode('protected part');

/** node:crypto, counting the iterated derivations it is asked for. */
class CountingProvider extends NodeCryptoProvider {
  derivations = 0;
  pbkdf2Runs = 0;
  override async iteratedDigest(...args: Parameters<CryptoProvider['iteratedDigest']>): Promise<Uint8Array> {
    this.derivations++;
    return super.iteratedDigest(...args);
  }
  override async pbkdf2(...args: Parameters<CryptoProvider['pbkdf2']>): Promise<Uint8Array> {
    this.pbkdf2Runs++;
    return super.pbkdf2(...args);
  }
}

function expectedPbm(key: Uint8Array, salt: Uint8Array, iterations: number): Buffer {
  let k = Buffer.concat([key, salt]);
  for (let i = 0; i < iterations; i++) k = createHash('sha256').update(k).digest();
  return createHmac('sha1', k).update(data).digest();
}

function genm() {
  return genmMessage({
    sender: '/CN=cache client',
    senderKID: new TextEncoder().encode('ref'),
    itavs: [createInfoTypeAndValue(CmpOids.idItSignKeyPairTypes)],
  });
}

let provider: CountingProvider;
const original = getCryptoProvider();
beforeEach(() => {
  clearPbmKeyCache();
  provider = new CountingProvider();
  setCryptoProvider(provider);
});
afterAll(() => setCryptoProvider(original));

describe('derived PBM keys', () => {
  it('are derived once for the same secret, salt and settings, and the MAC is still the RFC computation', async () => {
    const parameter = newPbmParameter({ iterations: 500 });
    const salt = new Uint8Array(parameter.salt);
    const first = await computePbm(parameter, secret, data);
    const second = await computePbm(parameter, secret, data);
    expect(provider.derivations).toBe(1);
    expect(Buffer.from(first)).toEqual(expectedPbm(secret, salt, 500));
    expect(Buffer.from(second)).toEqual(expectedPbm(secret, salt, 500));
  });

  it('are never found for another secret with the same salt', async () => {
    const parameter = newPbmParameter({ iterations: 500 });
    await computePbm(parameter, secret, data);
    const other = await computePbm(parameter, otherSecret, data);
    expect(provider.derivations).toBe(2);
    expect(Buffer.from(other)).toEqual(expectedPbm(otherSecret, new Uint8Array(parameter.salt), 500));
  });

  it('are never found for another salt or iteration count', async () => {
    const parameter = newPbmParameter({ iterations: 500 });
    await computePbm(parameter, secret, data);
    const moreRounds = newPbmParameter({ iterations: 501 });
    moreRounds.salt = parameter.salt;
    await computePbm(moreRounds, secret, data);
    const otherSalt = newPbmParameter({ iterations: 500 });
    await computePbm(otherSalt, secret, data);
    expect(provider.derivations).toBe(3);
  });

  it('of salts never seen again do not push out the key of a salt that comes back', async () => {
    const cheap = { min: 1, max: 10 };
    const reused = newPbmParameter({ iterations: 1 });
    await computePbm(reused, secret, data, cheap);
    await computePbm(reused, secret, data, cheap);
    // A client with a fresh salt for every message (OpenSSL's), for more messages than the cache holds.
    for (let i = 0; i < PBM_KEY_CACHE_SIZE + PBM_KEY_PROBATION_SIZE; i++) await computePbm(newPbmParameter({ iterations: 1 }), secret, data, cheap);
    const derived = provider.derivations;
    await computePbm(reused, secret, data, cheap);
    expect(provider.derivations).toBe(derived);
  });

  it('do not bypass the limits on a received iteration count', async () => {
    const parameter = newPbmParameter({ iterations: 500 });
    await computePbm(parameter, secret, data);
    await expect(computePbm(parameter, secret, data, { min: 1000, max: 2000 })).rejects.toMatchObject({ code: 'ERR_PBM_ITERATIONS' });
  });
});

describe('messages cmpflow protects with PBM', () => {
  it('keep one salt for the same secret, so the key is derived once for many messages', async () => {
    const salts = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const msg = decodePkiMessage(await protectPkiMessage(genm(), { kind: 'pbm', secret }));
      salts.add(Buffer.from(readPbmParameter(msg.header.protectionAlg!).salt).toString('hex'));
      await verifyPkiMessageProtection(msg, { secret, trusted: [], untrusted: [] });
    }
    expect(salts.size).toBe(1);
    expect(provider.derivations).toBe(1);
  });

  it('use different salts for different secrets and different settings', async () => {
    const saltOf = async (config: Parameters<typeof protectPkiMessage>[1]) =>
      Buffer.from(readPbmParameter(decodePkiMessage(await protectPkiMessage(genm(), config)).header.protectionAlg!).salt).toString('hex');
    const a = await saltOf({ kind: 'pbm', secret });
    const b = await saltOf({ kind: 'pbm', secret: otherSecret });
    const c = await saltOf({ kind: 'pbm', secret, iterations: 1000 });
    expect(new Set([a, b, c]).size).toBe(3);
  });

  it('take a fresh salt after the given number of messages (PBM_SALT_USES for what cmpflow sends)', async () => {
    expect(PBM_SALT_USES).toBe(10_000);
    const limits = { uses: 3, lifetimeMs: 60_000 };
    const salts: string[] = [];
    for (let i = 0; i < 4; i++) salts.push(Buffer.from(await reusablePbmSalt(provider, secret, 'settings', 16, limits)).toString('hex'));
    expect(salts.slice(0, 3)).toEqual([salts[0], salts[0], salts[0]]);
    expect(salts[3]).not.toBe(salts[0]);
  });

  it('take a fresh salt once the salt lifetime has passed', async () => {
    jest.useFakeTimers({ doNotFake: ['nextTick', 'setImmediate'] });
    try {
      const saltOf = async () =>
        Buffer.from(readPbmParameter(decodePkiMessage(await protectPkiMessage(genm(), { kind: 'pbm', secret })).header.protectionAlg!).salt).toString(
          'hex',
        );
      const first = await saltOf();
      jest.setSystemTime(Date.now() + 11 * 60 * 1000);
      expect(await saltOf()).not.toBe(first);
    } finally {
      jest.useRealTimers();
    }
  });
});

describe('PBMAC1 keys (PBKDF2)', () => {
  const pbmac1Salt = async (config: Parameters<typeof protectPkiMessage>[1]) => {
    const msg = decodePkiMessage(await protectPkiMessage(genm(), config));
    return { msg, salt: Buffer.from(readPbmac1Parameters(msg.header.protectionAlg!).salt).toString('hex') };
  };

  it('are derived once for many messages with one secret, and each MAC is still RFC 8018 PBKDF2 then HMAC', async () => {
    const salts = new Set<string>();
    for (let i = 0; i < 4; i++) {
      const { msg, salt } = await pbmac1Salt({ kind: 'pbmac1', secret, iterations: 2000 });
      salts.add(salt);
      await verifyPkiMessageProtection(msg, { secret, trusted: [], untrusted: [] });
      const parameters = readPbmac1Parameters(msg.header.protectionAlg!);
      const key = pbkdf2Sync(secret, parameters.salt, 2000, 32, 'sha256');
      const part = Buffer.from(await computePbmac1(parameters, secret, data));
      expect(part).toEqual(createHmac('sha256', key).update(data).digest());
    }
    expect(salts.size).toBe(1);
    expect(provider.pbkdf2Runs).toBe(1);
  });

  it('are never found for another secret, and another secret gets its own salt', async () => {
    const a = await pbmac1Salt({ kind: 'pbmac1', secret, iterations: 2000 });
    const b = await pbmac1Salt({ kind: 'pbmac1', secret: otherSecret, iterations: 2000 });
    expect(a.salt).not.toBe(b.salt);
    const parameters = readPbmac1Parameters(a.msg.header.protectionAlg!);
    const other = Buffer.from(await computePbmac1(parameters, otherSecret, data));
    const key = pbkdf2Sync(otherSecret, parameters.salt, 2000, 32, 'sha256');
    expect(other).toEqual(createHmac('sha256', key).update(data).digest());
    expect(provider.pbkdf2Runs).toBe(3);
  });
});

describe('clearPbmKeyCache, as the package exports it', () => {
  it('forgets salts and keys, so the next message has a new salt and derives its key again', async () => {
    const { clearPbmKeyCache: clearFromPackage } = await import('../../src');
    const saltOf = async () =>
      Buffer.from(readPbmParameter(decodePkiMessage(await protectPkiMessage(genm(), { kind: 'pbm', secret })).header.protectionAlg!).salt).toString(
        'hex',
      );
    const before = await saltOf();
    clearFromPackage();
    expect(await saltOf()).not.toBe(before);
    expect(provider.derivations).toBe(2);
  });
});
