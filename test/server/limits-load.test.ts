/**
 * The CA's limits under a bounded local load (127.0.0.1, a fixed number of requests, a time
 * limit): unauthenticated requests that ask for the most expensive MAC parameters accepted run
 * alongside an honest fleet; the honest requests are all answered, the event loop is never held
 * for long, each hostile request costs at most its bounded derivation and gets a refusal MAC'd
 * with the server's own cheap parameters, and connections beyond the limit are turned away.
 */
import { request as httpRequest, Agent } from 'node:http';
import { getCryptoProvider } from '../../src/crypto';
import { buildGenMsg } from '../../src/message/bodies';
import { buildHeader } from '../../src/message/header';
import { nullDirectoryName } from '../../src/pki/names';
import { CmpOids, PKIBody, PKIMessage } from '../../src/asn1';
import { protectPkiMessage, readPbmParameter } from '../../src/protection';
import { listen, PKIXCMP, type Listener } from '../../src/server';
import { readAnswer } from './client-messages';
import { makeServer, SECRET } from './fixtures';

const HOSTILE = 24;
const HONEST = 24;
const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));

function genm(): PKIMessage {
  const random = (n: number) => getCryptoProvider().randomBytes(n);
  const header = buildHeader({
    pvno: 2,
    sender: nullDirectoryName(),
    recipient: nullDirectoryName(),
    transactionId: random(16),
    senderNonce: random(16),
    senderKID: utf8('client-1'),
  });
  return new PKIMessage({ header, body: new PKIBody({ genm: buildGenMsg([{ infoType: CmpOids.idItCaCerts }]) }) });
}

/**
 * `ms` counts from the moment the agent gives the request a socket: the 24 requests of a side
 * are made at once and queue in their agent four at a time, and that queue is the client's, not
 * the server's (counted from the call, the median honest answer took three queued answers' time).
 */
function post(agent: Agent, url: string, body: Uint8Array): Promise<{ status: number; body: Uint8Array; ms: number }> {
  let started = Date.now();
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', agent, headers: { 'Content-Type': PKIXCMP, 'Content-Length': body.length } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: new Uint8Array(Buffer.concat(chunks)), ms: Date.now() - started }));
      res.on('error', reject);
    });
    req.once('socket', () => (started = Date.now()));
    req.on('error', reject);
    req.end(Buffer.from(body));
  });
}

let listener: Listener | undefined;
afterEach(async () => listener?.close());

it(`answers ${HONEST} honest genm among ${HOSTILE} unauthenticated requests at the most expensive accepted parameters, never holding the event loop long`, async () => {
  const server = await makeServer();
  listener = await listen(server);
  // Each hostile request: fresh salt, 100000 rounds of SHA-512, a wrong secret: all of it work before the refusal.
  const hostile = await Promise.all(
    Array.from({ length: HOSTILE }, () =>
      protectPkiMessage(genm(), { kind: 'pbm', secret: utf8('a guess'), owf: 'SHA-512', mac: 'SHA-512', iterations: 100_000 }),
    ),
  );
  const honest = await Promise.all(Array.from({ length: HONEST }, () => protectPkiMessage(genm(), { kind: 'pbm', secret: utf8(SECRET) })));
  // What one such derivation costs on this machine right now: the yardstick for holding the loop.
  const t0 = performance.now();
  await getCryptoProvider().iteratedDigest('SHA-512', getCryptoProvider().randomBytes(40), 100_000);
  const oneDerivation = performance.now() - t0;
  // Four connections at a time for each side: the load stays bounded, and what arrives in one burst is parsed in one turn.
  const attacker = new Agent({ keepAlive: false, maxSockets: 4 });
  const fleet = new Agent({ keepAlive: false, maxSockets: 4 });
  let longestGap = 0;
  let last = performance.now();
  const watch = setInterval(() => {
    const now = performance.now();
    longestGap = Math.max(longestGap, now - last);
    last = now;
  }, 2);
  const started = Date.now();
  try {
    const [hostileAnswers, honestAnswers] = await Promise.all([
      Promise.all(hostile.map((b) => post(attacker, listener!.url, b))),
      Promise.all(honest.map((b) => post(fleet, listener!.url, b))),
    ]);
    const elapsed = Date.now() - started;
    for (const a of hostileAnswers) {
      const answer = readAnswer(a.body);
      expect(answer.failInfo).toEqual(['badMessageCheck']);
      expect(readPbmParameter(answer.msg.header.protectionAlg!).iterationCount).toBe(500n);
    }
    for (const a of honestAnswers) expect(readAnswer(a.body).type).toBe('genp');
    // Derivations run in slices of a few milliseconds, one per turn of the loop: the loop is never
    // held for anything like one whole derivation (it was held for several at once before).
    expect(longestGap).toBeLessThan(oneDerivation / 2);
    expect(elapsed).toBeLessThan(60_000);
    // An honest request waits for slices, not for whole derivations: most are answered faster than one derivation.
    const honestTimes = honestAnswers.map((a) => a.ms).sort((a, b) => a - b);
    expect(honestTimes[Math.floor(honestTimes.length / 2)]!).toBeLessThan(oneDerivation);
    process.stdout.write(
      `load: ${elapsed} ms in all, longest event-loop gap ${longestGap.toFixed(1)} ms (one derivation ${oneDerivation.toFixed(0)} ms), slowest honest answer ${Math.max(...honestAnswers.map((a) => a.ms))} ms\n`,
    );
  } finally {
    clearInterval(watch);
    attacker.destroy();
    fleet.destroy();
  }
}, 90_000);
