import * as fs from 'fs';
import * as path from 'path';
import { CmpError } from '../../src/errors';
import { loadConfig, parseConfig } from '../../src/cli/config';
import { tempDir } from './openssl-request';

const parse = (text: string, env: Record<string, string> = {}, cwd?: string) =>
  parseConfig(text, { fileName: 't.cnf', env, ...(cwd ? { cwd } : {}) });

function errorOf(fn: () => unknown): CmpError {
  try {
    fn();
  } catch (e) {
    return e as CmpError;
  }
  throw new Error('no error');
}

describe('sections and assignments', () => {
  it('puts what precedes the first section into [default] and reads [ name ] headers', () => {
    const conf = parse('a = 1\n[ cmp ]\nb = 2\n[two words]\nc = 3\n');
    expect(conf.getOwn('default', 'a')).toBe('1');
    expect(conf.getOwn('cmp', 'b')).toBe('2');
    expect(conf.getOwn('two words', 'c')).toBe('3');
    expect(conf.sectionNames()).toEqual(['default', 'cmp', 'two words']);
  });

  it('falls back to [default] for a name the section lacks, but not for section listings', () => {
    const conf = parse('shared = d\n[cmp]\nown = x\n');
    expect(conf.get('cmp', 'shared')).toBe('d');
    expect(conf.get('cmp', 'own')).toBe('x');
    expect(conf.get('nosuch', 'shared')).toBe('d');
    expect(conf.section('cmp')).toEqual([{ name: 'own', value: 'x' }]);
    expect(conf.section('nosuch')).toBeUndefined();
  });

  it('lets a later assignment replace an earlier one and move to the end', () => {
    const conf = parse('[s]\na = 1\nb = 2\na = 3\n');
    expect(conf.section('s')).toEqual([
      { name: 'b', value: '2' },
      { name: 'a', value: '3' },
    ]);
  });

  it('assigns into another section with section::name', () => {
    const conf = parse('[a]\nb::x = 1\ny = 2\n');
    expect(conf.getOwn('b', 'x')).toBe('1');
    expect(conf.getOwn('a', 'y')).toBe('2');
  });

  it('reopens a section that appears twice', () => {
    const conf = parse('[s]\na = 1\n[t]\n[s]\nb = 2\n');
    expect(conf.section('s')).toEqual([
      { name: 'a', value: '1' },
      { name: 'b', value: '2' },
    ]);
  });
});

describe('values: trimming, comments, quotes, escapes, continuation', () => {
  it('trims values and drops comments outside quotes', () => {
    const conf = parse('[s]\na =   spaced out   # comment\nb = "quoted # kept"  # gone\n# a whole comment line\n   \n');
    expect(conf.getOwn('s', 'a')).toBe('spaced out');
    expect(conf.getOwn('s', 'b')).toBe('quoted # kept');
  });

  it('removes single, double and back quotes, keeping what is inside literally', () => {
    const conf = parse(`[s]\na = 'x  y'\nb = pre"mid"post\nc = \`t\`\nd = "a\\"b"\ne = "x""y"\nf = "unterminated\n`);
    expect(conf.getOwn('s', 'a')).toBe('x  y');
    expect(conf.getOwn('s', 'b')).toBe('premidpost');
    expect(conf.getOwn('s', 'c')).toBe('t');
    expect(conf.getOwn('s', 'd')).toBe('a"b');
    expect(conf.getOwn('s', 'e')).toBe('xy');
    expect(conf.getOwn('s', 'f')).toBe('unterminated');
  });

  it('turns \\n \\r \\t \\b into control characters outside quotes and \\x into x', () => {
    const conf = parse('[s]\na = x\\ty\\qz\\#not comment\nb = "x\\ty"\n');
    expect(conf.getOwn('s', 'a')).toBe('x\tyqz#not comment');
    expect(conf.getOwn('s', 'b')).toBe('xty');
  });

  it('joins a line ending in a single backslash with the next, but not one ending in two', () => {
    const conf = parse('[s]\na = first\\\n  second\nb = ends\\\\\nc = 3\n');
    expect(conf.getOwn('s', 'a')).toBe('first  second');
    expect(conf.getOwn('s', 'b')).toBe('ends\\');
    expect(conf.getOwn('s', 'c')).toBe('3');
  });

  it('accepts CRLF line ends and a UTF-8 byte order mark', () => {
    const conf = parse('\ufeff[s]\r\na = 1\r\nb = Grüße\r\n');
    expect(conf.getOwn('s', 'a')).toBe('1');
    expect(conf.getOwn('s', 'b')).toBe('Grüße');
  });

  it('keeps an empty value as the empty string', () => {
    expect(parse('[s]\na =\n').getOwn('s', 'a')).toBe('');
  });
});

