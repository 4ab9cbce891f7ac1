/**
 * How `openssl cmp` 3.0 takes option values from its config file (apps/cmp.c `read_config()` and
 * `conf_get_string()`), reproduced and pinned against the real binary in test/cli:
 *
 * - `-section` names sections separated by commas and/or white space ("" means `default`,
 *   the default is `cmp`). Sections named later take precedence: they are searched from the last
 *   to the first, and each search falls back to `[default]` before the next section is tried.
 *   So with `-section a,b` a value in `[default]` hides one in `[a]`, but not one in `[b]`.
 * - Every named section must exist, except when the list is exactly `cmp`. A section whose name
 *   contains a space (`[my sect]` is valid NCONF) therefore cannot be selected.
 * - The first section that yields the name decides. An empty string value resets the option;
 *   for a flag or number an empty value leaves the default.
 * - Flags and numbers are read as decimal numbers (a flag is set by any non-zero number).
 *   Difference: OpenSSL silently ignores a value that is not a number (`batch = yes` does
 *   nothing, and even hides a `batch = 1` of an earlier section); cmpflow rejects it.
 * - -help, -config and -section cannot be set in the file.
 */
import * as fs from 'fs';
import * as nodePath from 'path';
import { CmpError, ErrorCodes } from '../errors';
import { checkNumber } from './args';
import { Environment, loadConfig, OpenSslConfig } from './config';
import { OPTIONS, OptionSpec } from './option-table';
import { NumberSyntaxError, parseConfigInteger } from './value-syntax';

/** apps/cmp.c SECTION_NAME_MAX: longer names are cut, with a warning. */
const SECTION_NAME_MAX = 40;
const CMP_SECTION = 'cmp';

export interface ConfigOptionValue {
  /** null resets the option (an empty string value). */
  value: string | number | boolean | null;
  /** The section the value was found in (`default` when it came from the fallback). */
  section: string;
}

export interface CmpConfig {
  config: OpenSslConfig | undefined;
  /** The section names as given, in order; later ones take precedence. */
  sections: string[];
  warnings: string[];
}

/** Splits a -section argument into names, as `prev_item()` does. */
export function parseSectionList(text: string, warnings: string[] = []): string[] {
  const list = text === '' ? 'default' : text;
  return list
    .split(/[,\s]+/)
    .filter((n) => n !== '')
    .map((n) => {
      if (n.length <= SECTION_NAME_MAX) return n;
      warnings.push(`using only the first ${SECTION_NAME_MAX} characters of section name "${n.slice(0, SECTION_NAME_MAX)}"`);
      return n.slice(0, SECTION_NAME_MAX);
    });
}

export interface OpenCmpConfigOptions {
  /** The -config argument; undefined when not given, "" for no config file. */
  configPath?: string;
  /** The -section argument; undefined when not given. */
  section?: string;
  env?: Environment;
  cwd?: string;
}

/**
 * Loads the config file named by -config (or, when -config is absent, by OPENSSL_CONF if that
 * file exists) and checks the -section names. cmpflow has no compiled-in OPENSSLDIR, so without
 * either there is no config file.
 */
export function openCmpConfig(options: OpenCmpConfigOptions): CmpConfig {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const warnings: string[] = [];
  const sectionArg = options.section ?? CMP_SECTION;
  const sections = parseSectionList(sectionArg, warnings);
  let path = options.configPath;
  if (path === undefined) {
    const fromEnv = env.OPENSSL_CONF;
    if (fromEnv !== undefined && fromEnv !== '' && fs.existsSync(nodePath.resolve(cwd, fromEnv))) path = fromEnv;
  }
  if (path === undefined || path === '') return { config: undefined, sections, warnings };

  const config = loadConfig(path, { env, cwd });
  if (sectionArg === CMP_SECTION) {
    if (!config.hasSection(CMP_SECTION)) {
      warnings.push(`no [${CMP_SECTION}] section found in config file '${path}'; using just [default]`);
    }
  } else {
    for (const name of sections) {
      if (!config.hasSection(name)) {
        throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `no [${name}] section found in config file '${path}' (-section)`);
      }
    }
  }
  return { config, sections, warnings };
}

/** The value `name` gets from the config file: searched from the last named section to the first. */
export function lookupOption(config: OpenSslConfig, sections: readonly string[], name: string): { text: string; section: string } | undefined {
  for (let i = sections.length - 1; i >= 0; i--) {
    const section = sections[i]!;
    const text = config.get(section, name);
    if (text !== undefined) {
      return { text, section: config.getOwn(section, name) !== undefined ? section : 'default' };
    }
  }
  return undefined;
}

/** Every option the config file sets, typed like the command line would type it. */
export function readConfigOptions(
  config: OpenSslConfig,
  sections: readonly string[],
  options: readonly OptionSpec[] = OPTIONS,
): Map<string, ConfigOptionValue> {
  const values = new Map<string, ConfigOptionValue>();
  for (const option of options) {
    if (!option.inConfig) continue;
    const found = lookupOption(config, sections, option.name);
    if (found === undefined) continue;
    const { text, section } = found;
    const label = `${option.name} in config file section [${section}]`;
    const fail = (message: string): CmpError => new CmpError(ErrorCodes.ERR_INVALID_OPTION, message);

    if (option.type === 's' || option.type === '>') {
      values.set(option.name, { value: text === '' ? null : text, section });
      continue;
    }
    if (text === '') continue;
    let n: number;
    try {
      n = parseConfigInteger(text);
    } catch (e) {
      if (!(e instanceof NumberSyntaxError)) throw e;
      const what = option.type === '-' ? 'a flag takes 0 or 1' : 'a decimal number is expected';
      // Pass phrase options are never numeric, so echoing the text here reveals no secret.
      throw fail(`option ${label}: ${e.message}; ${what}`);
    }
    if (option.type === '-') {
      values.set(option.name, { value: n !== 0, section });
    } else {
      checkNumber(option, n, label, fail);
      values.set(option.name, { value: n, section });
    }
  }
  return values;
}
