/**
 * The fleet's job handler: one step of one device's CMP transaction with CmpClient's stepping
 * calls (tryCertReq/tryResume, tryRr, tryGenm). A `waiting` answer ends the step with the session
 * and the absolute time of the next poll, which the queue keeps as the job's durable timer.
 *
 * Exactly once: the transactionID is fixed and saved before the first message goes out, and every
 * message is saved before it is sent (its answer once received). A worker that takes over a job
 * whose previous worker died starts from the last waiting session, or from the start, with the same
 * transactionID, and sends the saved messages again in order instead of new ones: answers it has
 * are replayed locally, and the CA sees the very message it may have seen already. A CA that has it
 * answers as before (cmpflow's embedded CA does, see Transaction.lastExchange) or refuses it
 * (transactionIdInUse, and the job fails for an operator to look at); one that never got it takes it
 * as new. Either way no second transaction starts. docs/fleet.md has the reasoning.
 */
import { randomBytes } from 'crypto';
import { promises as fs } from 'fs';
import * as path from 'path';
import type { X509Certificate } from '@peculiar/x509';
import { CmpClient, type EnrollmentResult } from '../client';
import { encodePem } from '../credentials/pem';
import { CmpError, ErrorCodes } from '../errors';
import { fromB64, hex, toB64 } from '../bytes';
import type { CmpClientOptions, InfoTypeAndValueInput } from '../options';
import type { Transfer } from '../transport/types';
import { environmentResolver, type CredentialResolver } from './credentials';
import type { FleetExchange, FleetJobHandler, FleetJobResult, FleetJobSpec, FleetOutcome, LeasedJob } from './queue';

/** Where a finished job's certificates go (PEM), as `openssl cmp` -certout, -chainout, -cacertsout, -extracertsout. */
export interface FleetJobOutputs {
  certOut?: string;
  chainOut?: string;
  caCertsOut?: string;
  extraCertsOut?: string;
}

export interface PreparedJob {
  /** The client options of this job on this worker, credentials resolved. */
  client: CmpClientOptions;
  outputs?: FleetJobOutputs;
  /** genm: what to ask for. */
  itavs?: InfoTypeAndValueInput[];
}

export interface NewCertificateEvent {
  spec: FleetJobSpec;
  certificate: X509Certificate;
  result: FleetJobResult;
}

export interface JobHandlerOptions {
  /**
   * Turns a job into client options on this worker; `resolve` turns the job's credential
   * references (`env:NAME`, `file:PATH`) into the secrets this worker holds.
   */
  prepare: (spec: FleetJobSpec, resolve: CredentialResolver) => Promise<PreparedJob>;
  /** Default: environmentResolver(process.env, process.cwd()). */
  resolveCredential?: CredentialResolver;
  /** Told once a new certificate is written (renewal's deploy hook); its failure becomes a warning. */
  onCertificate?: (event: NewCertificateEvent) => Promise<void> | void;
  /** Clock in epoch ms, for tests. */
  now?: () => number;
}

/** Failures worth another attempt later: the CA or the network, not the request. */
const TRANSIENT: ReadonlySet<string> = new Set([
  ErrorCodes.ERR_TRANSPORT,
  ErrorCodes.ERR_TIMEOUT,
  ErrorCodes.ERR_CONNECTION,
  ErrorCodes.ERR_HTTP_STATUS,
  ErrorCodes.ERR_TOTAL_TIMEOUT,
  ErrorCodes.ERR_QUEUE,
]);

const CERT_REQUESTS = new Set(['ir', 'cr', 'kur', 'p10cr']);

function errorOf(e: unknown): { code: string; message: string } {
  return e instanceof CmpError
    ? { code: e.code, message: e.message }
    : { code: ErrorCodes.ERR_INTERNAL, message: e instanceof Error ? e.message : String(e) };
}

async function writeCertificates(file: string | undefined, certs: readonly X509Certificate[], files: string[]): Promise<void> {
  if (file === undefined) return;
  const target = path.resolve(file);
  const tmp = `${target}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`;
  try {
    await fs.writeFile(tmp, certs.map((c) => encodePem('CERTIFICATE', new Uint8Array(c.rawData))).join(''), { mode: 0o644 });
    // A deploy hook or a device reading the file sees the old certificate or the new one, never half of one.
    await fs.rename(tmp, target);
  } catch (e) {
    await fs.rm(tmp, { force: true });
    throw new CmpError(ErrorCodes.ERR_FILE, `cannot write ${target} (${(e as NodeJS.ErrnoException).code ?? 'write error'})`, { cause: e });
  }
  files.push(target);
}