describe('variable expansion', () => {
  const env = { HOME_DIR: '/home/me' };

  it('expands $var, ${var}, $(var), $section::name and ${section::name}', () => {
    const conf = parse(
      'base = /etc\n[paths]\nsub = certs\n[s]\nlocal = L\na = $base/x\nb = ${base}y\nc = $(base)z\nd = $paths::sub\ne = ${paths::sub}!\nf = $local.pem\n',
      env,
    );
    expect(conf.getOwn('s', 'a')).toBe('/etc/x');
    expect(conf.getOwn('s', 'b')).toBe('/etcy');
    expect(conf.getOwn('s', 'c')).toBe('/etcz');
    expect(conf.getOwn('s', 'd')).toBe('certs');
    expect(conf.getOwn('s', 'e')).toBe('certs!');
    expect(conf.getOwn('s', 'f')).toBe('L.pem');
  });

  it('reads $ENV::NAME from an [ENV] section first, then the environment, then [default]', () => {
    expect(parse('[s]\na = $ENV::HOME_DIR/x\n', env).getOwn('s', 'a')).toBe('/home/me/x');
    expect(parse('[ENV]\nHOME_DIR = shadow\n[s]\na = ${ENV::HOME_DIR}\n', env).getOwn('s', 'a')).toBe('shadow');
    expect(parse('HOME_DIR = dflt\n[s]\na = $ENV::HOME_DIR\n', {}).getOwn('s', 'a')).toBe('dflt');
  });

  it('only sees what is defined above, and fails on anything unknown, even a lone $', () => {
    const late = errorOf(() => parse('[s]\na = $b\nb = 1\n'));
    expect(late.code).toBe('ERR_INVALID_OPTION');
    expect(late.message).toBe("config file 't.cnf' line 2: variable has no value: s::b");
    expect(errorOf(() => parse('[s]\nprice = 5$\n')).message).toContain('line 2: variable has no value');
    expect(errorOf(() => parse('[s]\na = ${unclosed\n')).message).toContain('no close brace');
    expect(parse('[s]\nprice = 5\\$\n').getOwn('s', 'price')).toBe('5$');
  });

  it('treats $ as an ordinary character under .pragma dollarid:on, except before { or (', () => {
    const conf = parse('.pragma dollarid:on\nv = 1\n[s]\na = pass$word\nb = ${v}\nname$x = y\n');
    expect(conf.getOwn('s', 'a')).toBe('pass$word');
    expect(conf.getOwn('s', 'b')).toBe('1');
    expect(conf.getOwn('s', 'name$x')).toBe('y');
  });

  it('expands variables outside quotes only', () => {
    const conf = parse('v = 1\n[s]\na = "$v" $v\n');
    expect(conf.getOwn('s', 'a')).toBe('$v 1');
  });
});

