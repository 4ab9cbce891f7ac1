/**
 * Distinguished names as users type them. `openssl cmp` takes `/type0=value0/type1=value1+type2=value2`
 * (encoding order, `\` escapes); the API also takes the comma form `CN=a, O=b`, which, as
 * @peculiar/x509 prints and parses it, lists RDNs in encoding order too.
 *
 * The slash form is read as OpenSSL 3.0's apps/lib/apps.c parse_name() reads it for `openssl cmp`
 * (UTF-8 input, multi-valued RDNs on): an unknown attribute type or an empty value is skipped with a
 * warning, not refused, because `openssl cmp` goes on with the rest of the name; a malformed name,
 * or a value its attribute cannot hold, is refused. The DER is the one OpenSSL writes for the same
 * argument: the string type and size bounds of crypto/asn1/a_strnid.c per attribute, UTF8String
 * for the rest, and each multi-valued RDN's SET OF in DER order.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { serializeDer } from '../asn1/der-writer';
import { encodeTlv } from '../asn1/der';
import { AttributeTypeAndValue, AttributeValue, GeneralName, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { Name as X509Name } from '@peculiar/x509';
import { CmpError, ErrorCodes } from '../errors';

/**
 * The name attributes OpenSSL knows by name (its short name first, which formatName writes): the
 * X.520 attribute types, the pilot (RFC 4519) ones, PKCS#9's, the EV jurisdiction ones and the
 * Russian registration numbers. OpenSSL takes any object it has a name for; types beyond these are
 * skipped with the warning OpenSSL gives for names it does not know.
 */
