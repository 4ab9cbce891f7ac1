import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { BigIntConverter } from '../converters';

/**
 * ```asn1
 * PBMParameter ::= SEQUENCE {
 *   salt                OCTET STRING,
 *   owf                 AlgorithmIdentifier,
 *   iterationCount      INTEGER,
 *   mac                 AlgorithmIdentifier }
 * ```
 * Parameters of id-PasswordBasedMac (RFC 4211 section 4.4, RFC 9810 section 5.1.3.1), shared by
 * CRMF's PKMACValue and CMP's message protection.
 */
export class PBMParameter {
  @AsnProp({ type: AsnPropTypes.OctetString })
  public salt = new ArrayBuffer(0);

  @AsnProp({ type: AlgorithmIdentifier })
  public owf = new AlgorithmIdentifier();

  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public iterationCount = 0n;

  @AsnProp({ type: AlgorithmIdentifier })
  public mac = new AlgorithmIdentifier();

  public constructor(params: Partial<PBMParameter> = {}) {
    Object.assign(this, params);
  }
}
