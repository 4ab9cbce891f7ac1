/**
 * Numbers on the command line are taken or refused exactly as `openssl cmp` 3.0 takes or refuses
 * them (apps/lib/opt.c: strtol with base 0, the whole text consumed, then the option's type and
 * the int range), checked against the installed openssl for each spelling; a refusal names the
 * kind of number as opt_number_error() guesses it from how the text begins.
 */
import { spawnSync } from 'child_process';
import { CmpError } from '../../src/errors';
import { parseCommandLine, type RunCommandLine } from '../../src/cli/options';

const base = ['-config', '', '-cmd', 'genm', '-ref', 'r', '-secret', 'pass:s', '-recipient', '/CN=x'];

/** Whether openssl's option parser takes `-msg_timeout <text>`; -rspin keeps it off the network. */
function opensslTakes(text: string): boolean {
  const run = spawnSync('openssl', ['cmp', ...base, '-rspin', '/nonexistent/rsp.der', '-msg_timeout', text], { encoding: 'utf8', timeout: 20_000 });
  return !/Can't parse|outside integer range|Negative number|Non-positive number/.test(run.stderr);
}

function cmpflowReads(text: string): number | CmpError {
  try {
    const parsed = parseCommandLine([...base, '-server', '127.0.0.1:1', '-msg_timeout', text], { cwd: process.cwd(), env: {} }) as RunCommandLine;
    return parsed.client.msgTimeout!;
  } catch (e) {
    if (e instanceof CmpError) return e;
    throw e;
  }
}

describe('a number option (-msg_timeout, non-negative)', () => {
  it.each([
    ['5', 5],
    ['+5', 5],
    [' 5', 5],
    ['\t7', 7],
    ['0', 0],
    ['-0', 0],
    ['00', 0],
    ['010', 8],
    ['0x10', 16],
    ['0X1f', 31],
    ['+0x10', 16],
    ['0x0', 0],
    ['2147483647', 2147483647],
  ])('takes %j as openssl does, as %d', (text, value) => {
    expect(opensslTakes(text)).toBe(true);
    expect(cmpflowReads(text)).toBe(value);
  });

  it.each([
    ['', 'as a number'],
    ['5 ', 'as a number'],
    ['1e3', 'as a number'],
    ['-', 'as a number'],
    ['+', 'as a number'],
    ['- 5', 'as a number'],
    ['+-5', 'as a number'],
    [' 08', 'as a number'],
    ['08', 'as an octal number'],
    ['0x', 'as a hexadecimal number'],
    ['0x-1', 'as a hexadecimal number'],
    ['-1', 'negative number'],
    ['-0x5', 'negative number'],
    ['2147483648', 'outside the integer range'],
    ['99999999999', 'outside the integer range'],
  ])('refuses %j as openssl does (%s), with ERR_INVALID_OPTION naming the option', (text, reason) => {
    expect(opensslTakes(text)).toBe(false);
    const result = cmpflowReads(text);
    expect(result).toBeInstanceOf(CmpError);
    expect((result as CmpError).code).toBe('ERR_INVALID_OPTION');
    expect((result as CmpError).message).toContain('-msg_timeout');
    expect((result as CmpError).message).toContain(reason);
  });
});
