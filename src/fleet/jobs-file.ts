/**
 * JOBS.jsonl: one device's job a line, a JSON object whose keys are `openssl cmp` option names
 * without the dash (`{"id":"device-0001","cmd":"ir","subject":"/CN=device-0001",...}`). A bad
 * line is reported with its number and does not stop the others: with thousands of devices, one
 * typo must not hold back the fleet.
 */
import { CmpError, ErrorCodes } from '../errors';
import { assertSecretsAreReferences } from './credentials';
import { FLEET_COMMANDS, type FleetCommand, type FleetJobSpec, type FleetOptionValue } from './queue';

export interface JobsLineError {
  /** 1-based line number in the file. */
  line: number;
  message: string;
}

export interface ParsedJobs {
  specs: FleetJobSpec[];
  errors: JobsLineError[];
}

export interface ParseJobsOptions {
  /** Whether an option name is one the worker understands (the CLI checks its option table); default any. */
  isKnownOption?: (name: string) => boolean;
  /** Options every job gets unless its line gives them itself (the submit command line). */
  common?: Record<string, FleetOptionValue>;
  /** Further checks of a complete job (the CLI parses its values); what it throws becomes the line's error. */
  check?: (spec: FleetJobSpec) => void;
}

/** Job ids become file names and Redis keys: plain characters, bounded length. */
const JOB_ID = /^[A-Za-z0-9][A-Za-z0-9._@:-]{0,127}$/;
const OPTION_NAME = /^[a-z][a-z0-9_]{0,63}$/;
/** A line longer than this is not a device's job; refusing it keeps a corrupt file from filling memory. */
const MAX_LINE = 64 * 1024;

export function isValidJobId(id: string): boolean {
  return JOB_ID.test(id) && !id.includes('..');
}

function optionValue(name: string, value: unknown): FleetOptionValue {
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return value;
  if (Array.isArray(value) && value.every((v) => typeof v === 'string')) return value as string[];
  throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${name}: a value must be a string, a number, true/false or a list of strings`);
}

/** One line's job; throws a CmpError saying what is wrong with it. */
export function parseJobLine(text: string, options: ParseJobsOptions = {}): FleetJobSpec {
  if (text.length > MAX_LINE) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `longer than ${MAX_LINE} characters`);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    // JSON.parse quotes the text around the fault, which may be a secret: only its position is told.
    const at = /position (\d+)/.exec(e instanceof Error ? e.message : '')?.[1];
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `not valid JSON${at !== undefined ? ` (at character ${Number(at) + 1})` : ''}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'not a JSON object');
  const { id, cmd, ...rest } = value as Record<string, unknown>;
  if (typeof id !== 'string' || !isValidJobId(id)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'id: required, 1-128 characters of A-Z a-z 0-9 . _ @ : - starting with a letter or digit');
  }
  if (typeof cmd !== 'string' || !(FLEET_COMMANDS as readonly string[]).includes(cmd)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `cmd: required, one of ${FLEET_COMMANDS.join(', ')}`);
  }
  const own: Record<string, FleetOptionValue> = {};
  for (const [name, v] of Object.entries(rest)) {
    if (!OPTION_NAME.test(name) || (options.isKnownOption && !options.isKnownOption(name))) {
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${name}: not an openssl cmp option`);
    }
    own[name] = optionValue(name, v);
  }
  assertSecretsAreReferences(own, `job ${id}`);
  const spec: FleetJobSpec = { id, cmd: cmd as FleetCommand, options: { ...options.common, ...own } };
  options.check?.(spec);
  return spec;
}

/** Every job of a JOBS.jsonl text; blank lines and lines starting with `#` are skipped. */
export function parseJobs(text: string, options: ParseJobsOptions = {}): ParsedJobs {
  if (options.common) assertSecretsAreReferences(options.common, 'the common options');
  const specs: FleetJobSpec[] = [];
  const errors: JobsLineError[] = [];
  const lineOf = new Map<string, number>();
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = index + 1;
    const trimmed = raw.trim();
    if (trimmed === '' || trimmed.startsWith('#')) return;
    try {
      const spec = parseJobLine(trimmed, options);
      const first = lineOf.get(spec.id);
      if (first !== undefined) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `id ${spec.id} was already given on line ${first}`);
      lineOf.set(spec.id, line);
      specs.push(spec);
    } catch (e) {
      errors.push({ line, message: e instanceof Error ? e.message : String(e) });
    }
  });
  return { specs, errors };
}
