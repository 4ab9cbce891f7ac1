/**
 * The `cmpflow` command: `openssl cmp`'s options and behaviour, plus `cmpflow dump FILE` and
 * resumable sessions. main() never throws and never prints a stack trace: a failure becomes one
 * `cmpflow: error: <message> (<CODE>)` line on stderr.
 *
 * Exit statuses (docs/cli.md lists them): 0 success (also -help and -version), 1 failure (and no
 * arguments at all, which prints the help as openssl does), 3 (EXIT_WAITING) when -nowait left the
 * transaction waiting in its session file, 130 (EXIT_INTERRUPTED) when Ctrl-C stopped a client
 * command.
 */
import type { Readable } from 'stream';
import { parseArgs } from './args';
import { hideSecretArguments } from './argv-secrets';
import { EXIT_INTERRUPTED } from './exit-status';
import { fdOutput } from './fd-output';
import { InterruptNotice } from './interrupt';
import { CliLog, errorLine, type OutputStream } from './log';
import { usage } from './usage';

export { EXIT_INTERRUPTED, EXIT_WAITING } from './exit-status';

export interface CliIo {
  stdout: OutputStream;
  stderr: OutputStream;
  /** For `stdin` pass phrase sources and `dump -`. */
  stdin?: Readable;
  env: Record<string, string | undefined>;
  cwd: string;
  /**
   * What stops server mode. Called only by server mode, so that a process starts listening for
   * SIGINT/SIGTERM then and a client run keeps the default reaction to them.
   */
  stopSignal?: () => AbortSignal;
  /** Announced in server mode; default process.pid. */
  pid?: number;
  /** Clock for polling and progress (tests). */
  now?: () => number;
  /**
   * Called by client mode with what to print if Ctrl-C (SIGINT) interrupts it; the process then
   * prints it and exits with EXIT_INTERRUPTED. Server mode stops cleanly on SIGINT instead.
   */
  onInterrupt?: (notice: () => string) => void;
}

const DUMP = new Set(['dump', '-dump', '--dump']);

export async function main(argv: readonly string[], io: CliIo): Promise<number> {
  try {
    if (argv.length === 0) {
      io.stdout.write(usage());
      return 1;
    }
    // Each mode's modules load only when that mode runs: the client pulls in the transport and
    // the message codecs, server mode the embedded CA, dump the ASN.1 printer, and the option
    // checks the algorithm and extension tables; -help needs none of them.
    if (DUMP.has(argv[0]!)) return await (await import('./dump-command')).dumpCommand(argv.slice(1), io);
    if (argv[0] === 'fleet') return await (await import('./fleet-command')).fleetCommand(argv.slice(1), io);
    const args = parseArgs(argv);
    if (args.help) {
      io.stdout.write(usage());
      return 0;
    }
    if (args.version) {
      io.stdout.write((await import('./version')).versionText());
      return 0;
    }
    // -resume FILE: the options the session recorded come first, so the command line overrides them.
    const resumed = args.occurrences.filter((o) => o.option.name === 'resume').pop()?.value;
    const recorded = typeof resumed === 'string' ? await (await import('./session-file')).recordedArgumentsOf(resumed, io.cwd) : [];
    const parsed = (await import('./options')).parseCommandLine([...recorded, ...argv], { env: io.env, cwd: io.cwd });
    if (parsed.kind === 'help') {
      io.stdout.write(usage());
      return 0;
    }
    const log = new CliLog(io.stderr, parsed.cli.verbosity);
    if (parsed.cli.configFile !== undefined) {
      log.info(`using section(s) '${parsed.cli.sections.join(',')}' of OpenSSL configuration file '${parsed.cli.configFile}'`);
    }
    for (const warning of parsed.warnings) log.warn(warning);
    if (parsed.mode === 'server') return await (await import('./server-command')).runServer(parsed, io, log);
    const certFormGiven = args.occurrences.some((o) => o.option.name === 'certform');
    const interrupt = new InterruptNotice();
    io.onInterrupt?.(() => interrupt.message());
    return await (await import('./run-client')).runClient(parsed, io, log, { certFormGiven, interrupt, ...(io.now ? { now: io.now } : {}) });
  } catch (e) {
    io.stderr.write(errorLine(e));
    return 1;
  }
}

/** Runs main() as the `cmpflow` process: its arguments, streams and environment, its exit status. */
export function runAsProcess(): void {
  const stdout = fdOutput(1, () => process.stdout);
  const stderr = fdOutput(2, () => process.stderr);
  const stop = new AbortController();
  const onSignal = () => stop.abort();
  const stopSignal = () => {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
    return stop.signal;
  };
  let onInterruptSignal: (() => void) | undefined;
  const onInterrupt = (notice: () => string) => {
    onInterruptSignal = () => {
      // A progress line being rewritten on a terminal would otherwise run into the notice.
      stderr.write(`${stderr.isTTY ? '\r\x1b[K' : ''}${notice()}`);
      process.exit(EXIT_INTERRUPTED);
    };
    process.once('SIGINT', onInterruptSignal);
  };
  const exposed = hideSecretArguments();
  if (exposed !== undefined) stderr.write(`CMP warning: ${exposed}\n`);
  main(process.argv.slice(2), {
    stdout,
    stderr,
    // Opened only if read (a stdin pass phrase, `dump -`): creating the stream costs a few ms of start-up.
    get stdin() {
      return process.stdin;
    },
    env: process.env,
    cwd: process.cwd(),
    stopSignal,
    onInterrupt,
  })
    .then((status) => {
      process.exitCode = status;
    })
    .catch((e: unknown) => {
      stderr.write(errorLine(e));
      process.exitCode = 1;
    })
    .finally(() => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
      if (onInterruptSignal) process.off('SIGINT', onInterruptSignal);
    });
}
