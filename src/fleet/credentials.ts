/**
 * Credentials of fleet jobs. A job only names a secret (`env:NAME`, `file:PATH`); each worker
 * resolves the name against its own environment and files when it works the job, so no secret
 * is ever written to the queue or its store, and workers on different machines may hold the
 * secret in different places under the same name.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { CmpError, ErrorCodes } from '../errors';
import { isSecretLikeName } from '../session/secret-names';
import type { FleetOptionValue } from './queue';

/** Resolves a credential reference to its value; `what` names it in errors, never the value. */
export type CredentialResolver = (reference: string, what: string) => Promise<string>;

/**
 * `openssl cmp` options whose value is a secret or a pass phrase source. Key and certificate
 * options name files, which are references already, and are not listed.
 */
export const SECRET_OPTIONS: ReadonlySet<string> = new Set([
  'secret',
  'keypass',
  'newkeypass',
  'passin',
  'tls_keypass',
  'otherpass',
  'srv_secret',
  'srv_keypass',
  'rsp_keypass',
]);

/** Options named like secrets that hold file names or public values (isSecretLikeName would flag them). */
const FILE_OPTIONS = new Set(['key', 'newkey', 'tls_key', 'srv_key', 'rsp_key', 'newkeyout']);

const REFERENCE = /^(env:[A-Za-z_][A-Za-z0-9_]*|file:.+)$/s;

export function isCredentialReference(value: string): boolean {
  return REFERENCE.test(value);
}

/** Whether `option` carries a secret that the queue must only hold as a reference. */
export function isSecretOption(option: string): boolean {
  return SECRET_OPTIONS.has(option) || (!FILE_OPTIONS.has(option) && isSecretLikeName(option));
}

/**
 * Refuses a literal secret among `options` (`where` says where they came from): the error names
 * the option, never its value, since the value is the very thing that must not be shown.
 */
export function assertSecretsAreReferences(options: Record<string, FleetOptionValue>, where: string): void {
  for (const [name, value] of Object.entries(options)) {
    if (!isSecretOption(name)) continue;
    const values = Array.isArray(value) ? value : [value];
    for (const v of values) {
      if (typeof v !== 'string' || !isCredentialReference(v)) {
        throw new CmpError(
          ErrorCodes.ERR_INVALID_OPTION,
          `${where}: ${name} must be given as env:NAME or file:PATH, which each worker resolves; literal values are never put into the queue`,
          { options: [name] },
        );
      }
    }
  }
}

/**
 * The default resolver of a worker: `env:NAME` from `env`, `file:PATH` (first line, as OpenSSL
 * reads pass phrase files) relative to `cwd`.
 */
export function environmentResolver(env: Record<string, string | undefined>, cwd: string): CredentialResolver {
  return async (reference, what) => {
    if (reference.startsWith('env:')) {
      const value = env[reference.slice(4)];
      if (value === undefined)
        throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, `${what}: environment variable ${reference.slice(4)} is not set on this worker`);
      return value;
    }
    if (reference.startsWith('file:')) {
      const file = path.resolve(cwd, reference.slice(5));
      let text: string;
      try {
        text = await fs.readFile(file, 'utf8');
      } catch (e) {
        throw new CmpError(ErrorCodes.ERR_FILE, `${what}: cannot read ${file} on this worker`, { cause: e });
      }
      return text.split(/\r?\n/)[0]!;
    }
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what}: not an env:NAME or file:PATH reference`);
  };
}
