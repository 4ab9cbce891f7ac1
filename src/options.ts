/**
 * The options of a CMP client, named in camelCase after the `openssl cmp` options they mirror
 * (`-srvcert` → `srvCert`, `-unprotected_errors` → `unprotectedErrors`), so that OpenSSL's manual
 * documents them too. Credentials may be given as file paths, PEM/DER bytes or loaded objects.
 */
import type { X509Certificate } from '@peculiar/x509';
import type { InspectionEvent, Observer } from 'xstate';
import type { HashName, PrivateKeyHandle } from './crypto/provider';
import type { Transfer } from './transport/types';
import type { CrlsInput } from './pki/crl-input';

/**
 * A certificate source: a file path, PEM text, DER, PEM or PKCS#12 bytes (the format is told by
 * content), or a loaded certificate.
 */
export type CertificateInput = string | Uint8Array | X509Certificate;
/** Several certificates: one source holding many, or a list of sources. */
export type CertificatesInput = CertificateInput | CertificateInput[];
/** A private key source: file path, PEM text, DER, PEM or PKCS#12 bytes, or a loaded key handle. */
export type KeyInput = string | Uint8Array | PrivateKeyHandle;
/** A secret: the bytes or text themselves (an OpenSSL pass phrase source is resolved by the CLI). */
export type SecretInput = string | Uint8Array;

export interface GeneralNameInput {
  type: 'dns' | 'ip' | 'email' | 'uri';
  value: string;
}

/** A protocol step of a session, as `onStep` sees it. */
export type SessionStep =
  /** A session starts (a resumed one: `kind` only, from its saved state). */
  | { step: 'session'; kind?: string; transactionId?: string }
  /** A request is built and goes out next; `bodyType` as in the PKIBody CHOICE (`ir`, `certConf`). */
  | { step: 'request'; bodyType: string }
  /** The response to it has been read, not yet checked. */
  | { step: 'exchanged' }
  /** The response was checked: `kind` as the session machines name the outcome (`certificate`, `waiting`, `pollWait`, `pkiConf`, `revocation`, `generalResponse`, `rejected`), `errorCode` the CmpError code of a rejected one. */
  | { step: 'response'; kind: string; checkAfter?: number; errorCode?: string }
  /** The session waits until `until` (epoch ms) before polling; `waited` when it has. */
  | { step: 'wait'; until: number }
  | { step: 'waited' }
  /** A step failed (the session then ends with that error, or the machine handles it). */
  | { step: 'failed'; service: string };

/** A decision on a newly issued certificate (OpenSSL's certConf callback). */
export interface CertificateDecision {
  accept: boolean;
  /** PKIFailureInfo bit names, e.g. ['badCertTemplate']. */
  failInfo?: string[];
  text?: string;
}

export interface NewCertificateInfo {
  certificate: X509Certificate;
  chain: X509Certificate[];
  caPubs: X509Certificate[];
  extraCerts: X509Certificate[];
}

export interface InfoTypeAndValueInput {
  /** OID in dotted form. */
  infoType: string;
  /** DER of the value, if any. */
  value?: Uint8Array;
}

export interface CmpClientOptions {
  // ---- server and transfer (OpenSSL -server, -path, -proxy, -no_proxy, -recipient, -keep_alive, -msg_timeout, -total_timeout)
  /** `[http[s]://]host[:port][/path]` */
  server?: string;
  path?: string;
  proxy?: string;
  noProxy?: string;
  /** The recipient name (RFC 4514 or OpenSSL `/CN=...` form) when no server certificate names it. */
  recipient?: string;
  keepAlive?: 0 | 1 | 2;
  /** Seconds per message exchange (default 120; 0 = none). */
  msgTimeout?: number;
  /** Seconds for a whole transaction including polling (default none). */
  totalTimeout?: number;
  /** Maximum response size in bytes (default 100 KiB as OpenSSL). */
  maxResponseBytes?: number;
  /**
   * HTTPS (OpenSSL -tls_used, -tls_cert, -tls_key, -tls_keypass, -tls_extra, -tls_trusted,
   * -tls_host), applied with `used` or an https:// server. Unlike OpenSSL, the server is always
   * verified: against `trusted`, else Node's default root CAs; its certificate must name `host`,
   * else the server's host. `keyPass` opens `key` and a PKCS#12 `cert`; certificates after the
   * first in `cert`, and `untrusted` ones, complete the client certificate's chain.
   */
  tls?: {
    used?: boolean;
    cert?: CertificateInput;
    key?: KeyInput;
    keyPass?: string;
    extra?: CertificatesInput;
    trusted?: CertificatesInput;
    host?: string;
  };
  /** Replaces HTTP: any function from request bytes to response bytes. */
  transfer?: Transfer;
  /**
   * Wraps whatever carries the messages (HTTP, `transfer`, files): it sees each request before it
   * goes out and each answer, and may send a recorded request in its place through the context's
   * adoptRequest. The fleet records every message with it, so that a worker taking over after a
   * crash sends the very messages the CA may already have, not new ones.
   */
  interceptTransfer?: (send: Transfer) => Transfer;
  /** File-based transfer as OpenSSL's -reqout, -rspin, -reqin, -rspout (lists of files, in message order). */
  files?: { reqout?: string[]; rspin?: string[]; reqin?: string[]; rspout?: string[]; /** OpenSSL -reqin_new_tid. */ reqinNewTid?: boolean };

