/**
 * The `onStep` option: a session's services wrapped so that each call and outcome is reported as a
 * SessionStep. Progress lines need only these few names and kinds; drawing them from XState's
 * inspection instead makes every event of every actor, and a sanitised view of each, for a handful
 * of lines per session.
 */
import { guardedObserver } from '../guarded-observer';
import type { OpenSessionServices } from './services';
import type { SessionStep } from '../options';

export const STEP_OBSERVER_WARNING = 'CmpflowStepObserverWarning';

type StepObserver = (step: SessionStep) => void;

/** The observer, made safe: a failure of it is reported once per client and never reaches the session. */
export function guardedStepObserver(observer: StepObserver): StepObserver {
  return guardedObserver(observer, (e) => {
    const message = `the onStep observer failed (${e instanceof Error ? e.name : typeof e}); the sessions go on without its steps reported`;
    process.emitWarning(message, { type: STEP_OBSERVER_WARNING, code: 'CMPFLOW_STEP_OBSERVER_FAILED' });
  });
}

const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/**
 * The first step of a session from what its actor is created with: a new session's input, or a
 * resumed session's snapshot (whose context tells its kind).
 */
function sessionStep(actorOptions: { input?: unknown; snapshot?: unknown }): SessionStep {
  const input = actorOptions.input as { kind?: unknown; transactionId?: unknown } | undefined;
  if (input !== undefined) {
    const kind = asString(input.kind);
    const transactionId = asString(input.transactionId);
    return { step: 'session', ...(kind !== undefined ? { kind } : {}), ...(transactionId !== undefined ? { transactionId } : {}) };
  }
  const kind = asString((actorOptions.snapshot as { context?: { kind?: unknown } } | undefined)?.context?.kind);
  return { step: 'session', ...(kind !== undefined ? { kind } : {}) };
}

/** Reports `service` failing, then fails as it did. */
function failing(report: StepObserver, service: string): (e: unknown) => never {
  return (e) => {
    report({ step: 'failed', service });
    throw e;
  };
}

/** `services` reporting their steps to `report` (already guarded); reports the session's start at once. */
export function withSessionSteps(services: OpenSessionServices, report: StepObserver, actorOptions: object): OpenSessionServices {
  report(sessionStep(actorOptions));
  const { buildRequest, exchangeMessage, checkResponse, waitUntil } = services;
  return {
    ...services,
    buildRequest: (input) =>
      buildRequest(input).then(
        (built) => {
          report({ step: 'request', bodyType: built.bodyType });
          return built;
        },
        failing(report, 'buildRequest'),
      ),
    exchangeMessage: (input, signal) =>
      exchangeMessage(input, signal).then(
        (output) => {
          report({ step: 'exchanged' });
          return output;
        },
        failing(report, 'exchangeMessage'),
      ),
    checkResponse: (input) =>
      checkResponse(input).then(
        (checked) => {
          const c = checked as { kind: string; checkAfter?: unknown; error?: { code?: unknown } };
          const errorCode = asString(c.error?.code);
          report({
            step: 'response',
            kind: c.kind,
            ...(typeof c.checkAfter === 'number' ? { checkAfter: c.checkAfter } : {}),
            ...(errorCode !== undefined ? { errorCode } : {}),
          });
          return checked;
        },
        failing(report, 'checkResponse'),
      ),
    waitUntil: (input, signal) => {
      report({ step: 'wait', until: input.until });
      return waitUntil(input, signal).then(
        (output) => {
          report({ step: 'waited' });
          return output;
        },
        failing(report, 'waitUntil'),
      );
    },
  };
}
