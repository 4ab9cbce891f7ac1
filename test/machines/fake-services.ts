/**
 * Scripted services for machine tests: each actor call takes the next scripted outcome for that
 * actor, so a test states exactly what the network and the validators "said".
 */
import { CmpError } from '../../src/errors';
import type { BuildRequestInput, BuiltRequest, CertAcceptance, CheckedResponse, SessionServices, WaitOutput } from '../../machines/actors';

export type Outcome<T> = { ok: T } | { fail: CmpError };

export interface Script {
  buildRequest?: Outcome<Partial<BuiltRequest>>[];
  exchangeMessage?: Outcome<{ der: string }>[];
  checkResponse?: Outcome<CheckedResponse>[];
  waitUntil?: Outcome<WaitOutput>[];
  acceptCertificate?: Outcome<CertAcceptance>[];
}

export interface Recorder {
  services: SessionServices;
  calls: { actor: keyof Script; input: unknown }[];
  built: BuildRequestInput[];
}

export function scriptedServices(script: Script): Recorder {
  const calls: Recorder['calls'] = [];
  const built: BuildRequestInput[] = [];
  let nonce = 0;
  const next = <T>(actor: keyof Script, input: unknown): T => {
    calls.push({ actor, input });
    const queue = script[actor] as Outcome<T>[] | undefined;
    const outcome = queue?.shift();
    if (!outcome) throw new Error(`test script has no more outcomes for ${actor}`);
    if ('fail' in outcome) throw outcome.fail;
    return outcome.ok;
  };
  const services: SessionServices = {
    async buildRequest(input) {
      built.push(input);
      const partial = next<Partial<BuiltRequest>>('buildRequest', input);
      nonce += 1;
      return {
        der: Buffer.from(`${input.kind}-${nonce}`).toString('base64'),
        bodyType: input.kind,
        senderNonce: Buffer.from(`nonce-${nonce}`).toString('base64'),
        pvno: 2,
        ...partial,
      };
    },
    async exchangeMessage(input) {
      return next('exchangeMessage', input);
    },
    async checkResponse(input) {
      return next('checkResponse', input);
    },
    async waitUntil(input) {
      return next('waitUntil', input);
    },
    async acceptCertificate(input) {
      return next('acceptCertificate', input);
    },
  };
  return { services, calls, built };
}

export const ok = <T>(value: T): Outcome<T> => ({ ok: value });
export const fail = (code: ConstructorParameters<typeof CmpError>[0], message: string = code): Outcome<never> => ({
  fail: new CmpError(code, message),
});

const b64 = (s: string) => Buffer.from(s).toString('base64');

export const responses = {
  certificate: (implicitConfirmGranted = false): CheckedResponse => ({
    kind: 'certificate',
    senderNonce: b64('server-nonce'),
    certReqId: '0',
    certificate: b64('certificate'),
    chain: [b64('certificate'), b64('root')],
    caPubs: [],
    extraCerts: [b64('root')],
    implicitConfirmGranted,
    status: 0,
    statusName: 'accepted',
  }),
  waiting: (checkAfter = 5, receivedAt = 1_000_000): CheckedResponse => ({
    kind: 'waiting',
    senderNonce: b64('server-nonce-w'),
    certReqId: '0',
    checkAfter,
    receivedAt,
    status: 3,
    statusName: 'waiting',
  }),
  pollWait: (checkAfter = 5, receivedAt = 1_000_000): CheckedResponse => ({
    kind: 'pollWait',
    senderNonce: b64('server-nonce-p'),
    certReqId: '0',
    checkAfter,
    receivedAt,
  }),
  rejected: (): CheckedResponse => ({
    kind: 'rejected',
    senderNonce: b64('server-nonce-r'),
    status: 2,
    statusName: 'rejection',
    failInfo: ['badRequest'],
    error: { code: 'ERR_REQUEST_REJECTED', message: 'rejected', status: 2, failInfo: ['badRequest'] },
  }),
  pkiConf: (): CheckedResponse => ({ kind: 'pkiConf', senderNonce: b64('server-nonce-c') }),
};