  // ---- server authentication (OpenSSL -srvcert, -trusted, -untrusted, -expect_sender, -ignore_keyusage, -unprotected_errors)
  srvCert?: CertificateInput;
  trusted?: CertificatesInput;
  untrusted?: CertificatesInput;
  expectSender?: string;
  ignoreKeyUsage?: boolean;
  /**
   * The server's signer certificate, when it has an extendedKeyUsage, must name id-kp-cmcCA or
   * id-kp-cmcRA in it, so a certificate the CA issued for another purpose cannot answer as the CA.
   * A signer without extendedKeyUsage is accepted (RFC 9483 does not require one). Default false,
   * as OpenSSL.
   */
  requireCmcEku?: boolean;
  unprotectedErrors?: boolean;
  /** 3GPP TS 33.310: for an ip only, a self-signed certificate in extraCerts may anchor the server's path. */
  permitTaInExtraCertsForIr?: boolean;
  /** Trust store for validating the newly issued certificate (OpenSSL -out_trusted). */
  outTrusted?: CertificatesInput;
  /**
   * OpenSSL 3.3's -no_cache_extracerts: the certificates a response carries in extraCerts are not
   * kept as untrusted certificates, so the new certificate's chain (and its outTrusted check) is
   * built from `untrusted` and caPubs only. The response's own protection is still checked with them.
   */
  noCacheExtraCerts?: boolean;
  /** Verification parameters (OpenSSL -attime, -no_check_time, -partial_chain, -crl_check, -crl_check_all, -use_deltas, -extended_crl, -verify_depth, -ignore_critical, -policy, -explicit_policy, -inhibit_map, -inhibit_any, -purpose, -verify_hostname, -verify_email, -verify_ip, -check_ss_sig, -auth_level, -x509_strict, -suiteB_128_only, -suiteB_128, -suiteB_192, -allow_proxy_certs). */
  verification?: {
    at?: Date;
    noCheckTime?: boolean;
    partialChain?: boolean;
    /**
     * Revocation checking of the server's certificate path against `crls`: 'leaf' the signer only
     * (OpenSSL -crl_check), 'all' its whole path (-crl_check_all). As in OpenSSL 3.0, not applied to
     * the newly enrolled certificate (-out_trusted) nor in 3GPP mode.
     */
    crlCheck?: 'leaf' | 'all';
    /** CRLs for `crlCheck`: file paths, PEM text (several CRLs), DER or PEM bytes. */
    crls?: CrlsInput;
    /** With `crlCheck`: apply delta CRLs with their complete CRLs (OpenSSL -use_deltas). */
    useDeltas?: boolean;
    /** With `crlCheck`: use indirect CRLs, CRLs for some reasons only, CRL issuers off the path (OpenSSL -extended_crl). */
    extendedCrl?: boolean;
    /** Most intermediate CA certificates a path may have, target and anchor not counted (OpenSSL -verify_depth). */
    maxDepth?: number;
    /** Accept unknown critical extensions (OpenSSL -ignore_critical). */
    ignoreCritical?: boolean;
    /** Acceptable certificate policy OIDs, RFC 5280's user-initial-policy-set (OpenSSL -policy); default any. */
    policies?: string[];
    /** Require a valid certificate policy from the start (OpenSSL -explicit_policy). */
    explicitPolicy?: boolean;
    /** Do not follow policy mappings (OpenSSL -inhibit_map). */
    inhibitPolicyMapping?: boolean;
    /** Do not let anyPolicy in a certificate match (OpenSSL -inhibit_any). */
    inhibitAnyPolicy?: boolean;
    /** OpenSSL purpose name the server's certificate path must fit (OpenSSL -purpose): sslclient, sslserver, nssslserver, smimesign, smimeencrypt, crlsign, any, ocsphelper, timestampsign. */
    purpose?: string;
    /** Host the server's certificate must name (OpenSSL -verify_hostname). */
    verifyHostname?: string;
    /** Email address the server's certificate must name (OpenSSL -verify_email). */
    verifyEmail?: string;
    /** IP address the server's certificate must name (OpenSSL -verify_ip). */
    verifyIp?: string;
    /** Verify the trust anchor's self-signature too (OpenSSL -check_ss_sig). */
    checkSelfSignature?: boolean;
    /** Security level 0..5 every key and signature of the path must meet (OpenSSL -auth_level); default 0. */
    authLevel?: number;
    /** OpenSSL 3.0's strict RFC 5280 profile checks (-x509_strict). */
    x509Strict?: boolean;
    /** RFC 6460 Suite B restrictions: '128only' (-suiteB_128_only, P-256), '128' (-suiteB_128, P-256 or P-384), '192' (-suiteB_192, P-384). */
    suiteB?: '128only' | '128' | '192';
    /** Accept RFC 3820 proxy certificates, checking their path length and name rules (-allow_proxy_certs). */
    allowProxyCertificates?: boolean;
  };

