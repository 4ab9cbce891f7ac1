/**
 * What a CMP server is configured with, and the checked, resolved form the handler works from.
 * The option names follow `openssl cmp`'s mock-server options (-srv_*, -rsp_*, -poll_count, ...)
 * so that a command line maps onto them one to one.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { PKI_FAILURE_INFO_NAMES, type CertReqTemplateContent, type PKIBodyType, type PKIFailureInfoName } from '../asn1';
import type { PrivateKeyHandle } from '../crypto';
import { publicKeyMatches } from '../credentials/keys';
import { CmpError, ErrorCodes } from '../errors';
import { viewOf } from '../pki/certificate-view';
import type { VerificationParameters } from '../protection/sender-cert';
import type { CaCredentials } from './ca';
import { DELAYABLE_REQUESTS, type DelayableRequest } from './delayed-delivery';
import { resolveReferenceNames, type AuthorizeIssuance, type ReferenceNames, type ResolvedReferenceNames } from './issuance-authorization';
import type { RecordStore } from './records';
import { hex } from '../bytes';

/** A shared secret for MAC-protected messages (PasswordBasedMac, PBMAC1), found by the senderKID. */
export interface SharedSecret {
  /** The reference (senderKID) the client sends. */
  ref: string | Uint8Array;
  secret: string | Uint8Array;
  /**
   * An RA secret: MAC-protected revocation requests under it may revoke any certificate of this
   * CA. Without it, only the holder of a certificate (or an RA) can revoke it: every enrolling
   * device knows the ordinary secret.
   */
  ra?: boolean;
}

export interface IssuancePolicyConfig {
  /** Validity when the template asks for none; default 365 days. */
  defaultValidityDays?: number;
  /** Longest validity granted (longer requests are shortened, status grantedWithMods); default 825 days. */
  maxValidityDays?: number;
  /** Smallest RSA modulus accepted; default 2048. */
  minRsaBits?: number;
  /**
   * Accept a template that names another issuer. `openssl cmp` fills the template's issuer from
   * the issuer of its -cert when no -issuer is given, which is not this CA when the client
   * authenticates with a certificate from another PKI; by default such a request is refused.
   */
  ignoreTemplateIssuer?: boolean;
  /**
   * The names each MAC reference (senderKID) may request. A reference not listed here may request
   * the names of the first certificate issued to it, and never a name issued to another reference.
   */
  references?: ReferenceNames[];
  /**
   * Let a request signed with a certificate (ir, cr, p10cr) ask for other names than the signer's
   * own subject and subjectAltNames, e.g. a device's IDevID enrolling for an operational name.
   */
  signersMayRequestOtherNames?: boolean;
  /** Extended key usages granted; default any but OCSPSigning, anyExtendedKeyUsage, cmcCA, cmcRA and cmKGA. */
  allowedExtKeyUsages?: string[];
  /** Certificate policies granted; default any but anyPolicy. */
  allowedPolicies?: string[];
  /** Issue wildcard DNS names (`*.example.com`); default false. */
  allowWildcards?: boolean;
  /**
   * Decides instead of the rules above which names, purposes and policies a requester gets. It is
   * shown what the built-in rules would say. The names of the CA, its chain and the CMP server
   * stay reserved whatever it answers.
   */
  authorize?: AuthorizeIssuance;
}

export interface ResolvedPolicy {
  defaultValidityDays: number;
  maxValidityDays: number;
  minRsaBits: number;
  ignoreTemplateIssuer: boolean;
  references: Map<string, ResolvedReferenceNames>;
  signersMayRequestOtherNames: boolean;
  allowedExtKeyUsages?: ReadonlySet<string>;
  allowedPolicies?: ReadonlySet<string>;
  allowWildcards: boolean;
  authorize?: AuthorizeIssuance;
}

/** The value of id-it-rootCaKeyUpdate this server hands out (RFC 9810 section 5.3.19.15). */
export interface RootCaKeyUpdateConfig {
  /** The root being replaced; a request naming another old root gets no update (without it: one with another subject than newWithNew's). */
  oldRoot?: X509Certificate;
  newWithNew: X509Certificate;
  newWithOld?: X509Certificate;
  oldWithNew?: X509Certificate;
}

export interface CmpServerConfig {
  /** The CA that issues certificates. Without it, only fixed answers (`rspCert`) can be given. */
  ca?: CaCredentials;
  policy?: IssuancePolicyConfig;
  /**
   * Where the CA keeps what it issued, confirmed and revoked, its CRL number and the names bound to
   * each reference. Default: in memory, lost when the process ends; use a JournalRecordStore for a
   * CA that must remember across restarts.
   */
  store?: RecordStore;
  /** RA certificates: revocation requests they sign may revoke any certificate of this CA. */
  raCerts?: X509Certificate[];

