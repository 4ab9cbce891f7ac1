/**
 * Client mode: runs -cmd ir|cr|kur|p10cr|rr|genm (or -resume) through CmpClient with the parsed
 * options, -repeat times, and saves or prints what came back as `openssl cmp` does. Returns the
 * exit status; failures are thrown as CmpError for main() to report.
 */
import { writeFileSync } from 'fs';
import { writeFile } from 'fs/promises';
import * as path from 'path';
import { CmpClient } from '../client';
import { CmpError, ErrorCodes } from '../errors';
import { isCertRequestKind } from '../protocol';
import { createHttpTransfer, parseServerAddress, type HttpTransfer, type HttpTransferOptions, type Transfer } from '../transport';
import type { CmpClientOptions, SessionStep } from '../options';
import { createFlowRecorder, type FlowRecorder } from '../session';
import type { InspectionEvent } from 'xstate';
import { buildClientOptions, type ClientEnvironment } from './client-options';
import { openInspector, type CliInspector } from './inspector';
import type { InterruptNotice } from './interrupt';
import { LogLevel, type CliLog, type OutputStream } from './log';
import type { RunCommandLine } from './options';
import { reportGeneral, reportRevocation } from './exchange-report';
import { GENM_SETTING_KEYS, runGenmCommand, type GenmSettings } from './genm-infotypes';
import { saveServerCertificate } from './root-ca-update';
import { saveReceived, type CertificateOutputs } from './outputs';
import { PollProgress } from './progress';
import { createProtocolLog } from './protocol-log';
import { sanitizeForInspection } from '../session/inspect';
import type { MockServer } from './server-command';
import type { GenmCommand, SessionContext } from './session-command';

export interface ClientIo extends ClientEnvironment {
  stdout: OutputStream;
  stderr: OutputStream;
}

export interface RunClientOptions {
  /** -certform was given on the command line (at -resume it then replaces the saved form). */
  certFormGiven?: boolean;
  /** Clock for progress and polling (tests). */
  now?: () => number;
  /** Kept up to date with whether and how the transaction could be continued after Ctrl-C. */
  interrupt?: InterruptNotice;
}

function checkSupport(parsed: RunCommandLine, log: CliLog): void {
  const cli = parsed.cli;
  if (cli.sansCritical) log.warn('-sans: "critical" is ignored; cmpflow cannot mark the Subject Alternative Names critical yet');
  if (cli.repeat > 1 && (cli.session !== undefined || cli.resume !== undefined)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, '-repeat: cannot be combined with -session or -resume');
  }
}

/**
 * From a response that leaves the request waiting at the server (`waiting`, `pollWait`) until the
 * session ends, the server holds the request: the steps say when it starts, the caller when it ends.
 */
function noteWaitingSteps(step: SessionStep, notice: InterruptNotice): void {
  if (step.step === 'response' && (step.kind === 'waiting' || step.kind === 'pollWait')) notice.waiting(true);
}

/** The server as messages show it: without userinfo, with the -path that applies. */
function serverDisplay(parsed: RunCommandLine): string | undefined {
  const c = parsed.client;
  if (c.server === undefined || parsed.cli.rspIn !== undefined) return undefined;
  return parseServerAddress(c.server, c.tls?.used ? true : undefined, c.path).display;
}

/** The ITAVs a genm sends: the -infotype asked for, if any. */
function genmItavs(parsed: RunCommandLine): { infoType: string }[] {
  return parsed.cli.infoType ? [{ infoType: parsed.cli.infoType.oid }] : [];
}

/**
 * -reqout_only: a transfer that writes the first request to `file` and answers nothing, so the
 * transaction ends there without any server.
 */
function saveFirstRequestOnly(file: string): { transfer: Transfer; saved: () => boolean } {
  let saved = false;
  const transfer: Transfer = async (request) => {
    try {
      await writeFile(file, request);
    } catch (e) {
      const reason = (e as NodeJS.ErrnoException).code ?? 'write error';
      throw new CmpError(ErrorCodes.ERR_FILE, `-reqout_only: cannot write request PKIMessage to file '${file}' (${reason})`, { cause: e });
    }
    saved = true;
    throw new CmpError(ErrorCodes.ERR_ABORTED, `-reqout_only: request saved to '${file}', not sent`);
  };
  return { transfer, saved: () => saved };
}

