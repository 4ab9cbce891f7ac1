/**
 * Where credential bytes come from: a file path, PEM text, or bytes (DER or PEM). Errors name the
 * file, never its contents.
 */
import { readFileSync } from 'node:fs';
import { CmpError, ErrorCodes } from '../errors';
import { isPem } from './pem';

export interface CredentialInput {
  bytes: Uint8Array;
  /** For messages: the file path, or a description of in-memory input. */
  name: string;
}

/** `what` says what the file should hold, e.g. 'certificate', for the error message. */
export function readCredentialInput(input: string | Uint8Array, what: string): CredentialInput {
  if (input instanceof Uint8Array) return { bytes: input, name: `${what} bytes` };
  if (typeof input !== 'string') throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what} must be a file name, PEM text or bytes`);
  if (isPem(input)) return { bytes: new Uint8Array(Buffer.from(input, 'utf8')), name: `${what} PEM text` };
  try {
    return { bytes: new Uint8Array(readFileSync(input)), name: input };
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'read error';
    throw new CmpError(ErrorCodes.ERR_FILE, `cannot read ${what} file ${input}: ${reason}`, { cause: e });
  }
}

/** Text of PEM input; DER input is returned as undefined. */
export function pemText(input: CredentialInput): string | undefined {
  return isPem(input.bytes) ? Buffer.from(input.bytes).toString('utf8') : undefined;
}
