/**
 * Runs the real `openssl cmp` so that it writes its first request (-reqout) and then stops for
 * want of a response (-rspin names a missing file: no network), and reads back from that request
 * the option values openssl used: recipient, senderKID, generalInfo and template extensions.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { DerNode, nodeBytes, nodeContent, readDer } from '../../src/asn1/der';
import { runOpenSsl, RunResult } from '../support/openssl';

export interface RequestSeen {
  /** RFC 4514 string of the header's recipient ('' for the NULL-DN). */
  recipient: string;
  senderKID?: string;
  /** generalInfo ITAVs: OID and hex of the value's DER. */
  generalInfo: { oid: string; valueHex: string }[];
  /** DER of the certTemplate's extensions as an `Extensions` SEQUENCE, when present. */
  templateExtensions?: Uint8Array;
}

export function tempDir(): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), 'cmpflow-cli-'));
}

const contextChild = (node: DerNode, tag: number): DerNode | undefined => node.children?.find((c) => c.tagClass === 2 && c.tagNumber === tag);

function oidText(bytes: Uint8Array): string {
  const arcs: number[] = [];
  let value = 0;
  for (const b of bytes) {
    value = value * 128 + (b & 0x7f);
    if ((b & 0x80) === 0) {
      arcs.push(value);
      value = 0;
    }
  }
  const first = Math.min(Math.floor(arcs[0]! / 40), 2);
  return [first, arcs[0]! - first * 40, ...arcs.slice(1)].join('.');
}

export function decodeRequest(der: Uint8Array): RequestSeen {
  const root = readDer(der);
  const header = root.children![0]!;
  const recipientGn = header.children![2]!;
  const name = recipientGn.children![0]!;
  const seen: RequestSeen = {
    recipient: new x509.Name(Uint8Array.from(nodeBytes(der, name))).toString(),
    generalInfo: [],
  };
  const kid = contextChild(header, 2);
  if (kid) seen.senderKID = Buffer.from(nodeContent(der, kid.children![0]!)).toString('latin1');
  const info = contextChild(header, 8);
  for (const itav of info?.children?.[0]?.children ?? []) {
    const [type, value] = itav.children!;
    seen.generalInfo.push({
      oid: oidText(nodeContent(der, type!)),
      valueHex: value ? Buffer.from(nodeBytes(der, value)).toString('hex') : '',
    });
  }
  const body = root.children![1]!;
  if (body.tagNumber === 0 || body.tagNumber === 2 || body.tagNumber === 7) {
    const template = body.children![0]!.children![0]!.children![0]!.children![1]!;
    const exts = contextChild(template, 9);
    if (exts) {
      const content = nodeContent(der, exts);
      seen.templateExtensions = Uint8Array.of(0x30, ...derLength(content.length), ...content);
    }
  }
  return seen;
}

function derLength(n: number): number[] {
  if (n < 0x80) return [n];
  const out: number[] = [];
  for (let x = n; x > 0; x = Math.floor(x / 256)) out.unshift(x % 256);
  return [0x80 | out.length, ...out];
}

/**
 * `openssl cmp <args> -reqout FILE -rspin MISSING` in `dir`; returns what the request shows, or
 * undefined when openssl gave up before sending (its stderr then says why).
 */
export async function requestOpenSslWrites(dir: string, args: string[], env?: NodeJS.ProcessEnv): Promise<{ request?: RequestSeen; run: RunResult }> {
  const out = path.join(dir, `req-${Date.now()}-${Math.random().toString(16).slice(2)}.der`);
  const run = await runOpenSsl(['cmp', ...args, '-reqout', out, '-rspin', path.join(dir, 'no-such-response.der')], {
    cwd: dir,
    ...(env ? { env: { ...process.env, ...env } } : {}),
  });
  if (!fs.existsSync(out)) return { run };
  const request = decodeRequest(new Uint8Array(fs.readFileSync(out)));
  fs.rmSync(out);
  return { request, run };
}

/** An `Extensions` DER as @peculiar/x509 extension objects (SubjectAlternativeNameExtension etc.). */
export function decodeExtensions(der: Uint8Array): x509.Extension[] {
  return AsnConvert.parse(der, asn1X509.Extensions).map((e) => x509.ExtensionFactory.create(AsnConvert.serialize(e)));
}