const KNOWN_ATTRIBUTES: readonly [string, readonly string[]][] = [
  ['0.9.2342.19200300.100.1.1', ['UID', 'userId']],
  ['0.9.2342.19200300.100.1.2', ['textEncodedORAddress']],
  ['0.9.2342.19200300.100.1.3', ['mail', 'rfc822Mailbox']],
  ['0.9.2342.19200300.100.1.4', ['info']],
  ['0.9.2342.19200300.100.1.5', ['favouriteDrink']],
  ['0.9.2342.19200300.100.1.6', ['roomNumber']],
  ['0.9.2342.19200300.100.1.7', ['photo']],
  ['0.9.2342.19200300.100.1.8', ['userClass']],
  ['0.9.2342.19200300.100.1.9', ['host']],
  ['0.9.2342.19200300.100.1.10', ['manager']],
  ['0.9.2342.19200300.100.1.11', ['documentIdentifier']],
  ['0.9.2342.19200300.100.1.12', ['documentTitle']],
  ['0.9.2342.19200300.100.1.13', ['documentVersion']],
  ['0.9.2342.19200300.100.1.14', ['documentAuthor']],
  ['0.9.2342.19200300.100.1.15', ['documentLocation']],
  ['0.9.2342.19200300.100.1.20', ['homeTelephoneNumber']],
  ['0.9.2342.19200300.100.1.21', ['secretary']],
  ['0.9.2342.19200300.100.1.22', ['otherMailbox']],
  ['0.9.2342.19200300.100.1.23', ['lastModifiedTime']],
  ['0.9.2342.19200300.100.1.24', ['lastModifiedBy']],
  ['0.9.2342.19200300.100.1.25', ['DC', 'domainComponent']],
  ['0.9.2342.19200300.100.1.26', ['aRecord']],
  ['0.9.2342.19200300.100.1.27', ['pilotAttributeType27']],
  ['0.9.2342.19200300.100.1.28', ['mXRecord']],
  ['0.9.2342.19200300.100.1.29', ['nSRecord']],
  ['0.9.2342.19200300.100.1.30', ['sOARecord']],
  ['0.9.2342.19200300.100.1.31', ['cNAMERecord']],
  ['0.9.2342.19200300.100.1.37', ['associatedDomain']],
  ['0.9.2342.19200300.100.1.38', ['associatedName']],
  ['0.9.2342.19200300.100.1.39', ['homePostalAddress']],
  ['0.9.2342.19200300.100.1.40', ['personalTitle']],
  ['0.9.2342.19200300.100.1.41', ['mobileTelephoneNumber']],
  ['0.9.2342.19200300.100.1.42', ['pagerTelephoneNumber']],
  ['0.9.2342.19200300.100.1.43', ['friendlyCountryName']],
  ['0.9.2342.19200300.100.1.44', ['uid', 'uniqueIdentifier']],
  ['0.9.2342.19200300.100.1.45', ['organizationalStatus']],
  ['0.9.2342.19200300.100.1.46', ['janetMailbox']],
  ['0.9.2342.19200300.100.1.47', ['mailPreferenceOption']],
  ['0.9.2342.19200300.100.1.48', ['buildingName']],
  ['0.9.2342.19200300.100.1.49', ['dSAQuality']],
  ['0.9.2342.19200300.100.1.50', ['singleLevelQuality']],
  ['0.9.2342.19200300.100.1.51', ['subtreeMinimumQuality']],
  ['0.9.2342.19200300.100.1.52', ['subtreeMaximumQuality']],
  ['0.9.2342.19200300.100.1.53', ['personalSignature']],
  ['0.9.2342.19200300.100.1.54', ['dITRedirect']],
  ['0.9.2342.19200300.100.1.55', ['audio']],
  ['0.9.2342.19200300.100.1.56', ['documentPublisher']],
  ['1.2.643.3.131.1.1', ['INN']],
  ['1.2.643.100.1', ['OGRN']],
  ['1.2.643.100.3', ['SNILS']],
  ['1.2.643.100.5', ['OGRNIP']],
  ['1.2.840.113549.1.9.1', ['emailAddress']],
  ['1.2.840.113549.1.9.2', ['unstructuredName']],
  ['1.2.840.113549.1.9.3', ['contentType']],
  ['1.2.840.113549.1.9.4', ['messageDigest']],
  ['1.2.840.113549.1.9.5', ['signingTime']],
  ['1.2.840.113549.1.9.6', ['countersignature']],
  ['1.2.840.113549.1.9.7', ['challengePassword']],
  ['1.2.840.113549.1.9.8', ['unstructuredAddress']],
  ['1.2.840.113549.1.9.9', ['extendedCertificateAttributes']],
  ['1.2.840.113549.1.9.20', ['friendlyName']],
  ['1.2.840.113549.1.9.21', ['localKeyID']],
  ['1.3.6.1.4.1.311.60.2.1.1', ['jurisdictionL', 'jurisdictionLocalityName']],
  ['1.3.6.1.4.1.311.60.2.1.2', ['jurisdictionST', 'jurisdictionStateOrProvinceName']],
  ['1.3.6.1.4.1.311.60.2.1.3', ['jurisdictionC', 'jurisdictionCountryName']],
  ['2.5.4.3', ['CN', 'commonName']],
  ['2.5.4.4', ['SN', 'surname']],
  ['2.5.4.5', ['serialNumber']],
  ['2.5.4.6', ['C', 'countryName']],
  ['2.5.4.7', ['L', 'localityName']],
  ['2.5.4.8', ['ST', 'stateOrProvinceName']],
  ['2.5.4.9', ['street', 'streetAddress']],
  ['2.5.4.10', ['O', 'organizationName']],
  ['2.5.4.11', ['OU', 'organizationalUnitName']],
  ['2.5.4.12', ['title']],
  ['2.5.4.13', ['description']],
  ['2.5.4.14', ['searchGuide']],
  ['2.5.4.15', ['businessCategory']],
  ['2.5.4.16', ['postalAddress']],
  ['2.5.4.17', ['postalCode']],
  ['2.5.4.18', ['postOfficeBox']],
  ['2.5.4.19', ['physicalDeliveryOfficeName']],
  ['2.5.4.20', ['telephoneNumber']],
  ['2.5.4.21', ['telexNumber']],
  ['2.5.4.22', ['teletexTerminalIdentifier']],
  ['2.5.4.23', ['facsimileTelephoneNumber']],
  ['2.5.4.24', ['x121Address']],
  ['2.5.4.25', ['internationaliSDNNumber']],
  ['2.5.4.26', ['registeredAddress']],
  ['2.5.4.27', ['destinationIndicator']],
  ['2.5.4.28', ['preferredDeliveryMethod']],
  ['2.5.4.29', ['presentationAddress']],
  ['2.5.4.30', ['supportedApplicationContext']],
  ['2.5.4.31', ['member']],
  ['2.5.4.32', ['owner']],
  ['2.5.4.33', ['roleOccupant']],
  ['2.5.4.34', ['seeAlso']],
  ['2.5.4.35', ['userPassword']],
  ['2.5.4.36', ['userCertificate']],
  ['2.5.4.37', ['cACertificate']],
  ['2.5.4.38', ['authorityRevocationList']],
  ['2.5.4.39', ['certificateRevocationList']],
  ['2.5.4.40', ['crossCertificatePair']],
  ['2.5.4.41', ['name']],
  ['2.5.4.42', ['GN', 'givenName']],
  ['2.5.4.43', ['initials']],
  ['2.5.4.44', ['generationQualifier']],
  ['2.5.4.45', ['x500UniqueIdentifier']],
  ['2.5.4.46', ['dnQualifier']],
  ['2.5.4.47', ['enhancedSearchGuide']],
  ['2.5.4.48', ['protocolInformation']],
  ['2.5.4.49', ['distinguishedName']],
  ['2.5.4.50', ['uniqueMember']],
  ['2.5.4.51', ['houseIdentifier']],
  ['2.5.4.52', ['supportedAlgorithms']],
  ['2.5.4.53', ['deltaRevocationList']],
  ['2.5.4.54', ['dmdName']],
  ['2.5.4.65', ['pseudonym']],
  ['2.5.4.72', ['role']],
  ['2.5.4.97', ['organizationIdentifier']],
  ['2.5.4.98', ['c3', 'countryCode3c']],
  ['2.5.4.99', ['n3', 'countryCode3n']],
  ['2.5.4.100', ['dnsName']],
];

