/**
 * OpenSSL's pass phrase arguments (openssl-passphrase-options(1)): `pass:`, `env:`, `file:`,
 * `fd:` and `stdin`. As in OpenSSL 3.0 apps, a value without one of these prefixes is an error
 * rather than a literal pass phrase, so that secrets do not end up on command lines by accident.
 * Errors name the option, never the value.
 */
import { read } from 'node:fs';
import { promisify } from 'node:util';
import type { Readable } from 'node:stream';
import { fileReadReason, readFileBounded } from '../bounded-file-read';
import { CmpError, ErrorCodes } from '../errors';

export interface ResolvePassphraseOptions {
  /** Where `stdin` reads from; process.stdin by default. */
  stdin?: Readable;
  /** The option the spec came from, e.g. '-keypass', for error messages. */
  option?: string;
}

export async function resolvePassphrase(spec: string, opts: ResolvePassphraseOptions = {}): Promise<string> {
  const option = opts.option ?? 'pass phrase option';
  if (spec.startsWith('pass:')) return spec.slice(5);
  if (spec.startsWith('env:')) {
    const variable = spec.slice(4);
    const value = process.env[variable];
    if (value === undefined) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${option}: environment variable ${variable} is not set`);
    return value;
  }
  if (spec.startsWith('file:')) {
    const path = spec.slice(5);
    let text: string;
    try {
      text = readFileBounded(path, MAX_LINE).toString('utf8');
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_FILE, `${option}: cannot read pass phrase file ${path}: ${fileReadReason(e)}`, { cause: e });
    }
    if (text.length === 0) throw new CmpError(ErrorCodes.ERR_FILE, `${option}: pass phrase file ${path} is empty`);
    return firstLine(text);
  }
  if (spec.startsWith('fd:')) {
    const fd = Number(spec.slice(3));
    if (!/^\d+$/.test(spec.slice(3)) || !Number.isSafeInteger(fd)) {
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${option}: fd: needs a file descriptor number`);
    }
    return readLineFromFd(fd, `${option}: file descriptor ${fd}`);
  }
  if (spec === 'stdin') return readFirstLine(opts.stdin ?? process.stdin, `${option}: standard input`);
  throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${option}: invalid pass phrase source; use pass:, env:, file:, fd: or stdin`);
}

const readFd = promisify(read);

/** Longest pass phrase line we read from a descriptor or stream before giving up. */
const MAX_LINE = 64 * 1024;

/**
 * Reads one line from a descriptor a byte at a time, as OpenSSL does, so that the rest stays
 * unread for whoever reads the descriptor next; the descriptor is left open, it is not ours.
 */
async function readLineFromFd(fd: number, what: string): Promise<string> {
  const bytes: number[] = [];
  const one = Buffer.alloc(1);
  for (;;) {
    let n: number;
    try {
      ({ bytesRead: n } = await readFd(fd, one, 0, 1, null));
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_FILE, `${what}: cannot read pass phrase`, { cause: e });
    }
    if (n === 0 || one[0] === 0x0a) break;
    bytes.push(one[0]!);
    if (bytes.length > MAX_LINE) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what}: pass phrase line too long`);
  }
  if (bytes.length === 0) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what}: no pass phrase to read`);
  return firstLine(Buffer.from(bytes).toString('utf8'));
}

function firstLine(text: string): string {
  const end = text.search(/\r?\n/);
  return end === -1 ? text : text.slice(0, end);
}

/**
 * Reads up to the first newline and puts back what follows, so that a second reader of the same
 * stream (OpenSSL reads -passin and -passout from one stdin) gets the next line.
 */
function readFirstLine(stream: Readable, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    if (stream.readableEnded) {
      reject(new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what}: no pass phrase to read`));
      return;
    }
    const chunks: Buffer[] = [];
    const cleanup = (): void => {
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('error', onError);
      stream.pause();
    };
    const onData = (chunk: Buffer | string): void => {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
      const newline = buf.indexOf(0x0a);
      if (newline === -1) {
        chunks.push(buf);
        if (chunks.reduce((n, c) => n + c.length, 0) > MAX_LINE) {
          cleanup();
          reject(new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what}: pass phrase line too long`));
        }
        return;
      }
      chunks.push(buf.subarray(0, newline));
      cleanup();
      if (newline + 1 < buf.length) stream.unshift(buf.subarray(newline + 1));
      resolve(firstLine(Buffer.concat(chunks).toString('utf8')));
    };
    const onEnd = (): void => {
      cleanup();
      if (chunks.length === 0) reject(new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what}: no pass phrase to read`));
      else resolve(firstLine(Buffer.concat(chunks).toString('utf8')));
    };
    const onError = (e: Error): void => {
      cleanup();
      reject(new CmpError(ErrorCodes.ERR_FILE, `${what}: cannot read pass phrase`, { cause: e }));
    };
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('error', onError);
    stream.resume();
  });
}
