/**
 * The options a session file records, so that `-resume FILE` needs only what the file cannot hold:
 * the secrets (-secret, -key and its -keypass, -newkey when the issued key is checked against it).
 *
 * They are kept in the session's `meta` as `opt.<name>` entries beside `sessionFormat`, with file
 * names made absolute (a resume may run elsewhere). At -resume they are put in front of the
 * command line, so any option given there replaces the recorded one; recorded flags stay set.
 * Only the options listed here are read back: a file naming any other is refused, so an edited
 * file cannot slip in a secret source, a request file or an output to overwrite.
 */
import * as path from 'path';
import { CmpError, ErrorCodes } from '../errors';
import type { SessionMeta } from '../session';
import { findOption } from './option-table';
import { splitItems } from './value-syntax';

/** 1: files written before options were recorded (meta holds only outputs and the server, for information). */
export const SESSION_OPTIONS_FORMAT = 2;

/** What decides where and how the transaction continues; no secret, no request content. */
export const RECORDED_OPTIONS: readonly string[] = [
  'server',
  'path',
  'proxy',
  'no_proxy',
  'keep_alive',
  'msg_timeout',
  'total_timeout',
  'recipient',
  'expect_sender',
  'srvcert',
  'trusted',
  'untrusted',
  'ignore_keyusage',
  'unprotected_errors',
  'crls',
  'crl_check',
  'crl_check_all',
  'partial_chain',
  'out_trusted',
  'no_cache_extracerts',
  'ref',
  'cert',
  'own_trusted',
  'keyform',
  'digest',
  'mac',
  'implicit_confirm',
  'disable_confirm',
  // The certificate an rr revokes: its answer is checked to be about that one.
  'oldcert',
  'tls_used',
  'tls_cert',
  'tls_extra',
  'tls_trusted',
  'tls_host',
];

const PREFIX = 'opt.';
const SCHEME = /^[A-Za-z][A-Za-z0-9+.-]+:/;

function absolute(item: string, cwd: string): string {
  return item === '' || SCHEME.test(item) ? item : path.resolve(cwd, item);
}

/**
 * The meta entries recording the effective options (config file and command line merged):
 * `value(name)` gives an option's value, `config` the configuration file and sections in use.
 */
export function recordOptions(
  value: (name: string) => string | number | boolean | string[] | undefined,
  cwd: string,
  config: { file?: string; section?: string },
): SessionMeta {
  const meta: SessionMeta = { sessionFormat: SESSION_OPTIONS_FORMAT };
  for (const name of RECORDED_OPTIONS) {
    const v = value(name);
    if (v === undefined || v === false || Array.isArray(v)) continue;
    const meaning = findOption(name)?.meaning;
    meta[PREFIX + name] =
      typeof v !== 'string'
        ? v
        : meaning === 'path'
          ? absolute(v, cwd)
          : meaning === 'paths'
            ? splitItems(v)
                .map((i) => absolute(i, cwd))
                .join(',')
            : v;
  }
  // The same configuration file at resume gives what the recorded options do not (-key, say);
  // '' keeps a resume from loading a default one the session never used.
  meta[`${PREFIX}config`] = config.file === undefined ? '' : absolute(config.file, cwd);
  if (config.section !== undefined) meta[`${PREFIX}section`] = config.section;
  return meta;
}

/** The recorded options as command-line arguments; none for a file of format 1. */
export function recordedArguments(meta: SessionMeta | undefined, file: string): string[] {
  const format = meta?.sessionFormat;
  if (format === undefined) return [];
  if (format !== SESSION_OPTIONS_FORMAT) {
    throw new CmpError(
      ErrorCodes.ERR_SNAPSHOT_VERSION,
      `-resume: ${file} has session format ${JSON.stringify(format)}, but this cmpflow reads formats 1 and ${SESSION_OPTIONS_FORMAT}`,
    );
  }
  const argv: string[] = [];
  for (const [key, v] of Object.entries(meta ?? {})) {
    if (!key.startsWith(PREFIX)) continue;
    const name = key.slice(PREFIX.length);
    const spec = findOption(name);
    const known = (RECORDED_OPTIONS.includes(name) || name === 'config' || name === 'section') && spec !== undefined && spec.name === name;
    const ok = known && (spec.type === '-' ? v === true : spec.type === 's' ? typeof v === 'string' : Number.isSafeInteger(v));
    if (!ok) throw new CmpError(ErrorCodes.ERR_SNAPSHOT_INVALID, `-resume: ${file}: meta.${key} is not an option a session records`);
    argv.push(`-${name}`);
    if (spec.type !== '-') argv.push(String(v));
  }
  return argv;
}
