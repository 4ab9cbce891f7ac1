import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { GeneralName } from '@peculiar/asn1-x509';
import { SmallIntegerConverter } from '../converters';

/**
 * ```asn1
 * SinglePubInfo ::= SEQUENCE {
 *   pubMethod    INTEGER {
 *     dontCare    (0),
 *     x500        (1),
 *     web         (2),
 *     ldap        (3) },
 *   pubLocation  GeneralName OPTIONAL }
 * ```
 * RFC 4211 section 6.3.
 */
export class SinglePubInfo {
  public static readonly dontCare = 0;
  public static readonly x500 = 1;
  public static readonly web = 2;
  public static readonly ldap = 3;

  @AsnProp({ type: AsnPropTypes.Integer, converter: SmallIntegerConverter })
  public pubMethod = SinglePubInfo.dontCare;

  @AsnProp({ type: GeneralName, optional: true })
  public pubLocation?: GeneralName;

  public constructor(params: Partial<SinglePubInfo> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * PKIPublicationInfo ::= SEQUENCE {
 *   action     INTEGER {
 *     dontPublish (0),
 *     pleasePublish (1) },
 *   pubInfos  SEQUENCE SIZE (1..MAX) OF SinglePubInfo OPTIONAL }
 * ```
 * RFC 4211 section 6.3.
 */
export class PKIPublicationInfo {
  public static readonly dontPublish = 0;
  public static readonly pleasePublish = 1;

  @AsnProp({ type: AsnPropTypes.Integer, converter: SmallIntegerConverter })
  public action = PKIPublicationInfo.dontPublish;

  @AsnProp({ type: SinglePubInfo, repeated: 'sequence', optional: true })
  public pubInfos?: SinglePubInfo[];

  public constructor(params: Partial<PKIPublicationInfo> = {}) {
    Object.assign(this, params);
  }
}
