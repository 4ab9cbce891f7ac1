/**
 * Text from elsewhere (a server's statusString and freeText, certificate subjects, error messages
 * that quote them) made safe to print on a terminal: control characters would otherwise move the
 * cursor, rewrite earlier lines, change the window title or worse. They are shown the way
 * OpenSSL's X509_NAME_oneline shows them, `\x1B` for ESC, so that they stay visible; so are the
 * Unicode controls a terminal may act on (C1, line and paragraph separators, bidirectional
 * overrides), as `\u202E`. Everything else printable, non-ASCII letters included, is kept.
 */

const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/gu;

const hex = (code: number, width: number): string => code.toString(16).toUpperCase().padStart(width, '0');

export function escapeForTerminal(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const code = c.codePointAt(0)!;
    return code < 0x100 ? `\\x${hex(code, 2)}` : `\\u${hex(code, 4)}`;
  });
}
