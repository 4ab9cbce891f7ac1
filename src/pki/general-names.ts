/**
 * Decoding of GeneralNames (subjectAltName) and name-constraint subtrees for path validation.
 *
 * @peculiar/asn1-x509 turns an iPAddress into text and, for name-constraint subtrees, folds the
 * mask into a prefix length, which loses non-contiguous masks and IPv6 subtrees. We therefore read
 * each GeneralName as its raw TLV, take iPAddress octets directly, and let asn1-x509 decode the rest.
 */
import { AsnArray, AsnConvert, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { GeneralName, type Name } from '@peculiar/asn1-x509';

export type DecodedGeneralName =
  | { kind: 'dNSName'; value: string }
  | { kind: 'rfc822Name'; value: string }
  | { kind: 'uniformResourceIdentifier'; value: string }
  | { kind: 'iPAddress'; octets: Uint8Array }
  | { kind: 'directoryName'; name: Name }
  | { kind: 'otherName' | 'x400Address' | 'ediPartyName' | 'registeredID' };

export type GeneralNameKind = DecodedGeneralName['kind'];

export interface DecodedSubtree {
  base: DecodedGeneralName;
  minimum: number;
  maximum?: number;
}

export interface DecodedNameConstraints {
  permitted?: DecodedSubtree[];
  excluded?: DecodedSubtree[];
}

@AsnType({ type: AsnTypeTypes.Sequence, itemType: AsnPropTypes.Any })
class RawGeneralNames extends AsnArray<ArrayBuffer> {}

class RawGeneralSubtree {
  @AsnProp({ type: AsnPropTypes.Any })
  base: ArrayBuffer = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.Integer, context: 0, implicit: true, defaultValue: 0 })
  minimum = 0;

  @AsnProp({ type: AsnPropTypes.Integer, context: 1, implicit: true, optional: true })
  maximum?: number;
}

@AsnType({ type: AsnTypeTypes.Sequence, itemType: RawGeneralSubtree })
class RawGeneralSubtrees extends AsnArray<RawGeneralSubtree> {}

class RawNameConstraints {
  @AsnProp({ type: RawGeneralSubtrees, context: 0, implicit: true, optional: true })
  permittedSubtrees?: RawGeneralSubtrees;

  @AsnProp({ type: RawGeneralSubtrees, context: 1, implicit: true, optional: true })
  excludedSubtrees?: RawGeneralSubtrees;
}

/** Decodes a GeneralNames extension value (subjectAltName, issuerAltName). Throws on malformed DER. */
export function decodeGeneralNames(der: ArrayBuffer | Uint8Array): DecodedGeneralName[] {
  return Array.from(AsnConvert.parse(der, RawGeneralNames), decodeGeneralName);
}

/** Decodes a NameConstraints extension value. Throws on malformed DER. */
export function decodeNameConstraints(der: ArrayBuffer | Uint8Array): DecodedNameConstraints {
  const raw = AsnConvert.parse(der, RawNameConstraints);
  const subtrees = (list: RawGeneralSubtrees | undefined): DecodedSubtree[] | undefined =>
    list &&
    Array.from(list, (s) => ({ base: decodeGeneralName(s.base), minimum: s.minimum, ...(s.maximum !== undefined ? { maximum: s.maximum } : {}) }));
  return { permitted: subtrees(raw.permittedSubtrees), excluded: subtrees(raw.excludedSubtrees) };
}

const IP_ADDRESS_TAG = 0x87; // [7] IMPLICIT OCTET STRING, primitive

function decodeGeneralName(tlv: ArrayBuffer): DecodedGeneralName {
  const bytes = new Uint8Array(tlv);
  if (bytes[0] === IP_ADDRESS_TAG) return { kind: 'iPAddress', octets: primitiveContents(bytes) };
  const name = AsnConvert.parse(tlv, GeneralName);
  if (name.dNSName !== undefined) return { kind: 'dNSName', value: name.dNSName };
  if (name.rfc822Name !== undefined) return { kind: 'rfc822Name', value: name.rfc822Name };
  if (name.uniformResourceIdentifier !== undefined) return { kind: 'uniformResourceIdentifier', value: name.uniformResourceIdentifier };
  if (name.directoryName !== undefined) return { kind: 'directoryName', name: name.directoryName };
  if (name.otherName !== undefined) return { kind: 'otherName' };
  if (name.x400Address !== undefined) return { kind: 'x400Address' };
  if (name.ediPartyName !== undefined) return { kind: 'ediPartyName' };
  if (name.registeredID !== undefined) return { kind: 'registeredID' };
  throw new Error('unrecognised GeneralName');
}

/** The contents octets of a primitive DER TLV (short or long definite length). */
function primitiveContents(tlv: Uint8Array): Uint8Array {
  let length = tlv[1];
  let offset = 2;
  if (length === undefined) throw new Error('truncated GeneralName');
  if (length & 0x80) {
    const count = length & 0x7f;
    if (count === 0 || count > 4) throw new Error('unsupported GeneralName length');
    length = 0;
    for (let i = 0; i < count; i++) length = length * 256 + (tlv[offset + i] ?? 0);
    offset += count;
  }
  if (offset + length !== tlv.length) throw new Error('GeneralName length mismatch');
  return tlv.slice(offset, offset + length);
}
