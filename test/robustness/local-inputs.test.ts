/**
 * Local inputs are read with a size cap: /dev/zero (a character device whose stat() size is 0) or
 * a FIFO fed without end, given as a credential, a `file:` secret, a -rspin or -reqin message, a
 * session or a configuration file, gives one clear ERR_FILE error instead of filling memory.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileTooLargeError, readFileBounded, readFileBoundedAsync } from '../../src/bounded-file-read';
import { readCredentialInput } from '../../src/credentials/source';
import { resolvePassphrase } from '../../src/credentials/passphrase';
import { loadConfig } from '../../src/cli/config';
import { createFileTransfer } from '../../src/transport/file';
import { cmpflow } from '../cli/run-support';

const ZERO = '/dev/zero';
let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cmpflow-local-inputs-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Memory grows by far less than the input offered: what was read stopped at the cap. */
async function withinMemory<T>(work: () => Promise<T>): Promise<T> {
  const before = process.memoryUsage().rss;
  const result = await work();
  expect(process.memoryUsage().rss - before).toBeLessThan(256 * 1024 * 1024);
  return result;
}

describe('the bounded reader', () => {
  it('reads a regular file whole when it is within the cap, and refuses one byte more with EFBIG', async () => {
    const file = join(dir, 'ten-bytes');
    writeFileSync(file, '0123456789');
    expect(readFileBounded(file, 10).toString()).toBe('0123456789');
    expect((await readFileBoundedAsync(file, 10)).toString()).toBe('0123456789');
    expect(() => readFileBounded(file, 9)).toThrow(FileTooLargeError);
    await expect(readFileBoundedAsync(file, 9)).rejects.toMatchObject({ code: 'EFBIG', message: 'larger than 9 bytes' });
  });

  it('stops reading /dev/zero at the cap', async () => {
    expect(() => readFileBounded(ZERO, 1024 * 1024)).toThrow(FileTooLargeError);
    await expect(readFileBoundedAsync(ZERO, 1024 * 1024)).rejects.toBeInstanceOf(FileTooLargeError);
  });

  it('stops reading a FIFO fed without end at the cap', async () => {
    const fifo = join(dir, 'fifo');
    await new Promise<void>((resolve, reject) =>
      spawn('mkfifo', [fifo]).on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mkfifo: ${code}`)))),
    );
    const writer = spawn('sh', ['-c', `exec cat /dev/zero > '${fifo}'`], { stdio: 'ignore' });
    try {
      await expect(readFileBoundedAsync(fifo, 4 * 1024 * 1024)).rejects.toBeInstanceOf(FileTooLargeError);
    } finally {
      writer.kill();
    }
  });
});

describe('/dev/zero as each kind of local input', () => {
  it('as a credential file: ERR_FILE naming the file and the cap', async () => {
    await withinMemory(async () => {
      expect(() => readCredentialInput(ZERO, 'certificate')).toThrow(
        expect.objectContaining({ code: 'ERR_FILE', message: expect.stringMatching(/certificate file \/dev\/zero: larger than \d+ bytes/) }),
      );
    });
  });

  it('as a file: secret: ERR_FILE', async () => {
    await expect(resolvePassphrase(`file:${ZERO}`, { option: '-secret' })).rejects.toMatchObject({
      code: 'ERR_FILE',
      message: expect.stringContaining('larger than'),
    });
  });

  it('as a configuration file: ERR_FILE', () => {
    expect(() => loadConfig(ZERO)).toThrow(expect.objectContaining({ code: 'ERR_FILE', message: expect.stringContaining('larger than') }));
  });

  it('as a -rspin message: ERR_FILE', async () => {
    const transfer = createFileTransfer({ rspin: [ZERO] });
    await withinMemory(() =>
      expect(transfer(new Uint8Array([0x30, 0x00]), {})).rejects.toMatchObject({ code: 'ERR_FILE', message: expect.stringContaining('larger than') }),
    );
  });

  it('given to the command line as -cert, -secret file:, -rspin and -config: one error line each, no crash', async () => {
    const common = ['-cmd', 'genm', '-server', '127.0.0.1:1', '-ref', 'x'];
    const runs = [
      [...common, '-secret', `file:${ZERO}`],
      [...common, '-secret', 'pass:x', '-rspin', ZERO],
      ['-cmd', 'genm', '-server', '127.0.0.1:1', '-cert', ZERO, '-key', ZERO],
      ['-config', ZERO, ...common, '-secret', 'pass:x'],
    ];
    for (const argv of runs) {
      const run = await withinMemory(() => cmpflow(argv));
      expect(run.code).not.toBe(0);
      expect(run.stderr).toMatch(/\/dev\/zero.*larger than \d+ bytes/);
    }
  });
});
