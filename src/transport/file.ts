import { fileReadReason, FileTooLargeError, readFileBoundedAsync } from '../bounded-file-read';
import { CmpError, ErrorCodes } from '../errors';
import { overwriteFileSync } from '../overwrite-file';
import type { Transfer, TransferContext } from './types';

/**
 * The file-based message options of `openssl cmp`, as a wrapper around any Transfer. Each list
 * is consumed one file per message, in order, across all calls of the returned Transfer:
 *
 * - reqout: the request the client built is written to the next file (before -reqin swaps it);
 * - reqin: the next file's request is sent instead of the built one, except while rspin
 *   files remain (then nothing is sent at all);
 * - rspin: the next file is taken as the response and nothing is sent; once the list is used
 *   up, messages go to `inner`, as OpenSSL 3.0 then contacts the server;
 * - rspout: the response actually used is written to the next file.
 *
 * When a write list runs out, further messages are simply not saved, as in OpenSSL.
 * A request read with reqin is handed to the caller's `adoptRequest` (TransferContext), which fits
 * it to the ongoing transaction as OpenSSL does (a new recipNonce, with reqinNewTid the current
 * transactionID, protected again); without one it is sent as it is.
 */
export interface FileTransferOptions {
  reqout?: string[];
  rspin?: string[];
  reqin?: string[];
  /** OpenSSL -reqin_new_tid: requests read with reqin take the transactionID of the ongoing transaction. */
  reqinNewTid?: boolean;
  rspout?: string[];
}

function aborted(ctx: TransferContext): CmpError {
  return new CmpError(ErrorCodes.ERR_ABORTED, 'file-based transfer was aborted', { cause: ctx.signal?.reason });
}

function isAbort(e: unknown): boolean {
  return (e as { name?: string })?.name === 'AbortError';
}

/** Largest message read from a -reqin or -rspin file: more than any CMP message, less than /dev/zero. */
export const MAX_MESSAGE_FILE_BYTES = 16 * 1024 * 1024;

async function readMessage(file: string, what: string, ctx: TransferContext): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFileBoundedAsync(file, MAX_MESSAGE_FILE_BYTES, ctx.signal);
  } catch (e) {
    if (isAbort(e)) throw aborted(ctx);
    const reason = e instanceof FileTooLargeError ? fileReadReason(e) : (e as Error).message;
    throw new CmpError(ErrorCodes.ERR_FILE, `cannot read ${what} from '${file}': ${reason}`, { cause: e });
  }
  if (bytes.length === 0) throw new CmpError(ErrorCodes.ERR_FILE, `${what} file '${file}' is empty`);
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/**
 * Written in place and at once: a `-repeat` run writes the same files each transaction, and
 * fs/promises' writeFile cost about 0.25 ms of CPU a message in thread-pool round trips and an
 * O_TRUNC that starts ext4's write-back, against 0.03 ms (docs/benchmarks.md, ninth session).
 */
function writeMessage(file: string, bytes: Uint8Array, what: string, ctx: TransferContext): void {
  if (ctx.signal?.aborted) throw aborted(ctx);
  try {
    overwriteFileSync(file, bytes);
  } catch (e) {
    const reason = (e as Error).message;
    throw new CmpError(ErrorCodes.ERR_FILE, `cannot write ${what} to '${file}': ${reason}`, { cause: e });
  }
}

export function createFileTransfer(options: FileTransferOptions, inner?: Transfer): Transfer {
  const newTransactionId = options.reqinNewTid === true;
  const storedRequest = async (file: string, ctx: TransferContext): Promise<Uint8Array> => {
    const stored = await readMessage(file, 'request', ctx);
    return ctx.adoptRequest ? ctx.adoptRequest(stored, { newTransactionId }) : stored;
  };
  // Private copies: the lists are consumed as messages go by.
  const reqout = [...(options.reqout ?? [])];
  const rspin = [...(options.rspin ?? [])];
  const reqin = [...(options.reqin ?? [])];
  const rspout = [...(options.rspout ?? [])];

  return async (request: Uint8Array, ctx: TransferContext = {}): Promise<Uint8Array> => {
    if (ctx.signal?.aborted) throw aborted(ctx);
    // Input names are taken before any await so that overlapping calls cannot share one.
    const reqoutFile = reqout.shift();
    const reqinFile = rspin.length === 0 ? reqin.shift() : undefined;
    const rspinFile = rspin.shift();

    if (reqoutFile !== undefined) writeMessage(reqoutFile, request, 'request', ctx);
    let response: Uint8Array;
    if (rspinFile !== undefined) {
      response = await readMessage(rspinFile, 'response', ctx);
      ctx.responseReplayed?.(response);
    } else {
      if (inner === undefined) {
        throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'no rspin file left for this message and no transfer to send it with');
      }
      const actual = reqinFile !== undefined ? await storedRequest(reqinFile, ctx) : request;
      response = await inner(actual, ctx);
    }
    // Taken only now: a failed exchange saves nothing, so it must not use up a name.
    const rspoutFile = rspout.shift();
    if (rspoutFile !== undefined) writeMessage(rspoutFile, response, 'response', ctx);
    return response;
  };
}
