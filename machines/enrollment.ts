/**
 * The enrollment session (ir, cr, p10cr, kur): request, then poll while the CA answers `waiting`,
 * then confirm the new certificate, or end at once when confirmation was waived.
 *
 * requesting ─► answered ─► waiting ⇄ polling ─► answered ─► accepting ─► confirming ─► confirmationAnswered ─► confirmed
 *                  │           │                      │            │                        └── confirmationWaiting ⇄ confirmationPolling
 *                  │           │                      │            └── (rejected by us, answered or not) ─► failed
 *                  │           └── abortRequested ─► aborting ─► aborted
 *                  └── rejection / invalid response ─────────────────────────────────────► failed
 *
 * A session protected with KEM-based MAC starts with kemCiphertextExchange (kem-ciphertext.ts).
 *
 * Each of requesting, polling, confirming, confirmationPolling and aborting is one round trip:
 * building → sending → checking, or with `actorPer: 'roundTrip'` one state whose one actor runs
 * the three (round-trip.ts). `waiting` (for the certificate) and `confirmationWaiting` (for the
 * pkiConf of a delayed certConf) are the quiet states (tag `persistable`): nothing is in flight
 * there and the next poll time is absolute, so a snapshot taken there resumes correctly in any
 * process (see delayed-delivery.ts).
 */
import { and, assign, not, setup } from 'xstate';
import type { SerializedCmpError } from '../src/errors';
import type {
  B64,
  BuiltRequest,
  CertAcceptance,
  CertRequestKind,
  CheckedResponse,
  KemCiphertextOutput,
  PkiStatusView,
  RoundTripOutput,
} from './actors';
import { delayedDeliveryUpdates, pastDeadline, stillWaiting, waitingState, type DelayedDeliveryContext } from './delayed-delivery';
import { toSerializedError } from './errors';
import { afterKemCiphertext, kemCiphertextStates, kemProtected } from './kem-ciphertext';
import { roundTripShapes, roundTripUpdates, type ActorPer, type RoundTripArgs } from './round-trip';
import { placeholderActors } from './services';

export interface EnrollmentInput {
  kind: CertRequestKind;
  transactionId: B64;
  /** Absolute epoch ms after which the session gives up (OpenSSL -total_timeout); none if absent. */
  deadline?: number;
  /** We asked for implicit confirmation; the server may grant it. */
  implicitConfirm?: boolean;
  /** Do not confirm the new certificate (OpenSSL -disable_confirm). */
  disableConfirm?: boolean;
  /** DER SubjectPublicKeyInfo (base64) the request asks a certificate for, when known. */
  requestedPublicKey?: B64;
  /** The credential is a KEM key: obtain the KEM ciphertext first (RFC 9810 section 5.1.3.4). */
  kemProtected?: boolean;
}

export interface EnrolledCertificate extends PkiStatusView {
  refusal?: SerializedCmpError;
  certificate: B64;
  chain: B64[];
  caPubs: B64[];
  extraCerts: B64[];
  implicitConfirmGranted: boolean;
}

export type EnrollmentOutcome = 'confirmed' | 'failed' | 'aborted';

export interface EnrollmentContext extends DelayedDeliveryContext {
  kind: CertRequestKind;
  deadline?: number;
  implicitConfirm: boolean;
  disableConfirm: boolean;
  kemProtected?: boolean;
  enrolled?: EnrolledCertificate;
  acceptance?: CertAcceptance;
  error?: SerializedCmpError;
  outcome?: EnrollmentOutcome;
}

export type EnrollmentEvent = { type: 'abortRequested' };

export interface EnrollmentOutput {
  outcome: EnrollmentOutcome;
  transactionId: B64;
  polls: number;
  certificate?: EnrolledCertificate;
  error?: SerializedCmpError;
}

type Checked<K extends CheckedResponse['kind']> = Extract<CheckedResponse, { kind: K }>;

