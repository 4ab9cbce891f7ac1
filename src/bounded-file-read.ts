/**
 * Reading a local file with a cap on its size. Credentials, secrets, messages and configuration
 * files name paths the user chose, and a path may be /dev/zero, a FIFO or a character device whose
 * size stat() reports as 0: reading such a thing whole never ends, or ends when memory does. Here
 * the read stops one chunk past the cap, whatever kind of file it is.
 */
import { closeSync, openSync, readSync } from 'node:fs';
import { open } from 'node:fs/promises';

const CHUNK = 64 * 1024;

/** Thrown by the readers below when a file holds more than the cap; `code` is EFBIG, as errno would say. */
export class FileTooLargeError extends Error {
  readonly code = 'EFBIG';
  constructor(readonly limit: number) {
    super(`larger than ${limit} bytes`);
    this.name = 'FileTooLargeError';
  }
}

/** Why a read failed, for a message: "larger than N bytes", the errno code, or "read error". */
export function fileReadReason(e: unknown): string {
  if (e instanceof FileTooLargeError) return e.message;
  return (e as NodeJS.ErrnoException)?.code ?? 'read error';
}

function checkLimit(limit: number): void {
  if (!Number.isSafeInteger(limit) || limit < 0) throw new RangeError(`a file size limit must be a non-negative integer, got ${limit}`);
}

/** As fs.readFile does: an AbortError, whatever the signal's reason. */
function stopIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw Object.assign(new Error('The operation was aborted'), { name: 'AbortError', cause: signal.reason });
}

/** The bytes of `path`, read synchronously; FileTooLargeError past `limit` bytes, errno errors as fs gives them. */
export function readFileBounded(path: string, limit: number): Buffer {
  checkLimit(limit);
  const fd = openSync(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    const buffer = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1));
    for (;;) {
      const n = readSync(fd, buffer, 0, buffer.length, null);
      if (n === 0) break;
      total += n;
      if (total > limit) throw new FileTooLargeError(limit);
      chunks.push(Buffer.from(buffer.subarray(0, n)));
    }
    return Buffer.concat(chunks, total);
  } finally {
    closeSync(fd);
  }
}

/** As readFileBounded, without blocking the event loop; an aborted `signal` rejects with an AbortError. */
export async function readFileBoundedAsync(path: string, limit: number, signal?: AbortSignal): Promise<Buffer> {
  checkLimit(limit);
  stopIfAborted(signal);
  const handle = await open(path, 'r');
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      stopIfAborted(signal);
      const buffer = Buffer.allocUnsafe(Math.min(CHUNK, limit + 1));
      const { bytesRead } = await handle.read(buffer, 0, buffer.length, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      if (total > limit) throw new FileTooLargeError(limit);
      chunks.push(buffer.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  } finally {
    await handle.close();
  }
}
