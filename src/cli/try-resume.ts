/**
 * One polling step of a waiting enrollment that another process saved: restore it, poll once (at
 * once, whatever checkAfter said, as OSSL_CMP_try_certreq does), and either return the new waiting
 * session or run the transaction to its end.
 *
 * WORKAROUND: CmpClient offers `tryCertReq` (which continues only a session it started itself)
 * and `resume` (which polls until the end), but no single step for a session loaded from a file.
 * This is what `CmpClient.tryResume(session, { requestedPublicKey })` would do, built from the
 * library's public pieces (setupClient, createSessionServices, enrollmentMachine); it should give
 * way to that method once the client has it.
 */
import { X509Certificate } from '@peculiar/x509';
import { createActor, toPromise, type InspectionEvent } from 'xstate';
import { enrollmentMachine, actorsFrom, type CertRequestKind, type EnrollmentOutput } from '../../machines';
import type { EnrollmentResult, TryCertReqResult } from '../client';
import { createSessionServices } from '../client/services';
import { setupClient, type ClientSetup } from '../client/setup';
import { buildRequestTemplate, requestedPublicKey } from '../client/template';
import { CmpError, ErrorCodes } from '../errors';
import { fromB64, toArrayBuffer } from '../message/bytes';
import type { CmpClientOptions } from '../options';
import { parsePersistedSession, persistSession, resumeOptions, sanitizingInspector, type PersistedSession } from '../session';

interface WaitingContext {
  kind: CertRequestKind;
  polls: number;
  nextPollAt?: number;
}

/** The request kind, poll count and next poll time of a (checked) waiting enrollment session. */
export function waitingContext(session: PersistedSession): WaitingContext {
  return (session.snapshot as { context: WaitingContext }).context;
}

const certOf = (b64: string) => new X509Certificate(toArrayBuffer(fromB64(b64)));

/** The machine's output as CmpClient reports it (the same conversion as CmpClient's). */
function enrollmentResult(out: EnrollmentOutput): EnrollmentResult {
  if (out.outcome !== 'confirmed' || !out.certificate) {
    throw out.error ? CmpError.fromJSON(out.error) : new CmpError(ErrorCodes.ERR_INTERNAL, `enrollment ended ${out.outcome} without an error`);
  }
  const c = out.certificate;
  return {
    certificate: certOf(c.certificate),
    chain: c.chain.map(certOf),
    caPubs: c.caPubs.map(certOf),
    extraCerts: c.extraCerts.map(certOf),
    status: c.status,
    statusName: c.statusName,
    ...(c.failInfo ? { failInfo: c.failInfo } : {}),
    ...(c.statusString ? { statusString: c.statusString } : {}),
    implicitConfirmGranted: c.implicitConfirmGranted,
    transactionId: Buffer.from(out.transactionId, 'base64').toString('hex'),
    polls: out.polls,
  };
}

export class SessionResumer {
  #setup?: Promise<ClientSetup>;

  constructor(private readonly options: CmpClientOptions) {}

  /**
   * The SPKI a `kind` request built from these options asks a certificate for, as CmpClient
   * computes it; saved with a waiting session so that a resumed one checks the issued certificate
   * without needing the new key again. Undefined when the options do not determine it.
   */
  async requestedPublicKey(kind: CertRequestKind): Promise<Uint8Array | undefined> {
    const setup = await (this.#setup ??= setupClient(this.options));
    try {
      return kind === 'p10cr' ? requestedPublicKey(setup, undefined) : buildRequestTemplate(setup, kind).publicKey;
    } catch {
      return undefined;
    }
  }

  /**
   * Polls the saved session once. `requestedPublicKey` is the SPKI the request asked a certificate
   * for (saved with the session); the issued certificate must carry it.
   */
  async step(saved: PersistedSession, requestedPublicKey?: Uint8Array): Promise<TryCertReqResult> {
    const session = parsePersistedSession(saved, 'enrollment');
    const setup = await (this.#setup ??= setupClient(this.options));
    const { kind, polls } = waitingContext(session);
    const services = createSessionServices(setup, { kind, ...(requestedPublicKey ? { requestedPublicKey } : {}), immediateWaits: 1 });
    const observer = this.options.inspect;
    const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(services) }), {
      ...resumeOptions(session),
      ...(observer ? { inspect: sanitizingInspector(observer as (e: InspectionEvent) => void) } : {}),
    });
    actor.subscribe({ complete: () => services.close(), error: () => services.close() });
    actor.start();

    const waiting = await new Promise<PersistedSession | undefined>((resolve) => {
      const check = (s: ReturnType<typeof actor.getSnapshot>) => {
        if (s.status !== 'active') resolve(undefined);
        else if (s.hasTag('persistable') && s.context.polls > polls && (s.context.nextPollAt ?? 0) > setup.now()) {
          resolve(persistSession(actor, 'enrollment'));
        }
      };
      actor.subscribe({ next: check, complete: () => resolve(undefined), error: () => resolve(undefined) });
      check(actor.getSnapshot());
    });
    if (!waiting) return { status: 'issued', result: enrollmentResult(await toPromise(actor)) };
    const checkAfter = actor.getSnapshot().context.checkAfter ?? 0;
    actor.stop();
    services.close();
    return { status: 'waiting', checkAfter, session: waiting };
  }
}
