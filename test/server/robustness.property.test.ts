/**
 * Whatever arrives, the server answers with a PKIMessage and never throws: damaged requests get
 * an error message, and they neither issue certificates nor disturb the transactions of others.
 */
import fc from 'fast-check';
import { decodePkiMessage, pkiBodyType, rawPkiMessage } from '../../src/asn1';
import { buildRequest, certRequestBody, newKey, readAnswer } from './client-messages';
import { makeServer, PBM } from './fixtures';

describe('damaged requests', () => {
  it('bit flips anywhere in a protected ir: always an error message back, and nothing issued', async () => {
    const server = await makeServer();
    const original = (await buildRequest(await certRequestBody({ key: await newKey(), subject: '/CN=fuzzed' }), { auth: PBM })).der;
    const flip = fc.tuple(fc.integer({ min: 0, max: original.length - 1 }), fc.integer({ min: 0, max: 7 }));
    await fc.assert(
      fc.asyncProperty(fc.uniqueArray(flip, { minLength: 1, maxLength: 4, selector: ([at, bit]) => at * 8 + bit }), async (flips) => {
        const mutated = Uint8Array.from(original);
        for (const [at, bit] of flips) mutated[at]! ^= 1 << bit;
        // The MAC covers header and body, and the message has no extraCerts: every flip is detected.
        const answer = decodePkiMessage(await server.handle(mutated));
        expect(pkiBodyType(answer.body)).toBe('error');
      }),
      { numRuns: 150 },
    );
    expect(server.state.ca!.issued).toHaveLength(0);
  });

  it('truncations and arbitrary bytes: an error with badDataFormat', async () => {
    const server = await makeServer();
    const original = (await buildRequest(await certRequestBody({ key: await newKey(), subject: '/CN=cut' }), { auth: PBM })).der;
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.integer({ min: 0, max: original.length - 1 }).map((n) => original.slice(0, n)),
          fc.uint8Array({ maxLength: 300 }),
        ),
        async (input) => {
          const answer = readAnswer(await server.handle(input));
          expect(answer.type).toBe('error');
          expect(answer.failInfo).toEqual(['badDataFormat']);
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe('a request whose protection BIT STRING declares unused bits around the right MAC', () => {
  it('is refused, not issued', async () => {
    const server = await makeServer();
    const der = (await buildRequest(await certRequestBody({ key: await newKey(), subject: '/CN=unused bits' }), { auth: PBM })).der;
    const protection = rawPkiMessage(decodePkiMessage(der))!.protection!;
    const mutated = Uint8Array.from(der);
    // [0] length, BIT STRING length, then the unused-bits octet.
    mutated[Buffer.from(der).indexOf(Buffer.from(protection)) + 4] = 1;
    expect(pkiBodyType(decodePkiMessage(await server.handle(mutated)).body)).toBe('error');
    expect(server.state.ca!.issued).toHaveLength(0);
  });
});

describe('failures of the server itself', () => {
  it('still give the client an error message (systemFailure) and are reported to onInternalError', async () => {
    const reported: unknown[] = [];
    let broken = false;
    const server = await makeServer({
      now: () => {
        if (broken) throw new Error('clock failure');
        return new Date();
      },
      onInternalError: (e) => reported.push(e),
    });
    const request = (await buildRequest(await certRequestBody({ key: await newKey(), subject: '/CN=unlucky' }), { auth: PBM })).der;
    broken = true;
    const answer = readAnswer(await server.handle(request));
    expect(answer.type).toBe('error');
    expect(answer.failInfo).toEqual(['systemFailure']);
    expect(answer.statusText).not.toContain('clock failure');
    expect(reported.map((e) => (e as Error).message)).toContain('clock failure');
  });
});
