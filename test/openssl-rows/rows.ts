/**
 * OpenSSL's `openssl cmp` CLI test rows (test/openssl-rows/data/test_<aspect>.csv) expanded into
 * command lines exactly as OpenSSL's 80-test_cmp_http.t expands them for its Mock server (the same
 * steps as the reference runner `replay.py`, kept outside the repository, in its `v30` mode):
 * placeholders from the `[Mock]` and `[<aspect>]` sections of Mock/test.cnf and the running
 * server, then `-no_proxy`,
 * `-proxy ''`, `-certout`, `-config ../Mock/test.cnf -section 'Mock <aspect>'` after `-section,,`,
 * then cells cut into arguments. replay.py hands the joined, quoted words to /bin/sh; shellWord()
 * does the part of sh's word processing those words need, so the argument vectors here are what
 * the client received there.
 */
import { readFileSync } from 'fs';
import * as path from 'path';

export const DATA_DIR = path.join(__dirname, 'data');
export const MOCK_DIR = path.join(DATA_DIR, 'Mock');

export const ASPECTS = ['connection', 'verification', 'credentials', 'commands'] as const;
export type Aspect = (typeof ASPECTS)[number];

/** Where a replay runs: the mock server's address and the folder the rows write results to. */
export interface RowTarget {
  host: string;
  port: number;
  resultDir: string;
}

export interface Row {
  aspect: Aspect;
  /** 1-based among the aspect's runnable rows, as replay.py and run.sh number them. */
  n: number;
  title: string;
  expectSuccess: boolean;
  /** Arguments after `openssl cmp` / `cmpflow`. */
  argv: string[];
  /** The words replay.py quotes and hands to sh, from which sh makes `argv`. */
  words: string[];
  /** The CSV line as written. */
  source: string;
}

const CFG_KEYS = [
  'ca_dn',
  'server_dn',
  'server_host',
  'server_port',
  'server_tls',
  'server_path',
  'server_cert',
  'kur_port',
  'pbm_port',
  'pbm_ref',
  'pbm_secret',
  'column',
  'sleep',
];
const PORT_KEYS = new Set(['server_port', 'kur_port', 'pbm_port', 'server_tls']);
// 80-test_cmp_http.t writes an empty value as four quotes: a CSV cell that becomes an empty argument.
const EMPTY_CELL = '""""';

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** The placeholder values a section of test.cnf sets (only the keys the rows use). */
export function readSection(section: string, cnfText = readFileSync(path.join(MOCK_DIR, 'test.cnf'), 'latin1')): Map<string, string> {
  const values = new Map<string, string>();
  const header = new RegExp(`^\\s*\\[\\s*${escapeRegExp(section)}\\s*\\]`);
  let active = false;
  for (const line of cnfText.split('\n')) {
    if (header.test(line)) {
      active = true;
      continue;
    }
    if (/^\s*\[\s*.*?\s*\]/.test(line)) {
      active = false;
      continue;
    }
    if (!active) continue;
    for (const key of CFG_KEYS) {
      // Host and port stop at the first blank so that `server_host = 127.0.0.1 # localhost` works.
      const m =
        key === 'server_host' || key === 'server_port'
          ? new RegExp(`^\\s*${key}\\s*=\\s*(\\S*)?\\s*(#.*)?$`).exec(line)
          : new RegExp(`^\\s*${key}\\s*=\\s*(.*)?\\s*$`).exec(line);
      if (m) values.set(key, (m[1] ?? '') === '' ? EMPTY_CELL : m[1]!);
    }
  }
  return values;
}

/** Characters for which replay.py single-quotes a word before handing it to sh. */
const QUOTED_BY_REPLAY = /\s|[{}\\$[\]*?|&:;<>]/;

/** A word as replay.py writes it into the command line it hands to sh. */
export function replayQuote(word: string): string {
  return word === '' || QUOTED_BY_REPLAY.test(word) ? `'${word}'` : word;
}

/**
 * The argument sh makes of one word as replay.py writes it: single-quoted words stay literal, the
 * others lose their quotes (`""` is the empty argument). Characters sh would treat specially in an
 * unquoted word and that replay.py does not quote are refused, so that a new row can never be
 * expanded differently here than in run.sh without notice.
 */
