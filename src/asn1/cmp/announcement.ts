import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { Certificate, CertificateList, Extensions } from '@peculiar/asn1-x509';
import { GeneralizedTimeConverter, SmallIntegerConverter } from '../converters';
import { CertId } from '../crmf/cert_id';
import { RootCaKeyUpdateContent } from './root_ca_key_update';
import { PKIStatus } from './status';

/**
 * ```asn1
 * CAKeyUpdAnnContent ::= SEQUENCE {
 *   oldWithNew   CMPCertificate, -- old pub signed with new priv
 *   newWithOld   CMPCertificate, -- new pub signed with old priv
 *   newWithNew   CMPCertificate  -- new pub signed with new priv }
 * ```
 * RFC 9810 section 5.3.13 (deprecated with cmp2021 in favour of RootCaKeyUpdateContent).
 */
export class CAKeyUpdAnnContent {
  @AsnProp({ type: Certificate })
  public oldWithNew = new Certificate();

  @AsnProp({ type: Certificate })
  public newWithOld = new Certificate();

  @AsnProp({ type: Certificate })
  public newWithNew = new Certificate();

  public constructor(params: Partial<CAKeyUpdAnnContent> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CAKeyUpdContent ::= CHOICE {
 *   cAKeyUpdAnnV2      CAKeyUpdAnnContent, -- deprecated
 *   cAKeyUpdAnnV3  [0] RootCaKeyUpdateContent }
 * ```
 * RFC 9810 section 5.3.13, the content of the ckuann body.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class CAKeyUpdContent {
  @AsnProp({ type: CAKeyUpdAnnContent, optional: true })
  public cAKeyUpdAnnV2?: CAKeyUpdAnnContent;

  @AsnProp({ type: RootCaKeyUpdateContent, context: 0 })
  public cAKeyUpdAnnV3?: RootCaKeyUpdateContent;

  public constructor(params: Partial<CAKeyUpdContent> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertAnnContent ::= CMPCertificate
 * ```
 * RFC 9810 section 5.3.14 (cann).
 */
export const CertAnnContent = Certificate;
export type CertAnnContent = Certificate;

/**
 * ```asn1
 * RevAnnContent ::= SEQUENCE {
 *   status              PKIStatus,
 *   certId              CertId,
 *   willBeRevokedAt     GeneralizedTime,
 *   badSinceDate        GeneralizedTime,
 *   crlDetails          Extensions{{...}}  OPTIONAL }
 * ```
 * RFC 9810 section 5.3.15 (rann).
 */
export class RevAnnContent {
  @AsnProp({ type: AsnPropTypes.Integer, converter: SmallIntegerConverter })
  public status: PKIStatus = 0;

  @AsnProp({ type: CertId })
  public certId = new CertId();

  @AsnProp({ type: AsnPropTypes.GeneralizedTime, converter: GeneralizedTimeConverter })
  public willBeRevokedAt = new Date(0);

  @AsnProp({ type: AsnPropTypes.GeneralizedTime, converter: GeneralizedTimeConverter })
  public badSinceDate = new Date(0);

  @AsnProp({ type: Extensions, optional: true })
  public crlDetails?: Extensions;

  public constructor(params: Partial<RevAnnContent> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CRLAnnContent ::= SEQUENCE OF CertificateList
 * ```
 * RFC 9810 section 5.3.16 (crlann).
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CertificateList })
export class CRLAnnContent extends AsnArray<CertificateList> {
  public constructor(items?: CertificateList[]) {
    super(items);
    Object.setPrototypeOf(this, CRLAnnContent.prototype);
  }
}
