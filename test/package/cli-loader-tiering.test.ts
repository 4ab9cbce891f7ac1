/**
 * How bin/cli-loader.js tunes V8 for a client run, by the number of transactions it will make
 * (docs/benchmarks.md, sixteenth session): a run ends before most of what TurboFan would compile
 * pays back unless it is long, so short runs wait longer before optimising a function.
 */
import * as path from 'path';

const loader = require(path.join(__dirname, '..', '..', 'bin', 'cli-loader.js')) as {
  tieringFlags(transactions: number): string;
  TIERING_FLAGS: string;
  TRANSACTION_BUILTINS: string[];
  TLS_BUILTINS: string[];
  usesTls(argv: string[]): boolean;
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

describe('the built-in modules loaded before the flags are set', () => {
  it('leave out node:http, which plain HTTP no longer uses, and take it with node:https and node:tls for TLS', () => {
    expect(loader.TRANSACTION_BUILTINS).not.toContain('http');
    expect(loader.TLS_BUILTINS).toEqual(['http', 'https', 'tls']);
  });

  it('see TLS in -tls_used and in an https -server, in either spelling of an option', () => {
    expect(loader.usesTls(['-cmd', 'ir', '-tls_used', '-server', 'ca:80'])).toBe(true);
    expect(loader.usesTls(['-cmd', 'ir', '--server', 'HTTPS://ca/pkix'])).toBe(true);
    expect(loader.usesTls(['-cmd', 'ir', '-server=https://ca'])).toBe(true);
    expect(loader.usesTls(['-cmd', 'ir', '-server', 'http://ca', '-path', 'https:'])).toBe(false);
    expect(loader.usesTls(['-cmd', 'ir', '-server', '127.0.0.1:80'])).toBe(false);
  });
});
