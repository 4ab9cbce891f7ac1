/**
 * Finding the certificate that signed a received message, the way OpenSSL 3.0's
 * OSSL_CMP_validate_msg does (crypto/cmp/cmp_vfy.c): a pinned server certificate is used alone;
 * otherwise candidates come from extraCerts, then the untrusted, then the trusted certificates, and
 * the first one that is acceptable (subject = sender, SKID = senderKID, current, digitalSignature),
 * verifies the signature and has a valid path wins. In 3GPP mode (TS 33.310) a failed ip gets a
 * second round with the self-issued extraCerts as trust anchors, provided the newly enrolled
 * certificate validates with them too.
 *
 * When nothing wins, the error of the candidate that got furthest is reported: a failing path
 * beats a failing signature, which beats a key or usage problem, which beats a mere senderKID
 * mismatch; with no certificate of the sender's name at all, ERR_SENDER_CERT_NOT_FOUND.
 *
 * The cheap filters come first, then the message signature (remembered per key), then the path.
 * All of it spends from one VerificationBudget per message, so look-alike certificates in
 * extraCerts end in ERR_VERIFICATION_BUDGET instead of a search per sender candidate.
 */
import type { X509Certificate } from '@peculiar/x509';
import type { PKIMessage } from '../asn1/cmp/message';
import { CmpOids } from '../asn1/oids';
import { hex, sameBytes } from '../bytes';
import type { SignatureAlgorithm } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';
import { nameToString } from '../pki/names';
import { viewOf } from '../pki/certificate-view';
import { canonicalName, canonicalNameKey } from '../pki/name-matching';
import { isSelfIssued, validatePath, type CrlCheck, type CrlsInput, type PathValidationOptions } from '../pki/path';
import { validityError } from '../pki/path-checks';
import { certRepBytes, extraCertsBytes } from '../asn1/message-certs';
import { certificateFromDer } from '../pki/certificate-cache';
import { keyId, VerificationBudget } from '../pki/verification-budget';
import { keyFitsAlgorithm, verifyProtectedPart } from './signature';

export interface VerificationSettings extends VerificationParameters {
  /** Validation time (OpenSSL -attime); default now. */
  at?: Date;
  /** Skip validity-period checks (OpenSSL -no_check_time). */
  noCheckTime?: boolean;
  /** Accept a trusted certificate that is not self-signed as the end of a path (OpenSSL -partial_chain). */
  partialChain?: boolean;
  /** Revocation checking of the sender's path (OpenSSL -crl_check: 'leaf', -crl_check_all: 'all'). */
  crlCheck?: CrlCheck;
  /** CRLs for `crlCheck`. */
  crls?: CrlsInput;
  /** With `crlCheck`: delta CRLs (OpenSSL -use_deltas). */
  useDeltas?: boolean;
  /** With `crlCheck`: extended CRL support (OpenSSL -extended_crl). */
  extendedCrl?: boolean;
}

/** OpenSSL's generic verification parameters (-verify_depth, -ignore_critical, the policy options, -purpose, -verify_hostname, -verify_email, -verify_ip, -check_ss_sig, -auth_level, -x509_strict, -suiteB_*, -allow_proxy_certs). */
const verificationParameterNames = [
  'maxDepth',
  'ignoreCritical',
  'policies',
  'explicitPolicy',
  'inhibitPolicyMapping',
  'inhibitAnyPolicy',
  'purpose',
  'verifyHostname',
  'verifyEmail',
  'verifyIp',
  'checkSelfSignature',
  'authLevel',
  'x509Strict',
  'suiteB',
  'allowProxyCertificates',
] as const;

export type VerificationParameters = Pick<PathValidationOptions, (typeof verificationParameterNames)[number]>;

/** The generic parameters among `settings`, e.g. for checking the new certificate against -out_trusted as OpenSSL does. */
export function verificationParameters(settings: VerificationParameters): VerificationParameters {
  const picked: Record<string, unknown> = {};
  for (const name of verificationParameterNames) if (settings[name] !== undefined) picked[name] = settings[name];
  return picked as VerificationParameters;
}

