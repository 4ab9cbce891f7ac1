/**
 * OpenSSL's protocol lines (`CMP info: sending IR`, `CMP info: received IP`, and at DEBUG the
 * transactionID and each wait) drawn from the client's session steps (the `onStep` option), which
 * carry body type names, outcome kinds and times, never credentials. The lines come as each step
 * finishes, so `received` follows the response's checks (OpenSSL prints it on reading, before
 * them); a response that fails them prints no `received` line, as before.
 */
import { ErrorCodes } from '../errors';
import type { SessionStep } from '../options';
import { LogLevel, type CliLog } from './log';
import type { PollProgress } from './progress';

const CERT_RESPONSE: Record<string, string> = { ir: 'IP', cr: 'CP', p10cr: 'CP', kur: 'KUP' };

/** `ir` -> `IR`, `certConf` -> `CERTCONF`, `pollReq` -> `POLLREQ`: OpenSSL's spelling of body types. */
function bodyTypeName(bodyType: string): string {
  return bodyType.toUpperCase();
}

/** OpenSSL prints transactionIDs as colon-separated hex: `19:00:53:...`. */
function colonHex(b64: string): string {
  return Array.from(Buffer.from(b64, 'base64'), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

export interface ProtocolLog {
  /** The step observer (CmpClientOptions.onStep). */
  step(step: SessionStep): void;
  /** Ends a wait display still running (a session stopped while it waited). */
  close(): void;
}

/**
 * Prints protocol progress through `log`; with `progress`, waits of an in-process polling loop
 * are shown too. `server` is announced before the first message, once the credentials have
 * loaded, as OpenSSL announces it at the end of its setup.
 */
export function createProtocolLog(log: CliLog, progress?: PollProgress, server?: string): ProtocolLog {
  let announced = server === undefined;
  let certRequest: string | undefined;
  let lastSent: string | undefined;
  let polls = 0;
  let stopWait: (() => void) | undefined;
  const endWait = () => {
    stopWait?.();
    stopWait = undefined;
  };

  const received = (kind: string, errorCode: string | undefined): string | undefined => {
    switch (kind) {
      case 'certificate':
      case 'waiting':
        return certRequest ? CERT_RESPONSE[certRequest] : undefined;
      case 'pollWait':
        return 'POLLREP';
      case 'pkiConf':
        return 'PKICONF';
      case 'revocation':
        return 'RP';
      case 'generalResponse':
        return 'GENP';
      case 'rejected':
        if (errorCode === ErrorCodes.ERR_ERROR_RESPONSE) return 'ERROR';
        if (lastSent === 'rr') return 'RP';
        return certRequest ? CERT_RESPONSE[certRequest] : undefined;
      default:
        return undefined;
    }
  };

  const step = (s: SessionStep): void => {
    switch (s.step) {
      case 'session':
        certRequest = s.kind !== undefined && CERT_RESPONSE[s.kind] !== undefined ? s.kind : undefined;
        if (s.transactionId !== undefined) {
          polls = 0;
          if (log.enabled(LogLevel.DEBUG)) log.debug(`Starting new transaction with ID=${colonHex(s.transactionId)}`);
        }
        return;
      case 'request':
        lastSent = s.bodyType;
        if (!announced) {
          announced = true;
          log.info(`will contact ${server}`);
        }
        if (CERT_RESPONSE[s.bodyType] !== undefined) certRequest = s.bodyType;
        log.info(`sending ${bodyTypeName(s.bodyType)}`);
        return;
      case 'exchanged':
        log.debug('finished reading response from CMP server');
        return;
      case 'response': {
        const name = received(s.kind, s.errorCode);
        if (name) log.info(`received ${name}`);
        if (s.kind === 'waiting' || s.kind === 'pollWait') log.debug(`server asks to poll again after ${String(s.checkAfter)} s`);
        return;
      }
      case 'wait':
        if (progress) {
          endWait();
          polls += 1;
          stopWait = progress.show(s.until, polls);
        }
        return;
      case 'waited':
      case 'failed':
        endWait();
        return;
    }
  };
  return { step, close: endWait };
}
