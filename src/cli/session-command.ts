/**
 * Enrollment with a session file (-session FILE, -nowait, -resume FILE). While the server answers
 * `waiting`, the transaction is saved to the file each time it starts to wait; with -nowait the
 * command then exits with status 3, otherwise it sleeps until the poll is due (showing progress)
 * and polls again. A later `-resume FILE` continues from the file, polling at once with -nowait.
 * When the certificate is issued it is saved where the saved or given output options say, and the
 * session file is removed.
 *
 * The file holds no secret: the session snapshot has only ids, nonces, times and the public key
 * the request asked a certificate for, and the `meta` part the command, the output file names and
 * their form, and the run's non-secret options (session-options.ts), so that a resume needs only
 * the secrets.
 */
import * as path from 'path';
import type { CmpClient, TryCertReqResult } from '../client';
import type { CertRequestKind } from '../../machines';
import { CmpError, ErrorCodes, type ErrorCode } from '../errors';
import type { PersistedSession, SessionMeta } from '../session';
import type { CliLog, OutputStream } from './log';
import { EXIT_WAITING } from './exit-status';
import type { InterruptNotice } from './interrupt';
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
}

interface SavedOutputs {
  cmd: CertRequestKind;
  certForm: CertForm;
  certOut?: string;
  chainOut?: string;
  extraCertsOut?: string;
  caCertsOut?: string;
  server?: string;
}

interface WaitingContext {
  kind: CertRequestKind;
  polls: number;
  nextPollAt?: number;
}

/** The request kind, poll count and next poll time of a (checked) waiting enrollment session. */
function waitingContext(session: PersistedSession): WaitingContext {
  return (session.snapshot as { context: WaitingContext }).context;
}

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

/**
 * Runs steps until the certificate is issued, or (with -nowait) until the first wait. `source` is
 * the file the transaction was loaded from, if any: whichever file holds the transaction is
 * removed once it is stale (another file took over, or the transaction ended), and kept when a
 * failure may have left the transaction open at the server.
 */
async function drive(
  ctx: SessionContext,
  files: { target: string; source?: string },
  meta: SessionMeta,
  outputs: CertificateOutputs,
  first: () => Promise<TryCertReqResult>,
  next: (session: PersistedSession) => Promise<TryCertReqResult>,
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
    await saveReceived(step.result, outputs, ctx.log);
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

/** `-cmd ir|cr|kur|p10cr -session FILE [-nowait]`: enrolls, saving the transaction while it waits. */
export async function enrollWithSession(client: CmpClient, kind: CertRequestKind, file: string, ctx: SessionContext): Promise<number> {
  const outputs: CertificateOutputs = { certForm: ctx.outputs.certForm ?? 'PEM', ...ctx.outputs };
  const meta = { ...metaOf({ cmd: kind, ...outputs, ...(ctx.server !== undefined ? { server: ctx.server } : {}) }), ...ctx.recorded };
  return drive(ctx, { target: file }, meta, outputs, () => client.tryCertReq(kind), (s) => client.tryResume(s));
}

/**
 * `-resume FILE`: continues the saved transaction. The file is updated while the server keeps
 * answering `waiting` (or `-session OTHER` is written instead, and FILE, now stale, removed).
 */
export async function resumeFromFile(client: CmpClient, source: string, target: string, ctx: SessionContext): Promise<number> {
  const saved = await readSessionFile(source);
  const before = savedOf(saved);
  if (before.server !== undefined && ctx.server !== undefined && before.server !== ctx.server) {
    ctx.log.warn(`the session was started with server ${before.server}, now resuming with ${ctx.server}`);
  }
  const outputs: CertificateOutputs = {
    certForm: ctx.outputs.certForm ?? before.certForm ?? 'PEM',
    ...pick(before),
    ...pick(ctx.outputs),
  };
  if (outputs.certOut === undefined) {
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, '-certout: not given and not saved in the session, nowhere to save the enrolled certificate');
  }
  const server = ctx.server ?? before.server;
  // Recorded again as this resume ran them: the file's options with those given now on top.
  const meta = { ...metaOf({ cmd: waitingContext(saved).kind, ...outputs, ...(server !== undefined ? { server } : {}) }), ...ctx.recorded };
  return drive(ctx, { target, source }, meta, outputs, () => client.tryResume(saved), (s) => client.tryResume(s));
}

function pick(o: Partial<CertificateOutputs>): Partial<CertificateOutputs> {
  const out: Partial<CertificateOutputs> = {};
  for (const key of ['certOut', 'chainOut', 'extraCertsOut', 'caCertsOut'] as const) if (o[key] !== undefined) out[key] = o[key];
  return out;
}
