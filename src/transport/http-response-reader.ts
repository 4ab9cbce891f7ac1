/**
 * Reads one HTTP/1.x response from a byte stream, strictly (RFC 9112), for the plain-HTTP exchange
 * in plain-http-exchange.ts. It is a client's reader for one answer to one POST, as OpenSSL's own
 * HTTP client is, not a general parser: no request side, no pipelining, no upgrades, no content
 * codings. What a lenient parser would guess at (conflicting lengths, both Transfer-Encoding and
 * Content-Length, folded or space-prefixed header lines, bare LF, an unknown transfer coding) is an
 * error, since the only reason to send it is to make two readers disagree about the body.
 */

export interface HttpResponseHead {
  statusCode: number;
  statusMessage: string;
  httpVersion: '1.0' | '1.1';
  /** Field names in lower case; repeated fields joined with ', ' (RFC 9110 5.3). */
  headers: Record<string, string>;
}

/** node:http's default --max-http-header-size: the status line and every field line together. */
export const MAX_HEAD_BYTES = 16 * 1024;
const MAX_HEADER_LINES = 100;
/** 1xx answers skipped before the final one; more is a server talking without answering. */
const MAX_INTERIM_RESPONSES = 8;
/** A chunk-size line, extensions included; more is not a length. */
const MAX_CHUNK_LINE_BYTES = 1024;
/** Hex digits of a chunk size that stay an exact safe integer (16^13 = 2^52). */
const MAX_CHUNK_SIZE_DIGITS = 13;

const CRLF_CRLF = Buffer.from('\r\n\r\n', 'latin1');
const CRLF = Buffer.from('\r\n', 'latin1');
const STATUS_LINE = /^HTTP\/1\.([01]) ([0-9]{3})(?: ([\t\x20-\x7e\x80-\xff]*))?$/;
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Field values: visible characters, spaces and tabs, and obs-text; no other control characters.
const FIELD_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;
const DECIMAL = /^[0-9]+$/;
const CHUNK_SIZE = /^([0-9A-Fa-f]+)[\t ]*(?:;.*)?$/;

/** A response no honest server sends. Its message names the rule broken; the transfer adds the server. */
export class HttpFramingError extends Error {
  readonly code = 'ERR_HTTP_FRAMING';
}

const malformed = (what: string) => new HttpFramingError(`malformed HTTP response: ${what}`);

const enum Body {
  Length,
  Chunked,
  UntilClose,
}

const enum Phase {
  Head,
  Body,
  ChunkSize,
  ChunkData,
  ChunkDataEnd,
  Trailers,
  Done,
}

/** The head of a response from `text`, the head without its final CRLF CRLF. */
function parseHead(text: string): HttpResponseHead {
  const lines = text.split('\r\n');
  if (lines.length > MAX_HEADER_LINES + 1) throw malformed(`more than ${MAX_HEADER_LINES} header fields`);
  const status = STATUS_LINE.exec(lines[0]!);
  if (status === null) throw malformed('not an HTTP/1.0 or HTTP/1.1 status line');
  const headers: Record<string, string> = Object.create(null) as Record<string, string>;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    // Obsolete line folding (RFC 9112 5.2) would make two readers see different fields.
    if (line[0] === ' ' || line[0] === '\t') throw malformed('a folded header line');
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    // Whitespace before the colon is where request smuggling hides a second meaning (RFC 9112 5.1).
    if (!TOKEN.test(name)) throw malformed('a header line without a token for its name');
    const value = line.slice(colon + 1).replace(/^[\t ]+|[\t ]+$/g, '');
    // A bare CR or LF here is a line break to a lenient reader.
    if (!FIELD_VALUE.test(value)) throw malformed('a control character in a header value');
    const key = name.toLowerCase();
    const before = headers[key];
    headers[key] = before === undefined ? value : `${before}, ${value}`;
  }
  return { statusCode: Number(status[2]), statusMessage: status[3] ?? '', httpVersion: status[1] === '0' ? '1.0' : '1.1', headers };
}

