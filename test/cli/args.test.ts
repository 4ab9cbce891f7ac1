import { CmpError } from '../../src/errors';
import { parseArgs } from '../../src/cli/args';
import { OPTIONS } from '../../src/cli/option-table';

function values(argv: string[]): Record<string, unknown> {
  return Object.fromEntries(parseArgs(argv).occurrences.map((o) => [o.option.name, o.value]));
}

function errorOf(argv: string[]): CmpError {
  try {
    parseArgs(argv);
  } catch (e) {
    return e as CmpError;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

describe('option syntax, as OpenSSL opt_next() reads it', () => {
  it('accepts -name value, --name value and -name=value alike', () => {
    expect(values(['-server', 'a:1'])).toEqual({ server: 'a:1' });
    expect(values(['--server', 'a:1'])).toEqual({ server: 'a:1' });
    expect(values(['-server=a:1'])).toEqual({ server: 'a:1' });
    expect(values(['--server=a=b'])).toEqual({ server: 'a=b' });
  });

  it('takes the next argument as the value even when it starts with a hyphen, and warns', () => {
    const parsed = parseArgs(['-subject', '-weird', '-popo', '-1']);
    expect(parsed.occurrences.map((o) => o.value)).toEqual(['-weird', -1]);
    expect(parsed.warnings).toEqual(['-subject option argument starts with hyphen']);
  });

  it('never quotes a pass phrase source in a warning', () => {
    const parsed = parseArgs(['-secret', '-pass:topsecret']);
    expect(parsed.warnings).toEqual([]);
  });

  it('reads flags as true and refuses a value for them', () => {
    expect(values(['-batch', '-unprotected_requests'])).toEqual({ batch: true, unprotected_requests: true });
    const e = errorOf(['-batch=1']);
    expect(e.code).toBe('ERR_INVALID_OPTION');
    expect(e.message).toBe('option -batch does not take a value; use -help for a summary');
  });

  it('keeps every occurrence in order, so that the last one can win', () => {
    const parsed = parseArgs(['-ref', 'a', '-ref', 'b']);
    expect(parsed.occurrences.map((o) => o.value)).toEqual(['a', 'b']);
  });

  it('reports -help without requiring anything else', () => {
    expect(parseArgs(['-help']).help).toBe(true);
    expect(parseArgs(['-cmd', 'ir']).help).toBe(false);
  });

  it('stops at "--" and refuses positional arguments', () => {
    expect(errorOf(['-cmd', 'ir', 'extra']).message).toBe("unexpected argument 'extra' (cmpflow takes options only); use -help for a summary");
    expect(errorOf(['--', '-cmd']).message).toContain("unexpected argument '-cmd'");
    expect(values(['-batch', '--'])).toEqual({ batch: true });
  });

  it('names an unknown option and hints at -help', () => {
    const e = errorOf(['-cmd', 'ir', '-foo', 'x']);
    expect(e).toBeInstanceOf(CmpError);
    expect(e.code).toBe('ERR_INVALID_OPTION');
    expect(e.message).toBe('unknown option -foo; use -help for a summary');
    expect(errorOf(['--no-such=1']).message).toBe('unknown option -no-such; use -help for a summary');
  });

  it('names the option whose value is missing', () => {
    const e = errorOf(['-cmd', 'ir', '-server']);
    expect(e.code).toBe('ERR_INVALID_OPTION');
    expect(e.message).toBe('option -server needs a value; use -help for a summary');
  });
});

describe('numeric option values', () => {
  it('reads numbers as strtol(…, 0) does: decimal, hex, octal, a sign, leading space', () => {
    expect(values(['-days', '30'])).toEqual({ days: 30 });
    expect(values(['-days', '0x1e'])).toEqual({ days: 30 });
    expect(values(['-days', '036'])).toEqual({ days: 30 });
    expect(values(['-days', ' +30'])).toEqual({ days: 30 });
    expect(values(['-revreason', '-1'])).toEqual({ revreason: -1 });
    expect(values(['-attime', '1700000000'])).toEqual({ attime: 1700000000 });
  });

  it('refuses text, trailing characters and bad octal digits', () => {
    expect(errorOf(['-days', 'abc']).message).toBe('option -days: cannot parse "abc" as a number; use -help for a summary');
    expect(errorOf(['-days', '30 ']).message).toContain('cannot parse "30 " as a number');
    expect(errorOf(['-days', '08']).message).toContain('cannot parse "08" as an octal number');
    expect(errorOf(['-days', '']).message).toContain('cannot parse "" as a number');
  });

  it('checks the sign each type demands: nonneg for N, positive for +int', () => {
    expect(errorOf(['-days', '-1']).message).toBe('negative number -1 for option -days; use -help for a summary');
    expect(errorOf(['-repeat', '0']).message).toBe('non-positive number 0 for option -repeat; use -help for a summary');
    expect(values(['-repeat', '3'])).toEqual({ repeat: 3 });
  });

  it('checks the ranges openssl cmp checks', () => {
    expect(errorOf(['-keep_alive', '3']).message).toBe('option -keep_alive must be in the range 0..2, not 3; use -help for a summary');
    expect(errorOf(['-popo', '4']).message).toContain('option -popo must be in the range -1..3, not 4');
    expect(errorOf(['-popo', '-2']).message).toContain('option -popo must be in the range -1..3, not -2');
    expect(errorOf(['-revreason', '11']).message).toContain('option -revreason must be in the range -1..10, not 11');
    expect(errorOf(['-verbosity', '9']).message).toContain('option -verbosity must be in the range 0..8, not 9');
    expect(errorOf(['-pkistatus', '7']).message).toContain('0..6');
    expect(errorOf(['-failure', '27']).message).toContain('0..26');
    expect(errorOf(['-days', '2147483648']).message).toContain('outside the integer range');
    for (const n of ['0', '1', '2']) expect(values(['-keep_alive', n])).toEqual({ keep_alive: Number(n) });
  });
});

describe('the option table', () => {
  it('has every option once', () => {
    const names = OPTIONS.map((o) => o.name);
    expect(new Set(names).size).toBe(names.length);
  });

  it('parses every option of the table with a value of its type', () => {
    for (const option of OPTIONS) {
      const argv = option.type === '-' ? [`-${option.name}`] : [`-${option.name}`, option.type === 's' || option.type === '>' ? 'x' : '1'];
      const [occ] = parseArgs(argv).occurrences;
      expect(occ!.option).toBe(option);
      expect(occ!.value).toEqual(option.type === '-' ? true : option.type === 's' || option.type === '>' ? 'x' : 1);
    }
  });
});