export interface SenderSearchOptions {
  trusted: X509Certificate[];
  untrusted: X509Certificate[];
  ignoreKeyUsage?: boolean;
  /** A signer with extendedKeyUsage must have id-kp-cmcCA or id-kp-cmcRA in it (RFC 6402 2.10). */
  requireCmcEku?: boolean;
  verification?: VerificationSettings;
  permitTaInExtraCertsForIr?: boolean;
}

/** A received signature-protected message, reduced to what checking the signature needs. */
export interface SignedMessage {
  msg: PKIMessage;
  algorithm: SignatureAlgorithm;
  /** DER(ProtectedPart) as received. */
  protectedPart: Uint8Array;
  signature: Uint8Array;
}

export interface SenderCertificate {
  signer: X509Certificate;
  /** [signer, ...intermediates, trust anchor]; just [signer] for a pinned certificate. */
  chain: X509Certificate[];
}

/** id-kp-cmcCA and id-kp-cmcRA: a certificate made to answer certificate management requests. */
const CMC_AUTHORITY_PURPOSES: ReadonlySet<string> = new Set([CmpOids.idKpCmcCA, CmpOids.idKpCmcRA]);

/** How far a candidate got; a higher stage is a more telling failure. */
enum Stage {
  KeyIdentifier = 1,
  Validity = 2,
  KeyUsage = 3,
  Algorithm = 4,
  Signature = 5,
  Path = 6,
}

interface Failure {
  stage: Stage;
  error: CmpError;
}

/**
 * The pinned server certificate (OpenSSL -srvcert) must have signed the message; it is trusted as
 * it is, without path validation, but its key usage and validity period are still checked.
 */
export async function checkPinnedSender(
  signed: SignedMessage,
  srvCert: X509Certificate,
  opts: SenderSearchOptions,
  budget: VerificationBudget = new VerificationBudget(),
): Promise<SenderCertificate> {
  const failure = (await usabilityFailure(signed, srvCert, opts)) ?? (await signatureFailure(signed, srvCert, budget));
  if (failure?.stage === Stage.Signature) {
    throw new CmpError(ErrorCodes.ERR_SRVCERT_DID_NOT_SIGN, `the pinned server certificate "${srvCert.subject}" did not sign the message`);
  }
  if (failure) throw failure.error;
  return { signer: srvCert, chain: [srvCert] };
}

/**
 * Searches and validates the sender certificate; throws the most telling failure, or
 * ERR_VERIFICATION_BUDGET as soon as the search would cost more than `budget` allows.
 */
export async function findSenderCertificate(
  signed: SignedMessage,
  opts: SenderSearchOptions,
  budget: VerificationBudget = new VerificationBudget(),
): Promise<SenderCertificate> {
  const sender = signed.msg.header.sender.directoryName;
  if (!sender) {
    throw new CmpError(ErrorCodes.ERR_SENDER_CERT_NOT_FOUND, 'the sender of a signed message must be a directoryName to find its certificate');
  }
  const search = new SenderSearch(signed, canonicalNameKey(canonicalName(sender)), opts, budget);
  const found = (await search.run('normal')) ?? (search.threeGppApplies() ? await search.run('3gpp') : undefined);
  if (found) return found;
  throw search.bestFailure() ?? notFound(signed.msg, nameToString(sender));
}

class SenderSearch {
  private readonly extra: X509Certificate[];
  private readonly candidates: X509Certificate[];
  /** Acceptability (with the signature check) depends on the candidate only: computed once for both modes. */
  private readonly checked = new Map<X509Certificate, Failure | null>();
  private best?: Failure;

  constructor(
    private readonly signed: SignedMessage,
    private readonly senderKey: string,
    private readonly opts: SenderSearchOptions,
    private readonly budget: VerificationBudget,
  ) {
    this.extra = extraCertsBytes(signed.msg).map((der, i) => certificateFromDer(der, `extraCerts entry ${i + 1}`));
    this.candidates = distinct([...this.extra, ...opts.untrusted, ...opts.trusted]);
  }

