/**
 * CmpClient: the facade most users touch. Each method runs one session machine with services
 * closed over the client's setup, and turns the machine's JSON output into certificates and
 * CmpErrors. The OpenSSL counterparts are named on each method.
 */
import type { X509Certificate, X509Crl } from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertReqMsg, type CertReqTemplateContent } from '../asn1';
import { getCaCerts, getCertReqTemplate, getCrlUpdate, getRootCaUpdate, type RootCaUpdate } from './general-requests';
import { createActor, toPromise, type AnyActorLogic, type InspectionEvent } from 'xstate';
import type { CertRequestKind, CheckedResponse } from '../../machines/actors';
import type { EnrolledCertificate, EnrollmentInput, EnrollmentMachine, EnrollmentOutput } from '../../machines/enrollment';
import { bindServices } from '../../machines/services';
import type { SingleExchangeMachine, SingleExchangeOutput } from '../../machines/single-exchange';
import { getCryptoProvider, type PrivateKeyHandle } from '../crypto';
import { isMlKemPkcs8, mlKemPrivateKeyFromPkcs8, type MlKemPrivateKey } from '../crypto/ml-kem';
import { CmpError } from '../errors';
import { fromB64, toB64 } from '../bytes';
import { certificateFromDer } from '../pki/certificate-cache';
import type { CmpClientOptions, InfoTypeAndValueInput, SessionStep } from '../options';
import { persistSession, parsePersistedSession, resumeOptions, sessionTransactionId, type PersistedSession } from '../session';
import { sanitizingInspector } from '../session/inspect';
import { assertSecretFitsResponse } from '../session/secret-check';
import { createSessionServices, type OpenSessionServices, type SessionOptions } from './services';
import { enrollmentMachineFor, exchangeMachineFor, type ExchangeName } from './session-machines';
import { guardedStepObserver, withSessionSteps } from './session-steps';
import { setupClient, type ClientSetup, type SessionTransfer } from './setup';
import { buildRequestTemplate, requestedPublicKey } from './template';

/**
 * The certificates of results are shared, read-only values: identical DER yields the same
 * X509Certificate instance (see validation/certificate-cache.ts), so they must not be modified.
 */
export interface EnrollmentResult {
  certificate: X509Certificate;
  /** The new certificate's chain as validated or built: [certificate, ..., anchor]. */
  chain: X509Certificate[];
  caPubs: X509Certificate[];
  extraCerts: X509Certificate[];
  status: number;
  statusName: string;
  failInfo?: string[];
  statusString?: string[];
  implicitConfirmGranted: boolean;
  /** Hex of the transactionID. */
  transactionId: string;
  polls: number;
  /** With centralKeyGeneration: the key the CA generated, checked against the certificate. */
  privateKey?: PrivateKeyHandle;
  /** With centralKeyGeneration of an ML-KEM key, which is no PrivateKeyHandle (it signs nothing): that key, checked likewise. */
  kemPrivateKey?: MlKemPrivateKey;
  /**
   * The same key as PKCS#8 DER, for writing it out. Not enumerable, like a PrivateKeyHandle's key
   * material, so that logging or serialising the result never shows it.
   */
  privateKeyPkcs8?: Uint8Array;
}

/** Adds the centrally generated key to an enrollment's result (see EnrollmentResult.privateKeyPkcs8). */
async function withGeneratedKey(result: EnrollmentResult, pkcs8: Uint8Array | undefined): Promise<EnrollmentResult> {
  if (!pkcs8) return result;
  if (isMlKemPkcs8(pkcs8)) result.kemPrivateKey = mlKemPrivateKeyFromPkcs8(pkcs8);
  else result.privateKey = await getCryptoProvider().importPrivateKey(pkcs8);
  Object.defineProperty(result, 'privateKeyPkcs8', { value: pkcs8, enumerable: false });
  return result;
}

export interface RevocationResult {
  status: number;
  statusName: string;
  /** Set for revocationWarning and revocationNotification. */
  warning?: string;
  statusString?: string[];
  extraCerts: X509Certificate[];
}

export interface GeneralResult {
  itavs: { infoType: string; value?: Uint8Array }[];
  extraCerts: X509Certificate[];
}