/** The HTTP transfer the client would build itself without TLS, built here to record what it carries. */
function plainHttpOptions(o: CmpClientOptions): HttpTransferOptions {
  return {
    server: o.server!,
    ...(o.path !== undefined ? { path: o.path } : {}),
    ...(o.proxy !== undefined ? { proxy: o.proxy } : {}),
    ...(o.noProxy !== undefined ? { noProxy: o.noProxy } : {}),
    ...(o.keepAlive !== undefined ? { keepAlive: o.keepAlive } : {}),
    ...(o.msgTimeout !== undefined ? { msgTimeout: o.msgTimeout } : {}),
    ...(o.maxResponseBytes !== undefined ? { maxResponseBytes: o.maxResponseBytes } : {}),
  };
}

/** Written whatever the outcome: a failed run is what the page is most often wanted for. */
function writeFlowPage(recorder: FlowRecorder, file: string, cmd: string | undefined, log: CliLog): void {
  try {
    writeFileSync(file, recorder.toHtml({ title: `cmpflow ${cmd ?? 'session'}` }), { mode: 0o644 });
    log.info(`-inspect: flow page written to ${file}`);
  } catch (e) {
    log.warn(`-inspect: cannot write the flow page to ${file} (${(e as NodeJS.ErrnoException).code ?? 'write error'})`);
  }
}

/**
 * -repeat: the transactions one after another. A loop of its own: a loop inside runClient made V8
 * optimise the whole of that large function, hot from the loop alone, and again after each deopt.
 */
async function repeatTransactions(times: number, transaction: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < times; i++) if (!(await transaction())) return;
}

