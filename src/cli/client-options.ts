/**
 * From the parsed command line to the CmpClientOptions the library runs with: pass phrase sources
 * resolved (`env:` against the CLI's environment, `file:` against its working directory), file
 * names made absolute (the library reads them relative to the process, which in-process callers
 * of main() need not share), -reqout/-rspout/-rspin/-reqin as the file transfer, and names checked
 * up front so that a malformed DN is reported with the option that gave it.
 */
import * as path from 'path';
import type { Readable } from 'stream';
import { resolvePassphrase } from '../credentials/passphrase';
import { CmpError, ErrorCodes } from '../errors';
import { parseName } from '../pki/names';
import type { CmpClientOptions } from '../options';
import { resolveSecrets, type RunCommandLine } from './options';
import { isPkcs11Uri } from '../crypto/pkcs11-uri';

export interface ClientEnvironment {
  env: Record<string, string | undefined>;
  cwd: string;
  stdin?: Readable;
}

/** A resolver for OpenSSL pass phrase sources; errors name `description`, never the value. */
export function passphraseResolver(io: ClientEnvironment): (source: string, description: string) => Promise<string> {
  return async (source, description) => {
    if (source.startsWith('env:')) {
      const name = source.slice(4);
      const value = io.env[name];
      if (value === undefined) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${description}: environment variable ${name} is not set`);
      return value;
    }
    if (source.startsWith('file:')) return resolvePassphrase(`file:${path.resolve(io.cwd, source.slice(5))}`, { option: description });
    // io.stdin only for the `stdin` source: opening the stream costs about 3 ms of start-up.
    return resolvePassphrase(source, { option: description, ...(source === 'stdin' && io.stdin ? { stdin: io.stdin } : {}) });
  };
}

// A key named by a pkcs11: URI lives in a token, not in a file relative to the working folder.
const absolute = (cwd: string, p: string | undefined) => (p === undefined ? undefined : isPkcs11Uri(p) ? p : path.resolve(cwd, p));
const absoluteList = (cwd: string, list: string[] | undefined) => list?.map((p) => path.resolve(cwd, p));

function withPaths(o: CmpClientOptions, cwd: string): CmpClientOptions {
  const out: CmpClientOptions = { ...o };
  const one = ['cert', 'key', 'newKey', 'oldCert', 'srvCert', 'csr'] as const;
  for (const field of one) {
    const v = o[field];
    if (typeof v === 'string') (out as Record<string, unknown>)[field] = absolute(cwd, v);
  }
  const many = ['trusted', 'untrusted', 'ownTrusted', 'extraCerts', 'outTrusted'] as const;
  for (const field of many) {
    const v = o[field];
    if (Array.isArray(v)) (out as Record<string, unknown>)[field] = absoluteList(cwd, v as string[]);
    else if (typeof v === 'string') (out as Record<string, unknown>)[field] = absolute(cwd, v);
  }
  if (o.tls) {
    const tls = { ...o.tls };
    if (typeof tls.cert === 'string') tls.cert = absolute(cwd, tls.cert);
    if (typeof tls.key === 'string') tls.key = absolute(cwd, tls.key);
    if (Array.isArray(tls.extra)) tls.extra = absoluteList(cwd, tls.extra as string[]);
    if (Array.isArray(tls.trusted)) tls.trusted = absoluteList(cwd, tls.trusted as string[]);
    out.tls = tls;
  }
  return out;
}

/** Checks each DN option now, so that the error names the option (the library would not). */
function checkNames(o: CmpClientOptions): void {
  const names: [string, string | undefined][] = [
    ['subject', o.subject],
    ['issuer', o.issuer],
    ['recipient', o.recipient],
    ['expect_sender', o.expectSender],
  ];
  for (const [option, value] of names) {
    if (value === undefined) continue;
    try {
      parseName(value);
    } catch (e) {
      const reason = e instanceof Error ? e.message : String(e);
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `-${option}: ${reason}`, { cause: e });
    }
  }
}

export async function buildClientOptions(
  parsed: Pick<RunCommandLine, 'client' | 'passphrases' | 'cli'>,
  io: ClientEnvironment,
  inspect?: (event: unknown) => void,
): Promise<CmpClientOptions> {
  const resolved = await resolveSecrets(parsed, passphraseResolver(io));
  const options = withPaths(resolved, io.cwd);
  checkNames(options);
  const cli = parsed.cli;
  const files: NonNullable<CmpClientOptions['files']> = {};
  if (cli.reqOut) files.reqout = absoluteList(io.cwd, cli.reqOut)!;
  if (cli.rspOut) files.rspout = absoluteList(io.cwd, cli.rspOut)!;
  if (cli.rspIn) files.rspin = absoluteList(io.cwd, cli.rspIn)!;
  if (cli.reqIn) files.reqin = absoluteList(io.cwd, cli.reqIn)!;
  if (cli.reqIn && cli.reqInNewTid) files.reqinNewTid = true;
  if (Object.keys(files).length > 0) options.files = files;
  if (inspect) options.inspect = inspect;
  return options;
}
