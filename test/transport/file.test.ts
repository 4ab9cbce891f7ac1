import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createFileTransfer, type Transfer, type TransferContext } from '../../src/transport';
import { expectCmpError } from './helpers/cmp-error';

/** A stand-in server that records what reached it and answers with a numbered response. */
function recordingTransfer(): { transfer: Transfer; sent: number[][]; contexts: TransferContext[] } {
  const sent: number[][] = [];
  const contexts: TransferContext[] = [];
  return {
    sent,
    contexts,
    transfer: async (request, ctx) => {
      sent.push(Array.from(request));
      contexts.push(ctx);
      return Uint8Array.of(0x30, 0x01, 0xa0 + sent.length);
    },
  };
}

const REQ1 = Uint8Array.of(0x30, 0x01, 0x01);
const REQ2 = Uint8Array.of(0x30, 0x01, 0x02);
const REQ3 = Uint8Array.of(0x30, 0x01, 0x03);

let dir: string;
const file = (name: string) => join(dir, name);
const bytes = (name: string) => Array.from(readFileSync(file(name)));

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'cmpflow-files-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('reqout and rspout', () => {
  it('save each request and response to the next file, and stop saving when the names run out', async () => {
    const server = recordingTransfer();
    const t = createFileTransfer({ reqout: [file('req1'), file('req2')], rspout: [file('rsp1')] }, server.transfer);

    const rsp1 = await t(REQ1, {});
    await t(REQ2, {});
    await t(REQ3, {});

    expect(bytes('req1')).toEqual(Array.from(REQ1));
    expect(bytes('req2')).toEqual(Array.from(REQ2));
    expect(bytes('rsp1')).toEqual(Array.from(rsp1));
    expect(server.sent).toEqual([REQ1, REQ2, REQ3].map((r) => Array.from(r)));
  });

  it('leave only the new message in a file an earlier run left longer', async () => {
    writeFileSync(file('req1'), Buffer.alloc(64, 0xff));
    writeFileSync(file('rsp1'), Buffer.alloc(64, 0xff));
    const t = createFileTransfer({ reqout: [file('req1')], rspout: [file('rsp1')] }, recordingTransfer().transfer);

    const rsp1 = await t(REQ1, {});

    expect(bytes('req1')).toEqual(Array.from(REQ1));
    expect(bytes('rsp1')).toEqual(Array.from(rsp1));
  });

  it('do not use up an rspout name when the exchange fails', async () => {
    let calls = 0;
    const flaky: Transfer = async () => {
      if (++calls === 1) throw new Error('down');
      return Uint8Array.of(0x30, 0x00);
    };
    const t = createFileTransfer({ rspout: [file('rsp1')] }, flaky);
    await expect(t(REQ1, {})).rejects.toThrow('down');
    await t(REQ2, {});
    expect(bytes('rsp1')).toEqual([0x30, 0x00]);
  });
});

describe('rspin', () => {
  it('answers from the files in order without sending, then falls back to the inner transfer', async () => {
    writeFileSync(file('rsp1'), Uint8Array.of(0x30, 0x01, 0x11));
    writeFileSync(file('rsp2'), Uint8Array.of(0x30, 0x01, 0x22));
    const server = recordingTransfer();
    const t = createFileTransfer({ rspin: [file('rsp1'), file('rsp2')] }, server.transfer);

    expect(Array.from(await t(REQ1, {}))).toEqual([0x30, 0x01, 0x11]);
    expect(Array.from(await t(REQ2, {}))).toEqual([0x30, 0x01, 0x22]);
    expect(server.sent).toEqual([]);
    expect(Array.from(await t(REQ3, { bodyType: 'pollReq' }))).toEqual([0x30, 0x01, 0xa1]);
    expect(server.sent).toEqual([Array.from(REQ3)]);
    expect(server.contexts[0]?.bodyType).toBe('pollReq');
  });

  it('fails with ERR_MISSING_OPTION when the files run out and there is no inner transfer', async () => {
    writeFileSync(file('rsp1'), Uint8Array.of(0x30, 0x00));
    const t = createFileTransfer({ rspin: [file('rsp1')] });
    await t(REQ1, {});
    await expectCmpError(t(REQ2, {}), 'ERR_MISSING_OPTION');
  });

  it('saves a response taken from a file with rspout, too', async () => {
    writeFileSync(file('rsp1'), Uint8Array.of(0x30, 0x01, 0x11));
    const t = createFileTransfer({ rspin: [file('rsp1')], rspout: [file('out1')] });
    await t(REQ1, {});
    expect(bytes('out1')).toEqual([0x30, 0x01, 0x11]);
  });

  it('fails with ERR_FILE, naming the file, when it is missing or empty', async () => {
    writeFileSync(file('empty'), new Uint8Array(0));
    const missing = await expectCmpError(createFileTransfer({ rspin: [file('nope')] })(REQ1, {}), 'ERR_FILE');
    expect(missing.message).toContain(file('nope'));
    await expectCmpError(createFileTransfer({ rspin: [file('empty')] })(REQ1, {}), 'ERR_FILE');
  });
});

describe('reqin', () => {
  it('sends the files instead of the built requests, then the built ones', async () => {
    writeFileSync(file('in1'), Uint8Array.of(0x30, 0x01, 0x71));
    const server = recordingTransfer();
    const t = createFileTransfer({ reqin: [file('in1')] }, server.transfer);
    await t(REQ1, {});
    await t(REQ2, {});
    expect(server.sent).toEqual([[0x30, 0x01, 0x71], Array.from(REQ2)]);
  });

  it('leaves reqout with the built request, not the one read from reqin', async () => {
    writeFileSync(file('in1'), Uint8Array.of(0x30, 0x01, 0x71));
    const server = recordingTransfer();
    const t = createFileTransfer({ reqin: [file('in1')], reqout: [file('out1')] }, server.transfer);
    await t(REQ1, {});
    expect(bytes('out1')).toEqual(Array.from(REQ1));
    expect(server.sent).toEqual([[0x30, 0x01, 0x71]]);
  });

  it('is not consumed while rspin files remain, as nothing is sent then', async () => {
    writeFileSync(file('rsp1'), Uint8Array.of(0x30, 0x00));
    writeFileSync(file('in1'), Uint8Array.of(0x30, 0x01, 0x71));
    const server = recordingTransfer();
    const t = createFileTransfer({ rspin: [file('rsp1')], reqin: [file('in1')] }, server.transfer);
    await t(REQ1, {});
    await t(REQ2, {});
    expect(server.sent).toEqual([[0x30, 0x01, 0x71]]);
  });
});

describe('the file transfer as a wrapper', () => {
  it('leaves the caller’s lists untouched', async () => {
    const options = { reqout: [file('a'), file('b')] };
    const t = createFileTransfer(options, recordingTransfer().transfer);
    await t(REQ1, {});
    expect(options.reqout).toEqual([file('a'), file('b')]);
  });

  it('rejects an aborted signal with ERR_ABORTED before touching any file', async () => {
    const server = recordingTransfer();
    const t = createFileTransfer({ reqout: [file('req1')] }, server.transfer);
    await expectCmpError(t(REQ1, { signal: AbortSignal.abort() }), 'ERR_ABORTED');
    expect(existsSync(file('req1'))).toBe(false);
    expect(server.sent).toEqual([]);
  });

  it('reports a file it cannot write with ERR_FILE', async () => {
    const t = createFileTransfer({ reqout: [join(dir, 'no-such-dir', 'req1')] }, recordingTransfer().transfer);
    await expectCmpError(t(REQ1, {}), 'ERR_FILE');
  });
});
