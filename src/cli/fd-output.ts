/**
 * The command's standard output and error written straight to their file descriptors. Node's
 * process.stdout and process.stderr are streams over the same descriptors, which Node writes
 * synchronously on Linux anyway (files, pipes, terminals), but each line pays for the stream
 * machinery on the way: in a `-repeat 300` PBM IR run the four `CMP info:` lines of a session cost
 * about 0.06 ms of its 2.6 (docs/benchmarks.md, issue #22), where `openssl cmp` makes one write(2)
 * each. Whatever the descriptor does not take (a full non-blocking pipe, a closed descriptor)
 * goes to the stream instead, and so does everything after it, so that the order of lines stays.
 */
import { writeSync } from 'node:fs';
import type { OutputStream } from './log';

export function fdOutput(fd: number, stream: () => NodeJS.WritableStream & { isTTY?: boolean }): OutputStream {
  let fallback: (NodeJS.WritableStream & { isTTY?: boolean }) | undefined;
  let tty: boolean | undefined;
  return {
    write(chunk: string | Uint8Array): unknown {
      if (fallback !== undefined) return fallback.write(chunk);
      const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      let written = 0;
      try {
        while (written < bytes.length) written += writeSync(fd, bytes, written);
        return true;
      } catch {
        fallback = stream();
        return fallback.write(bytes.subarray(written));
      }
    },
    get isTTY(): boolean {
      // eslint-disable-next-line @typescript-eslint/no-require-imports -- node:tty only when asked (a poll's countdown)
      tty ??= fallback !== undefined ? fallback.isTTY === true : (require('node:tty') as typeof import('node:tty')).isatty(fd);
      return tty;
    },
  };
}
