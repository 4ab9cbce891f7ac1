/**
 * What a row wrote, and whether cmpflow wrote what `openssl cmp` wrote for the same row.
 *
 * Certificate files (-certout, -extracertsout, -cacertsout, -chainout, -srvcertout) must hold the
 * same certificates in the same order and be the same PEM text. Message files (-reqout, -rspout)
 * carry fresh nonces, transaction IDs, times, salts and signatures, so they are compared as an
 * outline instead of bytes: the message's tag tree with the values that the request options and
 * the server's fixed answers determine (INTEGER, OID, BOOLEAN, ENUMERATED, NULL, the character
 * strings of names), not the contents of times, OCTET STRINGs and BIT STRINGs; extraCerts are
 * compared as certificates. A difference is reported with the path of elements that leads to it.
 */
import { createHash } from 'crypto';
import { readFileSync, statSync } from 'fs';
import * as path from 'path';
import { PKI_BODY_TYPES } from '../../src/asn1/cmp/message';
import { readDer, type DerNode } from '../../src/asn1/der';

export type OutputKind = 'certificates' | 'message';

export interface OutputFile {
  option: string;
  /** As given on the command line. */
  file: string;
  kind: OutputKind;
}

const MESSAGE_OPTIONS = new Set(['-reqout', '-rspout']);
const CERT_OPTIONS = new Set(['-certout', '-chainout', '-extracertsout', '-cacertsout', '-srvcertout']);

/** The files `argv` asks the client to write; -reqout and -rspout take lists. */
export function outputFiles(argv: readonly string[]): OutputFile[] {
  const files: OutputFile[] = [];
  for (let i = 0; i < argv.length - 1; i++) {
    const option = argv[i]!;
    if (!MESSAGE_OPTIONS.has(option) && !CERT_OPTIONS.has(option)) continue;
    const kind: OutputKind = MESSAGE_OPTIONS.has(option) ? 'message' : 'certificates';
    const names = kind === 'message' ? argv[i + 1]!.split(/[,\s]+/) : [argv[i + 1]!];
    for (const file of names) if (file !== '' && !files.some((f) => f.file === file)) files.push({ option, file, kind });
  }
  return files;
}

type Stamp = string | undefined;

function stamp(file: string): Stamp {
  try {
    const s = statSync(file, { bigint: true });
    return `${s.ino}:${s.size}:${s.mtimeNs}`;
  } catch {
    return undefined;
  }
}

/** The state of `files` before a run, to tell afterwards which of them the run wrote. */
export function snapshot(files: readonly OutputFile[], cwd: string): Map<OutputFile, Stamp> {
  return new Map(files.map((f) => [f, stamp(path.resolve(cwd, f.file))]));
}

export interface WrittenFile extends OutputFile {
  /** Relative to the result folder, so that two clients' files pair up. */
  key: string;
  bytes: Buffer;
}

/**
 * The files of `before` that were created or rewritten since. A file a row both reads and names
 * as output (-oldcert and -certout of a revocation row) counts only if it was rewritten.
 */
export function writtenSince(before: Map<OutputFile, Stamp>, cwd: string, resultDir: string): WrittenFile[] {
  const written: WrittenFile[] = [];
  for (const [f, was] of before) {
    const full = path.resolve(cwd, f.file);
    const now = stamp(full);
    if (now === undefined || now === was) continue;
    const rel = path.relative(resultDir, full);
    written.push({ ...f, key: rel.startsWith('..') ? f.file : rel, bytes: readFileSync(full) });
  }
  return written;
}

// ---- certificate files --------------------------------------------------------------------------

interface PemBlock {
  label: string;
  der: Buffer;
}

