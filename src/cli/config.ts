/**
 * An OpenSSL configuration file reader that follows OpenSSL 3.0 NCONF (crypto/conf/conf_def.c and
 * conf_api.c) rule by rule, so that a file means to cmpflow what it means to `openssl cmp`:
 *
 * - The text before the first `[section]` belongs to `[default]`; `[ a b ]` names section "a b".
 * - `name = value`; `sec::name = value` assigns into another section; a later assignment of the
 *   same name replaces the earlier one (and moves it to the end of the section's list).
 * - `#` starts a comment outside quotes; `'…'`, `"…"` and `` `…` `` quote (a backslash inside
 *   escapes the next character literally); outside quotes `\n \r \t \b` are control characters
 *   and `\x` is `x`; a line ending in a single `\` continues on the next line.
 * - Values are trimmed, names are taken as written (escapes and all).
 * - `$var`, `${var}`, `$(var)`, `$sec::var`, `${sec::var}` expand at parse time from what is
 *   defined so far: first the section, then `[default]`; for `ENV` first an `[ENV]` section, then
 *   the environment, then `[default]`. An unknown variable, even a lone `$`, is an error (write
 *   `\$`), unless `.pragma dollarid:on` makes `$` not followed by `{` or `(` an ordinary character.
 * - `.include path` (or `.include = path`) reads a file, or every `*.cnf`/`*.conf` file of a
 *   directory (cmpflow reads them in sorted order, OpenSSL in directory order); relative paths are
 *   resolved against the working directory, or OPENSSL_CONF_INCLUDE, or `.pragma includedir:dir`;
 *   a missing include is skipped silently; `.pragma abspath:on` demands absolute paths.
 *
 * Error messages name the file and line but never quote the line, which may hold a secret.
 */
import * as fs from 'fs';
import * as nodePath from 'path';
import { fileReadReason, readFileBounded } from '../bounded-file-read';
import { CmpError, ErrorCodes } from '../errors';

export interface ConfigEntry {
  name: string;
  value: string;
}

export type Environment = Readonly<Record<string, string | undefined>>;

export interface ConfigParseOptions {
  /** Name used in error messages and as the file of relative includes' messages. */
  fileName?: string;
  /** Environment for `$ENV::NAME` and OPENSSL_CONF_INCLUDE (default process.env). */
  env?: Environment;
  /** Directory against which relative `.include` paths are resolved (default process.cwd()). */
  cwd?: string;
}

const MAX_VALUE_LENGTH = 65536;
const MAX_INCLUDE_DEPTH = 32;

export class OpenSslConfig {
  /** @internal */
  constructor(
    private readonly sections: Map<string, Map<string, string>>,
    private readonly env: Environment,
    /** The file it was read from, if any. */
    readonly fileName: string | undefined,
  ) {}

  /**
   * NCONF_get_string(): the value of `name` in `section`, else (for section "ENV") the environment
   * variable, else the value in `[default]`. `section` undefined looks in `[default]` only.
   */
  get(section: string | undefined, name: string): string | undefined {
    return lookup(this.sections, this.env, section, name);
  }

  /** The value of `name` in exactly this section, without the `[default]` fallback. */
  getOwn(section: string, name: string): string | undefined {
    return this.sections.get(section)?.get(name);
  }

  /** NCONF_get_section(): the entries of a section in file order, or undefined if it does not exist. */
  section(name: string): ConfigEntry[] | undefined {
    const s = this.sections.get(name);
    return s === undefined ? undefined : [...s].map(([n, value]) => ({ name: n, value }));
  }

  hasSection(name: string): boolean {
    return this.sections.has(name);
  }

  sectionNames(): string[] {
    return [...this.sections.keys()];
  }
}

function lookup(sections: Map<string, Map<string, string>>, env: Environment, section: string | undefined, name: string): string | undefined {
  if (section !== undefined) {
    const v = sections.get(section)?.get(name);
    if (v !== undefined) return v;
    if (section === 'ENV') {
      const e = env[name];
      if (e !== undefined) return e;
    }
  }
  return sections.get('default')?.get(name);
}

/** Largest configuration file (or included file) read; OpenSSL's own are a few tens of kilobytes. */
const MAX_CONFIG_FILE_BYTES = 4 * 1024 * 1024;

