/**
 * Secrets given on the command line (`-secret pass:...`, `-keypass pass:...`) are readable by
 * every local user in `ps` and /proc/PID/cmdline for as long as the process runs. `openssl cmp`
 * overwrites such an argument in place once it has read it. Node gives no access to its argv
 * memory, but on Linux setting process.title makes libuv write the new title over the whole
 * original argument area and fill the rest with NUL bytes, which clears /proc/PID/cmdline; we
 * set a title that is the command line with the secret values removed, as OpenSSL's cleansed
 * arguments leave it. Where the result cannot be confirmed (no /proc, or the secret still
 * there), a warning says so once and points to env: and file:. Either way the secret was visible
 * from the start of the process until this ran.
 */
import { readFileSync } from 'node:fs';
import { OPTIONS } from './option-table';

/** Pass phrase sources that name where the secret is, rather than being it. */
const REFERENCES = /^(env:|file:|fd:|stdin$)/;

function passphraseOptions(): Set<string> {
  return new Set(OPTIONS.filter((o) => o.meaning === 'passphrase').map((o) => o.name));
}

/** Indexes (into `argv`) of pass phrase values given literally, e.g. the `pass:x` of `-secret pass:x`. */
export function literalSecretIndexes(argv: readonly string[]): number[] {
  const names = passphraseOptions();
  const found: number[] = [];
  for (let i = 0; i < argv.length - 1; i++) {
    const name = /^--?([A-Za-z0-9_]+)$/.exec(argv[i]!)?.[1];
    if (name !== undefined && names.has(name) && !REFERENCES.test(argv[i + 1]!)) {
      found.push(i + 1);
      i++;
    }
  }
  return found;
}

export interface ProcessArgs {
  /** process.argv: the node binary, the script, then the arguments. */
  argv: readonly string[];
  /** Sets the process title (process.title's setter). */
  setTitle(title: string): void;
  /** What the process list shows, NUL-separated; undefined where it cannot be read. */
  readCmdline(): string | undefined;
}

export const thisProcess: ProcessArgs = {
  argv: process.argv,
  setTitle: (title) => {
    process.title = title;
  },
  readCmdline: () => {
    try {
      return readFileSync('/proc/self/cmdline', 'latin1');
    } catch {
      return undefined;
    }
  },
};

/**
 * Removes literal secrets among the arguments (argv from index 2 on) from the process list.
 * Returns the warning to print when that could not be confirmed, undefined when there was
 * nothing to hide or it is hidden.
 */
export function hideSecretArguments(proc: ProcessArgs = thisProcess): string | undefined {
  const args = proc.argv.slice(2);
  const secretIndexes = literalSecretIndexes(args);
  if (secretIndexes.length === 0) return undefined;
  const hidden = new Set(secretIndexes);
  const shown = [...proc.argv.slice(0, 2), ...args.map((a, i) => (hidden.has(i) ? '' : a))];
  try {
    proc.setTitle(shown.join(' '));
  } catch {
    // Judged below by what the process list shows.
  }
  const cmdline = proc.readCmdline();
  const secrets = secretIndexes.map((i) => args[i]!).filter((s) => s !== '');
  const stillShown = cmdline === undefined || secrets.some((s) => cmdline.includes(Buffer.from(s, 'utf8').toString('latin1')));
  if (!stillShown) return undefined;
  const options = [...new Set(secretIndexes.map((i) => args[i - 1]!))].join(', ');
  return `a secret given on the command line (${options}) may stay readable in the process list on this system; use env:VARIABLE or file:PATH instead of pass:`;
}