describe('syntax errors', () => {
  it('name the file and line and reason, never the line content', () => {
    const e = errorOf(() => parse('[s]\nsecret = pass:hunter2\nnot an assignment pass:hunter2\n'));
    expect(e).toBeInstanceOf(CmpError);
    expect(e.code).toBe('ERR_INVALID_OPTION');
    expect(e.message).toBe("config file 't.cnf' line 3: missing equal sign");
    expect(e.message).not.toContain('hunter2');
  });

  it('reject an unclosed section header and invalid pragmas', () => {
    expect(errorOf(() => parse('[s\n')).message).toBe("config file 't.cnf' line 1: missing close square bracket");
    expect(errorOf(() => parse('[a=b]\n')).message).toContain('missing close square bracket');
    expect(errorOf(() => parse('.pragma dollarid\n')).message).toContain('invalid pragma');
    expect(errorOf(() => parse('.pragma dollarid:maybe\n')).message).toContain('invalid pragma value for dollarid');
  });

  it('count continued lines in the line number', () => {
    expect(errorOf(() => parse('a = 1\\\n2\noops\n')).message).toContain('line 3: missing equal sign');
  });
});

describe('.include', () => {
  let dir: string;
  beforeAll(() => {
    dir = tempDir();
    fs.mkdirSync(path.join(dir, 'conf.d'));
    fs.writeFileSync(path.join(dir, 'conf.d', 'b.cnf'), '[cmp]\nfrom_b = b\n');
    fs.writeFileSync(path.join(dir, 'conf.d', 'a.conf'), '[cmp]\nfrom_a = a\nboth = a\n');
    fs.writeFileSync(path.join(dir, 'conf.d', 'ignored.txt'), 'this is not = read\n');
    fs.writeFileSync(path.join(dir, 'one.cnf'), '[cmp]\nincluded = yes\n');
  });
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('reads an included file in place, continuing in the section it ends with', () => {
    const conf = parse('[s]\n.include one.cnf\nafter = 1\n', {}, dir);
    expect(conf.getOwn('cmp', 'included')).toBe('yes');
    expect(conf.getOwn('cmp', 'after')).toBe('1');
    expect(conf.section('s')).toEqual([]);
  });

  it('accepts ".include = path" and variables in the path', () => {
    const conf = parse('file = one.cnf\n.include = $file\n', {}, dir);
    expect(conf.getOwn('cmp', 'included')).toBe('yes');
  });

  it('reads the *.cnf and *.conf files of a directory, in sorted order', () => {
    const conf = parse('.include conf.d\n', {}, dir);
    expect(conf.section('cmp')).toEqual([
      { name: 'from_a', value: 'a' },
      { name: 'both', value: 'a' },
      { name: 'from_b', value: 'b' },
    ]);
  });

  it('skips a missing include silently, as OpenSSL does', () => {
    expect(parse('.include nowhere.cnf\n[s]\na = 1\n', {}, dir).getOwn('s', 'a')).toBe('1');
  });

  it('resolves relative includes against OPENSSL_CONF_INCLUDE or .pragma includedir', () => {
    expect(parse('.include one.cnf\n', { OPENSSL_CONF_INCLUDE: dir }, '/').getOwn('cmp', 'included')).toBe('yes');
    expect(parse(`.pragma includedir:${dir}\n.include one.cnf\n`, {}, '/').getOwn('cmp', 'included')).toBe('yes');
  });

  it('demands absolute include paths under .pragma abspath:on', () => {
    expect(errorOf(() => parse('.pragma abspath:true\n.include one.cnf\n', {}, dir)).message).toContain('relative include path');
    expect(parse(`.pragma abspath:on\n.include ${path.join(dir, 'one.cnf')}\n`).getOwn('cmp', 'included')).toBe('yes');
  });

  it('loads a file from disk, or fails with ERR_FILE', () => {
    expect(loadConfig('one.cnf', { cwd: dir, env: {} }).getOwn('cmp', 'included')).toBe('yes');
    const e = errorOf(() => loadConfig('missing.cnf', { cwd: dir }));
    expect(e.code).toBe('ERR_FILE');
    expect(e.message).toBe("cannot read config file 'missing.cnf': ENOENT");
  });
});
