/**
 * `cmpflow fleet submit|work|status|renew|cancel`: the fleet (docs/fleet.md) on the command line. Jobs
 * carry `openssl cmp` options (JOBS.jsonl keys are option names without the dash); a worker turns
 * each job into the command line it stands for and runs it with the same parser and defaults as
 * `cmpflow -cmd ...`, so a job means what the equivalent single command means.
 *
 * Secrets never go into the queue: on the fleet command line and in JOBS.jsonl they must be
 * `env:NAME` or `file:PATH` references, which each worker resolves from its own environment.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { CmpError, ErrorCodes } from '../errors';
import type { FleetJobHandler, FleetJobRecord, FleetJobSpec, FleetOptionValue, FleetQueue, PreparedJob } from '../fleet';
import { parseArgs } from './args';
import { buildClientOptions } from './client-options';
import { CliLog, errorLine, LogLevel, type OutputStream } from './log';
import { findOption } from './option-table';
import type { ClientEnvironment } from './client-options';

export interface FleetIo extends ClientEnvironment {
  stdout: OutputStream;
  stderr: OutputStream;
  /** What stops `fleet work` (SIGINT/SIGTERM in a process); it finishes the steps under way first. */
  stopSignal?: () => AbortSignal;
}

const SUBCOMMANDS = ['submit', 'work', 'status', 'renew', 'cancel'] as const;
type Subcommand = (typeof SUBCOMMANDS)[number];

/** `openssl cmp` options that make no sense for a queued job: server mode, sessions, the flow viewer, -cmd (a job has its own). */
const NOT_FOR_JOBS = new Set([
  'cmd',
  'config',
  'section',
  'help',
  'version',
  'port',
  'use_mock_srv',
  'max_msgs',
  'session',
  'resume',
  'nowait',
  'repeat',
  'inspect',
  'batch',
]);

interface FleetArgs {
  sub: Subcommand;
  queue?: string;
  concurrency?: number;
  untilIdle: boolean;
  json: boolean;
  withinDays?: number;
  deployHook?: string;
  id?: string;
  device?: string;
  allWaiting: boolean;
  positional: string[];
  /** The `openssl cmp` options given, by name without the dash. */
  cmpOptions: Record<string, FleetOptionValue>;
}

function invalid(message: string): CmpError {
  return new CmpError(ErrorCodes.ERR_INVALID_OPTION, message);
}

const FLEET_OPTIONS: Record<string, 'value' | 'flag'> = {
  queue: 'value',
  concurrency: 'value',
  'until-idle': 'flag',
  json: 'flag',
  within: 'value',
  'deploy-hook': 'value',
  id: 'value',
  device: 'value',
  'all-waiting': 'flag',
};

function positiveInteger(text: string, option: string): number {
  if (!/^[1-9][0-9]{0,5}$/.test(text)) throw invalid(`--${option}: ${JSON.stringify(text)} is not a positive whole number`);
  return Number(text);
}

export function parseFleetArgs(argv: readonly string[]): FleetArgs {
  const sub = argv[0];
  if (!sub || !(SUBCOMMANDS as readonly string[]).includes(sub))
    throw invalid(`fleet: give one of ${SUBCOMMANDS.join(', ')} (cmpflow -help shows them)`);
  const out: FleetArgs = { sub: sub as Subcommand, untilIdle: false, json: false, allWaiting: false, positional: [], cmpOptions: {} };
  const rest: string[] = [];
  for (let i = 1; i < argv.length; i++) {
    const arg = argv[i]!;
    const m = /^--?([a-z][a-z-]*)(?:=(.*))?$/s.exec(arg);
    const kind = m ? FLEET_OPTIONS[m[1]!] : undefined;
    if (!m || !kind) {
      if (!arg.startsWith('-')) out.positional.push(arg);
      else {
        // An openssl cmp option, with its value when it takes one.
        rest.push(arg);
        const option = findOption(arg.replace(/^--?/, '').replace(/=.*$/s, ''));
        if (option && option.type !== '-' && !arg.includes('=') && i + 1 < argv.length) rest.push(argv[++i]!);
      }
      continue;
    }
    const name = m[1]!;
    let value = m[2];
    if (kind === 'value' && value === undefined) {
      if (i + 1 >= argv.length) throw invalid(`--${name} needs a value`);
      value = argv[++i]!;
    }
    if (kind === 'flag' && value !== undefined) throw invalid(`--${name} does not take a value`);
    if (name === 'queue') out.queue = value!;
    else if (name === 'concurrency') out.concurrency = positiveInteger(value!, name);
    else if (name === 'until-idle') out.untilIdle = true;
    else if (name === 'json') out.json = true;
    else if (name === 'within') out.withinDays = positiveInteger(value!, name);
    else if (name === 'deploy-hook') out.deployHook = value!;
    else if (name === 'id') out.id = value!;
    else if (name === 'device') out.device = value!;
    else if (name === 'all-waiting') out.allWaiting = true;
  }
  for (const o of parseArgs(rest).occurrences) {
    if (NOT_FOR_JOBS.has(o.option.name)) throw invalid(`fleet: -${o.option.name} is not for fleet jobs`);
    const previous = out.cmpOptions[o.option.name];
    out.cmpOptions[o.option.name] =
      o.option.repeatable && previous !== undefined ? [...(Array.isArray(previous) ? previous : [String(previous)]), String(o.value)] : o.value;
  }
  return out;
}

