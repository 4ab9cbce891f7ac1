/**
 * The contract between the session machines and the services that do their work. Every actor takes
 * and returns plain JSON (bytes as base64), so machine context, snapshots and inspector events stay
 * serialisable and free of secrets: credentials live inside the service closures that
 * `machine.provide()` installs, never in what passes through here.
 */
import type { SerializedCmpError } from '../src/errors';
import type { CertRequestKind, PolledRequestKind, RequestKind } from '../src/protocol';

/** Base64 (standard alphabet) of DER bytes. */
export type B64 = string;

export type { CertRequestKind, PolledRequestKind, RequestKind };

/** What a session must remember between messages: the transaction's identity and nonces. */
export interface TransactionState {
  transactionId: B64;
  /** The senderNonce of our last request, which the next response must echo as recipNonce. */
  lastSenderNonce?: B64;
  /** The senderNonce of the last response, which our next request echoes as recipNonce. */
  recipNonce?: B64;
  /** certReqId as a decimal string (INTEGER of any size; -1 for p10cr). */
  certReqId?: string;
  /** pvno the session uses: 2, or 3 once a v3 feature (certConf hashAlg) is needed. */
  pvno: 2 | 3;
  /** Messages sent so far in this transaction. */
  messagesSent: number;
  /**
   * DER SubjectPublicKeyInfo the certificate request asked for (public, so it may be persisted):
   * a resumed session checks the issued certificate against it without the new key at hand.
   */
  requestedPublicKey?: B64;
}

/** Input of `buildRequest`: which message to build next and what it must carry. */
export type BuildRequestInput =
  | { kind: CertRequestKind | 'rr' | 'genm'; transaction: TransactionState }
  | { kind: 'pollReq'; transaction: TransactionState }
  | { kind: 'certConf'; transaction: TransactionState; certificate: B64; accept: CertAcceptance }
  | { kind: 'error'; transaction: TransactionState; reason: 'aborted' | 'rejected'; text: string; failInfo?: string[] };

export interface BuiltRequest {
  /** The protected PKIMessage, serialised once; these exact bytes are sent. */
  der: B64;
  /** The body type as in the PKIBody CHOICE, e.g. 'ir', 'pollReq'. */
  bodyType: RequestKind;
  /** The senderNonce placed in the header. */
  senderNonce: B64;
  /** pvno placed in the header. */
  pvno: 2 | 3;
  /** For certificate requests: the certReqId used (decimal string). */
  certReqId?: string;
}

export interface ExchangeInput {
  der: B64;
  bodyType: RequestKind;
  /** Absolute epoch ms by which the whole transaction must end (total timeout), if any. */
  deadline?: number;
}

export interface ExchangeOutput {
  der: B64;
}

/** Input of `checkResponse`: the received bytes and what the request was. */
export interface CheckResponseInput {
  der: B64;
  /** The body type of the request this answers. */
  requestType: RequestKind;
  /** When the request is a pollReq: the request whose delayed answer it polls for. */
  pollingFor?: PolledRequestKind;
  transaction: TransactionState;
}

export interface PkiStatusView {
  status: number;
  statusName: string;
  failInfo?: string[];
  statusString?: string[];
}

/** What a validated response means, as plain JSON. Failures of validation reject the actor with a CmpError. */
export type CheckedResponse =
  | ({
      kind: 'certificate';
      senderNonce: B64;
      certReqId: string;
      certificate: B64;
      /** The validated chain of the new certificate when it could be built: [cert, ..., anchor]. */
      chain: B64[];
      caPubs: B64[];
      extraCerts: B64[];
      implicitConfirmGranted: boolean;
      /** Set when our own checks refuse the certificate (wrong key, not out-trusted): confirmation is negative. */
      refusal?: SerializedCmpError;
    } & PkiStatusView)
  | ({ kind: 'waiting'; senderNonce: B64; certReqId: string; checkAfter: number; receivedAt: number } & PkiStatusView)
  | { kind: 'pollWait'; senderNonce: B64; certReqId: string; checkAfter: number; receivedAt: number; reason?: string[] }
  | ({ kind: 'rejected'; senderNonce: B64; error: SerializedCmpError } & Partial<PkiStatusView>)
  | { kind: 'pkiConf'; senderNonce: B64 }
  | ({ kind: 'revocation'; senderNonce: B64; warning?: string; extraCerts: B64[] } & PkiStatusView)
  | { kind: 'generalResponse'; senderNonce: B64; itavs: { infoType: string; value?: B64 }[]; extraCerts: B64[] };

