/**
 * The main thread's record hub of a CA cluster, with workers played by recording peers: what
 * makes it safe for a writer to go on without waiting for the other workers to apply its change.
 */
import { RecordsHub, type RecordPeer } from '../../src/server/cluster-records';
import { MemoryRecordStore, type RecordChange, type RecordStore } from '../../src/server/records';

type Sent = Parameters<RecordPeer['send']>[0];

function peers(names: string[], log: string[]): RecordPeer[] {
  return names.map((name) => ({ send: (m: Sent) => log.push(`${name} ${m.t}${m.t === 'written' && m.error ? ' refused' : ''}`) }));
}

const issued = (serial: string): RecordChange => ({
  type: 'issued',
  certificate: { serial, der: new Uint8Array([0x30, 0]), issuedAt: new Date(0), notAfter: new Date(8.64e15), confirmed: false },
});

async function openAll(hub: RecordsHub, workers: RecordPeer[]): Promise<void> {
  for (const [i, w] of workers.entries()) await hub.handle(w, { t: 'open', id: i });
}

describe('the record hub of a CA cluster', () => {
  it("posts a change to every other worker before its writer is told it is written, and waits for no worker's acknowledgement", async () => {
    const log: string[] = [];
    const hub = new RecordsHub(new MemoryRecordStore());
    const [a, b, c] = peers(['a', 'b', 'c'], log);
    await openAll(hub, [a!, b!, c!]);
    log.length = 0;
    // handle() resolving with nothing fed back from b and c: no acknowledgement is awaited.
    await hub.handle(a!, { t: 'write', id: 10, change: issued('01') });
    await hub.handle(b!, { t: 'write', id: 11, change: { type: 'confirmed', serial: '01' } });
    expect(log).toEqual(['b change', 'c change', 'a written', 'a change', 'c change', 'b written']);
  });

  it('tells the other workers nothing before the store has made the change durable', async () => {
    const log: string[] = [];
    let durable!: () => void;
    const memory = new MemoryRecordStore();
    const slow: RecordStore = {
      open: () => memory.open(),
      write: (change) => new Promise<void>((resolve) => (durable = resolve)).then(() => memory.write(change)),
      close: () => memory.close(),
    };
    const hub = new RecordsHub(slow);
    const [a, b] = peers(['a', 'b'], log);
    await openAll(hub, [a!, b!]);
    log.length = 0;
    const writing = hub.handle(a!, { t: 'write', id: 10, change: issued('02') });
    await new Promise((resolve) => setImmediate(resolve));
    expect(log).toEqual([]);
    durable();
    await writing;
    expect(log).toEqual(['b change', 'a written']);
  });

  it('refuses a serial issued twice, telling nobody else', async () => {
    const log: string[] = [];
    const hub = new RecordsHub(new MemoryRecordStore());
    const [a, b] = peers(['a', 'b'], log);
    await openAll(hub, [a!, b!]);
    await hub.handle(a!, { t: 'write', id: 10, change: issued('03') });
    log.length = 0;
    await hub.handle(b!, { t: 'write', id: 11, change: issued('03') });
    expect(log).toEqual(['b written refused']);
  });

  it('stops posting to a worker that left', async () => {
    const log: string[] = [];
    const hub = new RecordsHub(new MemoryRecordStore());
    const [a, b] = peers(['a', 'b'], log);
    await openAll(hub, [a!, b!]);
    hub.leave(b!);
    log.length = 0;
    await hub.handle(a!, { t: 'write', id: 10, change: issued('04') });
    expect(log).toEqual(['a written']);
  });
});
