/**
 * What the CA remembers: with the journal in a folder, a server restarted with the same CA key
 * keeps its revocations (a revoked certificate does not authenticate again and stays on the CRL),
 * its confirmations, its CRL numbers (they keep increasing) and the names bound to each reference.
 * The journal survives a torn last line, refuses to serve another CA, and stays bounded: expired
 * certificates leave the records and the CRL, and the journal is compacted.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as x509 from '@peculiar/x509';
import { PKIBody } from '../../src/asn1';
import { buildRevReq } from '../../src/message/bodies';
import {
  createCmpServer,
  createThrowawayCa,
  JournalRecordStore,
  JOURNAL_FILE,
  listen,
  MemoryRecordStore,
  type CmpServer,
  type CmpServerConfig,
  type Listener,
} from '../../src/server';
import { certRequestBody, enroll, exchange, newKey, type Auth } from './client-messages';
import { pbmAs, SECRET, throwawayCa } from './fixtures';

const DAY = 86_400_000;
let dir: string;
const listeners: Listener[] = [];

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-records-'));
});
afterAll(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  await fs.rm(dir, { recursive: true, force: true });
});

let folders = 0;
const folder = () => path.join(dir, `store-${++folders}`);

/** A server on 127.0.0.1 whose every request goes over HTTP; `stop` closes listener and store, as a shutdown does. */
async function start(config: Partial<CmpServerConfig>): Promise<CmpServer & { stop(): Promise<void> }> {
  const ca = await throwawayCa();
  const server = createCmpServer({ ...ca.serverConfig(), srvSecret: SECRET, ...config });
  await server.ready();
  const listener = await listen(server);
  listeners.push(listener);
  const handle = async (der: Uint8Array): Promise<Uint8Array> => {
    const res = await fetch(listener.url, { method: 'POST', headers: { 'Content-Type': 'application/pkixcmp' }, body: Uint8Array.from(der) });
    return new Uint8Array(await res.arrayBuffer());
  };
  return {
    ...server,
    handle,
    stop: async () => {
      await listener.close();
      await server.close();
    },
  };
}

async function crlOf(server: CmpServer): Promise<x509.X509Crl> {
  return new x509.X509Crl(await server.crl());
}

const crlNumber = (crl: x509.X509Crl) => BigInt(`0x${Buffer.from(crl.getExtension('2.5.29.20')!.value).toString('hex').slice(4)}`);

describe('a restart with the same CA key and record folder', () => {
  it('keeps revocations, confirmations, CRL numbers and name bindings', async () => {
    const where = folder();
    const first = await start({ store: new JournalRecordStore({ folder: where }) });
    const key = await newKey();
    const revoked = await enroll(first, { key, subject: '/CN=revoked before restart' }, pbmAs('revoked'));
    const kept = await enroll(first, { key: await newKey(), subject: '/CN=kept' }, pbmAs('kept'));
    const rr = await exchange(first, new PKIBody({ rr: buildRevReq({ cert: revoked }, 1) }), { auth: { kind: 'signature', key, cert: revoked } });
    expect(rr.type).toBe('rp');
    const before = crlNumber(await crlOf(first));
    await first.stop();

    const second = await start({ store: new JournalRecordStore({ folder: where }) });
    const crl = await crlOf(second);
    expect(crl.entries.map((e) => [e.serialNumber, e.reason])).toEqual([[revoked.serialNumber, x509.X509CrlReason.keyCompromise]]);
    expect(crlNumber(crl)).toBeGreaterThan(before);
    expect(second.state.ca!.record(kept.serialNumber)!.confirmed).toBe(true);

    const asRevoked: Auth = { kind: 'signature', key, cert: revoked };
    const again = await exchange(second, await certRequestBody({ type: 'kur', key: await newKey(), oldCert: revoked }), { auth: asRevoked });
    expect(again.failInfo).toEqual(['certRevoked']);
    const stolen = await exchange(second, await certRequestBody({ key: await newKey(), subject: '/CN=kept' }), { auth: pbmAs('mallory') });
    expect(stolen.failInfo).toEqual(['notAuthorized']);
    await second.stop();
  });

  it('a memory store handed to the next server stands for the same (what tests use)', async () => {
    const store = new MemoryRecordStore();
    const first = await start({ store });
    const cert = await enroll(first, { key: await newKey(), subject: '/CN=in memory' }, pbmAs('memory'));
    await first.stop();
    const second = await start({ store });
    expect(second.state.ca!.record(cert.serialNumber)!.confirmed).toBe(true);
    await second.stop();
  });
});

