/**
 * The embedded CA bounds the work anyone can make it do: the MAC parameters it accepts, the
 * parameters of its own answers (its own, never the requester's), the transactions one client may
 * hold open, the size of a genp and the number of connections it keeps open.
 */
import { connect, type Socket } from 'node:net';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { CmpOids, decodePkiMessage, PBKDF2Params, PBKDF2Salt, PBMAC1Params, PKIBody, PKIMessage } from '../../src/asn1';
import { getCryptoProvider, type HashName } from '../../src/crypto';
import { buildGenMsg } from '../../src/message/bodies';
import { buildHeader } from '../../src/message/header';
import { nullDirectoryName } from '../../src/pki/names';
import { protectPkiMessage, readPbmac1Parameters, readPbmParameter } from '../../src/protection';
import { MAX_GENM_ITAVS } from '../../src/server/general-message';
import { listen, type Listener } from '../../src/server';
import { certRequestBody, exchange, newKey, readAnswer, type Auth } from './client-messages';
import { makeServer, PBM, SECRET, verifyAnswer } from './fixtures';

const utf8 = (s: string) => new Uint8Array(Buffer.from(s, 'utf8'));
const hmacWithSha256 = '1.2.840.113549.2.9';

function genmMessage(infoTypes: string[] = [CmpOids.idItCaCerts]): PKIMessage {
  const random = (n: number) => getCryptoProvider().randomBytes(n);
  const header = buildHeader({
    pvno: 2,
    sender: nullDirectoryName(),
    recipient: nullDirectoryName(),
    transactionId: random(16),
    senderNonce: random(16),
    senderKID: utf8('client-1'),
  });
  return new PKIMessage({ header, body: new PKIBody({ genm: buildGenMsg(infoTypes.map((infoType) => ({ infoType }))) }) });
}

/** A genm MAC'd with the requester's choice of PasswordBasedMac parameters. */
function pbmGenm(secret: string, owf: HashName, iterations: number): Promise<Uint8Array> {
  return protectPkiMessage(genmMessage(), { kind: 'pbm', secret: utf8(secret), owf, mac: 'SHA-512', iterations, saltLength: 32 });
}

/** A genm claiming PBMAC1 with a `keyLength`-byte key; the MAC itself is junk, as an attacker's would be. */
function pbmac1Genm(keyLength: bigint): Uint8Array {
  const msg = genmMessage();
  const kdf = new PBKDF2Params({
    salt: new PBKDF2Salt({ specified: new Uint8Array(16).buffer }),
    iterationCount: 100_000n,
    keyLength,
    prf: new AlgorithmIdentifier({ algorithm: hmacWithSha256, parameters: null }),
  });
  const params = new PBMAC1Params({
    keyDerivationFunc: new AlgorithmIdentifier({ algorithm: CmpOids.pbkdf2, parameters: AsnConvert.serialize(kdf) }),
    messageAuthScheme: new AlgorithmIdentifier({ algorithm: hmacWithSha256 }),
  });
  msg.header.protectionAlg = new AlgorithmIdentifier({ algorithm: CmpOids.pbmac1, parameters: AsnConvert.serialize(params) });
  msg.protection = new ArrayBuffer(32);
  return new Uint8Array(AsnConvert.serialize(msg));
}

afterEach(() => jest.restoreAllMocks());

describe('MAC parameters', () => {
  it('answers a PasswordBasedMac request with its own parameters (SHA-256, 500 rounds), not the 100000 SHA-512 rounds the request chose', async () => {
    const server = await makeServer();
    const answer = readAnswer(await server.handle(await pbmGenm(SECRET, 'SHA-512', 100_000)));
    expect(answer.type).toBe('genp');
    const parameter = readPbmParameter(answer.msg.header.protectionAlg!);
    expect(parameter.iterationCount).toBe(500n);
    expect(parameter.owf.algorithm).toBe('2.16.840.1.101.3.4.2.1');
    expect(parameter.salt.byteLength).toBe(16);
    await expect(verifyAnswer(answer.msg)).resolves.toBe('pbm');
  });

  it('MACs the error answer to a request with a wrong secret with its own parameters: no salt or iteration count of the requester’s choosing for offline guessing', async () => {
    const server = await makeServer();
    const request = await pbmGenm('a guess', 'SHA-256', 100);
    const answer = readAnswer(await server.handle(request));
    expect(answer.type).toBe('error');
    expect(answer.failInfo).toEqual(['badMessageCheck']);
    const ours = readPbmParameter(answer.msg.header.protectionAlg!);
    const theirs = readPbmParameter(decodePkiMessage(request).header.protectionAlg!);
    expect(ours.iterationCount).toBe(500n);
    expect(Buffer.from(ours.salt).equals(Buffer.from(theirs.salt))).toBe(false);
    await expect(verifyAnswer(answer.msg)).resolves.toBe('pbm');
  });

  it('refuses a PBMAC1 request asking for a 4096-byte key without deriving any key, and answers with a 32-byte key of its own', async () => {
    const server = await makeServer();
    const pbkdf2 = jest.spyOn(getCryptoProvider(), 'pbkdf2');
    const started = Date.now();
    const answer = readAnswer(await server.handle(pbmac1Genm(4096n)));
    expect(Date.now() - started).toBeLessThan(1000);
    expect(answer.type).toBe('error');
    expect(answer.statusText).toMatch(/key length 4096/);
    const ours = readPbmac1Parameters(answer.msg.header.protectionAlg!);
    expect(ours.keyLength).toBe(32n);
    expect(ours.iterationCount).toBe(10_000n);
    // One derivation, for the answer's own key: none for the request's 4096 bytes.
    expect(pbkdf2.mock.calls.every((call) => call[4] === 32)).toBe(true);
    await expect(verifyAnswer(answer.msg)).resolves.toBe('pbmac1');
  });
});

