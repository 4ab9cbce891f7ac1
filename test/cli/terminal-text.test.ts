/**
 * What a server says reaches the terminal escaped: control characters in a statusString are
 * shown as `\x1B` (OpenSSL's X509_NAME_oneline style) instead of being acted on by the terminal.
 */
import { CliLog, errorLine } from '../../src/cli/log';
import { escapeForTerminal } from '../../src/cli/terminal-text';
import { CmpError } from '../../src/errors';
import { makeTestPki, type TestPki } from '../support/pki';
import { cmpflow } from './run-support';

describe('escapeForTerminal', () => {
  it('shows C0 and C1 controls and DEL as \\xHH, Unicode controls a terminal acts on as \\uHHHH', () => {
    expect(escapeForTerminal('a\x1b[2Jb\x07c\x7fd\x9be')).toBe('a\\x1B[2Jb\\x07c\\x7Fd\\x9Be');
    expect(escapeForTerminal('x\u202Ey\u2028z')).toBe('x\\u202Ey\\u2028z');
  });

  it('keeps printable text, non-ASCII letters included', () => {
    expect(escapeForTerminal('CN=Jürgen Ölçü, O=株式会社 / "quoted" \\ back')).toBe('CN=Jürgen Ölçü, O=株式会社 / "quoted" \\ back');
  });
});

describe('the lines the CLI writes', () => {
  // A server certificate's subject ends up in path validation errors as it was sent.
  const subject = 'CN=\x1b]0;owned\x07\x1b[2Jserver';

  it('escape an error message quoting a server certificate subject', () => {
    const line = errorLine(new CmpError('ERR_PATH_EXPIRED', `certificate "${subject}" expired at 2020-01-01T00:00:00.000Z`));
    expect(line).toBe('cmpflow: error: certificate "CN=\\x1B]0;owned\\x07\\x1B[2Jserver" expired at 2020-01-01T00:00:00.000Z (ERR_PATH_EXPIRED)\n');
  });

  it('escape warnings and info lines alike, and still fold line breaks into spaces', () => {
    let written = '';
    const log = new CliLog({ write: (c) => (written += String(c)) }, 8);
    log.warn(`server "${subject}"\nsays hi`);
    log.info(`\x9b31m red`);
    expect(written).toBe('CMP warning: server "CN=\\x1B]0;owned\\x07\\x1B[2Jserver" says hi\nCMP info: \\x9B31m red\n');
  });
});

describe('a hostile statusString', () => {
  let pki: TestPki;
  beforeAll(async () => {
    pki = await makeTestPki();
  });
  afterAll(async () => pki?.cleanup());

  it('reaches stderr escaped: no ESC or BEL byte is written, the text stays readable', async () => {
    const hostile = '\x1b]0;owned\x07\x1b[2Jrejected';
    const run = await cmpflow([
      '-config',
      '',
      '-use_mock_srv',
      '-srv_ref',
      'srv',
      '-srv_secret',
      'pass:terminal-secret',
      '-pkistatus',
      '2',
      '-statusstring',
      hostile,
      '-ref',
      'client',
      '-secret',
      'pass:terminal-secret',
      '-recipient',
      '/CN=CA',
      '-cmd',
      'ir',
      '-newkey',
      pki.newKeyPath,
      '-subject',
      '/CN=terminal',
      '-certout',
      '/dev/null',
    ]);
    expect(run.code).not.toBe(0);
    expect(run.stderr + run.stdout).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f]/);
    expect(run.errors.join('\n')).toMatch(/owned.*rejected/);
  });
});
