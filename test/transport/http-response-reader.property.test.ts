/**
 * Properties of the HTTP response reader over generated and mutated answers: what a server sends
 * is read whole however the connection splits it, and nothing a server sends makes the reader
 * fail other than with its one framing error. Fixed seed, so that a failure replays.
 */
import fc from 'fast-check';
import { HttpFramingError, HttpResponseReader } from '../../src/transport/http-response-reader';

const SEED = 20261208;

interface Answer {
  bytes: Buffer;
  body: Buffer;
}

const token = fc.stringMatching(/^[A-Za-z][A-Za-z0-9-]{0,15}$/).filter((n) => !/^(content-length|transfer-encoding|connection)$/i.test(n));
const value = fc.stringMatching(/^[!-~]([ !-~]{0,30}[!-~])?$/);

/** A well-formed 200 answer: extra fields, a body framed by its length or in chunks of the given sizes. */
const answer: fc.Arbitrary<Answer> = fc
  .record({
    fields: fc.array(fc.tuple(token, value), { maxLength: 6 }),
    body: fc.uint8Array({ maxLength: 600 }),
    chunked: fc.boolean(),
    chunkSizes: fc.array(fc.integer({ min: 1, max: 200 }), { minLength: 1, maxLength: 8 }),
  })
  .map(({ fields, body, chunked, chunkSizes }) => {
    const data = Buffer.from(body);
    const head = ['HTTP/1.1 200 OK', 'Content-Type: application/pkixcmp', ...fields.map(([n, v]) => `${n}: ${v}`)];
    if (!chunked) {
      head.push(`Content-Length: ${data.length}`);
      return { bytes: Buffer.concat([Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1'), data]), body: data };
    }
    head.push('Transfer-Encoding: chunked');
    const parts: Buffer[] = [Buffer.from(`${head.join('\r\n')}\r\n\r\n`, 'latin1')];
    for (let offset = 0, i = 0; offset < data.length; i++) {
      const piece = data.subarray(offset, offset + chunkSizes[i % chunkSizes.length]!);
      parts.push(Buffer.from(`${piece.length.toString(16)}\r\n`, 'latin1'), piece, Buffer.from('\r\n', 'latin1'));
      offset += piece.length;
    }
    parts.push(Buffer.from('0\r\n\r\n', 'latin1'));
    return { bytes: Buffer.concat(parts), body: data };
  });

/** `bytes` cut at the given places (taken modulo its length). */
function split(bytes: Buffer, cuts: number[]): Buffer[] {
  const at = [...new Set(cuts.map((c) => (bytes.length === 0 ? 0 : c % bytes.length)))].sort((a, b) => a - b);
  const pieces: Buffer[] = [];
  let start = 0;
  for (const cut of at) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  pieces.push(bytes.subarray(start));
  return pieces.filter((p) => p.length > 0);
}

describe('the HTTP response reader, over generated answers', () => {
  it('reads every well-formed answer whole, with nothing left over, however the bytes arrive', () => {
    fc.assert(
      fc.property(answer, fc.array(fc.nat(), { maxLength: 12 }), ({ bytes, body }, cuts) => {
        const reader = new HttpResponseReader();
        let leftOver = false;
        for (const piece of split(bytes, cuts)) leftOver = reader.push(piece);
        expect(reader.complete).toBe(true);
        expect(leftOver).toBe(false);
        expect(Buffer.from(reader.body())).toEqual(body);
        expect(reader.reusable).toBe(true);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('fails on a mutated answer only with its framing error, and never holds more body than it was sent', () => {
    const mutation = fc.record({ at: fc.nat(), byte: fc.integer({ min: 0, max: 255 }), kind: fc.constantFrom('replace', 'insert', 'delete') });
    fc.assert(
      fc.property(answer, fc.array(mutation, { minLength: 1, maxLength: 4 }), fc.array(fc.nat(), { maxLength: 8 }), ({ bytes }, mutations, cuts) => {
        let mutated = Buffer.from(bytes);
        for (const { at, byte, kind } of mutations) {
          const i = at % (mutated.length + 1);
          if (kind === 'replace' && i < mutated.length) mutated[i] = byte;
          else if (kind === 'insert') mutated = Buffer.concat([mutated.subarray(0, i), Buffer.from([byte]), mutated.subarray(i)]);
          else mutated = Buffer.concat([mutated.subarray(0, i), mutated.subarray(i + 1)]);
        }
        const reader = new HttpResponseReader();
        try {
          for (const piece of split(mutated, cuts)) if (reader.push(piece) || reader.complete) break;
          reader.end();
        } catch (e) {
          if (!(e instanceof HttpFramingError) && (e as { code?: string }).code !== 'ECONNRESET') throw e;
        }
        expect(reader.bodyBytes).toBeLessThanOrEqual(mutated.length);
      }),
      { seed: SEED, numRuns: 2000 },
    );
  });
});
