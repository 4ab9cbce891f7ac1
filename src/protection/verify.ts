/**
 * Verifies the protection of a received PKIMessage (RFC 9810 section 5.1.3), always over the bytes
 * of header and body as received. MAC-based protection needs the shared secret; signature-based
 * protection needs a sender certificate found and validated as OpenSSL does (see sender-cert.ts).
 * Whether an unprotected message may be accepted anyway is the caller's decision: here it is
 * ERR_PROTECTION_MISSING.
 */
import type { X509Certificate } from '@peculiar/x509';
import { protectedPartBytes, receivedElement } from '../asn1/codec';
import { readDer } from '../asn1/der';
import type { PKIMessage } from '../asn1/cmp/message';
import { CmpOids, oidName } from '../asn1/oids';
import { signatureAlgorithmFromId } from '../crypto/algorithms';
import { CmpError, ErrorCodes } from '../errors';
import { VerificationBudget } from '../pki/verification-budget';
import { constantTimeEqual, defaultIterationLimits, requireSecret, type IterationLimits } from './mac-safety';
import { kemMacVerify } from './kem-mac';
import { computePbm, readPbmParameter } from './pbm';
import { computePbmac1, readPbmac1Parameters } from './pbmac1';
import { checkPinnedSender, findSenderCertificate, type SignedMessage, type VerificationSettings } from './sender-cert';

export interface VerifyOptions {
  /** Shared secret for PasswordBasedMac / PBMAC1. */
  secret?: Uint8Array;
  /** Shared secret of this transaction's KEM exchange, for KemBasedMac (RFC 9810 section 5.1.3.4). */
  kemSharedSecret?: Uint8Array;
  /** Pinned server certificate: must be the signer, trusted directly (OpenSSL -srvcert). */
  srvCert?: X509Certificate;
  trusted: X509Certificate[];
  untrusted: X509Certificate[];
  /** Accept a signer whose keyUsage lacks digitalSignature (OpenSSL -ignore_keyusage). */
  ignoreKeyUsage?: boolean;
  /** Refuse a signer whose extendedKeyUsage lacks id-kp-cmcCA and id-kp-cmcRA (it may have none). */
  requireCmcEku?: boolean;
  verification?: VerificationSettings;
  /**
   * 3GPP TS 33.310 (OpenSSL -permitTAInExtraCertsForIR): for an ip only, a self-issued certificate
   * from extraCerts may anchor the path if the newly enrolled certificate validates with it too.
   */
  permitTaInExtraCertsForIr?: boolean;
  /** Smallest MAC iteration count accepted; default 100. */
  minIterations?: number;
  /** Largest MAC iteration count accepted; default 100000. */
  maxIterations?: number;
}

export type VerifiedProtection =
  { kind: 'mac'; algorithm: 'pbm' | 'pbmac1' | 'kem' } | { kind: 'signature'; signer: X509Certificate; chain: X509Certificate[] };

/**
 * Throws CmpError: ERR_PROTECTION_MISSING, ERR_NO_SECRET, ERR_PBM_ITERATIONS,
 * ERR_PROTECTION_INVALID, ERR_UNSUPPORTED_ALGORITHM, ERR_PROTECTION_ALG_MISMATCH,
 * ERR_SRVCERT_DID_NOT_SIGN, ERR_SENDER_CERT_NOT_FOUND, ERR_SENDER_KID_MISMATCH,
 * ERR_SENDER_KEY_USAGE, ERR_PATH_*, ERR_VERIFICATION_BUDGET (the message would cost more signature
 * verifications or path-building steps than one message may) or ERR_ASN1_DECODE (malformed
 * parameters).
 *
 * `protectedPart` is the ProtectedPart when the caller has it as received (receivedProtectedPart of
 * a message it has just decoded); by default it is protectedPartBytes(msg).
 */
/**
 * A MAC or signature is a whole number of octets, so the received protection BIT STRING must
 * declare no unused bits: asn1-schema hands over only the octets, and a BIT STRING that keeps
 * them but claims unused bits is another value that a byte comparison would still accept.
 */
function checkWholeOctets(msg: PKIMessage): void {
  const raw = receivedElement(msg, 'protection');
  if (!raw) return;
  const wrapper = readDer(raw);
  const bitString = wrapper.children?.[0];
  if (!bitString || bitString.tagClass !== 0 || bitString.tagNumber !== 3 || bitString.contentLength < 1) {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_INVALID, 'the protection is not a BIT STRING');
  }
  const unused = raw[bitString.start + bitString.headerLength];
  if (unused !== 0) throw new CmpError(ErrorCodes.ERR_PROTECTION_INVALID, `the protection BIT STRING declares ${unused} unused bits`);
}

export async function verifyPkiMessageProtection(msg: PKIMessage, opts: VerifyOptions, protectedPart?: Uint8Array): Promise<VerifiedProtection> {
  const algorithm = msg.header.protectionAlg;
  if (!algorithm || msg.protection === undefined) {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_MISSING, 'the message is not protected');
  }
  checkWholeOctets(msg);
  const protection = new Uint8Array(msg.protection);
  const part = () => protectedPart ?? protectedPartBytes(msg);
  switch (algorithm.algorithm) {
    case CmpOids.passwordBasedMac: {
      const secret = requireSecret(opts.secret, 'verifying PasswordBasedMac protection');
      const parameter = readPbmParameter(algorithm);
      const expected = await computePbm(parameter, secret, part(), iterationLimits(opts));
      checkMac(expected, protection, 'PasswordBasedMac');
      return { kind: 'mac', algorithm: 'pbm' };
    }
    case CmpOids.pbmac1: {
      const secret = requireSecret(opts.secret, 'verifying PBMAC1 protection');
      const parameters = readPbmac1Parameters(algorithm);
      const expected = await computePbmac1(parameters, secret, part(), iterationLimits(opts));
      checkMac(expected, protection, 'PBMAC1');
      return { kind: 'mac', algorithm: 'pbmac1' };
    }
    case CmpOids.kemBasedMac: {
      const sharedSecret = requireSecret(opts.kemSharedSecret, 'verifying KemBasedMac protection (no KEM exchange in this transaction)');
      const transactionID = msg.header.transactionID;
      if (!transactionID) throw new CmpError(ErrorCodes.ERR_PROTECTION_INVALID, 'KemBasedMac protection without a transactionID');
      kemMacVerify(algorithm, sharedSecret, new Uint8Array(transactionID), part(), protection);
      return { kind: 'mac', algorithm: 'kem' };
    }
    case CmpOids.dhBasedMac:
      throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `unsupported protection ${oidName(algorithm.algorithm) ?? algorithm.algorithm}`);
    default: {
      const signed: SignedMessage = {
        msg,
        algorithm: signatureAlgorithmFromId(algorithm),
        protectedPart: part(),
        signature: protection,
      };
      // One budget for everything this message makes us verify, whichever certificates it carries.
      const budget = new VerificationBudget();
      const found = opts.srvCert ? await checkPinnedSender(signed, opts.srvCert, opts, budget) : await findSenderCertificate(signed, opts, budget);
      return { kind: 'signature', ...found };
    }
  }
}

function iterationLimits(opts: VerifyOptions): IterationLimits {
  return { min: opts.minIterations ?? defaultIterationLimits.min, max: opts.maxIterations ?? defaultIterationLimits.max };
}

function checkMac(expected: Uint8Array, received: Uint8Array, what: string): void {
  if (!constantTimeEqual(expected, received)) {
    throw new CmpError(ErrorCodes.ERR_PROTECTION_INVALID, `${what} protection does not verify: wrong MAC or wrong secret`);
  }
}
