import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { RawAnyConverter } from '../converters';

/**
 * ```asn1
 * InfoTypeAndValue ::= SEQUENCE {
 *   infoType    INFO-TYPE-AND-VALUE.&id({SupportedInfoSet}),
 *   infoValue   INFO-TYPE-AND-VALUE.&Type({SupportedInfoSet}{@infoType}) OPTIONAL }
 * ```
 * RFC 9810 section 5.3.19. `infoValue` is the exact DER of the value (NULL included); see
 * info_values.ts for the typed values of RFC 9480/9810 and `decodeInfoValue`/`encodeInfoValue`.
 */
export class InfoTypeAndValue {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  public infoType = '';

  @AsnProp({ type: AsnPropTypes.Any, converter: RawAnyConverter, optional: true })
  public infoValue?: ArrayBuffer;

  public constructor(params: Partial<InfoTypeAndValue> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * GenMsgContent ::= SEQUENCE OF InfoTypeAndValue
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: InfoTypeAndValue })
export class GenMsgContent extends AsnArray<InfoTypeAndValue> {
  public constructor(items?: InfoTypeAndValue[]) {
    super(items);
    Object.setPrototypeOf(this, GenMsgContent.prototype);
  }
}

/**
 * ```asn1
 * GenRepContent ::= SEQUENCE OF InfoTypeAndValue
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: InfoTypeAndValue })
export class GenRepContent extends AsnArray<InfoTypeAndValue> {
  public constructor(items?: InfoTypeAndValue[]) {
    super(items);
    Object.setPrototypeOf(this, GenRepContent.prototype);
  }
}
