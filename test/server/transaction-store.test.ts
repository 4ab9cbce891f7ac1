/**
 * The CA's memory of transactions when it is full of finished ones, as a CA serving a fleet is
 * after an hour (retentionMs): room is made by dropping the oldest finished transaction, a client's
 * active ones are counted without the finished ones, and a client at its limit gets room back as
 * soon as its own transactions time out.
 */
import { TransactionStore, type Transaction } from '../../src/server/transactions';
import fc from 'fast-check';
import { Refusal } from '../../src/server/refusal';

let clock = 0;
const now = () => new Date(clock);
beforeEach(() => (clock = 1_000_000));

function store(maxTransactions: number, maxPerClient: number, onExpire?: (t: Transaction) => void): TransactionStore {
  return new TransactionStore({ timeoutMs: 10_000, retentionMs: 3_600_000, maxTransactions, maxPerClient, now, ...(onExpire ? { onExpire } : {}) });
}

/** A transaction begun and answered with nothing more expected. */
function finished(s: TransactionStore, id: string, client = 'mac:device'): Transaction {
  const t = s.begin(id, { kind: 'general', client });
  t.busy = false;
  s.finish(t);
  return t;
}

/** A transaction begun and left waiting for the client's next message. */
function active(s: TransactionStore, id: string, client: string): Transaction {
  const t = s.begin(id, { kind: 'enrollment', client });
  t.phase = 'confirming';
  t.busy = false;
  return t;
}

/** What the store holds, read without the sweep that list() runs first. */
function stored(s: TransactionStore): Transaction[] {
  return [...(s as unknown as { entries: Map<string, Transaction> }).entries.values()];
}

function refusalOf(run: () => unknown): Refusal | undefined {
  try {
    run();
  } catch (e) {
    if (e instanceof Refusal) return e;
    throw e;
  }
  return undefined;
}

it('when full, a new transaction takes the place of the oldest finished one; the active ones stay', () => {
  const s = store(3, 3);
  active(s, 'a0', 'mac:other');
  finished(s, 'f1');
  finished(s, 'f2');
  finished(s, 'f3');
  expect(s.list().map((t) => t.id)).toEqual(['a0', 'f2', 'f3']);
  finished(s, 'f4');
  expect(s.list().map((t) => t.id)).toEqual(['a0', 'f3', 'f4']);
});

it('a store full of active transactions refuses a new one (systemUnavail)', () => {
  const s = store(2, 2);
  active(s, 'a1', 'mac:one');
  active(s, 'a2', 'mac:two');
  expect(refusalOf(() => s.begin('a3', { kind: 'general', client: 'mac:three' }))?.failInfo).toEqual(['systemUnavail']);
});

it('a client’s finished transactions, however many, do not count against its limit of active ones', () => {
  const s = store(10_000, 2);
  for (let i = 0; i < 5_000; i++) finished(s, `f${i}`);
  active(s, 'a1', 'mac:device');
  active(s, 'a2', 'mac:device');
  expect(refusalOf(() => s.begin('a3', { kind: 'general', client: 'mac:device' }))?.failInfo).toEqual(['systemUnavail']);
  expect(refusalOf(() => s.begin('b1', { kind: 'general', client: 'mac:neighbour' }))).toBeUndefined();
});

it('a client at its limit gets room again once one of its transactions times out, which is reported as expired', () => {
  const expired: string[] = [];
  const s = store(100, 1, (t) => expired.push(t.id));
  active(s, 'a1', 'mac:device');
  expect(refusalOf(() => s.begin('a2', { kind: 'general', client: 'mac:device' }))).toBeDefined();
  clock += 10_000;
  expect(refusalOf(() => s.begin('a3', { kind: 'general', client: 'mac:device' }))).toBeUndefined();
  expect(expired).toEqual(['a1']);
});