type StringKind = 'utf8' | 'printable' | 'ia5' | 'numeric' | 'bmp';

interface ValueRule {
  kind: StringKind;
  min?: number;
  max?: number;
}

/** crypto/asn1/a_strnid.c tbl_standard with OpenSSL 3.0's default UTF8-only mask applied. */
const VALUE_RULES: Record<string, ValueRule> = {
  '2.5.4.3': { kind: 'utf8', max: 64 },
  '2.5.4.6': { kind: 'printable', min: 2, max: 2 },
  '2.5.4.7': { kind: 'utf8', max: 128 },
  '2.5.4.8': { kind: 'utf8', max: 128 },
  '2.5.4.10': { kind: 'utf8', max: 64 },
  '2.5.4.11': { kind: 'utf8', max: 64 },
  '1.2.840.113549.1.9.1': { kind: 'ia5', max: 128 },
  '0.9.2342.19200300.100.1.3': { kind: 'ia5', max: 256 },
  '2.5.4.42': { kind: 'utf8', max: 32768 },
  '2.5.4.4': { kind: 'utf8', max: 32768 },
  '2.5.4.43': { kind: 'utf8', max: 32768 },
  '2.5.4.41': { kind: 'utf8', max: 32768 },
  '2.5.4.5': { kind: 'printable', max: 64 },
  '2.5.4.46': { kind: 'printable' },
  '0.9.2342.19200300.100.1.25': { kind: 'ia5' },
  '1.2.840.113549.1.9.20': { kind: 'bmp' },
  '1.2.643.3.131.1.1': { kind: 'numeric', max: 12 },
  '1.2.643.100.1': { kind: 'numeric', max: 13 },
  '1.2.643.100.3': { kind: 'numeric', max: 11 },
  '2.5.4.98': { kind: 'printable', min: 3, max: 3 },
  '2.5.4.99': { kind: 'numeric', min: 3, max: 3 },
  '1.3.6.1.4.1.311.60.2.1.3': { kind: 'printable', min: 2, max: 2 },
};

const OID_BY_NAME = new Map<string, string>();
const SHORT_NAME = new Map<string, string>();
for (const [oid, names] of KNOWN_ATTRIBUTES) {
  for (const n of names) OID_BY_NAME.set(n, oid);
  SHORT_NAME.set(oid, names[0]!);
}
const LOWER_CASE_OID_BY_NAME = new Map<string, string>();
for (const [n, oid] of OID_BY_NAME) if (!LOWER_CASE_OID_BY_NAME.has(n.toLowerCase())) LOWER_CASE_OID_BY_NAME.set(n.toLowerCase(), oid);

/**
 * What OpenSSL knows of a name attribute spelled `type` (a name as OpenSSL spells it, or a known
 * dotted OID): its OID and the string type and size limits of its values. The one table for every
 * reader of names, the DN arguments and the x509v3 config's dirName sections alike.
 */
export function nameAttributeRule(type: string): ({ oid: string } & ValueRule) | undefined {
  const oid = lookupType(type, false);
  return oid === undefined ? undefined : { oid, ...(VALUE_RULES[oid] ?? { kind: 'utf8' }) };
}

/** OBJ_txt2nid: a name as OpenSSL spells it (case matters: `uid` is not `UID`), or a known OID in dotted form. */
function lookupType(type: string, ignoreCase: boolean): string | undefined {
  const exact = OID_BY_NAME.get(type) ?? (SHORT_NAME.has(type) ? type : undefined);
  if (exact !== undefined || !ignoreCase) return exact;
  return LOWER_CASE_OID_BY_NAME.get(type.toLowerCase());
}

