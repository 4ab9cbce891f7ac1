/**
 * Any transaction with a session file (-session FILE, -nowait, -resume FILE): an enrollment, or an
 * rr or genm whose answer the server delays. While the server answers `waiting`, the transaction
 * is saved to the file each time it starts to wait; with -nowait the command then exits with
 * status 3, otherwise it sleeps until the poll is due (showing progress) and polls again. A later
 * `-resume FILE` continues from the file, polling at once with -nowait. When the answer comes it
 * is reported as a run without a session file reports it (the certificate saved where the saved
 * or given output options say; the revocation's outcome; the genp's ITAVs, or for an -infotype
 * with a command of its own, such as caCerts or rootCaCert, the files that command writes), and
 * the session file is removed.
 *
 * The file holds no secret: the session snapshot has only ids, nonces, times and the public key
 * the request asked a certificate for, the server's last answer as received, and the `meta` part
 * the command, the output file names and their form, and the run's non-secret options
 * (session-options.ts), so that a resume needs only the secrets.
 */
import * as path from 'path';
import type { CmpClient, GeneralResult, TryCertReqResult, TryExchangeResult } from '../client';
import type { CertRequestKind } from '../../machines';
import { CmpError, ErrorCodes, type ErrorCode } from '../errors';
import type { InfoTypeAndValueInput } from '../options';
import { isCertRequestKind } from '../protocol';
import type { PersistedSession, SessionMachineName, SessionMeta } from '../session';
import type { CliLog, OutputStream } from './log';
import { EXIT_WAITING } from './exit-status';
import { reportGeneral, reportRevocation } from './exchange-report';
import type { InterruptNotice } from './interrupt';
import { GENM_SETTING_KEYS, type GenmExchange, type GenmSettings } from './genm-infotypes';
import type { CmpCommand } from './options';
import { saveReceived, type CertificateOutputs, type CertForm } from './outputs';
import type { PollProgress } from './progress';
import { readSessionFile, removeSessionFile, writeSessionFile } from './session-file';

/**
 * Failures that mean the server has ended the transaction: it answered with an authenticated
 * error message or rejection, or the client refused the certificate with a certConf the server
 * acknowledged. After any other failure (a local mistake such as a wrong secret or a missing key
 * file, no answer, an answer that does not authenticate or belongs to another transaction) the
 * server may still hold the transaction, and the file is kept to resume it.
 */
const ENDED_AT_SERVER: readonly ErrorCode[] = [
  ErrorCodes.ERR_ERROR_RESPONSE,
  ErrorCodes.ERR_REQUEST_REJECTED,
  ErrorCodes.ERR_CERT_REJECTED_BY_CLIENT,
  ErrorCodes.ERR_PUBLIC_KEY_MISMATCH,
  ErrorCodes.ERR_NEW_CERT_UNTRUSTED,
  ErrorCodes.ERR_CAPUBS_UNTRUSTED,
  ErrorCodes.ERR_ABORTED,
];

export interface SessionContext {
  log: CliLog;
  stderr: OutputStream;
  /** Where a genp's ITAVs are listed. */
  stdout: OutputStream;
  progress: PollProgress;
  noWait: boolean;
  /** Output options of this command line (absolute paths); at -resume they replace the saved ones. */
  outputs: Partial<CertificateOutputs>;
  /** Printable server address (no userinfo), kept for information. */
  server?: string;
  now?: () => number;
  /** Told which file holds the transaction, for what Ctrl-C says. */
  interrupt?: InterruptNotice;
  /** The run's options to record in the file (session-options.ts), so that -resume needs only secrets. */
  recorded?: SessionMeta;
  /**
   * A genm's -infotype command: `settings` (paths absolute) are saved in the file, and at -resume
   * those given again replace the saved ones; `run` does the command through the exchange it is
   * given, or returns false at once when the -infotype has none.
   */
  genm?: { settings: Partial<GenmSettings>; run: GenmCommand };
}

export type GenmCommand = (settings: Partial<GenmSettings>, exchange: GenmExchange, outputs: CertificateOutputs) => Promise<boolean>;