/** Paths in a job are made absolute where the job is submitted, so that workers may run from anywhere. */
function absolutePaths(options: Record<string, FleetOptionValue>, cwd: string): Record<string, FleetOptionValue> {
  const out: Record<string, FleetOptionValue> = {};
  const abs = (p: string) => (p === '' || /^[a-z0-9]+:/i.test(p) ? p : path.resolve(cwd, p));
  for (const [name, value] of Object.entries(options)) {
    const spec = findOption(name);
    if (typeof value === 'string' && spec && (spec.meaning === 'path' || spec.type === '>')) out[name] = abs(value);
    else if (typeof value === 'string' && spec?.meaning === 'paths')
      out[name] = value
        .split(/[,\s]+/)
        .filter(Boolean)
        .map(abs)
        .join(',');
    else out[name] = value;
  }
  return out;
}

/** The `openssl cmp` command line a job stands for. */
export function jobArguments(cmd: string, options: Record<string, FleetOptionValue>): string[] {
  const argv = ['-config', '', '-cmd', cmd];
  for (const [name, value] of Object.entries(options)) {
    for (const v of Array.isArray(value) ? value : [value]) {
      if (v === false) continue;
      argv.push(`-${name}`);
      if (v !== true) argv.push(String(v));
    }
  }
  return argv;
}

const isKnownOption = (name: string) => findOption(name) !== undefined && !NOT_FOR_JOBS.has(name);

/** Checks a job's values against the option table now, so that a typo is reported with its line. */
function checkJob(spec: FleetJobSpec): void {
  parseArgs(jobArguments(spec.cmd, spec.options));
}

async function openQueue(q: string | undefined, create: boolean, io: FleetIo): Promise<FleetQueue> {
  if (q === undefined || q === '')
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'fleet: --queue DIR or --queue redis://HOST:PORT[/DB] is required');
  const { isRedisQueue, openFleetQueue } = await import('../fleet/open-queue');
  return openFleetQueue(isRedisQueue(q) ? q : path.resolve(io.cwd, q), { create });
}

async function submit(args: FleetArgs, io: FleetIo): Promise<number> {
  const file = args.positional[0];
  if (args.positional.length !== 1 || file === undefined) throw invalid('fleet submit: give one JOBS.jsonl file');
  const { assertSecretsAreReferences, parseJobs } = await import('../fleet');
  assertSecretsAreReferences(args.cmpOptions, 'the fleet command line');
  const jobsFile = path.resolve(io.cwd, file);
  let text: string;
  try {
    text = await fs.readFile(jobsFile, 'utf8');
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_FILE, `fleet submit: cannot read ${jobsFile} (${(e as NodeJS.ErrnoException).code ?? 'read error'})`, {
      cause: e,
    });
  }
  const parsed = parseJobs(text, { isKnownOption, common: args.cmpOptions, check: checkJob });
  for (const error of parsed.errors) io.stderr.write(`cmpflow: ${file}:${error.line}: ${error.message}\n`);
  const queue = await openQueue(args.queue, true, io);
  try {
    const specs = parsed.specs.map((s) => ({ ...s, options: absolutePaths(s.options, io.cwd) }));
    const report = await queue.submit(specs);
    io.stdout.write(
      `submitted ${report.submitted} job(s)` +
        (report.duplicates.length > 0
          ? `, ${report.duplicates.length} already queued (${report.duplicates.slice(0, 5).join(', ')}${report.duplicates.length > 5 ? ', ...' : ''})`
          : '') +
        (parsed.errors.length > 0 ? `, ${parsed.errors.length} line(s) refused` : '') +
        '\n',
    );
  } finally {
    await queue.close();
  }
  return parsed.errors.length > 0 ? 1 : 0;
}

