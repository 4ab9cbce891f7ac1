/**
 * How bin/cli-loader.js tunes V8 for a client run, by the number of transactions it will make
 * (docs/benchmarks.md, sixteenth session): a run ends before most of what TurboFan would compile
 * pays back unless it is long, so short runs wait longer before optimising a function.
 */
import * as path from 'path';

const loader = require(path.join(__dirname, '..', '..', 'bin', 'cli-loader.js')) as {
  tieringFlags(transactions: number): string;
  TIERING_FLAGS: string;
};

const budgetOf = (flags: string) => Number(/--interrupt-budget=(\d+)/.exec(flags)?.[1]);
const V8_DEFAULT_BUDGET = 67584;

describe('the V8 flags of a client run', () => {
  it('tier a single transaction and runs of up to 500 at sixteen times the default budget', () => {
    expect(budgetOf(loader.TIERING_FLAGS)).toBe(16 * V8_DEFAULT_BUDGET);
    expect(budgetOf(loader.tieringFlags(300))).toBe(16 * V8_DEFAULT_BUDGET);
    expect(budgetOf(loader.tieringFlags(500))).toBe(16 * V8_DEFAULT_BUDGET);
  });

  it('tier longer runs at four times, which they amortise', () => {
    expect(budgetOf(loader.tieringFlags(501))).toBe(4 * V8_DEFAULT_BUDGET);
    expect(budgetOf(loader.tieringFlags(10_000))).toBe(4 * V8_DEFAULT_BUDGET);
  });

  it('keep the young generation at its starting size whatever the length', () => {
    for (const n of [1, 300, 2000]) expect(loader.tieringFlags(n)).toContain('--semi-space-growth-factor=1');
  });
});
