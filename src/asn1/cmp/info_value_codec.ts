/**
 * Moving between `InfoTypeAndValue.infoValue` (exact DER) and typed values: the structures of
 * info_values.ts, NULL (implicitConfirm) and GeneralizedTime (confirmWaitTime).
 */
import * as asn1js from 'asn1js';
import { CmpError, ErrorCodes } from '../../errors';
import { GeneralizedTimeConverter } from '../converters';
import { readDer } from '../der';
import { bytesOf } from '../../bytes';
import { AsnClass, decodeDer, encodeDer } from '../der-codec';
import { CmpOids, oidName } from '../oids';
import { InfoTypeAndValue } from './info_type_and_value';
import { infoValueTypes, InfoValueType } from './info_values';
import { PKIMessages } from './message';

/** The structure type of the value of `infoType`, if it is one this library knows. */
export function infoValueType(infoType: string): InfoValueType | undefined {
  return infoType === CmpOids.idItOrigPKIMessage ? PKIMessages : infoValueTypes[infoType];
}

function describe(itav: InfoTypeAndValue): string {
  return oidName(itav.infoType) ?? itav.infoType;
}

/** The value of `itav` decoded as `type`. Throws CmpError ERR_ASN1_DECODE when absent or malformed. */
export function decodeInfoValue<T>(itav: InfoTypeAndValue, type: AsnClass<T>): T {
  if (itav.infoValue === undefined) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${describe(itav)} carries no value`);
  }
  return decodeDer(itav.infoValue, type);
}

/** The GeneralizedTime value of `itav` (e.g. id-it-confirmWaitTime). Throws CmpError ERR_ASN1_DECODE. */
export function decodeInfoValueTime(itav: InfoTypeAndValue): Date {
  if (itav.infoValue === undefined) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${describe(itav)} carries no value`);
  }
  const bytes = bytesOf(itav.infoValue);
  const node = readDer(bytes);
  if (node.tagClass !== 0 || node.tagNumber !== 24) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${describe(itav)} does not carry a GeneralizedTime`);
  }
  const date = (asn1js.fromBER(bytes).result as asn1js.GeneralizedTime).toDate();
  if (Number.isNaN(date.getTime())) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${describe(itav)} carries an invalid GeneralizedTime`);
  }
  return date;
}

/**
 * DER of an infoValue: `null` gives NULL, a Date gives GeneralizedTime (whole seconds), any
 * asn1-schema object its DER. Throws CmpError ERR_ASN1_ENCODE.
 */
export function encodeInfoValue(value: object | Date | null): ArrayBuffer {
  if (value === null) return Uint8Array.of(0x05, 0x00).buffer;
  if (value instanceof Date) {
    try {
      return GeneralizedTimeConverter.toASN(value).toBER(false);
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_ASN1_ENCODE, 'cannot encode the time value', { cause: e });
    }
  }
  return encodeDer(value).slice().buffer;
}

/** An InfoTypeAndValue for `infoType` with `value` encoded by `encodeInfoValue`, or without value. */
export function createInfoTypeAndValue(infoType: string, value?: object | Date | null): InfoTypeAndValue {
  return new InfoTypeAndValue({
    infoType,
    ...(value !== undefined ? { infoValue: encodeInfoValue(value) } : {}),
  });
}