it('a finished transactionID stays reserved (transactionIdInUse) until it is dropped to make room', () => {
  const s = store(2, 2);
  finished(s, 'f1');
  expect(refusalOf(() => s.begin('f1', { kind: 'general', client: 'mac:device' }))?.failInfo).toEqual(['transactionIdInUse']);
  finished(s, 'f2');
  finished(s, 'f3');
  expect(refusalOf(() => finished(s, 'f1'))).toBeUndefined();
});

it('a sweep expires every transaction whose time is up, in one pass over the store, and keeps the rest', () => {
  const expired: string[] = [];
  const s = store(100, 100, (t) => expired.push(t.id));
  for (let i = 0; i < 5; i++) active(s, `old${i}`, `mac:client${i}`);
  finished(s, 'done');
  clock += 5_000;
  active(s, 'new', 'mac:late');
  clock += 5_000;
  s.sweep(true);
  expect(expired).toEqual(['old0', 'old1', 'old2', 'old3', 'old4']);
  expect(s.list().map((t) => t.id)).toEqual(['done', 'new']);
});

it('a sweep looks only at what can have expired: finished transactions still retained are not walked', () => {
  const s = store(20_000, 20_000);
  let reads = 0;
  for (let i = 0; i < 10_000; i++) {
    const t = finished(s, `f${i}`);
    let expiresAt = t.expiresAt;
    Object.defineProperty(t, 'expiresAt', {
      get: () => (reads++, expiresAt),
      set: (v: number) => void (expiresAt = v),
    });
  }
  clock += 60_000;
  reads = 0;
  s.sweep(true);
  expect(reads).toBeLessThanOrEqual(2);
  expect(s.list()).toHaveLength(10_000);
});

it('a sweep expires exactly what a walk over every transaction would, whatever the order of their activity and a clock that goes back', () => {
  fc.assert(
    fc.property(
      fc.array(
        fc.oneof(
          { weight: 3, arbitrary: fc.record({ op: fc.constant('begin' as const), client: fc.integer({ min: 0, max: 3 }), busy: fc.boolean() }) },
          fc.record({ op: fc.constantFrom('wait' as const, 'finish' as const, 'touch' as const, 'busy' as const), pick: fc.nat() }),
          {
            weight: 3,
            arbitrary: fc.record({ op: fc.constant('clock' as const), by: fc.constantFrom(-15_000, -5_000, 1_000, 5_000, 10_000, 3_600_000) }),
          },
          fc.record({ op: fc.constant('sweep' as const) }),
        ),
        { minLength: 20, maxLength: 80 },
      ),
      (ops) => {
        clock = 1_000_000;
        const expired: string[] = [];
        const s = new TransactionStore({
          timeoutMs: 10_000,
          retentionMs: 3_600_000,
          maxTransactions: 1_000,
          now,
          onExpire: (t) => expired.push(t.id),
        });
        const begun: Transaction[] = [];
        for (const [i, step] of ops.entries()) {
          const t = 'pick' in step && begun.length > 0 ? begun[step.pick % begun.length]! : undefined;
          switch (step.op) {
            case 'begin':
              begun.push(s.begin(`t${i}`, { kind: 'enrollment', client: `mac:${step.client}` }));
              begun[begun.length - 1]!.busy = step.busy;
              break;
            case 'wait':
              if (t && t.phase !== 'done') s.touch(t);
              else if (t) t.busy = false;
              break;
            case 'finish':
              if (t) s.finish(t);
              break;
            case 'touch':
              if (t && t.busy) {
                t.phase = 'confirming';
                s.touch(t);
              }
              break;
            case 'busy':
              if (t) t.busy = !t.busy;
              break;
            case 'clock':
              clock += step.by;
              break;
            case 'sweep': {
              const before = stored(s);
              expired.length = 0;
              const at = clock;
              s.sweep(true);
              const due = (x: Transaction) => x.expiresAt <= at && !x.busy;
              expect(stored(s)).toEqual(before.filter((x) => !due(x)));
              expect(expired.sort()).toEqual(
                before
                  .filter((x) => due(x) && x.phase !== 'done')
                  .map((x) => x.id)
                  .sort(),
              );
              break;
            }
          }
        }
      },
    ),
    { numRuns: 500 },
  );
});