describe('transactions per client', () => {
  it('refuses a client more open transactions than its share (systemUnavail), while another client still enrolls', async () => {
    const other: Auth = { kind: 'pbm', secret: 'other-secret', ref: 'client-2' };
    const server = await makeServer({ maxTransactionsPerClient: 3, secrets: [{ ref: 'client-2', secret: 'other-secret' }] });
    for (let i = 0; i < 3; i++) {
      const open = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=fleet-member' }), { auth: PBM });
      expect(open.type).toBe('ip');
    }
    const fourth = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=fleet-member' }), { auth: PBM });
    expect(fourth.failInfo).toEqual(['systemUnavail']);
    const elsewhere = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=other' }), { auth: other });
    expect(elsewhere.type).toBe('ip');
  });

  it('refuses a share above the store size', async () => {
    await expect(makeServer({ maxTransactions: 10, maxTransactionsPerClient: 11 })).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION' });
  });
});

describe('genm size', () => {
  it('refuses a genm repeating one request 80000 times with a short error, instead of a 35 MB genp', async () => {
    const server = await makeServer();
    const request = await protectPkiMessage(genmMessage(Array.from({ length: 80_000 }, () => CmpOids.idItCaCerts)), {
      kind: 'pbm',
      secret: utf8(SECRET),
    });
    const der = await server.handle(request);
    expect(der.length).toBeLessThan(2000);
    const answer = readAnswer(der);
    expect(answer.failInfo).toEqual(['badRequest']);
    expect(answer.statusText).toContain(`at most ${MAX_GENM_ITAVS}`);
  });

  it('answers each kind of item once, however often a genm asks for it', async () => {
    const server = await makeServer();
    const request = await protectPkiMessage(genmMessage([CmpOids.idItCaCerts, CmpOids.idItCaCerts, CmpOids.idItCaCerts]), {
      kind: 'pbm',
      secret: utf8(SECRET),
    });
    const answer = readAnswer(await server.handle(request));
    expect(answer.msg.body.genp!.map((i) => i.infoType)).toEqual([CmpOids.idItCaCerts]);
  });
});

describe('connections', () => {
  let listener: Listener | undefined;
  const sockets: Socket[] = [];
  afterEach(async () => {
    for (const s of sockets.splice(0)) s.destroy();
    await listener?.close();
    listener = undefined;
  });

  /** 'closed' if `socket` closes within `ms`, else 'kept open'. */
  async function fate(closed: Promise<void>, ms: number): Promise<string> {
    let timer: NodeJS.Timeout | undefined;
    const kept = new Promise<string>((resolve) => (timer = setTimeout(() => resolve('kept open'), ms)));
    const result = await Promise.race([closed.then(() => 'closed'), kept]);
    clearTimeout(timer);
    return result;
  }

  function open(port: number): Promise<{ socket: Socket; closed: Promise<void> }> {
    return new Promise((resolve, reject) => {
      const socket = connect(port, '127.0.0.1');
      sockets.push(socket);
      const closed = new Promise<void>((done) => socket.once('close', () => done()));
      socket.once('connect', () => resolve({ socket, closed }));
      socket.once('error', reject);
    });
  }

  it('closes a connection beyond maxConnections at once and accepts again when one has gone', async () => {
    listener = await listen(await makeServer(), { maxConnections: 2 });
    const first = await open(listener.port);
    const second = await open(listener.port);
    const third = await open(listener.port);
    expect(await fate(third.closed, 2000)).toBe('closed');
    first.socket.destroy();
    await first.closed;
    await new Promise((r) => setTimeout(r, 100));
    const fourth = await open(listener.port);
    expect(await fate(fourth.closed, 300)).toBe('kept open');
    second.socket.destroy();
  });

  it('refuses a maxConnections that is not a positive integer', async () => {
    const server = await makeServer();
    for (const maxConnections of [0, -1, 1.5])
      expect(() => listen(server, { maxConnections })).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });
});
