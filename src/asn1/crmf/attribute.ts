import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { RawAnyConverter } from '../converters';

/**
 * ```asn1
 * AttributeTypeAndValue ::= SEQUENCE {
 *   type         OBJECT IDENTIFIER,
 *   value        ANY DEFINED BY type }
 * ```
 * RFC 4211 section 6 (controls and regInfo). `value` is the exact DER of the value.
 */
export class AttributeTypeAndValue {
  @AsnProp({ type: AsnPropTypes.ObjectIdentifier })
  public type = '';

  @AsnProp({ type: AsnPropTypes.Any, converter: RawAnyConverter })
  public value = new ArrayBuffer(0);

  public constructor(params: Partial<AttributeTypeAndValue> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * Controls ::= SEQUENCE SIZE(1..MAX) OF AttributeTypeAndValue
 * ```
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: AttributeTypeAndValue })
export class Controls extends AsnArray<AttributeTypeAndValue> {
  public constructor(items?: AttributeTypeAndValue[]) {
    super(items);
    Object.setPrototypeOf(this, Controls.prototype);
  }
}

/**
 * ```asn1
 * RegToken ::= UTF8String        -- id-regCtrl-regToken
 * Authenticator ::= UTF8String   -- id-regCtrl-authenticator
 * UTF8Pairs ::= UTF8String       -- id-regInfo-utf8Pairs
 * ```
 */
export type RegToken = string;
export type Authenticator = string;
export type UTF8Pairs = string;

/**
 * ```asn1
 * ProtocolEncrKey ::= SubjectPublicKeyInfo   -- id-regCtrl-protocolEncrKey
 * ```
 */
export const ProtocolEncrKey = SubjectPublicKeyInfo;
export type ProtocolEncrKey = SubjectPublicKeyInfo;