  threeGppApplies(): boolean {
    return this.opts.permitTaInExtraCertsForIr === true && this.signed.msg.body.ip !== undefined;
  }

  async run(mode: 'normal' | '3gpp'): Promise<SenderCertificate | undefined> {
    for (const candidate of this.candidates) {
      if (viewOf(candidate).subjectKey !== this.senderKey) continue;
      const failure = await this.acceptability(candidate);
      if (failure) {
        this.record(failure);
        continue;
      }
      try {
        const chain = mode === 'normal' ? await this.validate(candidate, this.opts.trusted) : await this.validate3gpp(candidate);
        return { signer: candidate, chain };
      } catch (e) {
        if (!(e instanceof CmpError) || e.code === ErrorCodes.ERR_VERIFICATION_BUDGET) throw e;
        this.record({ stage: Stage.Path, error: e });
      }
    }
    return undefined;
  }

  bestFailure(): CmpError | undefined {
    return this.best?.error;
  }

  private async acceptability(cert: X509Certificate): Promise<Failure | undefined> {
    let failure = this.checked.get(cert);
    if (failure === undefined) {
      failure = await usabilityFailure(this.signed, cert, this.opts, true);
      if (!failure) {
        this.budget.spend('senderCandidates');
        failure = await signatureFailure(this.signed, cert, this.budget);
      }
      failure ??= null;
      this.checked.set(cert, failure);
    }
    return failure ?? undefined;
  }

  private validate(cert: X509Certificate, trusted: X509Certificate[], verification = this.opts.verification): Promise<X509Certificate[]> {
    // OpenSSL's cmp app clears host, email and IP from the -trusted store (truststore_set_host_etc):
    // the CMP server's signer is not the host it is reached at; -out_trusted keeps them.
    // The anchors put first, so taken out of what is spread after them whatever a caller passed:
    // a literal that starts with a spread gets a new map on every call in V8 11 (docs/benchmarks.md,
    // ninth session).
    const settings: VerificationSettings & Partial<Pick<PathValidationOptions, 'trusted' | 'untrusted'>> = verification ?? {};
    const { verifyHostname: _host, verifyEmail: _email, verifyIp: _ip, trusted: _t, untrusted: _u, ...forSigner } = settings;
    return validatePath(cert, { trusted, untrusted: [...this.opts.untrusted, ...this.extra], ...forSigner }, this.budget);
  }

  /** OpenSSL's check_cert_path_3gpp: self-issued extraCerts anchor both the signer and the new certificate. */
  private async validate3gpp(cert: X509Certificate): Promise<X509Certificate[]> {
    const anchors = this.extra.filter(isSelfIssued);
    if (anchors.length === 0)
      throw new CmpError(ErrorCodes.ERR_PATH_NO_ANCHOR, 'no self-issued certificate in extraCerts to anchor the ip in 3GPP mode');
    // OpenSSL's 3GPP store is a fresh one: the verification flags and parameters, CRL checking and
    // policies among them, do not reach it.
    const { crlCheck: _crlCheck, crls: _crls, useDeltas: _useDeltas, extendedCrl: _extendedCrl, ...rest } = this.opts.verification ?? {};
    const verification: VerificationSettings = { ...rest };
    for (const name of verificationParameterNames) delete verification[name];
    const chain = await this.validate(cert, anchors, verification);
    const enrolled = enrolledCertificate(this.signed.msg);
    if (!enrolled) {
      throw new CmpError(ErrorCodes.ERR_PATH_NO_ANCHOR, '3GPP mode needs the newly enrolled certificate (certReqId 0) in the ip, and there is none');
    }
    await this.validate(enrolled, anchors, verification);
    return chain;
  }

  private record(failure: Failure): void {
    if (!this.best || failure.stage > this.best.stage) this.best = failure;
  }
}

/**
 * OpenSSL's cert_acceptable before the signature: the senderKID check (only when the message has a
 * senderKID and the certificate an SKID), the validity period, digitalSignature in keyUsage, and a
 * key that can have made a signature of the protectionAlg.
 */