  /** senderKID of MAC-protected responses; default: the senderKID of the request. */
  srvRef?: string | Uint8Array;
  /** Shared secret for MAC-protected requests with any senderKID not listed in `secrets`. */
  srvSecret?: string | Uint8Array;
  secrets?: SharedSecret[];
  /** Certificate and key signing responses; default the CA's own. */
  srvCert?: X509Certificate;
  srvKey?: PrivateKeyHandle;
  /** Trust anchors for signed requests; the CA's own anchors are always added. */
  srvTrusted?: X509Certificate[];
  /** Intermediates for checking signed requests, also sent with signed responses. */
  srvUntrusted?: X509Certificate[];
  /** Verification parameters for the paths of signed requests' signers (OpenSSL applies -verify_depth, -policy, -purpose ... to -srv_trusted). */
  srvVerification?: VerificationParameters;
  /** Sender name of MAC-protected responses; default the CA's subject, else the NULL-DN. */
  senderName?: Name;

  /** Answer every certificate request with this certificate instead of issuing one (OpenSSL -rsp_cert). */
  rspCert?: X509Certificate;
  /**
   * rspCert's key, returned to a request for central key generation (OpenSSL 3.5 -rsp_key), signed by
   * the response signer (srvCert), which the client accepts as key generation authority only with id-kp-cmKGA.
   */
  rspKey?: PrivateKeyHandle;
  /**
   * The only certificate an rr may revoke and a kur's oldCertID may name (OpenSSL 3.5 -ref_cert);
   * with fixed answers the default is `rspCert`, as OpenSSL's mock server has it.
   */
  refCert?: X509Certificate;
  /** Added to the extraCerts of ip, cp and kup. */
  rspExtraCerts?: X509Certificate[];
  /** caPubs of ip, cp and kup; default the CA's trust anchors in an ip answering a MAC-protected ir. */
  rspCaPubs?: X509Certificate[];
  /** Answers `waiting` to a certificate request, then pollRep until the pollCount-th answer. */
  pollCount?: number;
  /** checkAfter of pollRep, in seconds; default 1. */
  checkAfter?: number;
  /**
   * Delayed delivery of rp, genp and pkiconf: for each request kind named, how many answers are
   * `waiting` (an error message, then pollReps with checkAfter) before the real one; 0 or absent:
   * answered at once.
   */
  delayedDelivery?: Partial<Record<DelayableRequest, number>>;
  /** Grant implicit confirmation when the request asks for it. */
  grantImplicitConf?: boolean;
  /** Forced PKIStatus (0..6) of ip/cp/kup/rp; 2 (rejection) means no certificate. */
  pkiStatus?: number;
  /** One forced PKIFailureInfo bit (0..26). */
  failure?: number;
  /** Forced PKIFailureInfo bits as a number (0 .. 2^27-1). */
  failureBits?: number;
  statusString?: string;
  /** Answer every request with an error message. */
  sendError?: boolean;
  /** Send all responses without protection. */
  sendUnprotected?: boolean;
  /** Send error messages without protection. */
  sendUnprotErr?: boolean;
  /** Accept requests whose protection is missing or invalid. */
  acceptUnprotected?: boolean;
  /** Accept unprotected error messages from clients. */
  acceptUnprotErr?: boolean;
  /** Accept raVerified as proof of possession. */
  acceptRaVerified?: boolean;
  /** Number of requests the HTTP listener answers before it closes; 0 or absent: unlimited. */
  maxMsgs?: number;

  rootCaKeyUpdate?: RootCaKeyUpdateConfig;
  /** The answer to id-it-certReqTemplate; absent: the genp says there is none. */
  certReqTemplate?: CertReqTemplateContent;
  /**
   * The CRL a genm crlStatusList is answered with (DER), instead of the CA's own: OpenSSL's mock
   * -rsp_crl. Sent when the client names its issuer (or a distribution point) and has none as new.
   */
  rspCrl?: Uint8Array;