interface SavedOutputs {
  cmd: CmpCommand;
  certForm: CertForm;
  certOut?: string;
  chainOut?: string;
  extraCertsOut?: string;
  caCertsOut?: string;
  server?: string;
  /** A genm's -infotype as its OID and name, and the other GenmSettings. */
  infoType?: string;
  infoTypeName?: string;
  crlForm?: CertForm;
  template?: string;
  keySpec?: string;
  crlCert?: string;
  oldCrl?: string;
  crlOut?: string;
  oldWithOld?: string;
  newWithNew?: string;
  newWithOld?: string;
  oldWithNew?: string;
}

interface WaitingContext {
  /** Enrollment only: the certificate request kind. */
  kind?: CertRequestKind;
  polls: number;
  nextPollAt?: number;
}

/** The poll count and next poll time of a (checked) waiting session, and an enrollment's request kind. */
function waitingContext(session: PersistedSession): WaitingContext {
  return (session.snapshot as { context: WaitingContext }).context;
}

/** The command a session's machine runs, for `meta.cmd`. */
function commandOf(session: PersistedSession): CmpCommand {
  if (session.machine === 'revocation') return 'rr';
  if (session.machine === 'general') return 'genm';
  return waitingContext(session).kind!;
}

const MACHINE_OF: Record<'rr' | 'genm', SessionMachineName> = { rr: 'revocation', genm: 'general' };

/** A step of any transaction: its result, or the session to save while the server delays it. */
type Step<T> = TryCertReqResult | TryExchangeResult<T>;
type Done<S> = Exclude<S, { status: 'waiting' }> extends { result: infer R } ? R : never;

function metaOf(saved: SavedOutputs): SessionMeta {
  const meta: SessionMeta = {};
  for (const [key, value] of Object.entries(saved)) if (value !== undefined) meta[key] = value as string;
  return meta;
}

function savedOf(session: PersistedSession): Partial<SavedOutputs> {
  const m = session.meta ?? {};
  const text = (key: string) => (typeof m[key] === 'string' ? (m[key] as string) : undefined);
  const form = text('certForm');
  const out: Partial<SavedOutputs> = {};
  for (const key of ['certOut', 'chainOut', 'extraCertsOut', 'caCertsOut', 'server'] as const) {
    const v = text(key);
    if (v !== undefined) out[key] = v;
  }
  if (form === 'PEM' || form === 'DER') out.certForm = form;
  return out;
}

/** The genm settings a file saved, with those given now on top. */
function genmSettingsOf(session: PersistedSession, given: Partial<GenmSettings>): Partial<GenmSettings> {
  const m = session.meta ?? {};
  const text = (key: string) => (typeof m[key] === 'string' ? (m[key] as string) : undefined);
  const saved: Partial<GenmSettings> = {};
  const oid = text('infoType');
  if (oid !== undefined) saved.infoType = { oid, name: text('infoTypeName') ?? oid };
  const form = text('crlForm');
  if (form === 'PEM' || form === 'DER') saved.crlForm = form;
  for (const key of GENM_SETTING_KEYS) {
    const v = text(key);
    if (v !== undefined) saved[key] = v;
  }
  const out: Partial<GenmSettings> = { ...saved };
  for (const [key, value] of Object.entries(given)) if (value !== undefined) (out as Record<string, unknown>)[key] = value;
  return out;
}

/** The genm settings as meta entries. */
function genmMeta(settings: Partial<GenmSettings> | undefined): SessionMeta {
  if (!settings?.infoType) return {};
  const meta: SessionMeta = { infoType: settings.infoType.oid, infoTypeName: settings.infoType.name };
  if (settings.crlForm !== undefined) meta.crlForm = settings.crlForm;
  for (const key of GENM_SETTING_KEYS) if (settings[key] !== undefined) meta[key] = settings[key];
  return meta;
}

/** Ends a genm -infotype command whose exchange is left waiting in the file (-nowait). */
class StillWaiting {
  constructor(readonly code: number) {}
}

/**
 * A genm through the session file: the -infotype's own command when it has one (its exchange is
 * the session-driven transaction), else the plain genm whose genp is listed.
 */
