/**
 * Running the enrollment machine yourself, with one actor replaced through machine.provide().
 * createSessionServices gives the services CmpClient uses; here `exchangeMessage` is wrapped to
 * keep an audit trail of what went over the wire (any transport could go here instead).
 * The machine's output is plain JSON; CmpClient is a thin layer that turns it into objects.
 */
import { randomBytes } from 'crypto';
import { createActor, toPromise } from 'xstate';
import { actorsFrom, createSessionServices, enrollmentMachine, setupClient, type SessionServices } from '../../src/entries/machines';

export interface Enrollment {
  serverUrl: string;
  ref: string;
  secret: string;
  newKeyPath: string;
  subject: string;
}

export interface AuditEntry {
  bodyType: string;
  sentBytes: number;
  receivedBytes: number;
}

export async function enrollWithAudit(p: Enrollment) {
  // Loads the credentials once; they stay inside the services' closures.
  const setup = await setupClient({ server: p.serverUrl, ref: p.ref, secret: p.secret, newKey: p.newKeyPath, subject: p.subject, msgTimeout: 10 });
  const services = createSessionServices(setup, { kind: 'ir' });

  const audit: AuditEntry[] = [];
  const audited: SessionServices = {
    ...services,
    async exchangeMessage(input, signal) {
      const output = await services.exchangeMessage(input, signal);
      const size = (b64: string) => Buffer.from(b64, 'base64').length;
      audit.push({ bodyType: input.bodyType, sentBytes: size(input.der), receivedBytes: size(output.der) });
      return output;
    },
  };

  const machine = enrollmentMachine.provide({ actors: actorsFrom(audited) });
  const actor = createActor(machine, {
    input: {
      kind: 'ir',
      transactionId: randomBytes(16).toString('base64'),
      // checkResponse insists that the new certificate is for this key. It is public, so it may
      // travel in the machine's context and in a persisted session.
      ...(setup.newKey ? { requestedPublicKey: Buffer.from(setup.newKey.spki).toString('base64') } : {}),
    },
  });
  actor.start();
  try {
    // { outcome: 'confirmed' | 'failed' | 'aborted', certificate?, error?, polls, transactionId }
    const output = await toPromise(actor);
    return { output, audit };
  } finally {
    services.close(); // ends the session's kept-alive connections
  }
}
