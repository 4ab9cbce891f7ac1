/**
 * OpenSSL's protocol lines (`CMP info: sending IR`, `CMP info: received IP`, and at DEBUG the
 * transactionID and each wait) drawn from the session machines' inspection events, which the
 * client has already sanitised. The observer only reads event types, body type names and short
 * ids; it never sees credentials, which stay in the services.
 */
import { ErrorCodes } from '../errors';
import { LogLevel, type CliLog } from './log';
import type { PollProgress } from './progress';

type Json = Record<string, unknown>;

const CERT_RESPONSE: Record<string, string> = { ir: 'IP', cr: 'CP', p10cr: 'CP', kur: 'KUP' };

const asObject = (v: unknown): Json | undefined => (typeof v === 'object' && v !== null ? (v as Json) : undefined);
const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** `ir` -> `IR`, `certConf` -> `CERTCONF`, `pollReq` -> `POLLREQ`: OpenSSL's spelling of body types. */
function bodyTypeName(bodyType: string): string {
  return bodyType.toUpperCase();
}

/** OpenSSL prints transactionIDs as colon-separated hex: `19:00:53:...`. */
function colonHex(b64: string): string {
  return Array.from(Buffer.from(b64, 'base64'), (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(':');
}

export interface ProtocolLog {
  /** The inspection observer. */
  observe(event: unknown): void;
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
  // Whether the session's kind is known (from its init event or one snapshot): a genm or rr has no
  // certRequest, and reading every snapshot's context for it would sanitise each one in vain.
  let kindKnown = false;
  let lastSent: string | undefined;
  let polls = 0;
  let stopWait: (() => void) | undefined;
  const endWait = () => {
    stopWait?.();
    stopWait = undefined;
  };

  const received = (output: Json): string | undefined => {
    switch (output.kind) {
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
      case 'rejected': {
        const code = asObject(output.error)?.code;
        if (code === ErrorCodes.ERR_ERROR_RESPONSE) return 'ERROR';
        if (lastSent === 'rr') return 'RP';
        return certRequest ? CERT_RESPONSE[certRequest] : undefined;
      }
      default:
        return undefined;
    }
  };

  const observe = (raw: unknown): void => {
    const e = asObject(raw);
    if (e?.type === '@xstate.snapshot') {
      if (kindKnown) return;
      // A session restored from a file has no init event to tell what it requested.
      const context = asObject(asObject(e.snapshot)?.context);
      if (context === undefined) return;
      kindKnown = true;
      const kind = asString(context.kind);
      if (kind !== undefined && CERT_RESPONSE[kind] !== undefined) certRequest = kind;
      return;
    }
    if (e?.type !== '@xstate.event') return;
    const event = asObject(e.event);
    const type = asString(event?.type);
    if (!event || !type) return;

    if (type === 'xstate.init') {
      const input = asObject(event.input);
      const transactionId = asString(input?.transactionId);
      if (transactionId !== undefined) {
        certRequest = asString(input?.kind);
        kindKnown = true;
        polls = 0;
        if (log.enabled(LogLevel.DEBUG)) log.debug(`Starting new transaction with ID=${colonHex(transactionId)}`);
      }
      const until = input?.until;
      if (typeof until === 'number' && progress) {
        endWait();
        polls += 1;
        stopWait = progress.show(until, polls);
      }
      return;
    }
    if (type === 'xstate.done.actor.buildRequest') {
      const bodyType = asString(asObject(event.output)?.bodyType);
      if (bodyType === undefined) return;
      lastSent = bodyType;
      if (!announced) {
        announced = true;
        log.info(`will contact ${server}`);
      }
      if (CERT_RESPONSE[bodyType] !== undefined) certRequest = bodyType;
      log.info(`sending ${bodyTypeName(bodyType)}`);
    } else if (type === 'xstate.done.actor.exchangeMessage') {
      log.debug('finished reading response from CMP server');
    } else if (type === 'xstate.done.actor.checkResponse') {
      const output = asObject(event.output);
      const name = output && received(output);
      if (name) log.info(`received ${name}`);
      if (output?.kind === 'waiting' || output?.kind === 'pollWait') {
        log.debug(`server asks to poll again after ${String(output.checkAfter)} s`);
      }
    } else if (type === 'xstate.done.actor.waitUntil' || type.startsWith('xstate.error.actor')) {
      endWait();
    }
  };
  return { observe, close: endWait };
}