/** How a worker turns a job into client options: the job's command line, with the worker's own options over it. */
function preparer(workerOptions: Record<string, FleetOptionValue>, io: FleetIo): (spec: FleetJobSpec) => Promise<PreparedJob> {
  return async (spec) => {
    const { parseCommandLine } = await import('./options');
    const parsed = parseCommandLine(jobArguments(spec.cmd, { ...spec.options, ...workerOptions }), { env: io.env, cwd: io.cwd });
    if (parsed.kind !== 'run' || parsed.mode !== 'client') throw invalid(`job ${spec.id}: not a client command`);
    const client = await buildClientOptions(parsed, io);
    const cli = parsed.cli;
    const outputs = {
      ...(cli.certOut !== undefined ? { certOut: path.resolve(io.cwd, cli.certOut) } : {}),
      ...(cli.chainOut !== undefined ? { chainOut: path.resolve(io.cwd, cli.chainOut) } : {}),
      ...(cli.caCertsOut !== undefined ? { caCertsOut: path.resolve(io.cwd, cli.caCertsOut) } : {}),
      ...(cli.extraCertsOut !== undefined ? { extraCertsOut: path.resolve(io.cwd, cli.extraCertsOut) } : {}),
    };
    return { client, outputs, ...(cli.infoType ? { itavs: [{ infoType: cli.infoType.oid }] } : {}) };
  };
}

/** What became of each step, on stderr: operators follow a worker without opening the queue. */
function logged(handler: FleetJobHandler, log: CliLog): FleetJobHandler {
  return async (job, signal) => {
    const outcome = await handler(job, signal);
    const id = job.record.spec.id;
    if (outcome.kind === 'done') log.info(`fleet: ${id}: done${outcome.result.serialNumber ? `, serial ${outcome.result.serialNumber}` : ''}`);
    else if (outcome.kind === 'wait') log.info(`fleet: ${id}: waiting, next poll at ${new Date(outcome.dueAt).toISOString()}`);
    else if (outcome.kind === 'retry') log.warn(`fleet: ${id}: ${outcome.error.message} (${outcome.error.code}); to be tried again`);
    else log.warn(`fleet: ${id}: failed: ${outcome.error.message} (${outcome.error.code})`);
    return outcome;
  };
}

async function work(args: FleetArgs, io: FleetIo): Promise<number> {
  const { assertSecretsAreReferences, createJobHandler } = await import('../fleet');
  assertSecretsAreReferences(args.cmpOptions, 'the fleet command line');
  const queue = await openQueue(args.queue, false, io);
  const stop = io.stopSignal?.();
  const verbosity = args.cmpOptions.verbosity;
  const log = new CliLog(io.stderr, typeof verbosity === 'number' ? verbosity : LogLevel.INFO);
  try {
    const { runDeployHook } = await import('../fleet/renew');
    const hook = args.deployHook;
    const handler = createJobHandler({
      prepare: preparer(args.cmpOptions, io),
      ...(hook !== undefined ? { onCertificate: (event) => runDeployHook(hook, event, { env: io.env, cwd: io.cwd }) } : {}),
    });
    await queue.work(logged(handler, log), { concurrency: args.concurrency ?? 1, untilIdle: args.untilIdle, ...(stop ? { signal: stop } : {}) });
    const counts = await queue.counts();
    log.info(`fleet: ${counts.done} done, ${counts.failed} failed, ${counts.pending + counts.waiting + counts.active} to go, of ${counts.total}`);
    return 0;
  } finally {
    await queue.close();
  }
}

function failureLine(r: FleetJobRecord): string {
  return `failed ${r.spec.id}: ${r.error?.message ?? 'no reason recorded'} (${r.error?.code ?? 'ERR_INTERNAL'})\n`;
}

async function status(args: FleetArgs, io: FleetIo): Promise<number> {
  const queue = await openQueue(args.queue, false, io);
  try {
    const counts = await queue.counts();
    if (args.json) {
      io.stdout.write(`${JSON.stringify(counts)}\n`);
      return 0;
    }
    for (const [state, n] of Object.entries(counts)) io.stdout.write(`${state.padEnd(10)} ${n}\n`);
    if (counts.failed > 0) for (const r of await queue.list('failed')) io.stdout.write(failureLine(r));
    return 0;
  } finally {
    await queue.close();
  }
}