async function enrolled(result: EnrollmentResult, outputs: FleetJobOutputs): Promise<FleetJobResult> {
  const files: string[] = [];
  await writeCertificates(outputs.extraCertsOut, result.extraCerts, files);
  await writeCertificates(outputs.caCertsOut, result.caPubs, files);
  await writeCertificates(outputs.certOut, [result.certificate], files);
  await writeCertificates(outputs.chainOut, result.chain, files);
  return {
    files,
    serialNumber: result.certificate.serialNumber.toLowerCase(),
    notAfter: result.certificate.notAfter.toISOString(),
  };
}

/**
 * The transfer wrapper that records each message before it goes out and each answer when it
 * arrives, and, taking over a job, sends the recorded messages again instead of the rebuilt ones.
 */
function recordingTransfer(job: LeasedJob, transactionId: string): (send: Transfer) => Transfer {
  const base = job.record.session;
  const replay: FleetExchange[] = [...(job.record.exchanges ?? [])];
  const exchanges: FleetExchange[] = [];
  const save = () => job.save({ transactionId, ...(base ? { session: base } : {}), exchanges: exchanges.map((e) => ({ ...e })) });
  return (send) => async (request, ctx) => {
    const bodyType = ctx.bodyType ?? 'unknown';
    const recorded = replay.shift();
    let der = request;
    if (recorded && recorded.bodyType === bodyType) {
      // The stored message keeps its transactionID and senderNonce; the context makes it answer the same way.
      const stored = fromB64(recorded.request);
      der = ctx.adoptRequest ? await ctx.adoptRequest(stored, { newTransactionId: false }) : stored;
      if (recorded.response !== undefined) {
        exchanges.push({ bodyType, request: toB64(der), response: recorded.response });
        return fromB64(recorded.response);
      }
    } else {
      // The flow went another way than recorded: the rest of the record no longer applies.
      replay.length = 0;
    }
    const entry: FleetExchange = { bodyType, request: toB64(der) };
    exchanges.push(entry);
    await save();
    const response = await send(der, ctx);
    entry.response = toB64(response);
    await save();
    return response;
  };
}

/** The handler a fleet worker runs each job with. */
export function createJobHandler(options: JobHandlerOptions): FleetJobHandler {
  const now = options.now ?? Date.now;
  const resolve = options.resolveCredential ?? environmentResolver(process.env, process.cwd());
  return async (job: LeasedJob): Promise<FleetOutcome> => {
    const { spec } = job.record;
    let prepared: PreparedJob;
    try {
      prepared = await options.prepare(spec, resolve);
    } catch (e) {
      return { kind: 'failed', error: errorOf(e) };
    }
    const transactionId = job.record.transactionId ?? hex(randomBytes(16));
    const client = new CmpClient({
      ...prepared.client,
      transactionId: new Uint8Array(Buffer.from(transactionId, 'hex')),
      interceptTransfer: recordingTransfer(job, transactionId),
    });
    const session = job.record.session;
    const wait = (w: { checkAfter: number; session: NonNullable<typeof session> }): FleetOutcome => ({
      kind: 'wait',
      session: w.session,
      dueAt: now() + Math.max(0, w.checkAfter) * 1000,
    });
    try {
      if (CERT_REQUESTS.has(spec.cmd)) {
        const step = session ? await client.tryResume(session) : await client.tryCertReq(spec.cmd as 'ir');
        if (step.status === 'waiting') return wait(step);
        const result = await enrolled(step.result, prepared.outputs ?? {});
        if (options.onCertificate) {
          try {
            await options.onCertificate({ spec, certificate: step.result.certificate, result });
          } catch (e) {
            result.warnings = [...(result.warnings ?? []), `after the new certificate: ${errorOf(e).message}`];
          }
        }
        return { kind: 'done', result };
      }
      if (spec.cmd === 'rr') {
        const step = session ? await client.tryResumeRr(session) : await client.tryRr();
        if (step.status === 'waiting') return wait(step);
        return { kind: 'done', result: step.result.warning ? { warnings: [step.result.warning] } : {} };
      }
      const step = session ? await client.tryResumeGenm(session) : await client.tryGenm(prepared.itavs ?? []);
      if (step.status === 'waiting') return wait(step);
      return { kind: 'done', result: { warnings: step.result.itavs.map((i) => `genp: ${i.infoType}`) } };
    } catch (e) {
      const error = errorOf(e);
      return TRANSIENT.has(error.code) ? { kind: 'retry', error } : { kind: 'failed', error };
    } finally {
      await client.close();
    }
  };
}