/** The one length a Content-Length field gives: repeated identical values are allowed (RFC 9110 8.6). */
function contentLength(field: string): number {
  const values = field.split(',').map((v) => v.trim());
  const first = values[0]!;
  if (!DECIMAL.test(first) || values.some((v) => v !== first)) throw malformed('an invalid or conflicting Content-Length');
  const length = Number(first);
  if (!Number.isSafeInteger(length)) throw malformed('an invalid or conflicting Content-Length');
  return length;
}

/** A response's head as node:http's IncomingMessage and this reader both give it. */
export interface ResponseHead {
  statusCode?: number;
  statusMessage?: string;
  httpVersion: string;
  headers: Record<string, string | string[] | undefined>;
}

/**
 * Whether the server lets the connection carry another request (RFC 9112 9.3): no `close` among
 * its Connection options, and HTTP/1.1 or an HTTP/1.0 answer that says `keep-alive`.
 */
export function serverKeepsConnection(head: ResponseHead): boolean {
  const options = String(head.headers['connection'] ?? '')
    .split(',')
    .map((o) => o.trim().toLowerCase());
  if (options.includes('close')) return false;
  return head.httpVersion !== '1.0' || options.includes('keep-alive');
}

/**
 * One response, fed with what the socket delivers (`push`) and told when it ends (`end`). `head`
 * is set once the final (non-1xx) head is read, so the caller can refuse a response before its
 * body arrives; `complete` once the body is whole. Errors are thrown as HttpFramingError.
 */
export class HttpResponseReader {
  head: HttpResponseHead | undefined;
  complete = false;
  /** Body bytes received so far, for the caller's size limit. */
  bodyBytes = 0;

  private phase = Phase.Head;
  private framing = Body.UntilClose;
  private pending: Buffer | undefined;
  private remaining = 0;
  private interim = 0;
  private trailerBytes = 0;
  private readonly chunks: Buffer[] = [];

  /** Takes the next bytes of the connection. Returns whether bytes were left over after a complete response. */
  push(data: Buffer): boolean {
    let buf = this.pending === undefined ? data : Buffer.concat([this.pending, data]);
    this.pending = undefined;
    while (buf.length > 0) {
      switch (this.phase) {
        case Phase.Head: {
          const end = buf.indexOf(CRLF_CRLF);
          if (end < 0) {
            if (buf.length > MAX_HEAD_BYTES) throw malformed(`a head longer than ${MAX_HEAD_BYTES} bytes`);
            this.pending = buf;
            return false;
          }
          if (end > MAX_HEAD_BYTES) throw malformed(`a head longer than ${MAX_HEAD_BYTES} bytes`);
          const head = parseHead(buf.toString('latin1', 0, end));
          buf = buf.subarray(end + 4);
          if (head.statusCode < 200) {
            // 100 Continue and 103 Early Hints precede the answer; 101 switches to a protocol never asked for.
            if (head.statusCode === 101 || head.statusCode < 100) throw malformed(`status ${head.statusCode} to a POST`);
            if (++this.interim > MAX_INTERIM_RESPONSES) throw malformed(`more than ${MAX_INTERIM_RESPONSES} interim (1xx) responses`);
            break;
          }
          this.startBody(head);
          break;
        }
        case Phase.Body: {
          const take = this.framing === Body.Length ? Math.min(this.remaining, buf.length) : buf.length;
          this.addBody(buf.subarray(0, take));
          buf = buf.subarray(take);
          if (this.framing === Body.Length && (this.remaining -= take) === 0) this.phase = Phase.Done;
          break;
        }
        case Phase.ChunkSize: {
          const end = buf.indexOf(CRLF);
          if (end < 0) {
            if (buf.length > MAX_CHUNK_LINE_BYTES) throw malformed('a chunk-size line too long');
            this.pending = buf;
            return false;
          }
          const m = end <= MAX_CHUNK_LINE_BYTES ? CHUNK_SIZE.exec(buf.toString('latin1', 0, end)) : null;
          if (m === null || m[1]!.length > MAX_CHUNK_SIZE_DIGITS) throw malformed('an invalid chunk size');
          buf = buf.subarray(end + 2);
          this.remaining = parseInt(m[1]!, 16);
          this.phase = this.remaining === 0 ? Phase.Trailers : Phase.ChunkData;
          break;
        }
        case Phase.ChunkData: {
          const take = Math.min(this.remaining, buf.length);
          this.addBody(buf.subarray(0, take));
          buf = buf.subarray(take);
          if ((this.remaining -= take) === 0) this.phase = Phase.ChunkDataEnd;
          break;
        }
        case Phase.ChunkDataEnd: {
          if (buf.length < 2) {
            this.pending = buf;
            return false;
          }
          if (buf[0] !== 0x0d || buf[1] !== 0x0a) throw malformed('chunk data longer than its size');
          buf = buf.subarray(2);
          this.phase = Phase.ChunkSize;
          break;
        }
        case Phase.Trailers: {
          // Trailer fields are read past, never used: nothing in CMP over HTTP puts meaning there.
          const end = buf.indexOf(CRLF);
          if (end < 0) {
            if (this.trailerBytes + buf.length > MAX_HEAD_BYTES) throw malformed(`trailers longer than ${MAX_HEAD_BYTES} bytes`);
            this.pending = buf;
            return false;
          }
          this.trailerBytes += end + 2;
          if (this.trailerBytes > MAX_HEAD_BYTES) throw malformed(`trailers longer than ${MAX_HEAD_BYTES} bytes`);
          if (buf.subarray(0, end).includes(0x0a)) throw malformed('a line not ended by CRLF');
          buf = buf.subarray(end + 2);
          if (end === 0) this.phase = Phase.Done;
          break;
        }
        case Phase.Done:
          this.complete = true;
          return true;
      }
      if (this.phase === Phase.Done) {
        this.complete = true;
        return buf.length > 0;
      }
    }
    return false;
  }