/**
 * Input of `obtainKemCiphertext`: the transaction whose messages KEM-based MAC will protect
 * (RFC 9810 section 5.1.3.4). The shared secret it yields stays in the service.
 */
export interface KemCiphertextInput {
  transaction: TransactionState;
  deadline?: number;
}

/** The public part of the KEM exchange: the genm's senderNonce and the genp's, which the next request echoes. */
export interface KemCiphertextOutput {
  sentNonce: B64;
  receivedNonce: B64;
}

/**
 * Input of `roundTrip`, the one actor of a round trip in the machines made with `actorPer:
 * 'roundTrip'`: build and protect the request, exchange it, check the response, as the
 * buildRequest, exchangeMessage and checkResponse actors do one after the other.
 */
export interface RoundTripInput {
  build: BuildRequestInput;
  /** Absolute epoch ms by which the whole transaction must end (total timeout), if any. */
  deadline?: number;
  /** When the request is a pollReq: the request whose delayed answer it polls for. */
  pollingFor?: PolledRequestKind;
}

/** What the three steps of a round trip produced, for the machine to record as the three actors' outputs. */
export interface RoundTripOutput {
  request: BuiltRequest;
  der: B64;
  checked: CheckedResponse;
}

export interface CertAcceptance {
  accept: boolean;
  /** The error code the session fails with after the negative certConf (default ERR_CERT_REJECTED_BY_CLIENT). */
  code?: SerializedCmpError['code'];
  /** PKIFailureInfo bit names for a rejection (e.g. ['incorrectData']). */
  failInfo?: string[];
  text?: string;
}

export interface AcceptCertificateInput {
  /** Our own checks already refused it: the service must not accept it. */
  refusal?: SerializedCmpError;
  certificate: B64;
  chain: B64[];
  caPubs: B64[];
  extraCerts: B64[];
}

export interface WaitInput {
  /** Absolute epoch milliseconds: waits survive a restore because they carry no relative time. */
  until: number;
}

export interface WaitOutput {
  /** The clock when the wait ended, so that machines compare deadlines without reading a clock. */
  now: number;
}

/** The names under which the machines invoke their actors; `machine.provide({ actors })` replaces them. */
export const ActorNames = {
  buildRequest: 'buildRequest',
  exchangeMessage: 'exchangeMessage',
  checkResponse: 'checkResponse',
  waitUntil: 'waitUntil',
  acceptCertificate: 'acceptCertificate',
  obtainKemCiphertext: 'obtainKemCiphertext',
  roundTrip: 'roundTrip',
} as const;

/** The services behind the actors, as plain async functions (they know nothing of XState). */
export interface SessionServices {
  buildRequest(input: BuildRequestInput): Promise<BuiltRequest>;
  exchangeMessage(input: ExchangeInput, signal?: AbortSignal): Promise<ExchangeOutput>;
  checkResponse(input: CheckResponseInput): Promise<CheckedResponse>;
  waitUntil(input: WaitInput, signal?: AbortSignal): Promise<WaitOutput>;
  acceptCertificate(input: AcceptCertificateInput): Promise<CertAcceptance>;
  /** Only sessions protected with KEM-based MAC invoke it. */
  obtainKemCiphertext?(input: KemCiphertextInput, signal?: AbortSignal): Promise<KemCiphertextOutput>;
}