export function shellWord(cell: string): string {
  if (cell === '' || QUOTED_BY_REPLAY.test(cell)) {
    if (cell.includes("'")) throw new Error(`row cell ${JSON.stringify(cell)}: sh would not read '${cell}' as one word`);
    return cell;
  }
  if (/^[#~]|[()`'!]/.test(cell)) throw new Error(`row cell ${JSON.stringify(cell)}: sh processing not modelled`);
  let out = '';
  let inDouble = false;
  for (const ch of cell) {
    if (ch === '"') inDouble = !inDouble;
    else out += ch;
  }
  if (inDouble) throw new Error(`row cell ${JSON.stringify(cell)}: unbalanced double quote`);
  return out;
}

/** Python's str.replace(old, new, 1). */
function replaceFirst(s: string, from: string, to: string): string {
  const i = s.indexOf(from);
  return i < 0 ? s : s.slice(0, i) + to + s.slice(i + from.length);
}

/** The runnable rows of one aspect, expanded for `target`. */
export function loadRows(aspect: Aspect, target: RowTarget): Row[] {
  const cnf = readFileSync(path.join(MOCK_DIR, 'test.cnf'), 'latin1');
  const port = String(target.port);
  const cfg = readSection('Mock', cnf);
  for (const key of PORT_KEYS) cfg.set(key, port);
  for (const [key, value] of readSection(aspect, cnf)) if (!PORT_KEYS.has(key)) cfg.set(key, value);
  const get = (key: string): string => cfg.get(key) ?? '';
  const subs: [string, string][] = [
    ['_CA_DN', get('ca_dn')],
    ['_SERVER_DN', get('server_dn')],
    ['_SERVER_HOST', target.host],
    ['_SERVER_PORT', port],
    ['_SERVER_TLS', port],
    ['_SERVER_PATH', get('server_path')],
    ['_SERVER_CERT', get('server_cert')],
    ['_KUR_PORT', port],
    ['_PBM_PORT', port],
    ['_PBM_REF', get('pbm_ref')],
    ['_PBM_SECRET', get('pbm_secret')],
    ['_RESULT_DIR', target.resultDir],
  ];
  const plainHost = target.host.startsWith('[') ? target.host.slice(1, -1) : target.host;

  const rows: Row[] = [];
  const csv = readFileSync(path.join(DATA_DIR, `test_${aspect}.csv`), 'latin1');
  const lines = csv.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  for (const raw of lines) {
    const source = raw.replace(/\r/g, '');
    let line = source;
    for (const [placeholder, value] of subs) line = line.split(placeholder).join(value);
    if (!/,\s*-no_proxy\s*,(.*?)(,|$)/.test(line) && (plainHost === '127.0.0.1' || plainHost === '::1')) {
      line = replaceFirst(line, '-section,,', `-section,,-no_proxy,${plainHost},`);
    }
    if (!/,\s*-proxy\s*,/.test(line)) line = replaceFirst(line, '-section,,', '-section,,-proxy,<EMPTY>,');
    // OpenSSL 3.0's script gives every row a -certout, whatever its command.
    line = replaceFirst(line, '-section,,', `-section,,-certout,${target.resultDir}/test.cert.pem,`);
    line = replaceFirst(line, '-section,,', `-config,../Mock/test.cnf,-section,Mock ${aspect},`);
    const cells = line
      .split(',')
      .filter((c) => /\S/.test(c))
      .map((c) => (c === '<EMPTY>' ? '' : c))
      .map((c) => c.trim())
      .map((c) => c.replace(/^"(".*?")"$/, '$1'));
    if (cells.length < 2) continue;
    const [expected, title] = cells as [string, string];
    if (expected !== '0' && expected !== '1') continue; // header, section and TBD rows
    let params = cells.slice(2).filter((c) => c !== 'BLANK');
    if (!params.includes('-server')) params = ['-server', `${target.host}:${port}`, ...params];
    rows.push({ aspect, n: rows.length + 1, title, expectSuccess: expected === '1', argv: params.map(shellWord), words: params, source });
  }
  return rows;
}

const SECRET_OPTIONS = new Set(['-secret', '-keypass', '-newkeypass', '-passin', '-tls_keypass', '-srv_secret', '-srv_keypass']);

/** A row's command line for messages, with pass phrases (test fixtures, but still) replaced by `***`. */
export function describeCommand(client: string, argv: readonly string[]): string {
  const words = argv.map((a, i) => (i > 0 && SECRET_OPTIONS.has(argv[i - 1]!) && a !== '' ? '***' : a));
  return [client, ...words.map((w) => (w === '' || /[\s'"\\$]/.test(w) ? `'${w}'` : w))].join(' ');
}