async function driveGenm(
  ctx: SessionContext,
  files: { target: string; source?: string },
  meta: SessionMeta,
  outputs: CertificateOutputs,
  settings: Partial<GenmSettings>,
  first: (itavs: InfoTypeAndValueInput[]) => Promise<TryExchangeResult<GeneralResult>>,
  next: (session: PersistedSession) => Promise<TryExchangeResult<GeneralResult>>,
  plainItavs: InfoTypeAndValueInput[],
): Promise<number> {
  if (ctx.genm) {
    let code = 0;
    const exchange: GenmExchange = async (itavs) => {
      let answer: GeneralResult | undefined;
      code = await drive(
        ctx,
        files,
        meta,
        () => first(itavs),
        next,
        async (r) => {
          answer = r;
        },
      );
      if (answer === undefined) throw new StillWaiting(code);
      return answer;
    };
    try {
      if (await ctx.genm.run(settings, exchange, outputs)) return code;
    } catch (e) {
      if (e instanceof StillWaiting) return e.code;
      throw e;
    }
  }
  return drive(
    ctx,
    files,
    meta,
    () => first(plainItavs),
    next,
    (r) => reportGeneral(r, outputs, ctx.log, ctx.stdout),
  );
}

/**
 * Runs steps until the certificate is issued, or (with -nowait) until the first wait. `source` is
 * the file the transaction was loaded from, if any: whichever file holds the transaction is
 * removed once it is stale (another file took over, or the transaction ended), and kept when a
 * failure may have left the transaction open at the server.
 */
async function drive<S extends Step<unknown>>(
  ctx: SessionContext,
  files: { target: string; source?: string },
  meta: SessionMeta,
  first: () => Promise<S>,
  next: (session: PersistedSession) => Promise<S>,
  finish: (result: Done<S>) => Promise<void>,
): Promise<number> {
  const now = ctx.now ?? Date.now;
  let live = files.source;
  ctx.interrupt?.heldIn(live);
  const settle = async (holder: string | undefined) => {
    if (live !== undefined && (holder === undefined || path.resolve(live) !== path.resolve(holder))) {
      // Told first: a Ctrl-C during the removal must not point at a file that is going away.
      ctx.interrupt?.heldIn(holder);
      await removeSessionFile(live);
    }
    live = holder;
    ctx.interrupt?.heldIn(holder);
  };
  try {
    let step = await first();
    while (step.status === 'waiting') {
      await writeSessionFile(files.target, { ...step.session, meta });
      await settle(files.target);
      const { nextPollAt, polls } = waitingContext(step.session);
      if (ctx.noWait) {
        ctx.stderr.write(`waiting; checkAfter=${step.checkAfter} s; session saved to ${files.target}\n`);
        return EXIT_WAITING;
      }
      ctx.log.debug(`session saved to ${files.target}`);
      await ctx.progress.sleepUntil(nextPollAt ?? now() + step.checkAfter * 1000, polls + 1);
      step = await next(step.session);
    }
    await finish((step as Extract<S, { result: unknown }>).result as Done<S>);
    await settle(undefined);
    return 0;
  } catch (e) {
    if (live !== undefined) {
      if (e instanceof CmpError && ENDED_AT_SERVER.includes(e.code)) await settle(undefined).catch(() => undefined);
      else ctx.log.warn(`the transaction is kept in ${live}; continue it with -resume ${live}`);
    }
    throw e;
  }
}

/** The outputs of a new run: the given ones, in PEM unless -certform says otherwise. */
function outputsOf(ctx: SessionContext): CertificateOutputs {
  return { certForm: ctx.outputs.certForm ?? 'PEM', ...ctx.outputs };
}

function metaFor(cmd: CmpCommand, outputs: CertificateOutputs, server: string | undefined, ctx: SessionContext): SessionMeta {
  return { ...metaOf({ cmd, ...outputs, ...(server !== undefined ? { server } : {}) }), ...ctx.recorded };
}

/**
 * `-cmd CMD -session FILE [-nowait]`: runs the transaction, saving it while the server delays its
 * answer. `itavs` are what a genm sends.
 */
