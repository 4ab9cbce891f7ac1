/** PEM (RFC 7468, with the RFC 1421 headers of OpenSSL's legacy encrypted keys): text <-> labelled DER blocks. */
import { CmpError, ErrorCodes } from '../errors';
import { fromB64, toB64 } from '../bytes';

export interface PemBlock {
  /** The label between BEGIN and END, e.g. 'CERTIFICATE', 'PRIVATE KEY'. */
  label: string;
  /** RFC 1421 headers such as Proc-Type and DEK-Info; empty for plain RFC 7468 blocks. */
  headers: Record<string, string>;
  der: Uint8Array;
}

const blockPattern = /-----BEGIN ([^-\r\n]*)-----\r?\n([\s\S]*?)-----END ([^-\r\n]*)-----/g;
const headerPattern = /^([A-Za-z0-9-]+):\s*(.*)$/;
const base64Pattern = /^[A-Za-z0-9+/]*={0,2}$/;

/**
 * All PEM blocks of a text, in order; text around them (such as `openssl x509 -text` output) is
 * ignored. A block that is cut off, has mismatched labels or bad base64 is ERR_PEM.
 */
export function parsePem(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  let end = 0;
  for (const match of text.matchAll(blockPattern)) {
    const [, label, body, endLabel] = match as unknown as [string, string, string, string];
    if (label !== endLabel) throw new CmpError(ErrorCodes.ERR_PEM, `PEM block BEGIN ${label} ends with END ${endLabel}`);
    blocks.push({ label, ...parseBody(label, body) });
    end = match.index! + match[0].length;
  }
  if (text.indexOf('-----BEGIN ', end) !== -1) throw new CmpError(ErrorCodes.ERR_PEM, 'PEM block without END line');
  return blocks;
}

function parseBody(label: string, body: string): Omit<PemBlock, 'label'> {
  const lines = body.split(/\r?\n/);
  const headers: Record<string, string> = {};
  // RFC 1421 headers come first and are separated from the base64 by an empty line.
  if (lines.length > 0 && headerPattern.test(lines[0]!)) {
    while (lines.length > 0 && lines[0]!.trim() !== '') {
      const header = headerPattern.exec(lines.shift()!);
      if (!header) throw new CmpError(ErrorCodes.ERR_PEM, `malformed header in PEM block ${label}`);
      headers[header[1]!] = header[2]!.trim();
    }
  }
  const base64 = lines.join('').replace(/\s+/g, '');
  if (base64.length % 4 !== 0 || !base64Pattern.test(base64)) throw new CmpError(ErrorCodes.ERR_PEM, `invalid base64 in PEM block ${label}`);
  return { headers, der: fromB64(base64) };
}

/** A PEM block with 64-character lines and a final newline, as OpenSSL writes it. */
export function encodePem(label: string, der: Uint8Array): string {
  const base64 = toB64(der);
  const lines = base64.match(/.{1,64}/g) ?? [];
  return `-----BEGIN ${label}-----\n${lines.map((l) => `${l}\n`).join('')}-----END ${label}-----\n`;
}

/** Whether text or bytes hold PEM rather than DER: PEM has a BEGIN line, possibly after explanatory text. */
export function isPem(data: string | Uint8Array): boolean {
  const text = typeof data === 'string' ? data : Buffer.from(data).toString('latin1');
  return text.includes('-----BEGIN ');
}
