/**
 * The CA's memory of KEM exchanges (RFC 9810 section 5.1.3.4). The genm that starts an exchange is
 * unprotected and carries a public certificate, so the store must hold up against someone who
 * repeats it: a secret that has protected a request is never displaced by a newer exchange, nor by
 * a flood of exchanges under new transactionIDs.
 */
import type { X509Certificate } from '@peculiar/x509';
import { KemSecretStore, type KemTransactionSecret } from '../../src/server/kem-ciphertext';
import { Refusal } from '../../src/server/refusal';

const certificate = {} as X509Certificate;
const secret = (byte: number): KemTransactionSecret => ({ sharedSecret: new Uint8Array(32).fill(byte), certificate, chain: [] });
const tid = (n: number) => new Uint8Array(16).fill(n);

describe('KemSecretStore', () => {
  let clock = 0;
  const now = () => new Date(clock);
  beforeEach(() => (clock = 1_000_000));

  /** A store of `limit` transactions whose first holds a secret that has protected a request. */
  function provenStore(limit: number): { store: KemSecretStore; proven: KemTransactionSecret } {
    const store = new KemSecretStore(limit, 60_000, now);
    const proven = secret(1);
    store.put(tid(1), proven);
    store.prove(tid(1), proven);
    return { store, proven };
  }

  it('keeps the proven secret first among the candidates when the genm is repeated, and answers with it', () => {
    const { store, proven: client } = provenStore(10);
    const repeated = secret(2);
    store.put(tid(1), repeated);
    expect(store.candidates(tid(1))).toEqual([client, repeated]);
    expect(store.current(tid(1))).toBe(client);
  });

  it('a newer exchange that proves itself (a resumed client) replaces the old secret, which is wiped', () => {
    const { store, proven: before } = provenStore(10);
    const resumed = secret(3);
    store.put(tid(1), resumed);
    store.prove(tid(1), resumed);
    expect(store.candidates(tid(1))).toEqual([resumed]);
    expect(before.sharedSecret.every((b) => b === 0)).toBe(true);
  });

  it('keeps at most four unproven exchanges per transaction, wiping the oldest', () => {
    const store = new KemSecretStore(10, 60_000, now);
    const flood = [1, 2, 3, 4, 5, 6].map(secret);
    for (const s of flood) store.put(tid(1), s);
    expect(store.candidates(tid(1))).toEqual([flood[5], flood[4], flood[3], flood[2]]);
    expect(flood[0]!.sharedSecret.every((b) => b === 0)).toBe(true);
    expect(flood[1]!.sharedSecret.every((b) => b === 0)).toBe(true);
  });

  it('when full, forgets an unproven transaction before any proven one, and refuses (systemUnavail) when all are proven', () => {
    const { store, proven: inUse } = provenStore(2);
    store.put(tid(2), secret(2));
    store.put(tid(3), secret(3));
    expect(store.candidates(tid(1))).toEqual([inUse]);
    expect(store.candidates(tid(2))).toEqual([]);
    const third = store.candidates(tid(3))[0]!;
    store.prove(tid(3), third);
    let refusal: unknown;
    try {
      store.put(tid(4), secret(4));
    } catch (e) {
      refusal = e;
    }
    expect(refusal).toBeInstanceOf(Refusal);
    expect((refusal as Refusal).failInfo).toEqual(['systemUnavail']);
    expect(store.candidates(tid(1))).toEqual([inUse]);
  });

  it('forgets and wipes a transaction’s secrets after ttlMs without use, which makes room again', () => {
    const { store, proven: old } = provenStore(1);
    clock += 60_000;
    store.put(tid(2), secret(2));
    expect(store.candidates(tid(1))).toEqual([]);
    expect(store.current(tid(1))).toBeUndefined();
    expect(old.sharedSecret.every((b) => b === 0)).toBe(true);
    expect(store.candidates(tid(2))).toHaveLength(1);
  });
});
