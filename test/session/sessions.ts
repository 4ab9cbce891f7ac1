/**
 * Enrollment sessions for the session tests: one run to `waiting` by scripted services, and the
 * scripted services that finish it after a resume. Shared with the child-process fixtures.
 */
import { createActor, type Actor, type SnapshotFrom } from 'xstate';
import { enrollmentMachine, type EnrollmentMachine } from '../../machines';
import { actorsFrom } from '../../machines/services';
import type { SessionServices } from '../../machines/actors';
import { ok, responses, scriptedServices, type Recorder } from '../machines/fake-services';

/** A 128-bit transactionID, as RFC 9810 recommends; its base64 contains '/' and '+'. */
export const TRANSACTION_ID = Buffer.from('fbffff3e8d0a1c2b3fbeef00112233aa', 'hex').toString('base64');

export function until(actor: Actor<EnrollmentMachine>, predicate: (s: SnapshotFrom<EnrollmentMachine>) => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (predicate(actor.getSnapshot())) return resolve();
    const sub = actor.subscribe((s) => {
      if (predicate(s)) {
        sub.unsubscribe();
        resolve();
      }
    });
  });
}

export interface WaitingRun {
  actor: Actor<EnrollmentMachine>;
  recorder: Recorder;
}

/**
 * An enrollment that sent its request, was told to wait `checkAfter` seconds (at `receivedAt`) and
 * now waits. By default the wait never ends; pass `waitUntil` for a real clock.
 */
export async function startWaiting(
  options: { transactionId?: string; checkAfter?: number; receivedAt?: number; waitUntil?: SessionServices['waitUntil']; start?: boolean } = {},
): Promise<WaitingRun> {
  const recorder = scriptedServices({
    buildRequest: [ok({})],
    exchangeMessage: [ok({ der: Buffer.from('ip-waiting').toString('base64') })],
    checkResponse: [ok(responses.waiting(options.checkAfter ?? 30, options.receivedAt ?? 1_000))],
  });
  recorder.services.waitUntil = options.waitUntil ?? (() => new Promise(() => undefined));
  const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(recorder.services) }), {
    input: { kind: 'ir', transactionId: options.transactionId ?? TRANSACTION_ID, implicitConfirm: true },
  });
  actor.start();
  await until(actor, (s) => s.hasTag('persistable'));
  return { actor, recorder };
}

/** What the CA says after a resume: the certificate on the first poll, then pkiConf. */
export function finishingServices(pollAt: number): Recorder {
  return scriptedServices({
    buildRequest: [ok({}), ok({})],
    exchangeMessage: [ok({ der: Buffer.from('ip').toString('base64') }), ok({ der: Buffer.from('pkiconf').toString('base64') })],
    checkResponse: [ok(responses.certificate()), ok(responses.pkiConf())],
    waitUntil: [ok({ now: pollAt })],
    acceptCertificate: [ok({ accept: true })],
  });
}