async function usabilityFailure(
  signed: SignedMessage,
  cert: X509Certificate,
  opts: SenderSearchOptions,
  checkKeyIdentifier = false,
): Promise<Failure | undefined> {
  const view = viewOf(cert);
  const senderKID = signed.msg.header.senderKID;
  const skid = view.extensions?.subjectKeyIdentifier;
  if (checkKeyIdentifier && senderKID && skid && !sameBytes(senderKID, skid)) {
    return {
      stage: Stage.KeyIdentifier,
      error: new CmpError(
        ErrorCodes.ERR_SENDER_KID_MISMATCH,
        `senderKID ${hex(senderKID).toUpperCase()} does not match the subject key identifier ${hex(skid).toUpperCase()} of "${cert.subject}"`,
      ),
    };
  }
  const verification = opts.verification ?? {};
  if (!verification.noCheckTime) {
    const error = validityError(view, verification.at ?? new Date());
    if (error) return { stage: Stage.Validity, error };
  }
  if (view.extensionError) return { stage: Stage.KeyUsage, error: view.extensionError };
  const keyUsage = view.extensions?.keyUsage;
  if (!opts.ignoreKeyUsage && keyUsage && !keyUsage.has('digitalSignature')) {
    return {
      stage: Stage.KeyUsage,
      error: new CmpError(ErrorCodes.ERR_SENDER_KEY_USAGE, `the keyUsage of "${cert.subject}" does not allow digitalSignature`),
    };
  }
  const purposes = view.extensions?.extKeyUsage;
  if (opts.requireCmcEku && purposes && !purposes.some((p) => CMC_AUTHORITY_PURPOSES.has(p))) {
    return {
      stage: Stage.KeyUsage,
      error: new CmpError(ErrorCodes.ERR_SENDER_KEY_USAGE, `the extendedKeyUsage of "${cert.subject}" has neither id-kp-cmcCA nor id-kp-cmcRA`),
    };
  }
  if (!keyFitsAlgorithm(view.spkiAlgorithm, signed.algorithm)) {
    return {
      stage: Stage.Algorithm,
      error: new CmpError(
        ErrorCodes.ERR_PROTECTION_ALG_MISMATCH,
        `the protectionAlg (${signed.algorithm.scheme}) does not fit the key of "${cert.subject}"`,
      ),
    };
  }
  return undefined;
}

/** Whether `cert`'s key verifies the message; certificates sharing a key share one verification. */
async function signatureFailure(signed: SignedMessage, cert: X509Certificate, budget: VerificationBudget): Promise<Failure | undefined> {
  const verifies = await budget.verifyOnce(`message by key ${keyId(viewOf(cert))}`, () =>
    verifyProtectedPart(signed.algorithm, cert, signed.signature, signed.protectedPart),
  );
  if (verifies) return undefined;
  return {
    stage: Stage.Signature,
    error: new CmpError(ErrorCodes.ERR_PROTECTION_INVALID, `the message signature does not verify with the key of "${cert.subject}"`),
  };
}

/** The certificate of the ip's response with certReqId 0, which 3GPP mode must also validate. */
function enrolledCertificate(msg: PKIMessage): X509Certificate | undefined {
  const ip = msg.body.ip;
  const index = ip?.response.findIndex((r) => r.certReqId === 0n) ?? -1;
  if (!ip || index < 0) return undefined;
  const der = certRepBytes(msg, ip).issued[index];
  return der ? certificateFromDer(der, 'the newly enrolled certificate') : undefined;
}

function distinct(certs: X509Certificate[]): X509Certificate[] {
  const seen = new Set<string>();
  return certs.filter((cert) => {
    const id = viewOf(cert).id;
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

function notFound(msg: PKIMessage, sender: string): CmpError {
  const kid = msg.header.senderKID ? ` and senderKID ${hex(msg.header.senderKID).toUpperCase()}` : '';
  return new CmpError(
    ErrorCodes.ERR_SENDER_CERT_NOT_FOUND,
    `no certificate for the message sender "${sender}"${kid} among extraCerts, untrusted and trusted certificates`,
  );
}
