/**
 * Distinguished-name comparison as RFC 5280 section 7.1 asks and OpenSSL implements it
 * (x509_name_canon): string values are compared case-insensitively (ASCII) after trimming and
 * collapsing white space, whatever string type encodes them, so a PrintableString "Test CA" in a
 * certificate's issuer matches a UTF8String "test  ca" in its issuer's subject. Values of other
 * types are compared by their DER. The order of attributes inside a multi-valued RDN is irrelevant.
 */
import { serializeDer } from '../asn1/der-writer';
import { hex } from '../bytes';
import type { AttributeTypeAndValue, Name } from '@peculiar/asn1-x509';

/** One RDN: the canonical keys of its attributes, sorted. */
export type CanonicalRdn = readonly string[];
export type CanonicalName = readonly CanonicalRdn[];

export function canonicalName(name: Name): CanonicalName {
  return name.map((rdn) => rdn.map(canonicalAttribute).sort());
}

/** A string that is equal for two names exactly when they match under RFC 5280 comparison. */
export function canonicalNameKey(name: CanonicalName): string {
  return JSON.stringify(name);
}

/** canonicalNameKey of a decoded Name: the key names are compared, filed and looked up by. */
export function nameKey(name: Name): string {
  return canonicalNameKey(canonicalName(name));
}

/** Whether `base` names the subtree `name` lies in: its RDNs are the first RDNs of `name`. */
export function isNamePrefix(base: CanonicalName, name: CanonicalName): boolean {
  if (base.length > name.length) return false;
  return base.every((rdn, i) => sameRdn(rdn, name[i]));
}

function sameRdn(a: CanonicalRdn, b: CanonicalRdn): boolean {
  return a.length === b.length && a.every((key, i) => key === b[i]);
}

function canonicalAttribute(attribute: AttributeTypeAndValue): string {
  const value = attribute.value;
  const text = value.utf8String ?? value.printableString ?? value.teletexString ?? value.bmpString ?? value.universalString ?? value.ia5String;
  if (text !== undefined) return `${attribute.type}=s:${canonicalString(text)}`;
  const der = value.anyValue ?? serializeDer(value).buffer;
  return `${attribute.type}=x:${hex(der)}`;
}

/** OpenSSL's asn1_string_canon: trim, collapse inner white space to one space, lower-case ASCII. */
function canonicalString(text: string): string {
  return text
    .replace(/^[ \t\n\v\f\r]+|[ \t\n\v\f\r]+$/g, '')
    .replace(/[ \t\n\v\f\r]+/g, ' ')
    .replace(/[A-Z]/g, (c) => c.toLowerCase());
}

/** The values of one attribute type (e.g. emailAddress) in a name, as decoded strings. */
export function attributeStrings(name: Name, type: string): string[] {
  const out: string[] = [];
  for (const rdn of name) {
    for (const attribute of rdn) {
      if (attribute.type !== type) continue;
      const value = attribute.value;
      const text = value.utf8String ?? value.printableString ?? value.teletexString ?? value.bmpString ?? value.universalString ?? value.ia5String;
      if (text !== undefined) out.push(text);
    }
  }
  return out;
}