/** Reads and parses a configuration file. A missing or unreadable file is CmpError ERR_FILE. */
export function loadConfig(path: string, options: ConfigParseOptions = {}): OpenSslConfig {
  let text: string;
  try {
    text = readFileBounded(nodePath.resolve(options.cwd ?? process.cwd(), path), MAX_CONFIG_FILE_BYTES).toString('utf8');
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_FILE, `cannot read config file '${path}': ${fileReadReason(e)}`, { cause: e });
  }
  return parseConfig(text, { ...options, fileName: options.fileName ?? path });
}

/** Parses configuration text; syntax errors are CmpError ERR_INVALID_OPTION naming file and line. */
export function parseConfig(text: string, options: ConfigParseOptions = {}): OpenSslConfig {
  const parser = new Parser(options);
  parser.run(stripBom(text), options.fileName ?? '<config>');
  return new OpenSslConfig(parser.sections, parser.env, options.fileName);
}

/** Only the main file's BOM is dropped, as OpenSSL does. */
function stripBom(text: string): string {
  return text.startsWith('\ufeff') ? text.slice(1) : text;
}

// ---- character classes of conf_def.h (CONF_type_default)

const isWs = (c: string | undefined): boolean => c === ' ' || c === '\t' || c === '\r' || c === '\n';
const isQuote = (c: string | undefined): boolean => c === '"' || c === "'" || c === '`';
const isAlnum = (c: string | undefined): boolean => c !== undefined && /^[0-9A-Za-z_]$/.test(c);
const isPunct = (c: string | undefined): boolean => c !== undefined && '!.%&*+,/;?@^~|-'.includes(c);

function eatWs(s: string, i: number): number {
  while (i < s.length && isWs(s[i])) i++;
  return i;
}

function trimEnd(s: string): string {
  let end = s.length;
  while (end > 0 && isWs(s[end - 1])) end--;
  return s.slice(0, end);
}

/** scan_quote(): index after the closing quote (or the end), a backslash escaping one character. */
function scanQuote(s: string, i: number): number {
  const q = s[i];
  i++;
  while (i < s.length && s[i] !== q) {
    if (s[i] === '\\') {
      i++;
      if (i >= s.length) return i;
    }
    i++;
  }
  if (s[i] === q) i++;
  return i;
}

/** clear_comments(): cuts the line at the first `#` outside quotes and not escaped. */
function clearComments(s: string): string {
  let i = eatWs(s, 0);
  while (i < s.length) {
    const c = s[i];
    if (c === '#') return s.slice(0, i);
    if (isQuote(c)) {
      i = scanQuote(s, i);
    } else if (c === '\\') {
      i += i + 1 >= s.length ? 1 : 2;
    } else {
      i++;
    }
  }
  return s;
}

interface Source {
  file: string;
  lines: string[];
  next: number;
  /** Remaining files of a directory include that this source belongs to. */
  dirFiles?: string[];
}

class Parser {
  readonly sections = new Map<string, Map<string, string>>([['default', new Map()]]);
  readonly env: Environment;
  private readonly cwd: string;
  private dollarId = false;
  private absPath = false;
  private includeDir: string | undefined;
  private section = 'default';
  private stack: Source[] = [];
  private file = '';
  private line = 0;

  constructor(options: ConfigParseOptions) {
    this.env = options.env ?? process.env;
    this.cwd = options.cwd ?? process.cwd();
  }

  run(text: string, fileName: string): void {
    this.stack.push({ file: fileName, lines: splitLines(text), next: 0 });
    for (;;) {
      const logical = this.nextLogicalLine();
      if (logical === undefined) return;
      this.processLine(logical);
    }
  }

  private fail(reason: string): CmpError {
    return new CmpError(ErrorCodes.ERR_INVALID_OPTION, `config file '${this.file}' line ${this.line}: ${reason}`);
  }

  /** Joins continuation lines: a trailing `\` not itself escaped by a preceding `\`. */
  private nextLogicalLine(): string | undefined {
    let buffer = '';
    let continuing = false;
    for (;;) {
      const raw = this.nextPhysicalLine();
      if (raw === undefined) return continuing ? buffer : undefined;
      buffer += raw;
      if (buffer.endsWith('\\') && !(buffer.length >= 2 && buffer[buffer.length - 2] === '\\')) {
        buffer = buffer.slice(0, -1);
        continuing = true;
        continue;
      }
      return buffer;
    }
  }