async function renew(args: FleetArgs, io: FleetIo): Promise<number> {
  if (args.withinDays === undefined) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'fleet renew: --within DAYS is required');
  const queue = await openQueue(args.queue, false, io);
  let requeued: string[];
  try {
    const { renewExpiring } = await import('../fleet/renew');
    requeued = await renewExpiring(queue, { withinDays: args.withinDays, ...(args.id !== undefined ? { id: args.id } : {}) });
  } finally {
    await queue.close();
  }
  io.stdout.write(
    `renewing ${requeued.length} certificate(s)${requeued.length > 0 ? `: ${requeued.slice(0, 10).join(', ')}${requeued.length > 10 ? ', ...' : ''}` : ''}\n`,
  );
  if (requeued.length === 0) return 0;
  await work({ ...args, untilIdle: true }, io);
  const check = await openQueue(args.queue, false, io);
  try {
    const failed = (await Promise.all(requeued.map((id) => check.get(id)))).filter((r): r is FleetJobRecord => r?.state === 'failed');
    for (const r of failed) io.stderr.write(`cmpflow: ${failureLine(r)}`);
    return failed.length > 0 ? 1 : 0;
  } finally {
    await check.close();
  }
}

/**
 * Cancelling is the queue's (FleetQueue.cancel): a job not held by a worker ends `cancelled` at
 * once; one a worker holds ends `cancelled` when that worker lets go of it, unless its step got
 * the certificate (done wins). The CA is not told: a transaction it
 * has open for the job (a waiting one) is left to its own expiry, as when a device goes away.
 */
async function cancel(args: FleetArgs, io: FleetIo): Promise<number> {
  if (args.device !== undefined && args.allWaiting) throw invalid('fleet cancel: give --device ID or --all-waiting, not both');
  if (args.device === undefined && !args.allWaiting)
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'fleet cancel: --device ID or --all-waiting is required');
  if (args.positional.length > 0) throw invalid(`fleet cancel: unexpected ${JSON.stringify(args.positional[0])}`);
  const queue = await openQueue(args.queue, false, io);
  try {
    if (args.device !== undefined) {
      const id = args.device;
      const before = await queue.get(id);
      if (!before) throw new CmpError(ErrorCodes.ERR_QUEUE, `fleet cancel: no job ${id} in the queue`);
      if (!(await queue.cancel(id))) {
        const now = (await queue.get(id))?.state ?? before.state;
        throw new CmpError(
          ErrorCodes.ERR_QUEUE,
          `fleet cancel: job ${id} has already ended (${now}); only pending, active or waiting jobs can be cancelled`,
        );
      }
      const after = (await queue.get(id))?.state;
      io.stdout.write(
        before.state !== 'active' && after === 'cancelled'
          ? `cancelled ${id} (was ${before.state})\n`
          : `cancelling ${id}: a worker holds it; it ends cancelled when the worker lets go, unless that step gets the certificate\n`,
      );
      return 0;
    }
    const waiting = await queue.list('waiting');
    const cancelled: string[] = [];
    for (const r of waiting) if (await queue.cancel(r.spec.id)) cancelled.push(r.spec.id);
    io.stdout.write(
      `cancelled ${cancelled.length} waiting job(s)${cancelled.length > 0 ? `: ${cancelled.slice(0, 10).join(', ')}${cancelled.length > 10 ? ', ...' : ''}` : ''}\n`,
    );
    return 0;
  } finally {
    await queue.close();
  }
}

const FLEET_USAGE = `Usage: cmpflow fleet submit JOBS.jsonl --queue Q [openssl cmp options common to all jobs]
       cmpflow fleet work --queue Q [--concurrency N] [--until-idle] [--deploy-hook CMD] [openssl cmp options]
       cmpflow fleet status --queue Q [--json]
       cmpflow fleet renew --queue Q --within DAYS [--id ID] [--deploy-hook CMD] [openssl cmp options]
       cmpflow fleet cancel --queue Q (--device ID | --all-waiting)
Q is a directory (the embedded default) or redis://HOST:PORT[/DB]. Secrets only as env:NAME or file:PATH.
`;

export async function fleetCommand(argv: readonly string[], io: FleetIo): Promise<number> {
  if (argv.length === 0 || argv.some((a) => a === '-help' || a === '--help')) {
    io.stdout.write(FLEET_USAGE);
    return argv.length === 0 ? 1 : 0;
  }
  try {
    const args = parseFleetArgs(argv);
    switch (args.sub) {
      case 'submit':
        return await submit(args, io);
      case 'work':
        return await work(args, io);
      case 'status':
        return await status(args, io);
      case 'renew':
        return await renew(args, io);
      case 'cancel':
        return await cancel(args, io);
    }
  } catch (e) {
    io.stderr.write(errorLine(e));
    return 1;
  }
}