export interface ParseNameOptions {
  /** Which name this is ('subject', 'recipient', 'expected sender', …); messages say so as OpenSSL's do. */
  what?: string;
  /** Only OpenSSL's `/type=value` form, as `openssl cmp` takes it; by default the comma form is taken too. */
  opensslSyntax?: boolean;
  /**
   * Receives each warning about a skipped attribute. By default it becomes a process warning of
   * type `CmpflowNameWarning` (`process.on('warning')`), the channel the library reports on.
   */
  onWarning?: (message: string) => void;
}

export const NAME_WARNING = 'CmpflowNameWarning';

function processWarning(message: string): void {
  const proc = (globalThis as { process?: { emitWarning?: (message: string, options: { type: string; code: string }) => void } }).process;
  if (typeof proc?.emitWarning === 'function') proc.emitWarning(message, { type: NAME_WARNING, code: 'CMPFLOW_NAME_ATTRIBUTE_SKIPPED' });
  else console.warn(`${NAME_WARNING}: ${message}`);
}

const PRINTABLE_CHARS = /^[A-Za-z0-9 '()+,\-./:=?]*$/;

/** Why ASN1_mbstring_ncopy would refuse `value` for this rule, or undefined. */
function valueProblem(value: string, rule: ValueRule): string | undefined {
  const chars = [...value];
  if (rule.max !== undefined && chars.length > rule.max) return `string too long (maxsize=${rule.max})`;
  if (rule.min !== undefined && chars.length < rule.min) return `string too short (minsize=${rule.min})`;
  const legal =
    rule.kind === 'printable'
      ? PRINTABLE_CHARS.test(value)
      : rule.kind === 'ia5'
        ? chars.every((c) => c.codePointAt(0)! < 0x80)
        : rule.kind === 'numeric'
          ? /^[0-9 ]*$/.test(value)
          : rule.kind === 'bmp'
            ? chars.every((c) => c.codePointAt(0)! <= 0xffff)
            : true;
  return legal ? undefined : 'illegal characters';
}

function attributeValue(value: string, kind: StringKind): AttributeValue {
  switch (kind) {
    case 'printable':
      return new AttributeValue({ printableString: value });
    case 'ia5':
      return new AttributeValue({ ia5String: value });
    case 'bmp':
      return new AttributeValue({ bmpString: value });
    case 'numeric': {
      // NumericString is no choice of AttributeValue's schema, so it goes in as its own TLV.
      const der = encodeTlv(0x12, new TextEncoder().encode(value));
      return new AttributeValue({ anyValue: der.buffer.slice(der.byteOffset, der.byteOffset + der.byteLength) });
    }
    default:
      return new AttributeValue({ utf8String: value });
  }
}

const invalid = (message: string) => new CmpError(ErrorCodes.ERR_INVALID_OPTION, message);

/** One attribute as parse_name has cut it out of the text, before it is looked up. */
interface RawAttribute {
  type: string;
  value: string;
  /** Joins the RDN before it (an unescaped `+` came first). */
  multi: boolean;
}

class NameBuilder {
  private readonly rdns: AttributeTypeAndValue[][] = [];
  private readonly label: string;

  constructor(
    private readonly options: ParseNameOptions,
    private readonly ignoreCase: boolean,
  ) {
    this.label = options.what ? `${options.what} name` : 'name';
  }

  private warn(message: string): void {
    (this.options.onWarning ?? processWarning)(message);
  }

  add({ type, value, multi }: RawAttribute): void {
    const oid = lookupType(type, this.ignoreCase);
    if (oid === undefined) {
      this.warn(`Skipping unknown ${this.label} attribute "${type}"`);
      if (multi) this.warn(`a '+' in a value string needs be escaped using '\\' else a new member of a multi-valued RDN is expected`);
      return;
    }
    if (value === '') {
      this.warn(`No value provided for ${this.label} attribute "${type}", skipped`);
      return;
    }
    const rule = VALUE_RULES[oid] ?? { kind: 'utf8' };
    const problem = valueProblem(value, rule);
    if (problem) throw invalid(`Error adding ${this.label} attribute "/${type}=${value}": ${problem}`);
    const atv = new AttributeTypeAndValue({ type: oid, value: attributeValue(value, rule.kind) });
    // As X509_NAME_add_entry with set -1: a '+' member joins the last RDN there is, which is the
    // previous one only if that was not skipped.
    const last = this.rdns[this.rdns.length - 1];
    if (multi && last) last.push(atv);
    else this.rdns.push([atv]);
  }

  name(): Name {
    return new Name(
      this.rdns.map((atvs) => {
        // DER orders a SET OF by the encodings of its elements.
        const encoded = atvs.map((a) => ({ a, der: Buffer.from(serializeDer(a)) }));
        encoded.sort((x, y) => Buffer.compare(x.der, y.der));
        return new RelativeDistinguishedName(encoded.map((e) => e.a));
      }),
    );
  }
}

/** parse_name()'s walk over `/type=value/type=value+type=value`; `text` starts after the first '/'. */
function slashAttributes(text: string, label: string): RawAttribute[] {
  const out: RawAttribute[] = [];
  let i = 0;
  let nextIsMulti = false;
  while (i < text.length) {
    const multi = nextIsMulti;
    nextIsMulti = false;
    // The type runs to the '=', escapes and slashes included, as in OpenSSL.
    const eq = text.indexOf('=', i);
    if (eq < 0) throw invalid(`Missing '=' after RDN type string '${text.slice(i)}' in ${label} string`);
    const type = text.slice(i, eq);
    i = eq + 1;
    let value = '';
    while (i < text.length && text[i] !== '/') {
      if (text[i] === '+') {
        nextIsMulti = true;
        break;
      }
      if (text[i] === '\\') {
        i++;
        if (i >= text.length) throw invalid(`Escape character at end of ${label} string`);
      }
      value += text[i];
      i++;
    }
    if (i < text.length) i++;
    out.push({ type, value, multi });
  }
  return out;
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

/** The comma form `CN=a+OU=b, O=c`: RDNs split on ',', members on '+', types trimmed. */
function commaAttributes(text: string, input: string): RawAttribute[] {
  const out: RawAttribute[] = [];
  for (const rdn of splitUnescaped(text, ',')) {
    splitUnescaped(rdn.trim(), '+').forEach((member, index) => {
      const eq = splitUnescaped(member, '=');
      if (eq.length < 2 || eq[0]!.trim() === '') throw invalid(`malformed name '${input}': expected type=value`);
      out.push({ type: unescape(eq[0]!).trim(), value: unescape(eq.slice(1).join('=')), multi: index > 0 });
    });
  }
  return out;
}

/**
 * Parses `/CN=x/O=y` (OpenSSL) or, unless `opensslSyntax`, `CN=x, O=y`; the empty string and `/` are
 * the empty name. Throws CmpError ERR_INVALID_OPTION for a malformed name or a value its attribute
 * cannot hold; unknown attribute types and empty values are skipped with a warning.
 */
export function parseName(input: string, options: ParseNameOptions = {}): Name {
  const label = options.what ? `${options.what} name` : 'name';
  if (options.opensslSyntax && !input.startsWith('/')) {
    throw invalid(
      `${label} is expected to be in the format /type0=value0/type1=value1/type2=... where characters may be escaped by \\. This name is not in that format: '${input}'`,
    );
  }
  const slash = input.startsWith('/') || (!options.opensslSyntax && input.trim().startsWith('/'));
  const text = options.opensslSyntax ? input : input.trim();
  if (text === '' || text === '/') return new Name([]);
  const builder = new NameBuilder(options, !slash);
  const attributes = slash ? slashAttributes(text.slice(1), label) : commaAttributes(text, input);
  for (const a of attributes) builder.add(a);
  return builder.name();
}

const escapeSlashValue = (value: string) => value.replace(/[\\/+]/g, (c) => `\\${c}`);

function valueText(value: AttributeValue): string | undefined {
  const text = value.utf8String ?? value.printableString ?? value.ia5String ?? value.bmpString;
  if (text !== undefined) return text;
  if (value.anyValue) {
    const der = new Uint8Array(value.anyValue);
    // A short NumericString, as attributeValue() writes it.
    if (der[0] === 0x12 && der.length >= 2 && der[1]! < 0x80) return new TextDecoder().decode(der.subarray(2));
  }
  return undefined;
}

/**
 * The OpenSSL slash form of a name that parseName can read back to the same DER: short names,
 * `\`-escaped '/', '+' and '\', multi-valued RDNs joined with '+'. Only for names of the attribute
 * types and string types parseName writes; others throw CmpError ERR_INVALID_OPTION.
 */
export function formatName(name: Name): string {
  let out = '';
  for (const rdn of name) {
    out += '/';
    out += rdn
      .map((atv) => {
        const type = SHORT_NAME.get(atv.type);
        const text = valueText(atv.value);
        if (type === undefined || text === undefined) throw invalid(`name attribute ${atv.type} has no OpenSSL text form`);
        return `${type}=${escapeSlashValue(text)}`;
      })
      .join('+');
  }
  return out === '' ? '/' : out;
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