const enrollment = setup({
  types: {
    context: {} as EnrollmentContext,
    input: {} as EnrollmentInput,
    events: {} as EnrollmentEvent,
    output: {} as EnrollmentOutput,
    tags: {} as 'persistable' | 'busy',
  },
  actors: placeholderActors,
  guards: {
    certificateIssued: ({ context }) => context.checked?.kind === 'certificate',
    certificateRefused: ({ context }) => context.checked?.kind === 'certificate' && context.checked.refusal !== undefined,
    confirmationWaived: ({ context }) => {
      const r = context.checked;
      if (r?.kind !== 'certificate') return false;
      return context.disableConfirm || (context.implicitConfirm && r.implicitConfirmGranted);
    },
    stillWaiting,
    pastDeadline,
    certificateAccepted: ({ context }) => context.acceptance?.accept === true,
    kemProtected,
  },
  actions: {
    recordKemCiphertext: assign(({ context }, output: KemCiphertextOutput) => ({ transaction: afterKemCiphertext(context.transaction, output) })),
    recordSent: assign(({ context }, request: BuiltRequest) => roundTripUpdates.sent({ context }, request)),
    recordReceived: assign((_, der: B64) => roundTripUpdates.received(_, der)),
    recordChecked: assign(({ context }, checked: CheckedResponse) => roundTripUpdates.checked({ context }, checked)),
    recordRoundTrip: assign(({ context }, output: RoundTripOutput) => roundTripUpdates.completed({ context }, output)),
    forgetMessages: assign(() => delayedDeliveryUpdates.forgetMessages()),
    scheduleNextPoll: assign(({ context }) => delayedDeliveryUpdates.scheduleNextPoll({ context })),
    countPoll: assign(({ context }) => delayedDeliveryUpdates.countPoll({ context })),
    recordCertificate: assign(({ context }) => {
      const { kind: _k, senderNonce: _n, certReqId: _i, ...enrolled } = context.checked as Checked<'certificate'>;
      return { enrolled };
    }),
    recordAcceptance: assign((_, acceptance: CertAcceptance) => ({ acceptance })),
    recordRejection: assign(({ context }) => {
      const r = context.checked;
      if (r?.kind === 'rejected') return { error: r.error };
      return { error: { code: 'ERR_UNEXPECTED_BODY', message: `unexpected ${r?.kind ?? 'empty'} response` } as SerializedCmpError };
    }),
    recordError: assign((_, error: unknown) => ({ error: toSerializedError(error) })),
    recordTimeout: assign(({ context }) => ({
      error: {
        code: 'ERR_TOTAL_TIMEOUT',
        message: `total timeout exceeded while waiting for ${context.acceptance ? 'the confirmation' : 'the certificate'}`,
      } as SerializedCmpError,
    })),
    recordRefusal: assign(({ context }) => ({ error: (context.checked as Checked<'certificate'>).refusal })),
    recordClientRejection: assign(({ context }) => ({
      error: {
        code: context.acceptance?.code ?? 'ERR_CERT_REJECTED_BY_CLIENT',
        message: `the new certificate was rejected${context.acceptance?.text ? `: ${context.acceptance.text}` : ''}`,
        ...(context.acceptance?.failInfo ? { failInfo: context.acceptance.failInfo } : {}),
      } as SerializedCmpError,
    })),
    settle: assign((_, outcome: EnrollmentOutcome) => ({ outcome })),
  },
});

/** Any actor's failure: keep the error as JSON and go to `target`. */
const failTo = (target: string) =>
  ({ target, actions: { type: 'recordError', params: ({ event }: { event: { error: unknown } }) => event.error } }) as const;

type StateConfig = NonNullable<Parameters<typeof enrollment.createMachine>[0]['states']>[string];

/** One message exchange: build and protect, send, check; then `then` decides where to go. */
const roundTripShapesOfEnrollment = roundTripShapes<EnrollmentContext>();

/**
 * The enrollment statechart with its round trips in the shape `actorPer` asks for: 'step' (the
 * default, and `enrollmentMachine`) gives each of build, send and check a state and an actor;
 * 'roundTrip' one actor per exchange, the same services in the same order, for less of XState's
 * work per session. Both take the same input, give the same output and share their quiet states,
 * so a snapshot of one resumes in the other.
 */
export function createEnrollmentMachine<A extends ActorPer = 'step'>(actorPer: A = 'step' as A): EnrollmentMachineOf<A> {
  const machine =
    actorPer === 'roundTrip' ? defineEnrollment(roundTripShapesOfEnrollment.roundTrip) : defineEnrollment(roundTripShapesOfEnrollment.step);
  return machine as unknown as EnrollmentMachineOf<A>;
}

/** The type of the enrollment machine of one shape: its state values name that shape's states. */
export type EnrollmentMachineOf<A extends ActorPer> = ReturnType<typeof defineEnrollment<ReturnType<(typeof roundTripShapesOfEnrollment)[A]>>>;