describe('the journal', () => {
  it('is written before the answer: every answered certificate is in the file when the answer arrives', async () => {
    const where = folder();
    const server = await start({ store: new JournalRecordStore({ folder: where }) });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=durable' }), { auth: pbmAs('durable') });
    const journal = await fs.readFile(path.join(where, JOURNAL_FILE), 'utf8');
    const issued = journal
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { type: string; certificate?: { serial: string } });
    // Serials compared as numbers: hex spellings may differ in case and leading zeros.
    const serial = BigInt(`0x${answer.cert!.serialNumber}`);
    expect(issued.some((c) => c.type === 'issued' && BigInt(`0x${c.certificate!.serial}`) === serial)).toBe(true);
    expect((await fs.stat(path.join(where, JOURNAL_FILE))).mode & 0o777).toBe(0o600);
    await server.stop();
  });

  it('ignores a torn last line (a crash during a write that was never answered)', async () => {
    const where = folder();
    const first = await start({ store: new JournalRecordStore({ folder: where }) });
    const cert = await enroll(first, { key: await newKey(), subject: '/CN=before the crash' }, pbmAs('crash'));
    await first.stop();
    await fs.appendFile(path.join(where, JOURNAL_FILE), '{"type":"revoked","serial":"01","revo');
    const second = await start({ store: new JournalRecordStore({ folder: where }) });
    expect(second.state.ca!.record(cert.serialNumber)!.confirmed).toBe(true);
    await second.stop();
    expect(await fs.readFile(path.join(where, JOURNAL_FILE), 'utf8')).not.toContain('"revo\n');
  });

  it('refuses to serve another CA: every request is answered systemUnavail and ready() says why', async () => {
    const where = folder();
    const first = await start({ store: new JournalRecordStore({ folder: where }) });
    await first.stop();
    const other = await createThrowawayCa({ caName: '/CN=another CA' });
    const server = createCmpServer({ ...other.serverConfig(), srvSecret: SECRET, store: new JournalRecordStore({ folder: where }) });
    await expect(server.ready()).rejects.toMatchObject({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('another CA') });
    const answer = await exchange(server, await certRequestBody({ key: await newKey(), subject: '/CN=x' }), { auth: pbmAs('x') });
    expect(answer.failInfo).toEqual(['systemUnavail']);
    await server.close();
  });

  it('is compacted: a journal of many changes is rewritten to the live records', async () => {
    const where = folder();
    const server = await start({ store: new JournalRecordStore({ folder: where, compactAfter: 5 }) });
    for (let i = 0; i < 4; i++) await enroll(server, { key: await newKey(), subject: '/CN=compacted' }, pbmAs('compacted'));
    await server.stop();
    const lines = (await fs.readFile(path.join(where, JOURNAL_FILE), 'utf8')).split('\n').filter(Boolean);
    // 4 × (issued, bound or extended, confirmed) plus the CA line would be 13 without compaction.
    expect(lines.length).toBeLessThan(13);
    const restarted = await start({ store: new JournalRecordStore({ folder: where }) });
    expect(restarted.state.ca!.issued.filter((r) => r.confirmed)).toHaveLength(4);
    await restarted.stop();
  });
});

describe('bounded records', () => {
  it('forget certificates after their notAfter: an expired revoked certificate leaves the CRL', async () => {
    let now = Date.now();
    const server = await start({ now: () => new Date(now), store: new MemoryRecordStore() });
    const key = await newKey();
    const cert = await enroll(server, { key, subject: '/CN=short lived', days: 2 }, pbmAs('short'));
    await exchange(server, new PKIBody({ rr: buildRevReq({ cert }, 1) }), { auth: { kind: 'signature', key, cert } });
    expect((await crlOf(server)).entries).toHaveLength(1);
    now += 3 * DAY;
    expect((await crlOf(server)).entries).toHaveLength(0);
    expect(server.state.ca!.record(cert.serialNumber)).toBeUndefined();
    await server.stop();
  });
});
