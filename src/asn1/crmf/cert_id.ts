import { AsnIntegerArrayBufferConverter, AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { GeneralName } from '@peculiar/asn1-x509';

/**
 * ```asn1
 * CertId ::= SEQUENCE {
 *   issuer           GeneralName,
 *   serialNumber     INTEGER }
 * ```
 * RFC 4211 section 6.5. The serial number keeps its exact INTEGER octets, as in asn1-x509.
 */
export class CertId {
  @AsnProp({ type: GeneralName })
  public issuer = new GeneralName();

  @AsnProp({ type: AsnPropTypes.Integer, converter: AsnIntegerArrayBufferConverter })
  public serialNumber = new ArrayBuffer(0);

  public constructor(params: Partial<CertId> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * OldCertId ::= CertId
 * ```
 * Value of the id-regCtrl-oldCertID control (RFC 4211 section 6.5).
 */
export const OldCertId = CertId;
export type OldCertId = CertId;