function defineEnrollment<R extends StateConfig>(roundTrip: (...args: RoundTripArgs<EnrollmentContext>) => R) {
  return enrollment.createMachine({
    id: 'enrollment',
    context: ({ input }) => ({
      kind: input.kind,
      transaction: {
        transactionId: input.transactionId,
        pvno: 2,
        messagesSent: 0,
        ...(input.requestedPublicKey !== undefined ? { requestedPublicKey: input.requestedPublicKey } : {}),
      },
      ...(input.deadline !== undefined ? { deadline: input.deadline } : {}),
      implicitConfirm: input.implicitConfirm ?? false,
      disableConfirm: input.disableConfirm ?? false,
      ...(input.kemProtected ? { kemProtected: true } : {}),
      polls: 0,
    }),
    initial: 'starting',
    states: {
      ...kemCiphertextStates('requesting', 'failed'),
      requesting: roundTrip(
        ({ context }) => ({ kind: context.kind, transaction: context.transaction }),
        '#enrollment.answered',
        '#enrollment.failed',
      ),
      answered: {
        always: [
          // Refused by our own checks with nothing to confirm: fail without a certConf (as OpenSSL).
          { guard: and(['certificateRefused', 'confirmationWaived']), target: 'failed', actions: ['recordCertificate', 'recordRefusal'] },
          { guard: 'confirmationWaived', target: 'confirmed', actions: 'recordCertificate' },
          { guard: 'certificateIssued', target: 'accepting', actions: 'recordCertificate' },
          { guard: 'stillWaiting', target: 'waiting', actions: 'scheduleNextPoll' },
          { target: 'failed', actions: 'recordRejection' },
        ],
      },
      waiting: {
        ...waitingState('#enrollment.polling', '#enrollment.failed'),
        on: { abortRequested: 'aborting' },
      },
      polling: roundTrip(
        ({ context }) => ({ kind: 'pollReq', transaction: context.transaction }),
        '#enrollment.answered',
        '#enrollment.failed',
        ({ context }) => context.kind,
      ),
      accepting: {
        tags: 'busy',
        invoke: {
          id: 'acceptCertificate',
          src: 'acceptCertificate',
          input: ({ context }) => ({
            ...(context.enrolled!.refusal ? { refusal: context.enrolled!.refusal } : {}),
            certificate: context.enrolled!.certificate,
            chain: context.enrolled!.chain,
            caPubs: context.enrolled!.caPubs,
            extraCerts: context.enrolled!.extraCerts,
          }),
          onDone: { target: 'confirming', actions: { type: 'recordAcceptance', params: ({ event }) => event.output } },
          onError: failTo('failed'),
        },
      },
      confirming: roundTrip(
        ({ context }) => ({
          kind: 'certConf',
          transaction: context.transaction,
          certificate: context.enrolled!.certificate,
          accept: context.acceptance!,
        }),
        '#enrollment.confirmationAnswered',
        '#enrollment.confirmationUnanswered',
      ),
      confirmationAnswered: {
        always: [
          { guard: 'stillWaiting', target: 'confirmationWaiting', actions: 'scheduleNextPoll' },
          { guard: 'certificateAccepted', target: 'confirmed' },
          { target: 'failed', actions: 'recordClientRejection' },
        ],
      },
      // The certConf's answer was delayed: the certificate stays in the context, so the session
      // resumed from here still ends with it.
      confirmationWaiting: waitingState('#enrollment.confirmationPolling', '#enrollment.confirmationUnanswered'),
      confirmationPolling: roundTrip(
        ({ context }) => ({ kind: 'pollReq', transaction: context.transaction }),
        '#enrollment.confirmationAnswered',
        '#enrollment.confirmationUnanswered',
        () => 'certConf',
      ),
      // A certificate we refused stays refused, whatever the certConf exchange came to (as OpenSSL).
      confirmationUnanswered: {
        always: [{ guard: not('certificateAccepted'), target: 'failed', actions: 'recordClientRejection' }, { target: 'failed' }],
      },
      aborting: roundTrip(
        ({ context }) => ({ kind: 'error', transaction: context.transaction, reason: 'aborted', text: 'polling aborted' }),
        '#enrollment.aborted',
        '#enrollment.aborted',
      ),
      confirmed: { type: 'final', entry: ['forgetMessages', { type: 'settle', params: 'confirmed' }] },
      failed: { type: 'final', entry: ['forgetMessages', { type: 'settle', params: 'failed' }] },
      aborted: { type: 'final', entry: ['forgetMessages', { type: 'settle', params: 'aborted' }] },
    },
    output: ({ context }) => ({
      outcome: context.outcome ?? 'failed',
      transactionId: context.transaction.transactionId,
      polls: context.polls,
      ...(context.enrolled ? { certificate: context.enrolled } : {}),
      ...(context.error ? { error: context.error } : {}),
    }),
  });
}

/** The enrollment machine with an actor per step (machines/index.ts's enrollmentMachine). */
export type EnrollmentMachine = EnrollmentMachineOf<'step'>;