export async function runClient(parsed: RunCommandLine, io: ClientIo, log: CliLog, run: RunClientOptions = {}): Promise<number> {
  checkSupport(parsed, log);
  const cli = parsed.cli;
  const sessionMode = (cli.session !== undefined && cli.cmd !== undefined) || cli.resume !== undefined;
  const progress = new PollProgress(log, run.now);
  const server = serverDisplay(parsed);
  // In session mode the CLI waits between steps itself; the machine's own waits are not rests.
  const protocol = createProtocolLog(log, sessionMode ? undefined : progress, server);
  let inspector: CliInspector | undefined;
  let recorder: FlowRecorder | undefined;
  let recordedHttp: HttpTransfer | undefined;
  let mock: MockServer | undefined;
  try {
    if (cli.inspectHtml !== undefined) {
      recorder = createFlowRecorder();
      const flow = recorder;
      inspector = { observe: (event) => flow.inspect(event as InspectionEvent), stop: async () => {} };
    } else if (cli.inspect) inspector = await openInspector(io.env, io.stderr, log);
    // Below INFO the protocol log prints nothing (waits included): without -inspect or a waiting
    // notice to keep, no observer then, and the client reports no steps.
    // A failing Stately inspector (its socket gone, say) is reported once as a CLI warning; the
    // session and the protocol log go on.
    let inspectorFailed = false;
    // Without a session file, only the steps tell whether the server has the request waiting.
    const noteWaiting =
      !sessionMode && run.interrupt !== undefined && cli.cmd !== undefined && isCertRequestKind(cli.cmd) ? run.interrupt : undefined;
    const logSteps = log.enabled(LogLevel.INFO);
    const onStep =
      logSteps || noteWaiting !== undefined
        ? (step: SessionStep) => {
            if (logSteps) protocol.step(step);
            if (noteWaiting) noteWaitingSteps(step, noteWaiting);
          }
        : undefined;
    // The protocol lines come from the client's steps; XState inspection, which costs far more,
    // only for an inspector.
    const looking = inspector;
    const observer =
      looking !== undefined
        ? (event: unknown) => {
            try {
              looking.observe(event);
            } catch (e) {
              if (!inspectorFailed)
                log.warn(
                  `-inspect: the inspector failed (${String(sanitizeForInspection(e instanceof Error ? e.message : String(e)))}); the session goes on without it`,
                );
              inspectorFailed = true;
            }
          }
        : undefined;
    const options = await buildClientOptions(parsed, io, observer);
    if (onStep) options.onStep = onStep;
    // A transaction saved to a file may be resumed by another process, after this one has gone:
    // OpenSSL 3.0's mock server cancels a transaction whose kept-alive connection is closed under
    // it, so such a session closes each connection unless -keep_alive was chosen explicitly.
    if (sessionMode && options.keepAlive === undefined) options.keepAlive = 0;
    const reqoutOnly = cli.reqOutOnly === undefined ? undefined : saveFirstRequestOnly(path.resolve(io.cwd, cli.reqOutOnly));
    if (reqoutOnly) {
      options.transfer = reqoutOnly.transfer;
      delete options.files;
    } else if (cli.useMockServer) {
      // The embedded server and the session files load only for the runs that use them.
      mock = await (await import('./server-command')).createMockServer(parsed, io, log);
      const server = mock.server;
      options.transfer = (request) => server.handle(request);
    }

    if (recorder !== undefined) {
      if (options.transfer === undefined && options.server !== undefined && options.tls === undefined && options.files === undefined) {
        recordedHttp = createHttpTransfer(plainHttpOptions(options));
        options.transfer = recordedHttp;
      }
      if (options.transfer !== undefined) options.transfer = recorder.transfer(options.transfer);
      else log.warn('-inspect html: the messages are not recorded with TLS or message files, only the states');
    }
    const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(io.cwd, p));
    const given: Partial<CertificateOutputs> = {};
    for (const [key, value] of [
      ['certOut', abs(cli.certOut)],
      ['newKeyOut', abs(cli.newKeyOut)],
      ['chainOut', abs(cli.chainOut)],
      ['extraCertsOut', abs(cli.extraCertsOut)],
      ['caCertsOut', abs(cli.caCertsOut)],
    ] as const) {
      if (value !== undefined) given[key] = value;
    }
    if (given.newKeyOut !== undefined && options.newKeyPass !== undefined) given.newKeyPass = options.newKeyPass;
    const outputs: CertificateOutputs = { ...given, certForm: cli.certForm };
    // A genm's -infotype command, as the loop below runs it and a session file keeps it.
    const genmSettings: Partial<GenmSettings> = {
      ...(cli.infoType ? { infoType: cli.infoType } : {}),
      ...(cli.resume === undefined || cli.crlFormGiven ? { crlForm: cli.crlForm } : {}),
    };
    for (const key of GENM_SETTING_KEYS) if (cli[key] !== undefined) genmSettings[key] = abs(cli[key]);
    const runGenm: GenmCommand = (settings, exchange, outs) =>
      runGenmCommand(exchange, { cli: { crlForm: 'DER', ...settings }, cwd: io.cwd, log, outputs: outs }, options);
    const sessionContext = (): SessionContext => ({
      log,
      stderr: io.stderr,
      stdout: io.stdout,
      progress,
      noWait: cli.noWait,
      outputs: run.certFormGiven || cli.resume === undefined ? outputs : given,
      ...(server !== undefined ? { server } : {}),
      ...(run.now ? { now: run.now } : {}),
      ...(run.interrupt ? { interrupt: run.interrupt } : {}),
      ...(parsed.recorded ? { recorded: parsed.recorded } : {}),
      genm: { settings: genmSettings, run: runGenm },
    });

    const client = new CmpClient(options);
    if (cli.resume !== undefined) {
      const source = path.resolve(io.cwd, cli.resume);
      const { resumeFromFile } = await import('./session-command');
      const code = await resumeFromFile(client, source, cli.session !== undefined ? path.resolve(io.cwd, cli.session) : source, sessionContext());
      // Only a finished transaction has a last response whose signer -srvcertout keeps.
      if (code === 0) await saveServerCertificate(client, abs(cli.srvCertOut), outputs, log);
      return code;
    }

    const cmd = cli.cmd!;
    if (cli.session !== undefined) {
      const { runWithSession } = await import('./session-command');
      const code = await runWithSession(client, cmd, path.resolve(io.cwd, cli.session), sessionContext(), genmItavs(parsed));
      if (code === 0) await saveServerCertificate(client, abs(cli.srvCertOut), outputs, log);
      return code;
    }
    /** One transaction of the command; false when it ends the command with success (-reqout_only). */
    const transaction = async (): Promise<boolean> => {
      try {
        if (isCertRequestKind(cmd)) {
          await saveReceived(await client.certReq(cmd), outputs, log);
        } else if (cmd === 'rr') {
          await reportRevocation(await client.rr(), outputs, log);
        } else if (!(await runGenm(genmSettings, (itavs) => client.genm(itavs), outputs))) {
          await reportGeneral(await client.genm(genmItavs(parsed)), outputs, log, io.stdout);
        }
        await saveServerCertificate(client, abs(cli.srvCertOut), outputs, log);
        return true;
      } catch (e) {
        // OpenSSL: the transaction stops for want of a response, and that is the success of -reqout_only.
        if (reqoutOnly?.saved()) return false;
        throw e;
      } finally {
        // The session has ended: nothing of it waits at the server any more.
        noteWaiting?.waiting(false);
      }
    };
    await repeatTransactions(cli.repeat, transaction);
    return 0;
  } finally {
    protocol.close();
    await inspector?.stop();
    recordedHttp?.close();
    if (recorder !== undefined && cli.inspectHtml !== undefined) writeFlowPage(recorder, path.resolve(io.cwd, cli.inspectHtml), cli.cmd, log);
    await mock?.cleanup();
  }
}