function pemBlocks(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  for (const m of text.matchAll(/-----BEGIN ([A-Z0-9 ]+)-----\r?\n([\s\S]*?)-----END \1-----/g)) {
    blocks.push({ label: m[1]!, der: Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64') });
  }
  return blocks;
}

function fingerprint(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex').slice(0, 16);
}

function describeBlocks(blocks: PemBlock[]): string {
  return blocks.length === 0 ? 'no PEM block' : blocks.map((b) => `${b.label} ${fingerprint(b.der)}`).join(', ');
}

function compareCertificates(ours: Buffer, theirs: Buffer): string | undefined {
  const a = pemBlocks(ours.toString('latin1'));
  const b = pemBlocks(theirs.toString('latin1'));
  const same = a.length === b.length && a.every((x, i) => x.label === b[i]!.label && x.der.equals(b[i]!.der));
  if (!same) return `holds [${describeBlocks(a)}], openssl cmp wrote [${describeBlocks(b)}]`;
  if (!ours.equals(theirs)) return 'holds the same certificates as openssl cmp wrote, but not the same PEM text';
  return undefined;
}

// ---- message files ------------------------------------------------------------------------------

const UNIVERSAL: Record<number, string> = {
  1: 'BOOLEAN',
  2: 'INTEGER',
  3: 'BIT STRING',
  4: 'OCTET STRING',
  5: 'NULL',
  6: 'OID',
  10: 'ENUMERATED',
  12: 'UTF8String',
  16: 'SEQUENCE',
  17: 'SET',
  19: 'PrintableString',
  20: 'T61String',
  22: 'IA5String',
  23: 'UTCTime',
  24: 'GeneralizedTime',
  26: 'VisibleString',
  30: 'BMPString',
};
const STRINGS = new Set([12, 19, 20, 22, 26]);

function oid(content: Uint8Array): string {
  const arcs: bigint[] = [];
  let v = 0n;
  for (const byte of content) {
    v = (v << 7n) | BigInt(byte & 0x7f);
    if ((byte & 0x80) === 0) {
      arcs.push(v);
      v = 0n;
    }
  }
  const first = arcs.shift() ?? 0n;
  const top = first < 40n ? 0n : first < 80n ? 1n : 2n;
  return [top, first - top * 40n, ...arcs].join('.');
}

function value(bytes: Uint8Array, node: DerNode): string {
  if (node.tagClass !== 0 || node.constructed) return '';
  const content = bytes.subarray(node.end - node.contentLength, node.end);
  switch (node.tagNumber) {
    case 1:
      return content[0] ? ' TRUE' : ' FALSE';
    case 2:
    case 10:
      return ` ${Buffer.from(content).toString('hex')}`;
    case 6:
      return ` ${oid(content)}`;
    default:
      return STRINGS.has(node.tagNumber) ? ` ${JSON.stringify(Buffer.from(content).toString('utf8'))}` : '';
  }
}

const isUniversal = (node: DerNode | undefined, tagNumber: number): boolean => node?.tagClass === 0 && node.tagNumber === tagNumber;

/**
 * An AlgorithmIdentifier's NULL parameters are left out: RFC 4055 has the RSA algorithms carry
 * NULL and receivers accept NULL or nothing; OpenSSL 3.0 omits it in protectionAlg, cmpflow sends it.
 */
function isNullAlgorithmParameter(parent: DerNode, index: number): boolean {
  const children = parent.children!;
  return isUniversal(parent, 16) && children.length === 2 && index === 1 && isUniversal(children[0], 6) && isUniversal(children[1], 5);
}

function outline(bytes: Uint8Array, node: DerNode, depth: number, lines: string[]): void {
  const tag = node.tagClass === 0 ? (UNIVERSAL[node.tagNumber] ?? `[UNIVERSAL ${node.tagNumber}]`) : `[${node.tagNumber}]`;
  lines.push(`${'  '.repeat(depth)}${tag}${value(bytes, node)}`);
  (node.children ?? []).forEach((child, i) => {
    if (!isNullAlgorithmParameter(node, i)) outline(bytes, child, depth + 1, lines);
  });
}

/** Line `k` of an outline with its enclosing elements, e.g. `SEQUENCE > [1] > SEQUENCE > OID 1.2.3`. */
function where(lines: readonly string[], k: number): string {
  const indent = (line: string): number => line.length - line.trimStart().length;
  const chain: string[] = [];
  let level = Infinity;
  for (let i = Math.min(k, lines.length - 1); i >= 0; i--) {
    const line = lines[i]!;
    if (indent(line) < level) {
      chain.unshift(line.trim());
      level = indent(line);
    }
  }
  return chain.join(' > ');
}

export interface MessageOutline {
  body: string;
  /** Header and body, one line per element. */
  lines: string[];
  protected: boolean;
  /** SHA-256 prefixes of the extraCerts, in order. */
  extraCerts: string[];
}

/** A PKIMessage file's outline (see the file comment). Throws if the file is no PKIMessage. */
export function messageOutline(der: Uint8Array): MessageOutline {
  const root = readDer(der);
  const [header, body, ...optional] = root.children ?? [];
  if (!header || !body || body.tagClass !== 2) throw new Error('not a PKIMessage');
  const lines: string[] = [];
  outline(der, header, 0, lines);
  outline(der, body, 0, lines);
  const extra = optional.find((n) => n.tagClass === 2 && n.tagNumber === 1);
  const certs = extra?.children?.[0]?.children ?? [];
  return {
    body: PKI_BODY_TYPES[body.tagNumber] ?? `[${body.tagNumber}]`,
    lines,
    protected: optional.some((n) => n.tagClass === 2 && n.tagNumber === 0),
    extraCerts: certs.map((c) => fingerprint(der.subarray(c.start, c.end))),
  };
}

function compareMessages(ours: Buffer, theirs: Buffer): string | undefined {
  let a: MessageOutline;
  let b: MessageOutline;
  try {
    b = messageOutline(theirs);
  } catch (e) {
    return `cannot be compared: openssl cmp's file does not decode (${(e as Error).message})`;
  }
  try {
    a = messageOutline(ours);
  } catch (e) {
    return `does not decode as a PKIMessage (${(e as Error).message})`;
  }
  if (a.body !== b.body) return `holds a ${a.body} message, openssl cmp wrote ${b.body}`;
  if (a.protected !== b.protected) return `is ${a.protected ? '' : 'not '}protected, openssl cmp's is ${b.protected ? '' : 'not '}`;
  const i = a.lines.findIndex((line, k) => line !== b.lines[k]);
  if (i >= 0 || a.lines.length !== b.lines.length) {
    const k = i >= 0 ? i : Math.min(a.lines.length, b.lines.length);
    if (k >= a.lines.length) return `${a.body} ends after element ${k} where openssl cmp's goes on with ${where(b.lines, k)}`;
    if (k >= b.lines.length) return `${a.body} goes on after element ${k} with ${where(a.lines, k)} where openssl cmp's ends`;
    return `${a.body} differs from openssl cmp's at element ${k + 1}: ${where(a.lines, k)} where openssl cmp has ${where(b.lines, k)}`;
  }
  if (a.extraCerts.join() !== b.extraCerts.join()) {
    return `${a.body} carries extraCerts [${a.extraCerts.join(', ')}], openssl cmp's [${b.extraCerts.join(', ')}]`;
  }
  return undefined;
}

/**
 * How the files cmpflow wrote differ from those `openssl cmp` wrote for the same row: one line per
 * difference, none when they agree.
 */
export function compareWritten(ours: readonly WrittenFile[], theirs: readonly WrittenFile[]): string[] {
  const differences: string[] = [];
  for (const t of theirs) {
    const o = ours.find((f) => f.key === t.key);
    if (!o) {
      differences.push(`${t.option} ${t.key}: openssl cmp wrote it, cmpflow did not`);
      continue;
    }
    const d = t.kind === 'message' ? compareMessages(o.bytes, t.bytes) : compareCertificates(o.bytes, t.bytes);
    if (d) differences.push(`${t.option} ${t.key}: ${d}`);
  }
  for (const o of ours) {
    if (!theirs.some((t) => t.key === o.key)) differences.push(`${o.option} ${o.key}: cmpflow wrote it, openssl cmp did not`);
  }
  return differences;
}
