/**
 * Command-line parsing the way OpenSSL's apps/lib/opt.c `opt_next()` does it: `-name` or `--name`,
 * a value either in the next argument (even one starting with `-`, so `-popo -1` works) or after
 * `=` (`-server=host`), flags refusing `=value`, numbers checked by type, and no positional
 * arguments. Deliberate difference: `--config`/`-config=FILE` are honoured, whereas openssl 3.0's
 * early scan for -config/-section only recognises the exact single-dash spelling and so ignores
 * the config file given the other ways.
 */
import { CmpError, ErrorCodes } from '../errors';
import { findOption, OptionSpec } from './option-table';
import { NumberSyntaxError, parseCommandLineInteger } from './value-syntax';

export type OptionValue = string | number | boolean;

export interface ArgOccurrence {
  option: OptionSpec;
  /** true for flags, a number for numeric options, the text otherwise ("" resets the option). */
  value: OptionValue;
  /** As written, e.g. `--server`, for messages. */
  flag: string;
}

export interface ParsedArgs {
  occurrences: ArgOccurrence[];
  /** Set when -help was given; nothing else needs to be valid then. */
  help: boolean;
  /** Set when -version was given; nothing else needs to be valid then either. */
  version: boolean;
  /** Advisory notes such as OpenSSL's "option argument starts with hyphen". */
  warnings: string[];
}

const HINT = 'use -help for a summary';
/** `-inspect html:FILE` writes the offline flow viewer's page to FILE. */
export const INSPECT_HTML_PREFIX = 'html:';

function invalid(message: string): CmpError {
  return new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${message}; ${HINT}`);
}

/** Parses `argv` (without the program name). Throws CmpError ERR_INVALID_OPTION on any syntax error. */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const occurrences: ArgOccurrence[] = [];
  const warnings: string[] = [];
  let help = false;
  let version = false;
  let i = 0;
  while (i < argv.length) {
    const arg = argv[i]!;
    if (arg === '--') {
      i++;
      break;
    }
    if (!arg.startsWith('-')) break;
    i++;
    const body = arg.startsWith('--') ? arg.slice(2) : arg.slice(1);
    const eq = body.indexOf('=');
    const name = eq === -1 ? body : body.slice(0, eq);
    const inlineValue = eq === -1 ? undefined : body.slice(eq + 1);
    const option = findOption(name);
    if (option === undefined) throw invalid(`unknown option -${name}`);

    if (option.type === '-') {
      if (inlineValue !== undefined) throw invalid(`option -${name} does not take a value`);
      if (option.name === 'help') help = true;
      if (option.name === 'version') version = true;
      // -inspect html:FILE: the one flag with an optional value, told apart by its prefix.
      const target = option.name === 'inspect' && inlineValue === undefined ? argv[i] : undefined;
      if (target !== undefined && target.startsWith(INSPECT_HTML_PREFIX)) {
        i++;
        occurrences.push({ option, value: target, flag: `-${name}` });
        continue;
      }
      occurrences.push({ option, value: true, flag: `-${name}` });
      continue;
    }

    let text: string;
    if (inlineValue !== undefined) {
      text = inlineValue;
    } else {
      if (i >= argv.length) throw invalid(`option -${name} needs a value`);
      text = argv[i++]!;
    }
    occurrences.push({ option, value: readValue(option, text), flag: `-${name}` });
    if (option.meaning !== 'passphrase' && isStringType(option) && text.startsWith('-')) {
      warnings.push(`-${name} option argument starts with hyphen`);
    }
  }
  if (i < argv.length) {
    throw invalid(`unexpected argument '${argv[i]}' (cmpflow takes options only)`);
  }
  return { occurrences, help, version, warnings };
}

function isStringType(option: OptionSpec): boolean {
  return option.type === 's' || option.type === '>';
}

function readValue(option: OptionSpec, text: string): OptionValue {
  if (isStringType(option)) return text;
  let n: number;
  try {
    n = parseCommandLineInteger(text);
  } catch (e) {
    if (e instanceof NumberSyntaxError) throw invalid(`option -${option.name}: ${e.message}`);
    throw e;
  }
  checkNumber(option, n, `-${option.name}`, invalid);
  return n;
}

/**
 * The checks of OpenSSL's value types ('p' positive, 'N' non-negative, 'n' 32-bit) and the range
 * the table declares; shared with the config file reader, which reports through `fail`.
 */
export function checkNumber(option: OptionSpec, n: number, label: string, fail: (message: string) => CmpError): void {
  if (option.type === 'p' && n <= 0) throw fail(`non-positive number ${n} for option ${label}`);
  if (option.type === 'N' && n < 0) throw fail(`negative number ${n} for option ${label}`);
  if (option.type !== 'M' && (n > 0x7fffffff || n < -0x80000000)) {
    throw fail(`number ${n} for option ${label} is outside the integer range`);
  }
  if ((option.min !== undefined && n < option.min) || (option.max !== undefined && n > option.max)) {
    throw fail(`option ${label} must be in the range ${option.min ?? 0}..${option.max}, not ${n}`);
  }
}