  // ---- client authentication (OpenSSL -ref, -secret, -cert, -key, -keypass, -own_trusted, -extracerts, -digest, -mac, -unprotected_requests)
  /** Reference value (senderKID) for MAC protection. */
  ref?: string;
  /** Shared secret for MAC protection. */
  secret?: SecretInput;
  /**
   * Our protection certificate. Further certificates of its source (a chain file, or a PKCS#12
   * file's other certificates) are untrusted certificates, and build the chain sent after it.
   */
  cert?: CertificateInput;
  key?: KeyInput;
  /** Pass phrase of key, and of cert and oldCert when they are encrypted PKCS#12 files (OpenSSL -keypass). */
  keyPass?: string;
  /** Pass phrase of PKCS#12 files given for srvCert, trusted, untrusted, ownTrusted, extraCerts, outTrusted (OpenSSL -otherpass). */
  otherPass?: string;
  /** Certificates to build the chain of our own protection certificate (OpenSSL -own_trusted). */
  ownTrusted?: CertificatesInput;
  extraCerts?: CertificatesInput;
  /** Hash for signatures and PBM's one-way function (default SHA-256). */
  digest?: HashName | string;
  /** MAC for PBM (OpenSSL -mac, default HMAC-SHA1) or 'pbmac1' for RFC 9481 PBMAC1. */
  mac?: string;
  /** MAC-based protection scheme (default 'pbm', as OpenSSL; 'pbmac1' per RFC 9481). */
  macProtection?: 'pbm' | 'pbmac1';
  /** PBM / PBMAC1 iteration count (default 500 for PBM as OpenSSL, 10000 for PBMAC1). */
  macIterations?: number;
  unprotectedRequests?: boolean;

  // ---- certificate enrollment (OpenSSL -newkey, -newkeypass, -subject, -issuer, -days, -reqexts, -sans, -san_nodefault, -policies, -policy_oids, -policy_oids_critical, -popo, -csr, -implicit_confirm, -disable_confirm, -certout, -oldcert)
  newKey?: KeyInput;
  newKeyPass?: string;
  /**
   * Central key generation (OpenSSL 3.5 -centralkeygen, RFC 9483 section 4.1.6): the CA makes the key
   * and returns it encrypted for our protection key or MAC secret; newKey, if given, only names its type.
   * The result carries it as `privateKey` and `privateKeyPkcs8`.
   */
  centralKeyGeneration?: boolean;
  subject?: string;
  issuer?: string;
  days?: number;
  /** DER of an Extensions value to include (OpenSSL -reqexts resolved). */
  reqExtensions?: Uint8Array;
  sans?: (string | GeneralNameInput)[];
  sanNoDefault?: boolean;
  policyOids?: string[];
  policyOidsCritical?: boolean;
  /** -1 = none/raVerified…; 0 = raVerified; 1 = signature (default); 2 = keyEnc; 3 = keyAgree (OpenSSL -popo). */
  popo?: -1 | 0 | 1 | 2 | 3;
  /** PKCS#10 request for p10cr (or to take the template from for other requests). */
  csr?: string | Uint8Array;
  implicitConfirm?: boolean;
  disableConfirm?: boolean;
  /**
   * The transactionID of each new transaction instead of a random one (at least 16 bytes). A caller
   * that records it before anything is sent can tell its transaction apart after a crash (the fleet
   * does). A server refuses an ID it already knows (transactionIdInUse), so each transaction needs its own.
   */
  transactionId?: Uint8Array;
  /** Certificate to be updated (kur) or revoked (rr). */
  oldCert?: CertificateInput;
  /**
   * Serial number of the certificate an rr revokes, with `issuer` naming its issuer, when the
   * certificate itself is not at hand (OpenSSL -serial): decimal or 0x-prefixed hexadecimal text.
   */
  serialNumber?: string | bigint;
  /** CRLReason for rr (-1 = none, as OpenSSL's default). */
  revReason?: number;
  /** Additional generalInfo ITAVs in every request header (OpenSSL -geninfo). */
  generalInfo?: InfoTypeAndValueInput[];

  /** Called before certConf (OpenSSL's certConf callback); may reject the new certificate. */
  acceptCertificate?: (info: NewCertificateInfo) => CertificateDecision | Promise<CertificateDecision>;

  /**
   * XState inspection for every session, in either form `createActor`'s `inspect` takes: a function
   * or an observer object (such as `@statelyai/inspect`'s `inspector.inspect`). Events are sanitised.
   * An observer that throws does not affect the session; its first failure is reported once as a
   * process warning (`CmpflowInspectorWarning`).
   */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /**
   * Each protocol step of every session, as its service is called or finishes (see SessionStep):
   * what progress lines such as `openssl cmp`'s `CMP info: sending IR` need, without the cost of
   * XState inspection. Steps carry names, kinds and times only, never message bytes or keys. An
   * observer that throws does not affect the session; its first failure is reported once as a
   * process warning (`CmpflowStepObserverWarning`).
   */
  onStep?: (step: SessionStep) => void;
  /** Clock in epoch ms, for tests. */
  now?: () => number;
}
