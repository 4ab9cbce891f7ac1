import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { CertId } from '../crmf/cert_id';

/**
 * ```asn1
 * OOBCert ::= CMPCertificate
 * ```
 * RFC 9810 section 5.2.5.
 */
export const OOBCert = Certificate;
export type OOBCert = Certificate;

/**
 * ```asn1
 * OOBCertHash ::= SEQUENCE {
 *   hashAlg     [0] AlgorithmIdentifier{DIGEST-ALGORITHM, {...}} OPTIONAL,
 *   certId      [1] CertId                  OPTIONAL,
 *   hashVal         BIT STRING }
 * ```
 * RFC 9810 section 5.2.5.
 */
export class OOBCertHash {
  @AsnProp({ type: AlgorithmIdentifier, context: 0, optional: true })
  public hashAlg?: AlgorithmIdentifier;

  @AsnProp({ type: CertId, context: 1, optional: true })
  public certId?: CertId;

  @AsnProp({ type: AsnPropTypes.BitString })
  public hashVal = new ArrayBuffer(0);

  public constructor(params: Partial<OOBCertHash> = {}) {
    Object.assign(this, params);
  }
}
