/**
 * What the CLI tells the user on stderr, in the style of `openssl cmp`: `CMP warning: ...`,
 * `CMP info: ...`, `CMP DEBUG: ...`, each shown from its OpenSSL log level on (-verbosity).
 * Failures are not logged here: main() turns each into exactly one `cmpflow: error:` line.
 * Callers never pass secrets; messages come from option names, file names and protocol facts.
 * What a server sent (status texts, names) may be quoted, so every line is escaped for the terminal.
 */
import { CmpError, ErrorCodes } from '../errors';
import { inCliTerms } from './library-option-names';
import { escapeForTerminal } from './terminal-text';

/** Where the CLI writes: process.stdout/stderr, or anything with `write` in tests. */
export interface OutputStream {
  write(chunk: string | Uint8Array): unknown;
  /** Set on a terminal; decides whether progress is a countdown or plain lines. */
  isTTY?: boolean;
}

/** OpenSSL's OSSL_CMP_LOG_* levels, as -verbosity takes them. */
export const LogLevel = { ERR: 3, WARN: 4, NOTE: 5, INFO: 6, DEBUG: 7, TRACE: 8 } as const;

export class CliLog {
  constructor(
    readonly stderr: OutputStream,
    readonly verbosity: number,
  ) {}

  enabled(level: number): boolean {
    return this.verbosity >= level;
  }

  warn(message: string): void {
    if (this.enabled(LogLevel.WARN)) this.stderr.write(`CMP warning: ${oneLine(message)}\n`);
  }

  info(message: string): void {
    if (this.enabled(LogLevel.INFO)) this.stderr.write(`CMP info: ${oneLine(message)}\n`);
  }

  debug(message: string): void {
    if (this.enabled(LogLevel.DEBUG)) this.stderr.write(`CMP DEBUG: ${oneLine(message)}\n`);
  }
}

/** One line, whatever the text holds: line breaks become spaces, other control characters are escaped. */
function oneLine(text: string): string {
  return escapeForTerminal(text.replace(/\s*[\r\n]+\s*/g, ' '));
}

/**
 * The one line a failure becomes: `cmpflow: error: <message> (<CODE>)`. Anything that is not a
 * CmpError is a bug in cmpflow; it still gets one line, without its stack.
 */
export function errorLine(thrown: unknown): string {
  // The library names its own options (newKey); the user typed the CLI's (-newkey).
  const e = inCliTerms(thrown);
  const error = e instanceof CmpError ? e : new CmpError(ErrorCodes.ERR_INTERNAL, `internal error: ${e instanceof Error ? e.message : String(e)}`);
  return `cmpflow: error: ${oneLine(error.message)} (${error.code})\n`;
}
