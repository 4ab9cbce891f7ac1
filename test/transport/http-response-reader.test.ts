import { HttpFramingError, HttpResponseReader, MAX_HEAD_BYTES } from '../../src/transport/http-response-reader';

const bytes = (text: string) => Buffer.from(text, 'latin1');

/** Feeds `parts` one after another and returns the reader and whether bytes were left over. */
function read(...parts: string[]): { reader: HttpResponseReader; leftOver: boolean } {
  const reader = new HttpResponseReader();
  let leftOver = false;
  for (const part of parts) leftOver = reader.push(bytes(part));
  return { reader, leftOver };
}

const bodyText = (reader: HttpResponseReader) => Buffer.from(reader.body()).toString('latin1');

function expectMalformed(parts: string[], what: RegExp): void {
  let error: unknown;
  try {
    read(...parts);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(HttpFramingError);
  expect((error as Error).message).toMatch(/^malformed HTTP response: /);
  expect((error as Error).message).toMatch(what);
}

describe('reading a response', () => {
  it('reads the head and a body delimited by Content-Length, however the bytes are split', () => {
    const whole = 'HTTP/1.1 200 OK\r\nContent-Type: application/pkixcmp\r\nContent-Length: 5\r\n\r\nhello';
    for (let cut = 1; cut < whole.length; cut++) {
      const { reader, leftOver } = read(whole.slice(0, cut), whole.slice(cut));
      expect(reader.complete).toBe(true);
      expect(leftOver).toBe(false);
      expect(reader.head).toEqual({
        statusCode: 200,
        statusMessage: 'OK',
        httpVersion: '1.1',
        headers: { 'content-type': 'application/pkixcmp', 'content-length': '5' },
      });
      expect(bodyText(reader)).toBe('hello');
    }
  });

  it('sets the head before the body has arrived, so a response can be refused early', () => {
    const { reader } = read('HTTP/1.1 200 OK\r\nContent-Length: 10000000\r\n\r\nabc');
    expect(reader.head?.headers['content-length']).toBe('10000000');
    expect(reader.complete).toBe(false);
    expect(reader.bodyBytes).toBe(3);
  });

  it('decodes a chunked body, extensions and trailers read past, split at every byte', () => {
    const whole = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;ext=1\r\nabc\r\n0A\r\n0123456789\r\n0\r\nX-Trailer: t\r\n\r\n';
    for (let cut = 1; cut < whole.length; cut++) {
      const { reader } = read(whole.slice(0, cut), whole.slice(cut));
      expect(reader.complete).toBe(true);
      expect(bodyText(reader)).toBe('abc0123456789');
    }
    const { reader } = read(...whole.split(''));
    expect(bodyText(reader)).toBe('abc0123456789');
  });

  it('reads a body delimited by the close of the connection when no length is given', () => {
    const { reader } = read('HTTP/1.0 200 OK\r\nContent-Type: application/pkixcmp\r\n\r\nab', 'cd');
    expect(reader.complete).toBe(false);
    reader.end();
    expect(reader.complete).toBe(true);
    expect(bodyText(reader)).toBe('abcd');
    expect(reader.reusable).toBe(false);
  });

  it('skips 100 Continue and 103 Early Hints before the final answer', () => {
    const { reader } = read(
      'HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </x>\r\n\r\nHTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nz',
    );
    expect(reader.head?.statusCode).toBe(200);
    expect(bodyText(reader)).toBe('z');
  });

  it('joins repeated header fields and lower-cases their names', () => {
    const { reader } = read('HTTP/1.1 200 OK\r\nConnection: keep-alive\r\nconnection: Upgrade\r\nContent-Length: 0\r\n\r\n');
    expect(reader.head?.headers['connection']).toBe('keep-alive, Upgrade');
  });

  it('takes a status line without a reason phrase', () => {
    const { reader } = read('HTTP/1.1 500\r\nContent-Length: 0\r\n\r\n');
    expect(reader.head).toMatchObject({ statusCode: 500, statusMessage: '' });
  });

  it('gives no body to a 204 whatever it declares', () => {
    const { reader } = read('HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n');
    expect(reader.complete).toBe(true);
    expect(reader.bodyBytes).toBe(0);
  });

  it('returns a body that owns its bytes, not a view into what was pushed', () => {
    const reader = new HttpResponseReader();
    const data = bytes('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok');
    reader.push(data);
    const body = reader.body();
    data.fill(0);
    expect(Buffer.from(body).toString()).toBe('ok');
    expect(body.buffer.byteLength).toBe(2);
  });
});

describe('whether the connection may carry the next request', () => {
  it('may after a complete HTTP/1.1 answer with a length', () => {
    expect(read('HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n').reader.reusable).toBe(true);
  });

  it('may not when the server says Connection: close', () => {
    expect(read('HTTP/1.1 200 OK\r\nConnection: Close\r\nContent-Length: 0\r\n\r\n').reader.reusable).toBe(false);
  });

  it('may after HTTP/1.0 only when the server says keep-alive', () => {
    expect(read('HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n').reader.reusable).toBe(false);
    expect(read('HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 0\r\n\r\n').reader.reusable).toBe(true);
  });

  it('may not before the body is complete', () => {
    expect(read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\no').reader.reusable).toBe(false);
  });

  it('reports bytes after the response, which no request asked for', () => {
    const { reader, leftOver } = read('HTTP/1.1 200 OK\r\nContent-Length: 1\r\n\r\nxHTTP/1.1 200 OK\r\n');
    expect(reader.complete).toBe(true);
    expect(leftOver).toBe(true);
    expect(bodyText(reader)).toBe('x');
  });
});

describe('responses that two readers could read differently are errors', () => {
  it('refuses Transfer-Encoding together with Content-Length', () => {
    expectMalformed(['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n'], /both Transfer-Encoding and Content-Length/);
  });

  it('refuses conflicting Content-Length values, and takes repeated equal ones', () => {
    expectMalformed(['HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\n'], /Content-Length/);
    expectMalformed(['HTTP/1.1 200 OK\r\nContent-Length: 3, 4\r\n\r\n'], /Content-Length/);
    expectMalformed(['HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n'], /Content-Length/);
    expectMalformed(['HTTP/1.1 200 OK\r\nContent-Length: 0x10\r\n\r\n'], /Content-Length/);
    expectMalformed(['HTTP/1.1 200 OK\r\nContent-Length: 99999999999999999999\r\n\r\n'], /Content-Length/);
    expect(bodyText(read('HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\nab').reader)).toBe('ab');
  });

  it('refuses a transfer coding other than chunked, and chunked in HTTP/1.0', () => {
    expectMalformed(['HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip, chunked\r\n\r\n'], /other than chunked/);
    expectMalformed(['HTTP/1.0 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n'], /HTTP\/1\.0/);
  });

  it('refuses a folded header line, whitespace before the colon and a line without a colon', () => {
    expectMalformed(['HTTP/1.1 200 OK\r\nX-A: 1\r\n  folded\r\nContent-Length: 0\r\n\r\n'], /folded/);
    expectMalformed(['HTTP/1.1 200 OK\r\nContent-Length : 0\r\n\r\n'], /token/);
    expectMalformed(['HTTP/1.1 200 OK\r\nno colon here\r\n\r\n'], /token/);
  });

  it('refuses a bare LF or CR inside the head', () => {
    expectMalformed(['HTTP/1.1 200 OK\r\nX-A: 1\nContent-Length: 0\r\n\r\n'], /control character/);
    expectMalformed(['HTTP/1.1 200 OK\r\nX-A: 1\rContent-Length: 0\r\n\r\n'], /control character/);
    expectMalformed(['HTTP/1.1 200 OK\nContent-Length: 0\r\n\r\n'], /status line/);
  });

  it('refuses a status line of another protocol or version', () => {
    expectMalformed(['HTTP/2 200 OK\r\n\r\n'], /status line/);
    expectMalformed(['HTTP/1.1 20 OK\r\n\r\n'], /status line/);
    expectMalformed(['ICY 200 OK\r\n\r\n'], /status line/);
  });

  it('refuses 101 Switching Protocols, which a POST never asked for', () => {
    expectMalformed(['HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n'], /status 101/);
  });

  it('refuses a chunk size that is not hex, too long to be exact, or data longer than its size', () => {
    expectMalformed(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n'], /chunk size/);
    expectMalformed(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n-1\r\n'], /chunk size/);
    expectMalformed(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n', '1'.repeat(14), '\r\n'], /chunk size/);
    expectMalformed(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1\r\nabc\r\n'], /longer than its size/);
  });
});

describe('limits on what a server can make the client hold', () => {
  it('refuses a head longer than node:http would take, before its end arrives', () => {
    const long = `HTTP/1.1 200 OK\r\nX-Pad: ${'a'.repeat(MAX_HEAD_BYTES)}`;
    expectMalformed([long], /head longer than/);
  });

  it('refuses more than 100 header fields', () => {
    expectMalformed([`HTTP/1.1 200 OK\r\n${'X-A: 1\r\n'.repeat(101)}\r\n`], /more than 100 header fields/);
  });

  it('refuses an endless series of interim responses', () => {
    expectMalformed(['HTTP/1.1 100 Continue\r\n\r\n'.repeat(9)], /interim/);
  });

  it('refuses an endless chunk-size line and endless trailers', () => {
    expectMalformed(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1', ';'.repeat(2000)], /chunk-size line too long/);
    expectMalformed(['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n', `X: ${'t'.repeat(MAX_HEAD_BYTES)}`], /trailers longer/);
  });
});

describe('a connection that ends early', () => {
  it('is a reset before the head and during a body with a length or chunks', () => {
    for (const parts of [
      ['HTTP/1.1 200 OK\r\nContent-'],
      ['HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nab'],
      ['HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab'],
    ]) {
      const { reader } = read(...parts);
      expect(() => reader.end()).toThrow(expect.objectContaining({ code: 'ECONNRESET' }));
    }
    expect(() => new HttpResponseReader().end()).toThrow('connection closed before the response');
  });
});
