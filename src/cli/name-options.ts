/**
 * The distinguished-name options of `openssl cmp` (-subject, -issuer, -recipient, -expect_sender),
 * read with OpenSSL's syntax at the command line, where its warnings can name the option. What goes
 * on to the library is the name written back in a form that parses to the same DER without
 * warnings, so that skipped attributes are reported once, as OpenSSL reports them.
 */
import { CmpError, ErrorCodes } from '../errors';
import { formatName, parseName } from '../pki/names';

/** How apps/cmp.c names each of them in its messages (the `desc` of parse_name). */
const WHAT = {
  subject: 'subject',
  issuer: 'issuer',
  recipient: 'recipient',
  expect_sender: 'expected sender',
} as const;

export type NameOption = keyof typeof WHAT;

export function nameArgument(option: NameOption, value: string | undefined, warn: (message: string) => void): string | undefined {
  if (value === undefined) return undefined;
  try {
    return formatName(parseName(value, { what: WHAT[option], opensslSyntax: true, onWarning: warn }));
  } catch (e) {
    const reason = e instanceof Error ? e.message : String(e);
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `-${option}: ${reason}`, { cause: e });
  }
}
