import { closeSync, mkdtempSync, openSync, readFileSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import { fdOutput } from '../../src/cli/fd-output';

/** A stand-in for process.stderr that records what reaches it. */
function recordingStream(): NodeJS.WritableStream & { isTTY?: boolean; written: string[] } {
  const written: string[] = [];
  return { written, isTTY: false, write: (chunk: string | Uint8Array) => written.push(Buffer.from(chunk).toString()) > 0 } as never;
}

describe("the command's output written straight to its file descriptor", () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'fd-output-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('writes strings and bytes to the descriptor in order, without creating the stream', () => {
    const file = path.join(dir, 'out');
    const fd = openSync(file, 'w');
    let created = 0;
    const out = fdOutput(fd, () => {
      created++;
      return recordingStream();
    });
    out.write('CMP info: sending IR\n');
    out.write(Buffer.from('CMP info: received IP\n'));
    closeSync(fd);
    expect(readFileSync(file, 'utf8')).toBe('CMP info: sending IR\nCMP info: received IP\n');
    expect(created).toBe(0);
    expect(out.isTTY).toBe(false);
  });

  it('falls back to the stream when the descriptor refuses, and keeps to it so that the order of lines stays', () => {
    // A descriptor this process has not opened (a closed one's number could be reused meanwhile).
    const stream = recordingStream();
    const out = fdOutput(99_999, () => stream);
    out.write('first\n');
    out.write('second\n');
    expect(stream.written).toEqual(['first\n', 'second\n']);
    expect(out.isTTY).toBe(false);
  });
});
