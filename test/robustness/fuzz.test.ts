/**
 * The bounded CI variant of `npm run fuzz` (scripts/fuzz.ts): the same properties over mutated
 * real messages, a few thousand cases, with a fixed seed so that a failure replays.
 */
import fc from 'fast-check';
import {
  baselineOutcome,
  checkCodec,
  checkDecode,
  checkResponseCase,
  decodeCase,
  loadFuzzCorpus,
  responseCase,
  type Finding,
  type FuzzCorpus,
} from './fuzz-cases';

const SEED = 20261126;
let corpus: FuzzCorpus;

beforeAll(async () => {
  corpus = await loadFuzzCorpus();
}, 120_000);

function report(f: Finding | undefined): void {
  if (f) throw new Error(`${f.property}/${f.kind} from ${f.origin}: ${f.detail}`);
}

describe('the fuzz corpus', () => {
  it('holds OpenSSL exchanges and the shared vectors, and every unmutated response checks as OpenSSL meant it', async () => {
    expect(corpus.seeds.length).toBeGreaterThan(50);
    const outcomes = Object.fromEntries(await Promise.all(corpus.scenarios.map(async (s) => [s.origin, await baselineOutcome(s)])));
    for (const p of ['pbm', 'signature']) {
      expect(outcomes[`openssl:ir-${p}#1`]).toBe('certificate');
      expect(outcomes[`openssl:ir-${p}#3`]).toBe('pkiConf');
      expect(outcomes[`openssl:poll-${p}#1`]).toBe('waiting');
      expect(outcomes[`openssl:poll-${p}#3`]).toBe('pollWait');
      expect(outcomes[`openssl:rr-${p}#1`]).toBe('revocation');
      expect(outcomes[`openssl:genm-${p}#1`]).toBe('generalResponse');
      expect(outcomes[`openssl:error-${p}#1`]).toBe('ERR_ERROR_RESPONSE');
    }
    expect(outcomes['openssl:ir-none#1']).toBe('ERR_PROTECTION_MISSING');
  });
});

describe('decodePkiMessage on mutated real messages', () => {
  it('returns a message or throws CmpError ERR_ASN1_*, each within a second', () => {
    fc.assert(
      fc.property(decodeCase(corpus.seeds.length), (c) => report(checkDecode(corpus, c))),
      { numRuns: 2000, seed: SEED },
    );
  });
});

describe("cmpflow's DER reader and writer on mutated real messages", () => {
  it('decide and encode exactly as asn1js with asn1-schema, the codec they replaced', () => {
    fc.assert(
      fc.property(decodeCase(corpus.seeds.length), (c) => report(checkCodec(corpus, c))),
      { numRuns: 1000, seed: SEED },
    );
  }, 60_000);
});

describe('processResponse on mutated, re-protected real responses', () => {
  it('returns a checked response or throws a CmpError, never accepts what it could not authenticate or a certificate for another key', async () => {
    await fc.assert(
      fc.asyncProperty(responseCase(corpus.scenarios.length), async (c) => report(await checkResponseCase(corpus, c))),
      { numRuns: 250, seed: SEED },
    );
  }, 60_000);
});
