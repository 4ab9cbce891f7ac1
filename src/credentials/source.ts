/**
 * Where credential bytes come from: a file path, PEM text, or bytes (DER or PEM). Errors name the
 * file, never its contents.
 */
import { fileReadReason, readFileBounded } from '../bounded-file-read';
import { CmpError, ErrorCodes } from '../errors';
import { isPem } from './pem';

/**
 * Largest credential file read: far above any key, certificate chain or PKCS#12 file, far below
 * what /dev/zero given as a credential would fill memory with.
 */
export const MAX_CREDENTIAL_FILE_BYTES = 16 * 1024 * 1024;

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
    return { bytes: new Uint8Array(readFileBounded(input, MAX_CREDENTIAL_FILE_BYTES)), name: input };
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_FILE, `cannot read ${what} file ${input}: ${fileReadReason(e)}`, { cause: e });
  }
}

/** Text of PEM input; DER input is returned as undefined. */
export function pemText(input: CredentialInput): string | undefined {
  return isPem(input.bytes) ? Buffer.from(input.bytes).toString('utf8') : undefined;
}
