/**
 * A request the server will not honour. Every check in the server throws a Refusal naming the
 * PKIFailureInfo bits (RFC 9810 section 5.2.3) the client gets in the protected `error` answer;
 * the text goes into statusString, so it must never contain a secret or key material.
 */
import type { PKIFailureInfoName } from '../asn1';
import { CmpError, ErrorCodes } from '../errors';

export interface RefusalOptions {
  /**
   * Whether the refusal ends the transaction the message belongs to. False where a third party
   * could provoke the refusal by replaying an old message (a stale recipNonce) or by speaking for
   * someone else, so that it cannot abort a genuine client's transaction.
   */
  endsTransaction?: boolean;
  cause?: unknown;
}

export class Refusal extends Error {
  readonly failInfo: readonly PKIFailureInfoName[];
  readonly endsTransaction: boolean;

  constructor(failInfo: PKIFailureInfoName | readonly PKIFailureInfoName[], text: string, options: RefusalOptions = {}) {
    super(text, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'Refusal';
    this.failInfo = typeof failInfo === 'string' ? [failInfo] : failInfo;
    this.endsTransaction = options.endsTransaction ?? true;
  }
}

export function refuse(failInfo: PKIFailureInfoName | readonly PKIFailureInfoName[], text: string, options?: RefusalOptions): never {
  throw new Refusal(failInfo, text, options);
}

/**
 * The failInfo for a CmpError raised while checking the protection of a request: a wrong MAC or
 * signature is badMessageCheck, the wrong kind of protection wrongIntegrity, an unknown or
 * untrusted signer signerNotTrusted, an algorithm we cannot use badAlg.
 */
export function protectionFailInfo(e: CmpError): PKIFailureInfoName {
  switch (e.code) {
    case ErrorCodes.ERR_NO_SECRET:
      return 'wrongIntegrity';
    case ErrorCodes.ERR_UNSUPPORTED_ALGORITHM:
      return 'badAlg';
    case ErrorCodes.ERR_ASN1_DECODE:
      return 'badDataFormat';
    case ErrorCodes.ERR_SENDER_CERT_NOT_FOUND:
      return 'signerNotTrusted';
    default:
      return e.code.startsWith('ERR_PATH_') ? 'signerNotTrusted' : 'badMessageCheck';
  }
}
