import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { BigIntConverter } from '../converters';
import { PKIFreeText } from './free_text';

/**
 * ```asn1
 * SEQUENCE { certReqId INTEGER }
 * ```
 * The unnamed element type of PollReqContent.
 */
export class PollReqContentEntry {
  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public certReqId = 0n;

  public constructor(params: Partial<PollReqContentEntry> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * PollReqContent ::= SEQUENCE OF SEQUENCE {
 *   certReqId              INTEGER }
 * ```
 * RFC 9810 section 5.3.22.
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: PollReqContentEntry })
export class PollReqContent extends AsnArray<PollReqContentEntry> {
  public constructor(items?: PollReqContentEntry[]) {
    super(items);
    Object.setPrototypeOf(this, PollReqContent.prototype);
  }
}

/**
 * ```asn1
 * SEQUENCE {
 *   certReqId              INTEGER,
 *   checkAfter             INTEGER,  -- time in seconds
 *   reason                 PKIFreeText OPTIONAL }
 * ```
 * The unnamed element type of PollRepContent.
 */
export class PollRepContentEntry {
  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public certReqId = 0n;

  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public checkAfter = 0n;

  @AsnProp({ type: PKIFreeText, optional: true })
  public reason?: PKIFreeText;

  public constructor(params: Partial<PollRepContentEntry> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * PollRepContent ::= SEQUENCE OF SEQUENCE {
 *   certReqId              INTEGER,
 *   checkAfter             INTEGER,  -- time in seconds
 *   reason                 PKIFreeText OPTIONAL }
 * ```
 * RFC 9810 section 5.3.22.
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: PollRepContentEntry })
export class PollRepContent extends AsnArray<PollRepContentEntry> {
  public constructor(items?: PollRepContentEntry[]) {
    super(items);
    Object.setPrototypeOf(this, PollRepContent.prototype);
  }
}
