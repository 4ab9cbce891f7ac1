/**
 * Enrollment with a CA that takes its time: one process sends the request and stores the waiting
 * session as JSON; another process (hours later, after a restart) resumes it, polls and confirms.
 * The session holds the transaction state only. Secrets never go into it, so the resuming process
 * gives the same credentials again.
 */
import { promises as fs } from 'fs';
import { CmpClient, type CmpClientOptions, type EnrollmentResult } from '../../src';

export interface Enrollment {
  serverUrl: string;
  ref: string;
  secret: string;
  newKeyPath: string;
  subject: string;
}

function options(p: Enrollment): CmpClientOptions {
  return {
    server: p.serverUrl,
    ref: p.ref,
    secret: p.secret,
    newKey: p.newKeyPath,
    subject: p.subject,
    // No connection outlives a message. OpenSSL's mock server cancels a transaction when a
    // kept-alive connection closes under it, which a session stopped mid-transaction does.
    keepAlive: 0,
    msgTimeout: 10,
  };
}

export type FirstStep = { status: 'issued'; subject: string } | { status: 'waiting'; checkAfter: number };

/** Process 1: sends the request; if the CA is not done, saves the session in `sessionFile`. */
export async function startEnrollment(p: Enrollment, sessionFile: string): Promise<FirstStep> {
  const step = await new CmpClient(options(p)).tryCertReq('ir');
  if (step.status === 'issued') return { status: 'issued', subject: step.result.certificate.subject };
  // A session names who is enrolling what: keep it private, though it holds no secret.
  await fs.writeFile(sessionFile, JSON.stringify(step.session), { mode: 0o600 });
  return { status: 'waiting', checkAfter: step.checkAfter };
}

/** Process 2: resumes the saved session; waits until the next poll is due, polls, confirms. */
export async function finishEnrollment(p: Enrollment, sessionFile: string): Promise<EnrollmentResult> {
  const session = await fs.readFile(sessionFile, 'utf8');
  // resume() refuses a session that was tampered with or taken by another machine version.
  const result = await new CmpClient(options(p)).resume(session);
  await fs.rm(sessionFile);
  return result;
}
