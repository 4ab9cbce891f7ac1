/**
 * `cmpflow dump FILE`: a PKIMessage file (DER, or PEM with any label; `-` reads stdin), such as
 * -reqout and -rspout write, shown as pretty JSON on stdout. Malformed input fails with one line
 * that names the file and the decoding problem's code.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { Readable } from 'stream';
import { decodePkiMessage } from '../asn1/codec';
import { dumpPkiMessage, readMessageFile } from '../asn1/dump';
import { CmpError, ErrorCodes } from '../errors';
import type { OutputStream } from './log';

/** Largest message file dump reads; CMP messages are a few KiB, the client accepts 100 KiB. */
const MAX_MESSAGE_BYTES = 1024 * 1024;

async function readAll(stream: Readable): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of stream) {
    const b = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer);
    size += b.length;
    if (size > MAX_MESSAGE_BYTES) throw new CmpError(ErrorCodes.ERR_FILE, `dump: standard input is larger than ${MAX_MESSAGE_BYTES} bytes`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

async function readInput(file: string, cwd: string, stdin?: Readable): Promise<Uint8Array> {
  if (file === '-') {
    if (!stdin) throw new CmpError(ErrorCodes.ERR_FILE, 'dump: no standard input to read');
    return readAll(stdin);
  }
  const full = path.resolve(cwd, file);
  try {
    const stat = await fs.stat(full);
    if (!stat.isFile()) throw new CmpError(ErrorCodes.ERR_FILE, `dump: ${file} is not a file`);
    if (stat.size > MAX_MESSAGE_BYTES) throw new CmpError(ErrorCodes.ERR_FILE, `dump: ${file} is larger than ${MAX_MESSAGE_BYTES} bytes`);
    return await fs.readFile(full);
  } catch (e) {
    if (e instanceof CmpError) throw e;
    throw new CmpError(ErrorCodes.ERR_FILE, `dump: cannot read ${file} (${(e as NodeJS.ErrnoException).code ?? 'read error'})`, { cause: e });
  }
}

/** `args` are what follows `dump`; returns the exit status. Throws CmpError on any failure. */
export async function dumpCommand(args: readonly string[], io: { stdout: OutputStream; cwd: string; stdin?: Readable }): Promise<number> {
  if (args.length !== 1) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'dump: needs exactly one FILE (DER or PEM PKIMessage, - for stdin)');
  const file = args[0]!;
  const bytes = await readInput(file, io.cwd, io.stdin);
  let json: object;
  try {
    json = dumpPkiMessage(decodePkiMessage(readMessageFile(bytes)));
  } catch (e) {
    if (e instanceof CmpError) throw new CmpError(e.code, `dump: ${file}: ${e.message}`, { cause: e });
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `dump: ${file}: not a PKIMessage`, { cause: e });
  }
  io.stdout.write(`${JSON.stringify(json, null, 2)}\n`);
  return 0;
}
