import { AsnArray, AsnProp, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { CertificateList, Extensions } from '@peculiar/asn1-x509';
import { CertId } from '../crmf/cert_id';
import { CertTemplate } from '../crmf/cert_template';
import { PKIStatusInfo } from './status';

/**
 * ```asn1
 * RevDetails ::= SEQUENCE {
 *   certDetails         CertTemplate,
 *   crlEntryDetails     Extensions{{...}}    OPTIONAL }
 * ```
 * RFC 9810 section 5.3.9.
 */
export class RevDetails {
  @AsnProp({ type: CertTemplate })
  public certDetails = new CertTemplate();

  @AsnProp({ type: Extensions, optional: true })
  public crlEntryDetails?: Extensions;

  public constructor(params: Partial<RevDetails> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * RevReqContent ::= SEQUENCE OF RevDetails
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: RevDetails })
export class RevReqContent extends AsnArray<RevDetails> {
  public constructor(items?: RevDetails[]) {
    super(items);
    Object.setPrototypeOf(this, RevReqContent.prototype);
  }
}

/**
 * ```asn1
 * RevRepContent ::= SEQUENCE {
 *   status       SEQUENCE SIZE (1..MAX) OF PKIStatusInfo,
 *   revCerts [0] SEQUENCE SIZE (1..MAX) OF CertId OPTIONAL,
 *   crls     [1] SEQUENCE SIZE (1..MAX) OF CertificateList OPTIONAL }
 * ```
 * RFC 9810 section 5.3.10.
 */
export class RevRepContent {
  @AsnProp({ type: PKIStatusInfo, repeated: 'sequence' })
  public status: PKIStatusInfo[] = [];

  @AsnProp({ type: CertId, context: 0, repeated: 'sequence', optional: true })
  public revCerts?: CertId[];

  @AsnProp({ type: CertificateList, context: 1, repeated: 'sequence', optional: true })
  public crls?: CertificateList[];

  public constructor(params: Partial<RevRepContent> = {}) {
    Object.assign(this, params);
  }
}
