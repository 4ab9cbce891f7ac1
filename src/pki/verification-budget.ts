/**
 * The work one received message may cause while its signature and certificate paths are checked.
 * Nobody needs credentials to fill a response's extraCerts: certificates that all name the sender
 * and all name its issuer would otherwise make every sender candidate start its own path search
 * over every look-alike issuer, work that grows with the product of the two counts. One budget
 * (and one memory of signature results) per message, shared by the sender search and every path
 * search it starts, bounds the total whatever the certificates are.
 *
 * A signature result depends on the signed data and the verifying key only, so it is remembered
 * by key: look-alike certificates that share one key cost one verification, not one each.
 */
import { CmpError, ErrorCodes } from '../errors';
import type { CertificateView } from './certificate-view';
import { certificateSignatureError } from './signature-check';
import { toB64 } from '../bytes';

export interface VerificationLimits {
  /** Sender certificates (past the name, key identifier, validity and key usage filters) whose key is tried on the message. */
  senderCandidates: number;
  /** Signature verifications, of the message and of certificates; a remembered result costs none. */
  signatureVerifications: number;
  /** Issuer candidates tried while building paths, each one a step even when its signature result is remembered. */
  issuerCandidates: number;
}

/**
 * Generous for real PKIs, small next to an attack. A CMP server has one current certificate, a
 * few during a key rollover; 64 candidates leave room for many more. A path rarely has more than
 * four links with two or three candidates each (cross-certificates, renewed CAs), so a sender and
 * its path need tens of verifications; 256 is several times the worst honest case, 3GPP mode's
 * second path included, and costs well under a second even with large RSA keys. 1024 issuer
 * candidates is what one path search used to be allowed alone (1000), now for the whole message.
 */
export const defaultVerificationLimits: Readonly<VerificationLimits> = {
  senderCandidates: 64,
  signatureVerifications: 256,
  issuerCandidates: 1024,
};

const what: Record<keyof VerificationLimits, string> = {
  senderCandidates: 'sender certificate candidates',
  signatureVerifications: 'signature verifications',
  issuerCandidates: 'issuer candidates',
};

export class VerificationBudget {
  private readonly left: VerificationLimits;
  private readonly remembered = new Map<string, Promise<unknown>>();

  constructor(private readonly limits: Readonly<VerificationLimits> = defaultVerificationLimits) {
    this.left = { ...limits };
  }

  /** Takes one unit of `kind`; throws ERR_VERIFICATION_BUDGET when none is left. */
  spend(kind: keyof VerificationLimits): void {
    if (this.left[kind] <= 0) {
      throw new CmpError(
        ErrorCodes.ERR_VERIFICATION_BUDGET,
        `refused as too costly to verify: more than ${this.limits[kind]} ${what[kind]}, the most one message may need`,
      );
    }
    this.left[kind]--;
  }

  /** The result of `verify` for `key`: computed, and counted as one signature verification, the first time only. */
  verifyOnce<T>(key: string, verify: () => Promise<T>): Promise<T> {
    let result = this.remembered.get(key) as Promise<T> | undefined;
    if (!result) {
      this.spend('signatureVerifications');
      result = verify();
      this.remembered.set(key, result);
    }
    return result;
  }

  /**
   * Undefined when `issuer`'s key verifies `child`'s signature, else the ERR_PATH_SIGNATURE error
   * (which names the first issuer tried with that key). Shaped like SignatureChecks for checkPath.
   */
  check(child: CertificateView, issuer: CertificateView): Promise<CmpError | undefined> {
    return this.verifyOnce(`certificate ${child.id} by key ${keyId(issuer)}`, () => certificateSignatureError(child, issuer));
  }
}

const keyIds = new WeakMap<CertificateView, string>();

/** The issuer's SubjectPublicKeyInfo as a map key. */
export function keyId(view: CertificateView): string {
  let id = keyIds.get(view);
  if (id === undefined) {
    id = toB64(view.spki);
    keyIds.set(view, id);
  }
  return id;
}
