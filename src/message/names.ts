/**
 * Distinguished names as users type them. `openssl cmp` takes `/type0=value0/type1=value1+type2=value2`
 * (encoding order, `\` escapes); the API also takes the comma form `CN=a, O=b`, which, as
 * @peculiar/x509 prints and parses it, lists RDNs in encoding order too. Both produce DER with
 * OpenSSL's string types: UTF8String, except PrintableString for country, serialNumber and
 * dnQualifier and IA5String for emailAddress and domainComponent.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { serializeDer } from '../asn1/der-writer';
import { AttributeTypeAndValue, AttributeValue, GeneralName, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { Name as X509Name } from '@peculiar/x509';
import { CmpError } from '../errors';

const ATTRIBUTE_TYPES: Record<string, string> = {
  CN: '2.5.4.3',
  commonName: '2.5.4.3',
  SN: '2.5.4.4',
  surname: '2.5.4.4',
  serialNumber: '2.5.4.5',
  C: '2.5.4.6',
  countryName: '2.5.4.6',
  L: '2.5.4.7',
  localityName: '2.5.4.7',
  ST: '2.5.4.8',
  stateOrProvinceName: '2.5.4.8',
  street: '2.5.4.9',
  streetAddress: '2.5.4.9',
  O: '2.5.4.10',
  organizationName: '2.5.4.10',
  OU: '2.5.4.11',
  organizationalUnitName: '2.5.4.11',
  title: '2.5.4.12',
  description: '2.5.4.13',
  postalCode: '2.5.4.17',
  GN: '2.5.4.42',
  givenName: '2.5.4.42',
  initials: '2.5.4.43',
  generationQualifier: '2.5.4.44',
  x500UniqueIdentifier: '2.5.4.45',
  dnQualifier: '2.5.4.46',
  pseudonym: '2.5.4.65',
  organizationIdentifier: '2.5.4.97',
  UID: '0.9.2342.19200300.100.1.1',
  userId: '0.9.2342.19200300.100.1.1',
  DC: '0.9.2342.19200300.100.1.25',
  domainComponent: '0.9.2342.19200300.100.1.25',
  emailAddress: '1.2.840.113549.1.9.1',
  unstructuredName: '1.2.840.113549.1.9.2',
};

const PRINTABLE = new Set(['2.5.4.6', '2.5.4.5', '2.5.4.46']);
const IA5 = new Set(['1.2.840.113549.1.9.1', '0.9.2342.19200300.100.1.25']);

function attributeOid(type: string, input: string): string {
  if (/^\d+(\.\d+)+$/.test(type)) return type;
  const found = ATTRIBUTE_TYPES[type] ?? Object.entries(ATTRIBUTE_TYPES).find(([k]) => k.toLowerCase() === type.toLowerCase())?.[1];
  if (!found) throw new CmpError('ERR_INVALID_OPTION', `unknown attribute type '${type}' in name '${input}'`);
  return found;
}

function attribute(type: string, value: string, input: string): AttributeTypeAndValue {
  const oid = attributeOid(type.trim(), input);
  if (value === '') throw new CmpError('ERR_INVALID_OPTION', `empty value for '${type}' in name '${input}'`);
  const v = PRINTABLE.has(oid)
    ? new AttributeValue({ printableString: value })
    : IA5.has(oid)
      ? new AttributeValue({ ia5String: value })
      : new AttributeValue({ utf8String: value });
  return new AttributeTypeAndValue({ type: oid, value: v });
}

/** Splits on an unescaped separator, keeping escapes for the next stage. */
function splitUnescaped(text: string, sep: string): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === '\\' && i + 1 < text.length) {
      current += ch + text[i + 1];
      i++;
    } else if (ch === sep) {
      parts.push(current);
      current = '';
    } else current += ch;
  }
  parts.push(current);
  return parts;
}

const unescape = (s: string) => s.replace(/\\(.)/g, '$1');

function rdn(text: string, input: string): RelativeDistinguishedName {
  const attrs = splitUnescaped(text, '+').map((part) => {
    const eq = splitUnescaped(part, '=');
    if (eq.length < 2 || eq[0].trim() === '') {
      throw new CmpError('ERR_INVALID_OPTION', `malformed name '${input}': expected type=value`);
    }
    return attribute(unescape(eq[0]), unescape(eq.slice(1).join('=')), input);
  });
  // DER orders a SET OF by the encodings of its elements.
  const encoded = attrs.map((a) => ({ a, der: Buffer.from(serializeDer(a)) }));
  encoded.sort((x, y) => Buffer.compare(x.der, y.der));
  return new RelativeDistinguishedName(encoded.map((e) => e.a));
}

/** Parses `/CN=x/O=y` (OpenSSL) or `CN=x, O=y`; the empty string and `/` are the empty name. */
export function parseName(input: string): Name {
  const text = input.trim();
  if (text === '' || text === '/') return new Name([]);
  if (text.startsWith('/')) {
    const parts = splitUnescaped(text.slice(1), '/');
    if (parts[parts.length - 1] === '') parts.pop();
    return new Name(parts.map((p) => rdn(p, input)));
  }
  return new Name(splitUnescaped(text, ',').map((p) => rdn(p.trim(), input)));
}

export function nameToDer(name: Name): Uint8Array {
  return serializeDer(name);
}

/** RFC 4514-style text of a name, for messages and dumps. */
export function nameToString(name: Name | ArrayBuffer | Uint8Array): string {
  const der = name instanceof Name ? AsnConvert.serialize(name) : name;
  try {
    return new X509Name(der as BufferSource).toString();
  } catch {
    return '<unprintable name>';
  }
}

/** Byte equality of two names' DER, which is how CMP compares sender and recipient. */
export function namesEqual(a: Name, b: Name): boolean {
  return Buffer.from(serializeDer(a)).equals(serializeDer(b));
}

export function directoryName(name: Name): GeneralName {
  return new GeneralName({ directoryName: name });
}

/** The NULL-DN directoryName that RFC 9810 uses when the sender has no name. */
export function nullDirectoryName(): GeneralName {
  return directoryName(new Name([]));
}
