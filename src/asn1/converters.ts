/**
 * asn1-schema converters for the few places where its defaults are wrong for CMP: INTEGERs that
 * must not pass through a JavaScript number unchecked, GeneralizedTime that DER wants without a
 * fraction of a second, and open types (ANY) that must keep the exact bytes received.
 */
import * as asn1js from 'asn1js';
import { AsnIntegerBigIntConverter, IAsnConverter } from '@peculiar/asn1-schema';
import { readDer } from './der';

/** For INTEGERs of unbounded size (certReqId, checkAfter, iteration counts...): bigint both ways. */
export const BigIntConverter: IAsnConverter<bigint, asn1js.Integer> = AsnIntegerBigIntConverter;

/**
 * For small enumerated INTEGERs (pvno, PKIStatus, versions, actions). A value beyond the safe
 * integer range is a decoding error rather than a silently rounded or stringified number.
 */
export const SmallIntegerConverter: IAsnConverter<number, asn1js.Integer> = {
  fromASN: (value: asn1js.Integer) => {
    const v = value.toBigInt();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < BigInt(Number.MIN_SAFE_INTEGER)) {
      throw new Error(`INTEGER ${v} is out of range for this field`);
    }
    return Number(v);
  },
  toASN: (value: number) => {
    if (!Number.isSafeInteger(value)) throw new Error(`${value} is not an integer that can be encoded here`);
    return asn1js.Integer.fromBigInt(BigInt(value));
  },
};

/**
 * GeneralizedTime in DER form: asn1js writes milliseconds whenever the Date has them, but RFC 5280
 * and RFC 9810 section 5.2.9 want whole seconds, so the fraction is dropped on encoding.
 */
export const GeneralizedTimeConverter: IAsnConverter<Date, asn1js.GeneralizedTime> = {
  fromASN: (value: asn1js.GeneralizedTime) => value.toDate(),
  toASN: (value: Date) => {
    const ms = value.getTime();
    if (!Number.isFinite(ms)) throw new Error('invalid Date for a GeneralizedTime');
    return new asn1js.GeneralizedTime({ valueDate: new Date(ms - (((ms % 1000) + 1000) % 1000)) });
  },
};

/**
 * asn1js's RawData ignores the writer its parent passes when encoding, so its bytes would vanish
 * inside a SEQUENCE; this variant writes them.
 */
export class RawElement extends asn1js.RawData {
  public override toBER(sizeOnly?: boolean, writer?: { write(buf: ArrayBuffer): void }): ArrayBuffer {
    const data = super.toBER(sizeOnly);
    if (writer) {
      writer.write(data);
      return new ArrayBuffer(0);
    }
    return data;
  }
}

/**
 * An open type (ANY) kept as the exact DER of the element, NULL included, so that values of types
 * this library does not know survive a round trip unchanged.
 */
export const RawAnyConverter: IAsnConverter<ArrayBuffer, asn1js.AsnType> = {
  fromASN: (value: asn1js.AsnType) => {
    const view = (value as asn1js.BaseBlock).valueBeforeDecodeView;
    return view.slice().buffer;
  },
  toASN: (value: ArrayBuffer) => {
    const bytes = new Uint8Array(value);
    readDer(bytes); // one complete, well-formed element or an error
    return new RawElement({ data: bytes }) as unknown as asn1js.AsnType;
  },
};
