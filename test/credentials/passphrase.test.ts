import { closeSync, openSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { resolvePassphrase } from '../../src/credentials/passphrase';
import { CmpError, isCmpError } from '../../src/errors';
import { TempDir } from '../crypto/openssl-cli';

let dir: TempDir;
beforeAll(() => {
  dir = new TempDir();
});
afterAll(() => dir.cleanup());

async function errorOf(promise: Promise<unknown>): Promise<CmpError> {
  try {
    await promise;
  } catch (e) {
    if (isCmpError(e)) return e;
    throw e;
  }
  throw new Error('expected a CmpError');
}

describe('resolvePassphrase', () => {
  test('pass: gives the rest of the argument, which may be empty or contain colons', async () => {
    expect(await resolvePassphrase('pass:s3cret:with:colons')).toBe('s3cret:with:colons');
    expect(await resolvePassphrase('pass:')).toBe('');
  });

  test('env: gives the value of the variable', async () => {
    process.env.CMPFLOW_TEST_PASS = 'from the environment';
    try {
      expect(await resolvePassphrase('env:CMPFLOW_TEST_PASS')).toBe('from the environment');
    } finally {
      delete process.env.CMPFLOW_TEST_PASS;
    }
  });

  test('env: naming an unset variable is ERR_INVALID_OPTION naming the variable', async () => {
    const error = await errorOf(resolvePassphrase('env:CMPFLOW_TEST_UNSET', { option: '-keypass' }));
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.message).toContain('CMPFLOW_TEST_UNSET');
    expect(error.message).toContain('-keypass');
  });

  test('file: gives the first line of the file, without its line ending', async () => {
    expect(await resolvePassphrase(`file:${dir.file('lf', 'first line\nsecond line\n')}`)).toBe('first line');
    expect(await resolvePassphrase(`file:${dir.file('crlf', 'windows line\r\nsecond\r\n')}`)).toBe('windows line');
    expect(await resolvePassphrase(`file:${dir.file('noeol', 'no newline')}`)).toBe('no newline');
  });

  test('file: naming a missing or empty file is ERR_FILE', async () => {
    expect((await errorOf(resolvePassphrase('file:/nonexistent/pass.txt'))).code).toBe('ERR_FILE');
    expect((await errorOf(resolvePassphrase(`file:${dir.file('empty', '')}`))).code).toBe('ERR_FILE');
  });

  test('fd: gives one line per call from the file descriptor, leaving it open', async () => {
    const fd = openSync(dir.file('fd', 'via descriptor\nrest\n'), 'r');
    try {
      expect(await resolvePassphrase(`fd:${fd}`)).toBe('via descriptor');
      expect(await resolvePassphrase(`fd:${fd}`)).toBe('rest');
    } finally {
      closeSync(fd);
    }
  });

  test('fd: with something other than a number is ERR_INVALID_OPTION', async () => {
    expect((await errorOf(resolvePassphrase('fd:three'))).code).toBe('ERR_INVALID_OPTION');
  });

  test('stdin gives one line per call, leaving the rest for the next reader', async () => {
    const stdin = new PassThrough();
    stdin.end('first secret\nsecond secret\n');
    expect(await resolvePassphrase('stdin', { stdin })).toBe('first secret');
    expect(await resolvePassphrase('stdin', { stdin })).toBe('second secret');
  });

  test('stdin waits for a line written in several pieces', async () => {
    const stdin = new PassThrough();
    const result = resolvePassphrase('stdin', { stdin });
    stdin.write('pie');
    setTimeout(() => stdin.end('ces\n'), 10);
    expect(await result).toBe('pieces');
  });

  test('stdin that ends without anything is ERR_INVALID_OPTION', async () => {
    const stdin = new PassThrough();
    stdin.end();
    expect((await errorOf(resolvePassphrase('stdin', { stdin }))).code).toBe('ERR_INVALID_OPTION');
  });

  test('a bare value is ERR_INVALID_OPTION naming the option but not the value', async () => {
    const error = await errorOf(resolvePassphrase('hunter2', { option: '-passin' }));
    expect(error.code).toBe('ERR_INVALID_OPTION');
    expect(error.message).toContain('-passin');
    expect(error.message).not.toContain('hunter2');
  });
});