  /** pvno values accepted; default 2 (cmp2000) and 3 (cmp2021). */
  pvnos?: number[];
  /** Refuse (badTime) requests whose messageTime is further than this from the server's clock. */
  messageTimeToleranceMs?: number;
  /** Smallest and largest MAC iteration counts accepted in requests; default 100..100000. */
  minIterations?: number;
  maxIterations?: number;
  /** A transaction waiting for the client ends after this much silence; default 5 minutes. */
  transactionTimeoutMs?: number;
  /** Finished transactions are remembered this long, so their IDs cannot be reused; default 1 hour. */
  retentionMs?: number;
  /** Most transactions kept at once; default 10000. */
  maxTransactions?: number;
  /**
   * Most unfinished transactions one client (protection identity: one shared secret, one signer
   * certificate) holds at once; default 2000 or maxTransactions if lower. Every device enrolling
   * with the same shared secret is one client here, so this bounds a fleet's transactions in flight.
   */
  maxTransactionsPerClient?: number;
  /** Time from one CRL to the next; default 24 hours. */
  crlValidityMs?: number;
  /** Clock, for tests. */
  now?: () => Date;
  /**
   * Told about unexpected failures (bugs, unusable keys), which clients only see as systemFailure.
   * Refusals of bad requests are not reported here: they are answered to the client.
   */
  onInternalError?: (error: unknown) => void;
  /**
   * Told the body type of each request whose header and protection hold, as OpenSSL's mock server
   * logs `received IR`: operators and tests count requests per type with it. `retransmission`: the
   * client sent its last message of a transaction again (it lost our answer), which is answered as before.
   */
  onRequest?: (bodyType: PKIBodyType, info: { retransmission: boolean }) => void;
}

export interface ResolvedSecret {
  /** Identifies the secret in a transaction: `ref:<hex>` or `default`. */
  id: string;
  secret: Uint8Array;
}

export interface ResolvedConfig {
  source: CmpServerConfig;
  srvRef?: Uint8Array;
  defaultSecret?: Uint8Array;
  secrets: Map<string, Uint8Array>;
  /** ResolvedSecret ids of the RA secrets. */
  raSecrets: ReadonlySet<string>;
  signer?: { cert: X509Certificate; key: PrivateKeyHandle };
  senderName: Name;
  pvnos: ReadonlySet<number>;
  forcedFailInfo: PKIFailureInfoName[];
  policy: ResolvedPolicy;
  pollCount: number;
  checkAfter: number;
  delayedDelivery: Record<DelayableRequest, number>;
  transactionTimeoutMs: number;
  retentionMs: number;
  maxTransactions: number;
  maxTransactionsPerClient: number;
  now: () => Date;
}

const utf8 = (v: string | Uint8Array): Uint8Array => (typeof v === 'string' ? new Uint8Array(Buffer.from(v, 'utf8')) : Uint8Array.from(v));

function invalid(message: string): CmpError {
  return new CmpError(ErrorCodes.ERR_INVALID_OPTION, message);
}

function count(value: number | undefined, name: string, fallback: number, max = Number.MAX_SAFE_INTEGER, min = 0): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < min || value > max) throw invalid(`${name} must be an integer in ${min}..${max}, got ${String(value)}`);
  return value;
}

function failInfoFrom(config: CmpServerConfig): PKIFailureInfoName[] {
  const bits = new Set<number>();
  if (config.failure !== undefined) bits.add(count(config.failure, 'failure', 0, 26));
  if (config.failureBits !== undefined) {
    const value = count(config.failureBits, 'failureBits', 0, 2 ** 27 - 1);
    for (let bit = 0; bit < 27; bit++) if (value & (1 << bit)) bits.add(bit);
  }
  return [...bits].sort((a, b) => a - b).map((b) => PKI_FAILURE_INFO_NAMES[b]!);
}

