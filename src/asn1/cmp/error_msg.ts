import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { BigIntConverter } from '../converters';
import { PKIFreeText } from './free_text';
import { PKIStatusInfo } from './status';

/**
 * ```asn1
 * ErrorMsgContent ::= SEQUENCE {
 *   pKIStatusInfo          PKIStatusInfo,
 *   errorCode              INTEGER           OPTIONAL,
 *   errorDetails           PKIFreeText       OPTIONAL }
 * ```
 * RFC 9810 section 5.3.21.
 */
export class ErrorMsgContent {
  @AsnProp({ type: PKIStatusInfo })
  public pKIStatusInfo = new PKIStatusInfo();

  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter, optional: true })
  public errorCode?: bigint;

  @AsnProp({ type: PKIFreeText, optional: true })
  public errorDetails?: PKIFreeText;

  public constructor(params: Partial<ErrorMsgContent> = {}) {
    Object.assign(this, params);
  }
}