  private nextPhysicalLine(): string | undefined {
    for (;;) {
      const top = this.stack[this.stack.length - 1];
      if (top === undefined) return undefined;
      if (top.next < top.lines.length) {
        this.file = top.file;
        this.line = top.next + 1;
        return top.lines[top.next++];
      }
      this.stack.pop();
      const nextInDir = top.dirFiles?.shift();
      if (nextInDir !== undefined) this.pushFile(nextInDir, top.dirFiles);
    }
  }

  private processLine(line: string): void {
    const buf = clearComments(line);
    const s = eatWs(buf, 0);
    if (s >= buf.length) return;
    if (buf[s] === '[') {
      this.sectionHeader(buf, s + 1);
      return;
    }
    let nameStart = s;
    let end = this.eatName(buf, s);
    let target = this.section;
    if (buf[end] === ':' && buf[end + 1] === ':') {
      target = buf.slice(s, end);
      nameStart = end + 2;
      end = this.eatName(buf, nameStart);
    }
    const p = eatWs(buf, end);
    if (buf.startsWith('.pragma', nameStart) && (p !== nameStart + 7 || buf[p] === '=')) {
      this.pragma(buf, p);
      return;
    }
    if (buf.startsWith('.include', nameStart) && (p !== nameStart + 8 || buf[p] === '=')) {
      this.include(buf, p, target);
      return;
    }
    if (buf[p] !== '=') throw this.fail('missing equal sign');
    const name = buf.slice(nameStart, end);
    const value = this.expand(target, trimEnd(buf.slice(eatWs(buf, p + 1))));
    let section = this.sections.get(target);
    if (section === undefined) {
      section = new Map();
      this.sections.set(target, section);
    }
    section.delete(name);
    section.set(name, value);
  }

  /** eat_alpha_numeric(): letters, digits, `_`, punctuation, escaped pairs, `$` under dollarid. */
  private eatName(s: string, i: number): number {
    for (;;) {
      const c = s[i];
      if (c === '\\') {
        i += i + 1 >= s.length ? 1 : 2;
        continue;
      }
      if (!(isAlnum(c) || isPunct(c) || (this.dollarId && c === '$'))) return i;
      i++;
    }
  }

  private sectionHeader(buf: string, afterBracket: number): void {
    const start = eatWs(buf, afterBracket);
    let ss = start;
    let end: number;
    for (;;) {
      end = this.eatName(buf, ss);
      const p = eatWs(buf, end);
      if (buf[p] === ']') break;
      if (p < buf.length && ss !== p) {
        ss = p;
        continue;
      }
      throw this.fail('missing close square bracket');
    }
    this.section = this.expand(undefined, buf.slice(start, end));
    if (!this.sections.has(this.section)) this.sections.set(this.section, new Map());
  }

  private directiveArgument(buf: string, p: number): string {
    let q = p;
    if (buf[q] === '=') q = eatWs(buf, q + 1);
    return trimEnd(buf.slice(q));
  }

  private pragma(buf: string, p: number): void {
    const text = this.directiveArgument(buf, p);
    const colon = text.indexOf(':');
    if (colon <= 0 || colon === text.length - 1) throw this.fail('invalid pragma (expected keyword:value)');
    const keyword = trimEnd(text.slice(0, colon));
    const value = text.slice(eatWs(text, colon + 1));
    if (keyword === 'dollarid') this.dollarId = parseBool(value, () => this.fail('invalid pragma value for dollarid'));
    else if (keyword === 'abspath') this.absPath = parseBool(value, () => this.fail('invalid pragma value for abspath'));
    else if (keyword === 'includedir') this.includeDir = value;
    // Unknown pragmas are ignored, as OpenSSL does.
  }