/** Checks the configuration; ERR_INVALID_OPTION or ERR_CREDENTIALS for one that cannot work. */
export function resolveConfig(config: CmpServerConfig): ResolvedConfig {
  if ((config.srvCert === undefined) !== (config.srvKey === undefined)) throw invalid('srvCert and srvKey must be given together');
  if (config.rspKey && !config.rspCert) throw invalid('rspKey needs rspCert, the certificate it is returned with');
  if (config.rspKey && config.rspCert && !publicKeyMatches(config.rspKey, config.rspCert)) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `rspKey does not belong to rspCert "${config.rspCert.subject}"`);
  }
  if (config.srvCert && config.srvKey && !publicKeyMatches(config.srvKey, config.srvCert)) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `srvKey does not belong to srvCert "${config.srvCert.subject}"`);
  }
  if (config.pkiStatus !== undefined) count(config.pkiStatus, 'pkiStatus', 0, 6);
  count(config.maxMsgs, 'maxMsgs', 0);
  const secrets = new Map<string, Uint8Array>();
  const raSecrets = new Set<string>();
  for (const entry of config.secrets ?? []) {
    const secret = utf8(entry.secret);
    if (secret.length === 0) throw invalid('a shared secret must not be empty');
    secrets.set(hex(utf8(entry.ref)), secret);
    if (entry.ra === true) raSecrets.add(`ref:${hex(utf8(entry.ref))}`);
  }
  const defaultSecret = config.srvSecret !== undefined ? utf8(config.srvSecret) : undefined;
  if (defaultSecret?.length === 0) throw invalid('srvSecret must not be empty');
  const policy = config.policy ?? {};
  const maxValidityDays = count(policy.maxValidityDays, 'maxValidityDays', 825, 36_500, 1);
  const defaultValidityDays = count(policy.defaultValidityDays, 'defaultValidityDays', Math.min(365, maxValidityDays), maxValidityDays, 1);
  const pvnos = new Set(config.pvnos ?? [2, 3]);
  for (const p of pvnos) count(p, 'pvno', 2, 3, 1);
  if (pvnos.size === 0) throw invalid('pvnos must name at least one version');
  const signer =
    config.srvCert && config.srvKey
      ? { cert: config.srvCert, key: config.srvKey }
      : config.ca
        ? { cert: config.ca.cert, key: config.ca.key }
        : undefined;
  const caName = config.ca ? viewOf(config.ca.cert).subjectName : undefined;
  const maxTransactions = count(config.maxTransactions, 'maxTransactions', 10_000, 10_000_000, 1);
  return {
    source: config,
    ...(config.srvRef !== undefined ? { srvRef: utf8(config.srvRef) } : {}),
    ...(defaultSecret ? { defaultSecret } : {}),
    secrets,
    raSecrets,
    ...(signer ? { signer } : {}),
    senderName: AsnConvert.parse(AsnConvert.serialize(config.senderName ?? caName ?? new Name([])), Name),
    pvnos,
    forcedFailInfo: failInfoFrom(config),
    policy: {
      defaultValidityDays,
      maxValidityDays,
      minRsaBits: count(policy.minRsaBits, 'minRsaBits', 2048, 16_384, 1024),
      ignoreTemplateIssuer: policy.ignoreTemplateIssuer === true,
      references: resolveReferenceNames(policy.references ?? []),
      signersMayRequestOtherNames: policy.signersMayRequestOtherNames === true,
      ...(policy.allowedExtKeyUsages ? { allowedExtKeyUsages: new Set(policy.allowedExtKeyUsages) } : {}),
      ...(policy.allowedPolicies ? { allowedPolicies: new Set(policy.allowedPolicies) } : {}),
      allowWildcards: policy.allowWildcards === true,
      ...(policy.authorize ? { authorize: policy.authorize } : {}),
    },
    pollCount: count(config.pollCount, 'pollCount', 0, 1000),
    checkAfter: count(config.checkAfter, 'checkAfter', 1, 86_400),
    delayedDelivery: resolveDelayedDelivery(config.delayedDelivery),
    transactionTimeoutMs: count(config.transactionTimeoutMs, 'transactionTimeoutMs', 300_000, 7 * 86_400_000, 1),
    retentionMs: count(config.retentionMs, 'retentionMs', 3_600_000, 30 * 86_400_000, 0),
    maxTransactions,
    maxTransactionsPerClient: count(config.maxTransactionsPerClient, 'maxTransactionsPerClient', Math.min(maxTransactions, 2000), maxTransactions, 1),
    now: config.now ?? (() => new Date()),
  };
}

function resolveDelayedDelivery(counts: CmpServerConfig['delayedDelivery']): Record<DelayableRequest, number> {
  if (counts !== undefined && (typeof counts !== 'object' || counts === null)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'delayedDelivery must be an object of answer counts');
  }
  for (const key of Object.keys(counts ?? {})) {
    if (!(DELAYABLE_REQUESTS as readonly string[]).includes(key)) {
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `delayedDelivery names ${JSON.stringify(key)}; it may name ${DELAYABLE_REQUESTS.join(', ')}`);
    }
  }
  const resolved = {} as Record<DelayableRequest, number>;
  for (const kind of DELAYABLE_REQUESTS) resolved[kind] = count(counts?.[kind], `delayedDelivery.${kind}`, 0, 1000);
  return resolved;
}

/** The secret for a MAC-protected message with this senderKID: the one listed for it, else srvSecret. */
export function secretFor(config: ResolvedConfig, senderKID: Uint8Array | undefined): ResolvedSecret | undefined {
  if (senderKID) {
    const listed = config.secrets.get(hex(senderKID));
    if (listed) return { id: `ref:${hex(senderKID)}`, secret: listed };
  }
  return config.defaultSecret ? { id: 'default', secret: config.defaultSecret } : undefined;
}