  /** The connection ended: completes a body delimited by the close, and throws when anything was cut short. */
  end(): void {
    if (this.complete) return;
    if (this.phase === Phase.Body && this.framing === Body.UntilClose) {
      this.phase = Phase.Done;
      this.complete = true;
      return;
    }
    const error = new Error(this.head === undefined ? 'connection closed before the response' : 'connection closed during the response');
    throw Object.assign(error, { code: 'ECONNRESET' });
  }

  /** Whether the connection may carry the next request once this response is complete. */
  get reusable(): boolean {
    const head = this.head;
    if (!this.complete || head === undefined || this.framing === Body.UntilClose) return false;
    return serverKeepsConnection(head);
  }

  /** The body in one fresh array that owns its bytes (the chunks are views into socket buffers). */
  body(): Uint8Array {
    const out = new Uint8Array(this.bodyBytes);
    let offset = 0;
    for (let i = 0; i < this.chunks.length; i++) {
      out.set(this.chunks[i]!, offset);
      offset += this.chunks[i]!.length;
    }
    return out;
  }

  private startBody(head: HttpResponseHead): void {
    this.head = head;
    const te = head.headers['transfer-encoding'];
    const cl = head.headers['content-length'];
    if (te !== undefined) {
      // RFC 9112 6.1: a 1.0 message cannot be chunked, and with a Content-Length too it is a smuggling attempt.
      if (cl !== undefined) throw malformed('both Transfer-Encoding and Content-Length');
      if (head.httpVersion === '1.0') throw malformed('Transfer-Encoding in an HTTP/1.0 response');
      if (te.trim().toLowerCase() !== 'chunked') throw malformed(`a transfer coding other than chunked`);
      this.framing = Body.Chunked;
      this.phase = Phase.ChunkSize;
    } else if (cl !== undefined) {
      this.framing = Body.Length;
      this.remaining = contentLength(cl);
      this.phase = this.remaining === 0 ? Phase.Done : Phase.Body;
    } else {
      this.framing = Body.UntilClose;
      this.phase = Phase.Body;
    }
    // RFC 9112 6.3: 204 and 304 answers have no body whatever they declare.
    if (head.statusCode === 204 || head.statusCode === 304) this.phase = Phase.Done;
  }

  private addBody(piece: Buffer): void {
    if (piece.length === 0) return;
    this.chunks.push(piece);
    this.bodyBytes += piece.length;
  }
}