  private include(buf: string, p: number, target: string): void {
    const include = this.expand(target, this.directiveArgument(buf, p));
    const dir = this.env.OPENSSL_CONF_INCLUDE ?? this.includeDir;
    const path = dir !== undefined && !nodePath.isAbsolute(include) ? nodePath.join(dir, include) : include;
    if (this.absPath && !nodePath.isAbsolute(path)) throw this.fail('relative include path with abspath pragma on');
    if (this.stack.length >= MAX_INCLUDE_DEPTH) throw this.fail('includes nested too deeply');
    const resolved = nodePath.resolve(this.cwd, path);
    let stat: fs.Stats;
    try {
      stat = fs.statSync(resolved);
    } catch {
      return; // a missing include is not an error in OpenSSL
    }
    if (stat.isDirectory()) {
      if (this.stack.some((s) => s.dirFiles !== undefined)) throw this.fail('recursive directory include');
      const files = fs
        .readdirSync(resolved)
        .filter((f) => (f.length > 5 && /\.conf$/i.test(f)) || (f.length > 4 && /\.cnf$/i.test(f)))
        .sort()
        .map((f) => nodePath.join(path, f));
      const first = files.shift();
      if (first !== undefined) this.pushFile(first, files);
      return;
    }
    this.pushFile(path);
  }

  private pushFile(path: string, dirFiles?: string[]): void {
    let text: string;
    try {
      text = readFileBounded(nodePath.resolve(this.cwd, path), MAX_CONFIG_FILE_BYTES).toString('utf8');
    } catch {
      // Errors opening files of an included directory are not fatal in OpenSSL either.
      const next = dirFiles?.shift();
      if (next !== undefined) this.pushFile(next, dirFiles);
      return;
    }
    this.stack.push({ file: path, lines: splitLines(text), next: 0, ...(dirFiles ? { dirFiles } : {}) });
  }

  /** str_copy(): quotes, escapes and variable expansion of a value (or section name, or include). */
  private expand(section: string | undefined, from: string): string {
    let out = '';
    let i = 0;
    while (i < from.length) {
      const c = from[i]!;
      if (isQuote(c)) {
        i++;
        while (i < from.length && from[i] !== c) {
          if (from[i] === '\\') {
            i++;
            if (i >= from.length) break;
          }
          out += from[i++];
        }
        if (from[i] === c) i++;
      } else if (c === '\\') {
        const v = from[i + 1];
        i += 2;
        if (v === undefined) break;
        out += v === 'r' ? '\r' : v === 'n' ? '\n' : v === 'b' ? '\b' : v === 't' ? '\t' : v;
      } else if (c === '$' && (!this.dollarId || from[i + 1] === '{' || from[i + 1] === '(')) {
        const [value, next] = this.variable(section, from, i + 1);
        out += value;
        i = next;
      } else {
        out += c;
        i++;
      }
      if (out.length > MAX_VALUE_LENGTH) throw this.fail('variable expansion too long');
    }
    return out;
  }

  private variable(section: string | undefined, from: string, start: number): [string, number] {
    let s = start;
    const close = from[s] === '{' ? '}' : from[s] === '(' ? ')' : undefined;
    if (close !== undefined) s++;
    const isNameChar = (ch: string | undefined): boolean => isAlnum(ch) || (this.dollarId && ch === '$');
    let e = s;
    while (isNameChar(from[e])) e++;
    let sectionName = section;
    let name = from.slice(s, e);
    if (from[e] === ':' && from[e + 1] === ':') {
      sectionName = name;
      const np = e + 2;
      e = np;
      while (isNameChar(from[e])) e++;
      name = from.slice(np, e);
    }
    if (close !== undefined) {
      if (from[e] !== close) throw this.fail('no close brace in variable reference');
      e++;
    }
    const value = lookup(this.sections, this.env, sectionName, name);
    if (value === undefined) {
      throw this.fail(`variable has no value: ${sectionName !== undefined ? `${sectionName}::` : ''}${name}`);
    }
    return [value, e];
  }
}

function splitLines(text: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/[\r\n]+$/, ''));
  if (lines.length > 0 && lines[lines.length - 1] === '' && text.endsWith('\n')) lines.pop();
  return lines;
}

function parseBool(value: string, fail: () => CmpError): boolean {
  const v = value.toLowerCase();
  if (v === 'on' || v === 'true') return true;
  if (v === 'off' || v === 'false') return false;
  throw fail();
}
