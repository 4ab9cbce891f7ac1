import * as fs from 'fs';
import * as path from 'path';
import { CmpError } from '../../src/errors';
import { parseConfig } from '../../src/cli/config';
import { lookupOption, openCmpConfig, parseSectionList, readConfigOptions } from '../../src/cli/config-options';
import { tempDir } from './openssl-request';

function errorOf(fn: () => unknown): CmpError {
  try {
    fn();
  } catch (e) {
    return e as CmpError;
  }
  throw new Error('no error');
}

const read = (text: string, sections: string[]) => readConfigOptions(parseConfig(text, { env: {} }), sections);

describe('-section lists', () => {
  it('split at commas and white space, with "" meaning [default]', () => {
    expect(parseSectionList('a,b c ,, d')).toEqual(['a', 'b', 'c', 'd']);
    expect(parseSectionList('')).toEqual(['default']);
  });

  it('cut names longer than 40 characters, with a warning', () => {
    const warnings: string[] = [];
    expect(parseSectionList('x'.repeat(45), warnings)).toEqual(['x'.repeat(40)]);
    expect(warnings).toHaveLength(1);
  });
});

describe('option lookup across sections', () => {
  const conf = parseConfig('ref = D\n[a]\nref = A\nserver = a:1\n[b]\nserver = b:1\n', { env: {} });

  it('tries the last named section first, falling back to [default] for each', () => {
    expect(lookupOption(conf, ['a', 'b'], 'server')).toEqual({ text: 'b:1', section: 'b' });
    // [b] lacks ref, and its [default] fallback comes before [a]
    expect(lookupOption(conf, ['a', 'b'], 'ref')).toEqual({ text: 'D', section: 'default' });
    expect(lookupOption(conf, ['b', 'a'], 'ref')).toEqual({ text: 'A', section: 'a' });
    expect(lookupOption(conf, ['b'], 'nothing')).toBeUndefined();
  });
});

describe('typed option values from the file', () => {
  it('reads strings, with an empty value meaning "reset"', () => {
    const values = read('[cmp]\nserver = host:80\nrecipient =\n', ['cmp']);
    expect(values.get('server')).toEqual({ value: 'host:80', section: 'cmp' });
    expect(values.get('recipient')).toEqual({ value: null, section: 'cmp' });
  });

  it('reads flags and numbers as decimal numbers; 0 clears a flag', () => {
    const values = read('batch = 1\n[cmp]\nbatch = 0\ndays = 30\nimplicit_confirm = 2\n', ['cmp']);
    expect(values.get('batch')).toEqual({ value: false, section: 'cmp' });
    expect(values.get('implicit_confirm')).toEqual({ value: true, section: 'cmp' });
    expect(values.get('days')).toEqual({ value: 30, section: 'cmp' });
  });

  it('leaves a flag or number with an empty value at its default', () => {
    expect(read('[cmp]\ndays =\nbatch =\n', ['cmp']).size).toBe(0);
  });

  it('ignores -help, -config and -section in the file', () => {
    expect(read('[cmp]\nconfig = other.cnf\nsection = x\nhelp = 1\n', ['cmp']).size).toBe(0);
  });

  it('rejects what openssl would silently ignore: text for a flag, hex for a number', () => {
    expect(errorOf(() => read('[cmp]\nbatch = yes\n', ['cmp'])).message).toBe(
      'option batch in config file section [cmp]: cannot parse "yes" as a decimal number; a flag takes 0 or 1',
    );
    expect(errorOf(() => read('[cmp]\ndays = 0x10\n', ['cmp'])).message).toContain('a decimal number is expected');
  });

  it('checks number types and ranges as on the command line', () => {
    expect(errorOf(() => read('[cmp]\ndays = -1\n', ['cmp'])).message).toBe('negative number -1 for option days in config file section [cmp]');
    expect(errorOf(() => read('[cmp]\nrepeat = 0\n', ['cmp'])).code).toBe('ERR_INVALID_OPTION');
    expect(errorOf(() => read('verbosity = 9\n', ['cmp'])).message).toBe(
      'option verbosity in config file section [default] must be in the range 0..8, not 9',
    );
  });
});

describe('choosing the config file and checking sections', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    fs.writeFileSync(path.join(dir, 'with-cmp.cnf'), '[cmp]\nref = r\n[other]\n');
    fs.writeFileSync(path.join(dir, 'no-cmp.cnf'), 'ref = r\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('uses no file for -config "" and for no -config without OPENSSL_CONF', () => {
    expect(openCmpConfig({ configPath: '', cwd: dir, env: {} }).config).toBeUndefined();
    expect(openCmpConfig({ cwd: dir, env: {} }).config).toBeUndefined();
  });

  it('falls back to OPENSSL_CONF when it names an existing file', () => {
    expect(openCmpConfig({ cwd: dir, env: { OPENSSL_CONF: 'with-cmp.cnf' } }).config?.fileName).toBe('with-cmp.cnf');
    expect(openCmpConfig({ cwd: dir, env: { OPENSSL_CONF: 'absent.cnf' } }).config).toBeUndefined();
  });

  it('tolerates a missing [cmp] when -section is not given, with a warning', () => {
    const opened = openCmpConfig({ configPath: 'no-cmp.cnf', cwd: dir, env: {} });
    expect(opened.sections).toEqual(['cmp']);
    expect(opened.warnings).toEqual(["no [cmp] section found in config file 'no-cmp.cnf'; using just [default]"]);
  });

  it('demands that every explicitly named section exists', () => {
    const e = errorOf(() => openCmpConfig({ configPath: 'with-cmp.cnf', section: 'cmp,missing', cwd: dir, env: {} }));
    expect(e.code).toBe('ERR_INVALID_OPTION');
    expect(e.message).toBe("no [missing] section found in config file 'with-cmp.cnf' (-section)");
    expect(openCmpConfig({ configPath: 'with-cmp.cnf', section: 'other cmp', cwd: dir, env: {} }).sections).toEqual(['other', 'cmp']);
  });

  it('fails with ERR_FILE when -config names a missing file', () => {
    expect(errorOf(() => openCmpConfig({ configPath: 'absent.cnf', cwd: dir, env: {} })).code).toBe('ERR_FILE');
  });
});
