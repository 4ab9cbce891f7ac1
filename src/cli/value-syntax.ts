/**
 * The value syntax OpenSSL's apps accept: numbers as `strtol` reads them (base 0 on the command
 * line, so `0x10` and octal `010` work; base 10 in the config file) and the comma-and/or-space
 * separated lists of apps/lib/apps.c `next_item()` used for file names, SANs and policy OIDs.
 */

/** Why a number was refused, phrased after OpenSSL's messages. */
export class NumberSyntaxError extends Error {}

/** Leading white space and a sign are allowed, trailing characters are not (OpenSSL checks `*endptr`). */
const DECIMAL = /^[ \t\n\v\f\r]*[+-]?[0-9]+$/;
const HEX = /^[ \t\n\v\f\r]*([+-]?)0[xX]([0-9a-fA-F]+)$/;
const OCTAL = /^[ \t\n\v\f\r]*([+-]?)0([0-7]*)$/;

/**
 * Reads a command-line number like OpenSSL's `opt_long()`: `strtol(text, &end, 0)`, the whole text
 * consumed. Results outside the safe integer range are refused rather than rounded.
 */
export function parseCommandLineInteger(text: string): number {
  let value: bigint;
  const hex = HEX.exec(text);
  const octal = OCTAL.exec(text);
  if (hex) {
    value = BigInt(`0x${hex[2]}`) * (hex[1] === '-' ? -1n : 1n);
  } else if (octal) {
    value = (octal[2] === '' ? 0n : BigInt(`0o${octal[2]}`)) * (octal[1] === '-' ? -1n : 1n);
  } else if (DECIMAL.test(text) && !/^[ \t\n\v\f\r]*[+-]?0[0-9]+$/.test(text)) {
    value = BigInt(text.trim());
  } else {
    throw numberError(text);
  }
  return toSafeNumber(value, text);
}

/** Reads a config file number like apps/cmp.c `conf_get_number_e()`: `strtol(text, &end, 10)`. */
export function parseConfigInteger(text: string): number {
  if (!DECIMAL.test(text)) throw new NumberSyntaxError(`cannot parse "${text}" as a decimal number`);
  return toSafeNumber(BigInt(text.trim()), text);
}

/** apps/lib/opt.c opt_number_error(): the kind of number is guessed from how the text begins. */
function numberError(text: string): NumberSyntaxError {
  const kind = /^0[xX]/.test(text) ? 'a hexadecimal' : text.startsWith('0') ? 'an octal' : 'a';
  return new NumberSyntaxError(`cannot parse "${text}" as ${kind} number`);
}

function toSafeNumber(value: bigint, text: string): number {
  if (value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new NumberSyntaxError(`number "${text}" is out of range`);
  }
  return Number(value);
}

const isSpace = (c: string): boolean => c === ' ' || c === '\t' || c === '\n' || c === '\v' || c === '\f' || c === '\r';

/**
 * Splits `text` the way `next_item()` walks it: an item ends at a comma or white space, and white
 * space after the separator is skipped. So `a, b c` is three items, while `a,,b` holds an empty
 * item, which OpenSSL would try to use as a file name; callers reject empty items.
 */
export function splitItems(text: string): string[] {
  const items: string[] = [];
  let i = 0;
  while (i < text.length) {
    let j = i;
    while (j < text.length && text[j] !== ',' && !isSpace(text[j]!)) j++;
    items.push(text.slice(i, j));
    if (j >= text.length) break;
    j++;
    while (j < text.length && isSpace(text[j]!)) j++;
    i = j;
  }
  return items;
}