/** What tryCertReq gives back: the result, or how long to wait before calling it again. */
export type TryCertReqResult = { status: 'issued'; result: EnrollmentResult } | { status: 'waiting'; checkAfter: number; session: PersistedSession };

/**
 * What a stepping call of a revocation or general message gives back (tryRr, tryGenm): the result,
 * or, while the server delays its answer, how long to wait before calling it again.
 */
export type TryExchangeResult<T> = { status: 'done'; result: T } | { status: 'waiting'; checkAfter: number; session: PersistedSession };

/** Certificates are immutable values: the same bytes give the instance validation already parsed. */
const certOf = (b64: string) => certificateFromDer(fromB64(b64), 'a certificate of the session');

function enrollmentResult(out: EnrollmentOutput): EnrollmentResult {
  if (out.outcome !== 'confirmed' || !out.certificate) {
    throw out.error ? CmpError.fromJSON(out.error) : new CmpError('ERR_INTERNAL', `enrollment ended ${out.outcome} without an error`);
  }
  const c: EnrolledCertificate = out.certificate;
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

/** The session spec of a persisted enrollment: its kind (the requested key travels in the snapshot). */
function specOf(session: PersistedSession): SessionOptions {
  return { kind: (session.snapshot as { context: { kind: CertRequestKind } }).context.kind };
}

/** The SubjectPublicKeyInfo in the template of an explicit CertReqMsg, if it names one. */
function publicKeyOfCertReqMsg(der: Uint8Array): Uint8Array | undefined {
  const spki = AsnConvert.parse(der, CertReqMsg).certReq.certTemplate.publicKey;
  return spki ? new Uint8Array(AsnConvert.serialize(spki)) : undefined;
}

function answerOf<K extends CheckedResponse['kind']>(out: SingleExchangeOutput, kind: K): Extract<CheckedResponse, { kind: K }> {
  if (out.outcome !== 'done' || out.response?.kind !== kind) {
    throw out.error ? CmpError.fromJSON(out.error) : new CmpError('ERR_INTERNAL', 'session ended without an answer');
  }
  return out.response as Extract<CheckedResponse, { kind: K }>;
}

function revocationResult(out: SingleExchangeOutput): RevocationResult {
  const r = answerOf(out, 'revocation');
  return {
    status: r.status,
    statusName: r.statusName,
    ...(r.warning ? { warning: r.warning } : {}),
    ...(r.statusString ? { statusString: r.statusString } : {}),
    extraCerts: r.extraCerts.map(certOf),
  };
}

function generalResult(out: SingleExchangeOutput): GeneralResult {
  const r = answerOf(out, 'generalResponse');
  return {
    itavs: r.itavs.map((i) => ({ infoType: i.infoType, ...(i.value !== undefined ? { value: fromB64(i.value) } : {}) })),
    extraCerts: r.extraCerts.map(certOf),
  };
}

type ExchangeActor = ReturnType<typeof createActor<SingleExchangeMachine>>;

export class CmpClient {
  readonly #options: CmpClientOptions;
  #setup?: Promise<ClientSetup>;
  #validatedSrvCert?: X509Certificate;
  /**
   * The session a tryCertReq left waiting, with its connection (OpenSSL keeps both in the CTX):
   * OpenSSL 3.0's mock server cancels a transaction whose kept-alive connection is closed, so the
   * next step polls over the same one.
   */
  #pending?: { session: PersistedSession; spec: SessionOptions; connection: SessionTransfer };
  /** The revocation or general session a tryRr or tryGenm left waiting, with its connection. */
  #pendingExchange?: { machine: ExchangeName; session: PersistedSession; connection: SessionTransfer };
  #inspector?: (e: InspectionEvent) => void;
  #stepObserver?: (step: SessionStep) => void;
  /** The last response each running session accepted (its DER, base64), kept with a waiting session for the secret check. */
  readonly #lastResponses = new WeakMap<object, string>();

  constructor(options: CmpClientOptions) {
    this.#options = options;
  }

  /**
   * The server certificate that signed the last response of the latest session, once that
   * signature was validated; undefined after MAC protection (OSSL_CMP_CTX_get0_validatedSrvCert).
   */
  get validatedServerCert(): X509Certificate | undefined {
    return this.#validatedSrvCert;
  }

  /** Loads credentials once; a failure is reported by the first method that needs them. */
  #ready(): Promise<ClientSetup> {
    this.#setup ??= setupClient(this.#options);
    return this.#setup;
  }

  /** One wrapper for all sessions of the client, so that a failing observer is reported once. */
  #inspect(): { inspect?: (e: InspectionEvent) => void } {
    const observer = this.#options.inspect;
    if (!observer) return {};
    this.#inspector ??= sanitizingInspector(observer);
    return { inspect: this.#inspector };
  }

  /** One actor per round trip, unless the application inspects the sessions (session-machines.ts). */
  #enrollmentMachine(): EnrollmentMachine {
    return enrollmentMachineFor(this.#options.inspect ? 'step' : 'roundTrip');
  }

  #exchangeMachine(name: ExchangeName): SingleExchangeMachine {
    return exchangeMachineFor(name, this.#options.inspect ? 'step' : 'roundTrip');
  }

  /** `waiting` with the response that left the session waiting, as received, for the secret check on resume. */
  #withLastResponse(waiting: PersistedSession, actor: object): PersistedSession {
    const last = this.#lastResponses.get(actor);
    return last !== undefined ? { ...waiting, lastResponse: last } : waiting;
  }

  /**
   * Refuses to continue a session with another shared secret than it was started with, before
   * anything is sent: a server may end the transaction on a request that fails its MAC check.
   */
  async #assertSameSecret(session: PersistedSession, setup: ClientSetup): Promise<void> {
    const p = setup.protection;
    if (session.lastResponse === undefined || (p.kind !== 'pbm' && p.kind !== 'pbmac1')) return;
    await assertSecretFitsResponse(fromB64(session.lastResponse), p.secret);
  }

  #transactionId(): string {
    const fixed = this.#options.transactionId;
    if (fixed !== undefined) {
      if (fixed.byteLength < 16)
        throw new CmpError('ERR_INVALID_OPTION', 'transactionId: must be at least 16 bytes long', { options: ['transactionId'] });
      return toB64(fixed);
    }
    return toB64(getCryptoProvider().randomBytes(16));
  }

  #deadline(setup: ClientSetup): number | undefined {
    const t = this.#options.totalTimeout;
    return t !== undefined && t > 0 ? setup.now() + t * 1000 : undefined;
  }

  /** What a new enrollment session starts with: its services' spec and the machine's input. */
  async #newEnrollment(kind: CertRequestKind, certReqMsg?: Uint8Array) {
    const setup = await this.#ready();
    // With central key generation there is no key of ours to find in the certificate; the returned key is checked instead.
    const requestedKey = setup.options.centralKeyGeneration
      ? undefined
      : certReqMsg !== undefined
        ? publicKeyOfCertReqMsg(certReqMsg)
        : kind === 'p10cr'
          ? requestedPublicKey(setup, undefined)
          : buildRequestTemplate(setup, kind).publicKey;
    const spec: SessionOptions = { kind, ...(certReqMsg ? { certReqMsg } : {}) };
    const deadline = this.#deadline(setup);
    const input: EnrollmentInput = {
      kind,
      transactionId: this.#transactionId(),
      ...(deadline !== undefined ? { deadline } : {}),
      implicitConfirm: this.#options.implicitConfirm ?? false,
      disableConfirm: this.#options.disableConfirm ?? false,
      ...(requestedKey ? { requestedPublicKey: toB64(requestedKey) } : {}),
      ...(setup.protection.kind === 'kemMac' ? { kemProtected: true } : {}),
    };
    return { setup, spec, input };
  }

  /** Starts a session; its connections end with it (done, failed, or stopped while waiting). */
  #run<T extends AnyActorLogic>(machine: T, services: OpenSessionServices, options: object): ReturnType<typeof createActor<T>> {
    const actor = createActor(machine, { ...options, ...this.#inspect() } as never) as ReturnType<typeof createActor<T>>;
    const check = services.checkResponse;
    this.#validatedSrvCert = undefined;
    const bound: OpenSessionServices = {
      ...services,
      checkResponse: async (input) => {
        let checked: Awaited<ReturnType<typeof check>>;
        try {
          checked = await check(input);
        } finally {
          this.#validatedSrvCert = services.validatedSigner();
        }
        this.#lastResponses.set(actor, input.der);
        return checked;
      },
    };
    const onStep = this.#options.onStep;
    if (onStep) this.#stepObserver ??= guardedStepObserver(onStep);
    bindServices(actor, this.#stepObserver ? withSessionSteps(bound, this.#stepObserver, options) : bound);
    actor.subscribe({ complete: () => services.close(), error: () => services.close() });
    const stop = actor.stop.bind(actor);
    actor.stop = () => {
      services.close();
      return stop();
    };
    actor.start();
    return actor;
  }

  /** Runs an enrollment to its end (OpenSSL OSSL_CMP_exec_certreq). */
  async certReq(kind: CertRequestKind, certReqMsg?: Uint8Array): Promise<EnrollmentResult> {
    const { setup, spec, input } = await this.#newEnrollment(kind, certReqMsg);
    const services = createSessionServices(setup, spec);
    const actor = this.#run(this.#enrollmentMachine(), services, { input });
    return withGeneratedKey(enrollmentResult(await toPromise(actor)), services.generatedKey());
  }

  /** OSSL_CMP_exec_IR_ses */
  ir(): Promise<EnrollmentResult> {
    return this.certReq('ir');
  }
  /** OSSL_CMP_exec_CR_ses */
  cr(): Promise<EnrollmentResult> {
    return this.certReq('cr');
  }
  /** OSSL_CMP_exec_P10CR_ses */
  p10cr(): Promise<EnrollmentResult> {
    return this.certReq('p10cr');
  }
  /** OSSL_CMP_exec_KUR_ses */
  kur(): Promise<EnrollmentResult> {
    return this.certReq('kur');
  }

  /**
   * One step of an enrollment without waiting (OpenSSL OSSL_CMP_try_certreq): the first call sends
   * the request; while the server answers `waiting` it returns checkAfter, and the next call polls
   * once. The waiting session is also returned as JSON, so that another process may resume it.
   */
  async tryCertReq(kind: CertRequestKind, certReqMsg?: Uint8Array): Promise<TryCertReqResult> {
    this.#refuseSteppedCentralKeyGeneration();
    const pending = this.#pending;
    if (pending) return this.#tryContinue(pending.session, pending.spec);
    const { setup, spec, input } = await this.#newEnrollment(kind, certReqMsg);
    const connection = setup.openTransfer();
    return this.#step(
      connection,
      () => this.#run(this.#enrollmentMachine(), createSessionServices(setup, { ...spec, immediateWaits: 0 }, connection), { input }),
      spec,
      setup.now,
    );
  }

  /**
   * A stepped enrollment ends in whichever call gets the answer, possibly in another process: the
   * generated key would have no result to travel in, so it is refused rather than lost.
   */
  #refuseSteppedCentralKeyGeneration(): void {
    if (this.#options.centralKeyGeneration) {
      throw new CmpError('ERR_INVALID_OPTION', 'centralKeyGeneration: not supported by tryCertReq and tryResume yet; use certReq or resume', {
        options: ['centralKeyGeneration'],
      });
    }
  }

  async #tryContinue(session: PersistedSession, spec: SessionOptions): Promise<TryCertReqResult> {
    const setup = await this.#ready();
    await this.#assertSameSecret(session, setup);
    const connection = this.#takeConnection(session) ?? setup.openTransfer();
    return this.#step(
      connection,
      () => this.#run(this.#enrollmentMachine(), createSessionServices(setup, { ...spec, immediateWaits: 1 }, connection), resumeOptions(session)),
      spec,
      setup.now,
    );
  }

  /** The pending session's connection if `session` continues that transaction; any other is ended. */
  #takeConnection(session: PersistedSession): SessionTransfer | undefined {
    const pending = this.#pending;
    this.#pending = undefined;
    if (!pending) return undefined;
    if (sessionTransactionId(pending.session) === sessionTransactionId(session)) return pending.connection;
    pending.connection.close();
    return undefined;
  }

  /** One stepping call over `connection`: kept while the transaction waits, ended with it otherwise. */
  async #step(
    connection: SessionTransfer,
    start: () => ReturnType<typeof createActor<EnrollmentMachine>>,
    spec: SessionOptions,
    now: () => number,
  ): Promise<TryCertReqResult> {
    try {
      const result = await this.#untilWaitingOrDone(start(), spec, now, connection);
      if (result.status !== 'waiting') connection.close();
      return result;
    } catch (e) {
      connection.close();
      throw e;
    }
  }

  async #untilWaitingOrDone(
    actor: ReturnType<typeof createActor<EnrollmentMachine>>,
    spec: SessionOptions,
    now: () => number,
    connection: SessionTransfer,
  ): Promise<TryCertReqResult> {
    // A resumed session starts in `waiting`: it counts only once it has polled again. A wait for
    // a poll that is already due (after a `waiting` ip) is no rest either.
    const startedWaiting = actor.getSnapshot().hasTag('persistable');
    const polls = actor.getSnapshot().context.polls;
    const waiting = await new Promise<PersistedSession | undefined>((resolve) => {
      const check = (s: ReturnType<typeof actor.getSnapshot>) => {
        if (s.status !== 'active') resolve(undefined);
        // Persisted at once, while the session rests in the quiet state.
        else if (s.hasTag('persistable') && (!startedWaiting || s.context.polls > polls) && (s.context.nextPollAt ?? 0) > now()) {
          resolve(persistSession(actor, 'enrollment'));
        }
      };
      actor.subscribe({ next: check, complete: () => resolve(undefined), error: () => resolve(undefined) });
      check(actor.getSnapshot());
    });
    if (!waiting) return { status: 'issued', result: enrollmentResult(await toPromise(actor)) };
    const checkAfter = actor.getSnapshot().context.checkAfter ?? 0;
    actor.stop();
    const session = this.#withLastResponse(waiting, actor);
    this.#pending = { session, spec, connection };
    return { status: 'waiting', checkAfter, session };
  }

  /**
   * Ends a waiting enrollment: sends an error message ("polling aborted") and expects pkiConf
   * (OpenSSL: OSSL_CMP_try_certreq with a NULL request type after a waiting answer).
   */
  async abort(session?: PersistedSession | string): Promise<void> {
    const target = session !== undefined ? parsePersistedSession(session, 'enrollment') : this.#pending?.session;
    if (!target) throw new CmpError('ERR_SESSION_STATE', 'no waiting enrollment to abort');
    const spec = this.#pending?.spec ?? {};
    const setup = await this.#ready();
    await this.#assertSameSecret(target, setup);
    const connection = this.#takeConnection(target) ?? setup.openTransfer();
    const actor = this.#run(this.#enrollmentMachine(), createSessionServices(setup, spec, connection), resumeOptions(target));
    actor.send({ type: 'abortRequested' });
    const out = await toPromise(actor).finally(() => connection.close());
    if (out.outcome !== 'aborted') throw new CmpError('ERR_SESSION_STATE', `the session ended ${out.outcome} instead of aborted`);
    if (out.error) throw CmpError.fromJSON(out.error);
  }

  /**
   * Continues a persisted waiting enrollment in this process (it may come from another one):
   * waits until the next poll is due, polls, and confirms as usual.
   */
  async resume(session: PersistedSession | string): Promise<EnrollmentResult> {
    const parsed = parsePersistedSession(session, 'enrollment');
    const setup = await this.#ready();
    await this.#assertSameSecret(parsed, setup);
    const services = createSessionServices(setup, specOf(parsed));
    const actor = this.#run(this.#enrollmentMachine(), services, resumeOptions(parsed));
    return withGeneratedKey(enrollmentResult(await toPromise(actor)), services.generatedKey());
  }

  /**
   * One polling step of a persisted waiting enrollment, from this or another process: polls now
   * (whatever checkAfter said, as OSSL_CMP_try_certreq does) and returns the certificate, or the
   * waiting session to save again.
   */
  async tryResume(session: PersistedSession | string): Promise<TryCertReqResult> {
    this.#refuseSteppedCentralKeyGeneration();
    const parsed = parsePersistedSession(session, 'enrollment');
    return this.#tryContinue(parsed, specOf(parsed));
  }

  /** OSSL_CMP_exec_RR_ses: revokes -oldcert, polling while the server delays its answer. */
  async rr(): Promise<RevocationResult> {
    return revocationResult(await this.#exchange('revocation', {}));
  }

  /** OSSL_CMP_exec_GENM_ses: sends the ITAVs given and returns those received, polling while the server delays its answer. */
  async genm(itavs: InfoTypeAndValueInput[] = []): Promise<GeneralResult> {
    return generalResult(await this.#exchange('general', { itavs }));
  }

  /**
   * One step of a revocation without waiting, like tryCertReq: the first call sends the rr; while
   * the server delays its answer it returns checkAfter and the waiting session (JSON another
   * process may resume with tryResumeRr or resumeRr), and the next call polls once.
   */
  tryRr(): Promise<TryExchangeResult<RevocationResult>> {
    return this.#tryExchange('revocation', {}, revocationResult);
  }

  /** One step of a general message without waiting; see tryRr. */
  tryGenm(itavs: InfoTypeAndValueInput[] = []): Promise<TryExchangeResult<GeneralResult>> {
    return this.#tryExchange('general', { itavs }, generalResult);
  }

  /** Continues a persisted waiting revocation (from this or another process) to its end. */
  async resumeRr(session: PersistedSession | string): Promise<RevocationResult> {
    return revocationResult(await this.#resumeExchange('revocation', session));
  }

  /** Continues a persisted waiting general message (from this or another process) to its end. */
  async resumeGenm(session: PersistedSession | string): Promise<GeneralResult> {
    return generalResult(await this.#resumeExchange('general', session));
  }

  /** One polling step of a persisted waiting revocation: polls now, and returns the result or the session to save again. */
  tryResumeRr(session: PersistedSession | string): Promise<TryExchangeResult<RevocationResult>> {
    return this.#tryContinueExchange('revocation', parsePersistedSession(session, 'revocation'), revocationResult);
  }

  /** One polling step of a persisted waiting general message; see tryResumeRr. */
  tryResumeGenm(session: PersistedSession | string): Promise<TryExchangeResult<GeneralResult>> {
    return this.#tryContinueExchange('general', parsePersistedSession(session, 'general'), generalResult);
  }

  #exchangeInput(setup: ClientSetup) {
    const deadline = this.#deadline(setup);
    return {
      transactionId: this.#transactionId(),
      ...(deadline !== undefined ? { deadline } : {}),
      ...(setup.protection.kind === 'kemMac' ? { kemProtected: true } : {}),
    };
  }

  async #exchange(name: ExchangeName, spec: SessionOptions): Promise<SingleExchangeOutput> {
    const setup = await this.#ready();
    return toPromise(this.#run(this.#exchangeMachine(name), createSessionServices(setup, spec), { input: this.#exchangeInput(setup) }));
  }

  async #resumeExchange(name: ExchangeName, session: PersistedSession | string): Promise<SingleExchangeOutput> {
    const parsed = parsePersistedSession(session, name);
    const setup = await this.#ready();
    await this.#assertSameSecret(parsed, setup);
    return toPromise(this.#run(this.#exchangeMachine(name), createSessionServices(setup, {}), resumeOptions(parsed)));
  }

  async #tryExchange<T>(name: ExchangeName, spec: SessionOptions, result: (out: SingleExchangeOutput) => T): Promise<TryExchangeResult<T>> {
    const pending = this.#pendingExchange;
    if (pending) {
      if (pending.machine !== name)
        throw new CmpError('ERR_SESSION_STATE', `a ${pending.machine} session is waiting on this client; finish it or close() the client first`);
      return this.#tryContinueExchange(name, pending.session, result);
    }
    const setup = await this.#ready();
    const connection = setup.openTransfer();
    const start = () =>
      this.#run(this.#exchangeMachine(name), createSessionServices(setup, { ...spec, immediateWaits: 0 }, connection), {
        input: this.#exchangeInput(setup),
      });
    return this.#exchangeStep(name, connection, start, setup.now, result);
  }

  async #tryContinueExchange<T>(
    name: ExchangeName,
    session: PersistedSession,
    result: (out: SingleExchangeOutput) => T,
  ): Promise<TryExchangeResult<T>> {
    const setup = await this.#ready();
    await this.#assertSameSecret(session, setup);
    const pending = this.#pendingExchange;
    this.#pendingExchange = undefined;
    let connection: SessionTransfer | undefined;
    if (pending && sessionTransactionId(pending.session) === sessionTransactionId(session)) connection = pending.connection;
    else pending?.connection.close();
    connection ??= setup.openTransfer();
    const start = () =>
      this.#run(this.#exchangeMachine(name), createSessionServices(setup, { immediateWaits: 1 }, connection), resumeOptions(session));
    return this.#exchangeStep(name, connection, start, setup.now, result);
  }

  /** One stepping call over `connection`: kept while the server delays its answer, ended with the transaction. */
  async #exchangeStep<T>(
    name: ExchangeName,
    connection: SessionTransfer,
    start: () => ExchangeActor,
    now: () => number,
    result: (out: SingleExchangeOutput) => T,
  ): Promise<TryExchangeResult<T>> {
    try {
      const actor = start();
      // As in tryCertReq: a resumed session starts waiting and rests only once it has polled again,
      // and a poll already due (right after the `waiting` error message) is no rest.
      const startedWaiting = actor.getSnapshot().hasTag('persistable');
      const polls = actor.getSnapshot().context.polls;
      const waiting = await new Promise<PersistedSession | undefined>((resolve, reject) => {
        const check = (s: ReturnType<ExchangeActor['getSnapshot']>) => {
          if (s.status !== 'active') resolve(undefined);
          else if (s.hasTag('persistable') && (!startedWaiting || s.context.polls > polls) && (s.context.nextPollAt ?? 0) > now()) {
            try {
              resolve(persistSession(actor, name));
            } catch (e) {
              reject(e);
            }
          }
        };
        actor.subscribe({ next: check, complete: () => resolve(undefined), error: () => resolve(undefined) });
        check(actor.getSnapshot());
      });
      if (!waiting) {
        connection.close();
        return { status: 'done', result: result(await toPromise(actor)) };
      }
      const checkAfter = actor.getSnapshot().context.checkAfter ?? 0;
      actor.stop();
      const session = this.#withLastResponse(waiting, actor);
      this.#pendingExchange = { machine: name, session, connection };
      return { status: 'waiting', checkAfter, session };
    } catch (e) {
      connection.close();
      throw e;
    }
  }

  /** RFC 9480 caCerts: the CA certificates the server publishes (OSSL_CMP_get1_caCerts). */
  getCaCerts(): Promise<X509Certificate[]> {
    return getCaCerts((itavs) => this.genm(itavs));
  }

  /**
   * RFC 9480 rootCaKeyUpdate, checked against the old root as section 4.3 asks, or without one
   * against the trusted certificates (OSSL_CMP_get1_rootCaKeyUpdate).
   */
  async getRootCaUpdate(oldRoot?: X509Certificate): Promise<RootCaUpdate | undefined> {
    const trusted = oldRoot ? [] : (await this.#ready()).trusted;
    return getRootCaUpdate((itavs) => this.genm(itavs), oldRoot, this.#options.verification?.at, trusted);
  }

  /** RFC 9480 certReqTemplate (OSSL_CMP_get1_certReqTemplate). */
  getCertReqTemplate(): Promise<CertReqTemplateContent | undefined> {
    return getCertReqTemplate((itavs) => this.genm(itavs));
  }

  /** RFC 9480 crlStatusList → crls: a newer CRL, if any (OSSL_CMP_get1_crlUpdate). */
  getCrlUpdate(from: { cert?: X509Certificate; crl?: X509Crl }): Promise<X509Crl | undefined> {
    return getCrlUpdate((itavs) => this.genm(itavs), from);
  }

  /**
   * Forgets a waiting tryCertReq session and ends its connection (other sessions end their own).
   * Against a server that, like OpenSSL 3.0's mock, cancels a transaction whose kept-alive
   * connection closes, a session to be resumed elsewhere should use keepAlive 0.
   */
  async close(): Promise<void> {
    const pending = this.#pending;
    this.#pending = undefined;
    pending?.connection.close();
    const exchange = this.#pendingExchange;
    this.#pendingExchange = undefined;
    exchange?.connection.close();
  }
}