export async function runWithSession(
  client: CmpClient,
  cmd: CmpCommand,
  file: string,
  ctx: SessionContext,
  itavs: InfoTypeAndValueInput[] = [],
): Promise<number> {
  const outputs = outputsOf(ctx);
  const meta = metaFor(cmd, outputs, ctx.server, ctx);
  const files = { target: file };
  if (isCertRequestKind(cmd)) {
    return drive(
      ctx,
      files,
      meta,
      () => client.tryCertReq(cmd),
      (s) => client.tryResume(s),
      (r) => saveReceived(r, outputs, ctx.log),
    );
  }
  if (cmd === 'rr') {
    return drive(
      ctx,
      files,
      meta,
      () => client.tryRr(),
      (s) => client.tryResumeRr(s),
      (r) => reportRevocation(r, outputs, ctx.log),
    );
  }
  const settings = ctx.genm?.settings ?? {};
  return driveGenm(
    ctx,
    files,
    { ...meta, ...genmMeta(settings) },
    outputs,
    settings,
    (sent) => client.tryGenm(sent),
    (s) => client.tryResumeGenm(s),
    itavs,
  );
}

/** Refuses a file whose recorded command is not the one its session runs (an edited file). */
function checkRecordedCommand(saved: PersistedSession, source: string): void {
  const recorded = saved.meta?.cmd;
  if (recorded === undefined) return;
  const ok = saved.machine === 'enrollment' ? recorded === commandOf(saved) : MACHINE_OF[recorded as 'rr' | 'genm'] === saved.machine;
  if (!ok)
    throw new CmpError(
      ErrorCodes.ERR_SNAPSHOT_INVALID,
      `-resume: ${source}: meta.cmd does not name the ${saved.machine} transaction the session holds`,
    );
}

/**
 * `-resume FILE`: continues the saved transaction. The file is updated while the server keeps
 * answering `waiting` (or `-session OTHER` is written instead, and FILE, now stale, removed).
 */
export async function resumeFromFile(client: CmpClient, source: string, target: string, ctx: SessionContext): Promise<number> {
  const saved = await readSessionFile(source);
  checkRecordedCommand(saved, source);
  const before = savedOf(saved);
  if (before.server !== undefined && ctx.server !== undefined && before.server !== ctx.server) {
    ctx.log.warn(`the session was started with server ${before.server}, now resuming with ${ctx.server}`);
  }
  const outputs: CertificateOutputs = {
    certForm: ctx.outputs.certForm ?? before.certForm ?? 'PEM',
    ...pick(before),
    ...pick(ctx.outputs),
  };
  const server = ctx.server ?? before.server;
  // Recorded again as this resume ran them: the file's options with those given now on top.
  const meta = metaFor(commandOf(saved), outputs, server, ctx);
  const files = { target, source };
  if (saved.machine === 'revocation') {
    return drive(
      ctx,
      files,
      meta,
      () => client.tryResumeRr(saved),
      (s) => client.tryResumeRr(s),
      (r) => reportRevocation(r, outputs, ctx.log),
    );
  }
  if (saved.machine === 'general') {
    const settings = genmSettingsOf(saved, ctx.genm?.settings ?? {});
    // The genm went out when the session started: its answer is all that is left to get.
    return driveGenm(
      ctx,
      files,
      { ...meta, ...genmMeta(settings) },
      outputs,
      settings,
      () => client.tryResumeGenm(saved),
      (s) => client.tryResumeGenm(s),
      [],
    );
  }
  if (outputs.certOut === undefined) {
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, '-certout: not given and not saved in the session, nowhere to save the enrolled certificate');
  }
  return drive(
    ctx,
    files,
    meta,
    () => client.tryResume(saved),
    (s) => client.tryResume(s),
    (r) => saveReceived(r, outputs, ctx.log),
  );
}

function pick(o: Partial<CertificateOutputs>): Partial<CertificateOutputs> {
  const out: Partial<CertificateOutputs> = {};
  for (const key of ['certOut', 'chainOut', 'extraCertsOut', 'caCertsOut'] as const) if (o[key] !== undefined) out[key] = o[key];
  return out;
}
