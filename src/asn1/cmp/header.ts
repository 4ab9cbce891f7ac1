import { AsnProp, AsnPropTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, GeneralName } from '@peculiar/asn1-x509';
import { GeneralizedTimeConverter, SmallIntegerConverter } from '../converters';
import { PKIFreeText } from './free_text';
import { InfoTypeAndValue } from './info_type_and_value';

/**
 * ```asn1
 * PKIHeader ::= SEQUENCE {
 *   pvno                INTEGER     { cmp1999(1), cmp2000(2), cmp2021(3) },
 *   sender              GeneralName,
 *   recipient           GeneralName,
 *   messageTime     [0] GeneralizedTime         OPTIONAL,
 *   protectionAlg   [1] AlgorithmIdentifier{ALGORITHM, {...}} OPTIONAL,
 *   senderKID       [2] KeyIdentifier           OPTIONAL,
 *   recipKID        [3] KeyIdentifier           OPTIONAL,
 *   transactionID   [4] OCTET STRING            OPTIONAL,
 *   senderNonce     [5] OCTET STRING            OPTIONAL,
 *   recipNonce      [6] OCTET STRING            OPTIONAL,
 *   freeText        [7] PKIFreeText             OPTIONAL,
 *   generalInfo     [8] SEQUENCE SIZE (1..MAX) OF InfoTypeAndValue OPTIONAL }
 * ```
 * RFC 9810 section 5.1.1 (EXPLICIT TAGS module). `messageTime` is encoded in whole seconds.
 */
export class PKIHeader {
  public static readonly cmp1999 = 1;
  public static readonly cmp2000 = 2;
  public static readonly cmp2021 = 3;

  @AsnProp({ type: AsnPropTypes.Integer, converter: SmallIntegerConverter })
  public pvno = PKIHeader.cmp2000;

  @AsnProp({ type: GeneralName })
  public sender = new GeneralName();

  @AsnProp({ type: GeneralName })
  public recipient = new GeneralName();

  @AsnProp({ type: AsnPropTypes.GeneralizedTime, context: 0, optional: true, converter: GeneralizedTimeConverter })
  public messageTime?: Date;

  @AsnProp({ type: AlgorithmIdentifier, context: 1, optional: true })
  public protectionAlg?: AlgorithmIdentifier;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 2, optional: true })
  public senderKID?: ArrayBuffer;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 3, optional: true })
  public recipKID?: ArrayBuffer;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 4, optional: true })
  public transactionID?: ArrayBuffer;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 5, optional: true })
  public senderNonce?: ArrayBuffer;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 6, optional: true })
  public recipNonce?: ArrayBuffer;

  @AsnProp({ type: PKIFreeText, context: 7, optional: true })
  public freeText?: PKIFreeText;

  @AsnProp({ type: InfoTypeAndValue, context: 8, repeated: 'sequence', optional: true })
  public generalInfo?: InfoTypeAndValue[];

  public constructor(params: Partial<PKIHeader> = {}) {
    Object.assign(this, params);
  }
}
