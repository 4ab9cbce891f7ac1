/**
 * The X.509v3 extension sections that `-reqexts` and `-policies` name (OpenSSL x509v3_config(5),
 * crypto/x509/v3_conf.c and the v2i/r2i parsers it calls): first into a structured form that
 * tests and callers can read, then into DER with @peculiar/x509's extension classes.
 *
 * Supported, with OpenSSL's syntax and its DER choices (pinned against `openssl cmp -reqout`):
 * subjectAltName / issuerAltName (email, URI, DNS, RID, IP, dirName, otherName; `@section`),
 * keyUsage, extendedKeyUsage, basicConstraints, certificatePolicies (OIDs, `ia5org`, `@section`
 * with policyIdentifier, CPS.n, userNotice.n = @section), subjectKeyIdentifier (hex), and any
 * extension as `name-or-OID = DER:hex`. A value may start with `critical,`. Not supported:
 * `ASN1:` values, `email:copy`, `hash` key identifiers, and multi-valued RDNs in dirName.
 */
import { isIP } from 'net';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import { encodeTlv } from '../asn1/der';
import { CmpError, ErrorCodes } from '../errors';
import { nameAttributeRule } from '../pki/names';
import type { OpenSslConfig } from './config';
import { hex } from '../bytes';

export type DirectoryStringType = 'utf8' | 'printable' | 'ia5';

export interface NameAttribute {
  oid: string;
  type: DirectoryStringType;
  value: string;
}

export type GeneralNameSpec =
  | { type: 'email' | 'uri' | 'dns'; value: string }
  /** Dotted IPv4 or fully expanded IPv6. */
  | { type: 'ip'; value: string }
  | { type: 'rid'; value: string }
  | { type: 'dirName'; value: NameAttribute[] }
  | { type: 'otherName'; typeId: string; value: OtherNameValue };

export type OtherNameValue = { type: 'utf8' | 'ia5' | 'printable' | 'octets'; value: string } | { type: 'integer'; value: bigint };

export type KeyUsageName = keyof typeof x509.KeyUsageFlags;

export interface UserNoticeSpec {
  explicitText?: { type: 'visible' | 'utf8' | 'bmp'; value: string };
  noticeRef?: { organization: { type: 'visible' | 'ia5'; value: string }; noticeNumbers: number[] };
}

export interface PolicySpec {
  oid: string;
  qualifiers: ({ type: 'cps'; uri: string } | { type: 'userNotice'; notice: UserNoticeSpec })[];
}

export type ExtensionValue =
  | { kind: 'generalNames'; names: GeneralNameSpec[] }
  | { kind: 'keyUsage'; usages: KeyUsageName[] }
  | { kind: 'extendedKeyUsage'; purposes: string[] }
  | { kind: 'basicConstraints'; ca: boolean; pathLen?: number }
  | { kind: 'certificatePolicies'; policies: PolicySpec[] }
  | { kind: 'subjectKeyIdentifier'; keyId: string }
  | { kind: 'der'; der: Uint8Array };

export interface ExtensionSpec {
  oid: string;
  /** The name used in the section, e.g. 'subjectAltName' or '1.2.3.4'. */
  name: string;
  critical: boolean;
  value: ExtensionValue;
}

const EXTENSIONS: Readonly<
  Record<
    string,
    { oid: string; kind?: 'generalNames' | 'keyUsage' | 'extendedKeyUsage' | 'basicConstraints' | 'certificatePolicies' | 'subjectKeyIdentifier' }
  >
> = {
  subjectAltName: { oid: '2.5.29.17', kind: 'generalNames' },
  issuerAltName: { oid: '2.5.29.18', kind: 'generalNames' },
  keyUsage: { oid: '2.5.29.15', kind: 'keyUsage' },
  extendedKeyUsage: { oid: '2.5.29.37', kind: 'extendedKeyUsage' },
  basicConstraints: { oid: '2.5.29.19', kind: 'basicConstraints' },
  certificatePolicies: { oid: '2.5.29.32', kind: 'certificatePolicies' },
  subjectKeyIdentifier: { oid: '2.5.29.14', kind: 'subjectKeyIdentifier' },
  // Known to OpenSSL but only usable here as `name = DER:hex`.
  authorityKeyIdentifier: { oid: '2.5.29.35' },
  nameConstraints: { oid: '2.5.29.30' },
  policyConstraints: { oid: '2.5.29.36' },
  policyMappings: { oid: '2.5.29.33' },
  inhibitAnyPolicy: { oid: '2.5.29.54' },
  crlDistributionPoints: { oid: '2.5.29.31' },
  authorityInfoAccess: { oid: '1.3.6.1.5.5.7.1.1' },
  subjectInfoAccess: { oid: '1.3.6.1.5.5.7.1.11' },
  tlsfeature: { oid: '1.3.6.1.5.5.7.1.24' },
  nsComment: { oid: '2.16.840.1.113730.1.13' },
  nsCertType: { oid: '2.16.840.1.113730.1.1' },
};

const KEY_USAGES: readonly [KeyUsageName, string][] = [
  ['digitalSignature', 'Digital Signature'],
  ['nonRepudiation', 'Non Repudiation'],
  ['keyEncipherment', 'Key Encipherment'],
  ['dataEncipherment', 'Data Encipherment'],
  ['keyAgreement', 'Key Agreement'],
  ['keyCertSign', 'Certificate Sign'],
  ['cRLSign', 'CRL Sign'],
  ['encipherOnly', 'Encipher Only'],
  ['decipherOnly', 'Decipher Only'],
];

const kp = '1.3.6.1.5.5.7.3';
/** OpenSSL's short and long names of extended key usages (obj_mac.h). */
const PURPOSES: readonly [string, string, string][] = [
  ['serverAuth', 'TLS Web Server Authentication', `${kp}.1`],
  ['clientAuth', 'TLS Web Client Authentication', `${kp}.2`],
  ['codeSigning', 'Code Signing', `${kp}.3`],
  ['emailProtection', 'E-mail Protection', `${kp}.4`],
  ['ipsecEndSystem', 'IPSec End System', `${kp}.5`],
  ['ipsecTunnel', 'IPSec Tunnel', `${kp}.6`],
  ['ipsecUser', 'IPSec User', `${kp}.7`],
  ['timeStamping', 'Time Stamping', `${kp}.8`],
  ['OCSPSigning', 'OCSP Signing', `${kp}.9`],
  ['DVCS', 'dvcs', `${kp}.10`],
  ['ipsecIKE', 'ipsec Internet Key Exchange', `${kp}.17`],
  ['secureShellClient', 'SSH Client', `${kp}.21`],
  ['secureShellServer', 'SSH Server', `${kp}.22`],
  ['cmcCA', 'CMC Certificate Authority', `${kp}.27`],
  ['cmcRA', 'CMC Registration Authority', `${kp}.28`],
  ['cmcArchive', 'CMC Archive Server', `${kp}.29`],
  ['cmKGA', 'Certificate Management Key Generation Authority', `${kp}.32`],
  ['anyExtendedKeyUsage', 'Any Extended Key Usage', '2.5.29.37.0'],
  ['msCodeInd', 'Microsoft Individual Code Signing', '1.3.6.1.4.1.311.2.1.21'],
  ['msCodeCom', 'Microsoft Commercial Code Signing', '1.3.6.1.4.1.311.2.1.22'],
  ['msCTLSign', 'Microsoft Trust List Signing', '1.3.6.1.4.1.311.10.3.1'],
  ['msSGC', 'Microsoft Server Gated Crypto', '1.3.6.1.4.1.311.10.3.3'],
  ['msEFS', 'Microsoft Encrypted File System', '1.3.6.1.4.1.311.10.3.4'],
  ['msSmartcardLogin', 'Microsoft Smartcard Login', '1.3.6.1.4.1.311.20.2.2'],
  ['nsSGC', 'Netscape Server Gated Crypto', '2.16.840.1.113730.4.1'],
];

const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const ANY_POLICY = '2.5.29.32.0';

class SectionReader {
  constructor(
    private readonly config: OpenSslConfig,
    /** e.g. "-reqexts section [exts]", the start of every message. */
    private readonly where: string,
  ) {}

  fail(message: string): CmpError {
    return new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${this.where}: ${message}`);
  }

  section(name: string, usedFor: string): { name: string; value: string }[] {
    const entries = this.config.section(name);
    if (entries === undefined) throw this.fail(`section [${name}] for ${usedFor} not found in the config file`);
    return entries;
  }

  extension(name: string, rawValue: string): ExtensionSpec {
    let value = rawValue;
    let critical = false;
    if (value.startsWith('critical,')) {
      critical = true;
      value = value.slice(9).replace(/^\s+/, '');
    }
    const known = EXTENSIONS[name];
    const oid = known?.oid ?? (OID.test(name) ? name : undefined);
    if (value.startsWith('DER:')) {
      if (oid === undefined) throw this.fail(`unknown extension name '${name}'`);
      return { oid, name, critical, value: { kind: 'der', der: this.hex(value.slice(4), name) } };
    }
    if (value.startsWith('ASN1:')) throw this.fail(`${name}: ASN1: values are not supported, give the DER: encoding`);
    if (known === undefined) {
      throw this.fail(oid === undefined ? `unknown extension name '${name}'` : `${name}: only the form '${name} = DER:<hex>' is supported`);
    }
    if (known.kind === undefined) throw this.fail(`${name}: only the form '${name} = DER:<hex>' is supported by cmpflow`);
    const at = `${name}`;
    switch (known.kind) {
      case 'generalNames':
        return { oid: known.oid, name, critical, value: { kind: 'generalNames', names: this.generalNames(value, at) } };
      case 'keyUsage':
        return { oid: known.oid, name, critical, value: { kind: 'keyUsage', usages: this.keyUsage(value, at) } };
      case 'extendedKeyUsage':
        return { oid: known.oid, name, critical, value: { kind: 'extendedKeyUsage', purposes: this.purposes(value, at) } };
      case 'basicConstraints':
        return { oid: known.oid, name, critical, value: this.basicConstraints(value, at) };
      case 'certificatePolicies':
        return { oid: known.oid, name, critical, value: { kind: 'certificatePolicies', policies: this.policies(value, at) } };
      case 'subjectKeyIdentifier':
        if (value === 'hash' || value === 'none') throw this.fail(`${at}: '${value}' is not supported, give the key identifier in hex`);
        return { oid: known.oid, name, critical, value: { kind: 'subjectKeyIdentifier', keyId: hex(this.hex(value, at)) } };
    }
  }

  /** OPENSSL_hexstr2buf(): pairs of hex digits, optionally separated by colons. */
  private hex(text: string, at: string): Uint8Array {
    const digits = text.replace(/:/g, '');
    if (digits.length === 0 || digits.length % 2 !== 0 || !/^[0-9a-fA-F]+$/.test(digits)) {
      throw this.fail(`${at}: invalid hex value`);
    }
    return Uint8Array.from(Buffer.from(digits, 'hex'));
  }

  /** X509V3_parse_list(): `name[:value]` items separated by commas, each trimmed and non-empty. */
  parseList(text: string, at: string): { name: string; value?: string }[] {
    const items: { name: string; value?: string }[] = [];
    let name: string | undefined;
    let start = 0;
    const line = text.split(/[\r\n]/, 1)[0]!;
    const strip = (s: string, what: string): string => {
      const t = s.trim();
      if (t === '') throw this.fail(`${at}: ${what} in '${text}'`);
      return t;
    };
    for (let i = 0; i < line.length; i++) {
      const c = line[i];
      if (name === undefined) {
        if (c === ':') {
          name = strip(line.slice(start, i), 'empty name');
          start = i + 1;
        } else if (c === ',') {
          items.push({ name: strip(line.slice(start, i), 'empty name') });
          start = i + 1;
        }
      } else if (c === ',') {
        items.push({ name, value: strip(line.slice(start, i), 'empty value') });
        name = undefined;
        start = i + 1;
      }
    }
    if (name !== undefined) items.push({ name, value: strip(line.slice(start), 'empty value') });
    else items.push({ name: strip(line.slice(start), 'empty name') });
    return items;
  }

  private generalNames(value: string, at: string): GeneralNameSpec[] {
    const items = value.startsWith('@')
      ? this.section(value.slice(1), at).map((e) => ({ name: e.name, value: e.value as string | undefined }))
      : this.parseList(value, at);
    return items.map((item) => this.generalName(item.name, item.value, at));
  }

  private generalName(name: string, value: string | undefined, at: string): GeneralNameSpec {
    if (value === undefined) throw this.fail(`${at}: missing value for '${name}'`);
    const kind = ['email', 'URI', 'DNS', 'RID', 'IP', 'dirName', 'otherName'].find((k) => nameMatches(name, k));
    if (kind === undefined) throw this.fail(`${at}: unsupported general name type '${name}'`);
    switch (kind) {
      case 'email':
        if (value === 'copy' || value === 'move') throw this.fail(`${at}: email:${value} is not supported`);
        return { type: 'email', value };
      case 'URI':
        return { type: 'uri', value };
      case 'DNS':
        return { type: 'dns', value };
      case 'RID':
        return { type: 'rid', value: this.oid(value, at) };
      case 'IP': {
        const ip = normalizeIp(value);
        if (ip === undefined) throw this.fail(`${at}: bad IP address '${value}'`);
        return { type: 'ip', value: ip };
      }
      case 'dirName':
        return { type: 'dirName', value: this.dirName(value, at) };
      default:
        return this.otherName(value, at);
    }
  }

  /** X509V3_NAME_from_section(): `[prefix.]attribute = value` lines, in order. */
  private dirName(sectionName: string, at: string): NameAttribute[] {
    return this.section(sectionName, `${at} dirName`).map(({ name, value }) => {
      const sep = name.search(/[:,.]/);
      const type = sep !== -1 && sep + 1 < name.length ? name.slice(sep + 1) : name;
      if (type.startsWith('+')) throw this.fail(`${at}: multi-valued RDNs ('${name}') are not supported`);
      const rule = nameAttributeRule(type);
      if (rule === undefined) throw this.fail(`${at}: unknown name attribute '${type}' in section [${sectionName}]`);
      const { oid, kind: stringType, min, max } = rule;
      if (stringType !== 'utf8' && stringType !== 'printable' && stringType !== 'ia5') {
        throw this.fail(`${at}: ${type} values (${stringType} strings) are not supported in dirName sections`);
      }
      if (max !== undefined && value.length > max) throw this.fail(`${at}: value of ${type} is longer than ${max} characters`);
      if (min !== undefined && value.length < min) {
        throw this.fail(`${at}: value of ${type} must have ${min === max ? '' : 'at least '}${min} characters`);
      }
      if (stringType === 'printable' && !/^[A-Za-z0-9 '()+,\-./:=?]*$/.test(value)) {
        throw this.fail(`${at}: value of ${type} has characters not allowed in a PrintableString`);
      }
      if (stringType === 'ia5' && !/^[\x00-\x7f]*$/.test(value)) {
        throw this.fail(`${at}: value of ${type} has characters not allowed in an IA5String`);
      }
      return { oid, type: stringType, value };
    });
  }

  /** `otherName = OID;TYPE:value` with the common ASN1_generate types. */
  private otherName(value: string, at: string): GeneralNameSpec {
    const semi = value.indexOf(';');
    if (semi === -1) throw this.fail(`${at}: otherName needs the form OID;TYPE:value`);
    const typeId = this.oid(value.slice(0, semi), at);
    const spec = value.slice(semi + 1);
    const colon = spec.indexOf(':');
    const type = (colon === -1 ? spec : spec.slice(0, colon)).trim().toUpperCase();
    const text = colon === -1 ? '' : spec.slice(colon + 1);
    switch (type) {
      case 'UTF8':
      case 'UTF8STRING':
        return { type: 'otherName', typeId, value: { type: 'utf8', value: text } };
      case 'IA5':
      case 'IA5STRING':
        return { type: 'otherName', typeId, value: { type: 'ia5', value: text } };
      case 'PRINTABLE':
      case 'PRINTABLESTRING':
        return { type: 'otherName', typeId, value: { type: 'printable', value: text } };
      case 'OCT':
      case 'OCTETSTRING':
        return { type: 'otherName', typeId, value: { type: 'octets', value: text } };
      case 'INT':
      case 'INTEGER':
        if (!/^-?[0-9]+$/.test(text)) throw this.fail(`${at}: otherName INTEGER '${text}' is not a decimal number`);
        return { type: 'otherName', typeId, value: { type: 'integer', value: BigInt(text) } };
      default:
        throw this.fail(`${at}: otherName value type '${type}' is not supported`);
    }
  }

  private oid(text: string, at: string): string {
    const t = text.trim();
    if (!OID.test(t)) throw this.fail(`${at}: '${t}' is not a dotted object identifier`);
    return t;
  }

  private keyUsage(value: string, at: string): KeyUsageName[] {
    return this.parseList(value, at).map(({ name }) => {
      const found = KEY_USAGES.find(([sn, ln]) => sn === name || ln === name);
      if (found === undefined) throw this.fail(`${at}: unknown key usage '${name}'`);
      return found[0];
    });
  }

  private purposes(value: string, at: string): string[] {
    return this.parseList(value, at).map(({ name, value: v }) => {
      const text = v ?? name;
      const found = PURPOSES.find(([sn, ln]) => sn === text || ln === text);
      if (found) return found[2];
      if (OID.test(text)) return text;
      throw this.fail(`${at}: unknown extended key usage '${text}'`);
    });
  }

  private basicConstraints(value: string, at: string): ExtensionValue {
    let ca = false;
    let pathLen: number | undefined;
    for (const { name, value: v } of this.parseList(value, at)) {
      if (name === 'CA') {
        if (v !== undefined && ['TRUE', 'true', 'Y', 'y', 'YES', 'yes'].includes(v)) ca = true;
        else if (v !== undefined && ['FALSE', 'false', 'N', 'n', 'NO', 'no'].includes(v)) ca = false;
        else throw this.fail(`${at}: CA needs a boolean value (TRUE or FALSE)`);
      } else if (name === 'pathlen') {
        if (v === undefined || !/^(0|[1-9][0-9]*|0[xX][0-9a-fA-F]+)$/.test(v)) throw this.fail(`${at}: invalid pathlen`);
        pathLen = Number(v);
        if (!Number.isSafeInteger(pathLen)) throw this.fail(`${at}: pathlen is too large`);
      } else {
        throw this.fail(`${at}: unknown basicConstraints item '${name}'`);
      }
    }
    return pathLen === undefined ? { kind: 'basicConstraints', ca } : { kind: 'basicConstraints', ca, pathLen };
  }

  /** r2i_certpol(): policy OIDs, `ia5org`, and `@section` policies with qualifiers. */
  private policies(value: string, at: string): PolicySpec[] {
    let ia5org = false;
    const policies: PolicySpec[] = [];
    for (const { name, value: v } of this.parseList(value, at)) {
      if (v !== undefined) throw this.fail(`${at}: invalid policy identifier '${name}:${v}'`);
      if (name === 'ia5org') {
        ia5org = true;
      } else if (name.startsWith('@')) {
        policies.push(this.policySection(name.slice(1), ia5org, at));
      } else {
        policies.push({ oid: this.policyOid(name, at), qualifiers: [] });
      }
    }
    return policies;
  }

  private policyOid(text: string, at: string): string {
    return text === 'anyPolicy' || text === 'X509v3 Any Policy' ? ANY_POLICY : this.oid(text, at);
  }

  private policySection(sectionName: string, ia5org: boolean, at: string): PolicySpec {
    let oid: string | undefined;
    const qualifiers: PolicySpec['qualifiers'] = [];
    for (const { name, value } of this.section(sectionName, `${at} policy`)) {
      if (name === 'policyIdentifier') {
        oid = this.policyOid(value, at);
      } else if (nameMatches(name, 'CPS')) {
        qualifiers.push({ type: 'cps', uri: value });
      } else if (nameMatches(name, 'userNotice')) {
        if (!value.startsWith('@')) throw this.fail(`${at}: userNotice expects a section name (@section)`);
        qualifiers.push({ type: 'userNotice', notice: this.notice(value.slice(1), ia5org, at) });
      } else {
        throw this.fail(`${at}: invalid option '${name}' in policy section [${sectionName}]`);
      }
    }
    if (oid === undefined) throw this.fail(`${at}: no policyIdentifier in policy section [${sectionName}]`);
    return { oid, qualifiers };
  }

  private notice(sectionName: string, ia5org: boolean, at: string): UserNoticeSpec {
    const notice: UserNoticeSpec = {};
    let organization: string | undefined;
    let numbers: number[] | undefined;
    for (const { name, value } of this.section(sectionName, `${at} user notice`)) {
      if (name === 'explicitText') {
        notice.explicitText = displayText(value);
      } else if (name === 'organization') {
        organization = value;
      } else if (name === 'noticeNumbers') {
        numbers = this.parseList(value, at).map(({ name: n }) => {
          if (!/^(0|[1-9][0-9]*)$/.test(n) || !Number.isSafeInteger(Number(n))) {
            throw this.fail(`${at}: invalid notice number '${n}'`);
          }
          return Number(n);
        });
      } else {
        throw this.fail(`${at}: invalid option '${name}' in user notice section [${sectionName}]`);
      }
    }
    if ((organization === undefined) !== (numbers === undefined)) {
      throw this.fail(`${at}: user notice section [${sectionName}] needs both organization and noticeNumbers`);
    }
    if (organization !== undefined && numbers !== undefined) {
      notice.noticeRef = { organization: { type: ia5org ? 'ia5' : 'visible', value: organization }, noticeNumbers: numbers };
    }
    return notice;
  }
}

/** ossl_v3_name_cmp(): `name` is `cmp` or `cmp.<anything>` (case-sensitive). */
function nameMatches(name: string, cmp: string): boolean {
  return name === cmp || (name.startsWith(cmp) && name[cmp.length] === '.');
}

/** explicitText takes an optional UTF8:/BMP:/VISIBLE: prefix; VisibleString by default. */
function displayText(value: string): NonNullable<UserNoticeSpec['explicitText']> {
  const m = /^(UTF8|UTF8String|BMP|BMPSTRING|VISIBLE|VISIBLESTRING):/.exec(value);
  if (!m) return { type: 'visible', value };
  const text = value.slice(m[0].length);
  const prefix = m[1]!.toUpperCase();
  return { type: prefix.startsWith('UTF8') ? 'utf8' : prefix.startsWith('BMP') ? 'bmp' : 'visible', value: text };
}

/** Dotted IPv4, or IPv6 expanded to eight groups (so an embedded IPv4 tail is converted). */
export function normalizeIp(text: string): string | undefined {
  const version = isIP(text);
  if (version === 4) return text;
  if (version !== 6) return undefined;
  let s = text;
  const v4 = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (v4) {
    const [a, b, c, d] = v4.slice(1).map(Number) as [number, number, number, number];
    s = `${s.slice(0, v4.index)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = s.includes('::') ? s.split('::') : [s, undefined];
  const headParts = head ? head.split(':') : [];
  const tailParts = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array<string>(8 - headParts.length - tailParts.length).fill('0');
  return [...headParts, ...fill, ...tailParts].map((g) => g.padStart(4, '0')).join(':');
}

/** Reads one extension section (X509V3_EXT_add_nconf_sk), in the section's order. */
export function readExtensionSection(config: OpenSslConfig, section: string, option: string): ExtensionSpec[] {
  const reader = new SectionReader(config, `${option} section [${section}]`);
  const entries = config.section(section);
  if (entries === undefined) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${option}: section [${section}] not found in the config file`);
  }
  return entries.map(({ name, value }) => reader.extension(name, value));
}

/**
 * The extensions of -reqexts and then -policies. As with X509V3_CTX_REPLACE, an extension whose
 * OID is already present replaces the earlier one, and goes to the end.
 */
export function readRequestExtensions(config: OpenSslConfig, sections: { reqexts?: string; policies?: string }): ExtensionSpec[] {
  const result: ExtensionSpec[] = [];
  const add = (list: ExtensionSpec[]): void => {
    for (const ext of list) {
      const existing = result.findIndex((e) => e.oid === ext.oid);
      if (existing !== -1) result.splice(existing, 1);
      result.push(ext);
    }
  };
  if (sections.reqexts !== undefined) add(readExtensionSection(config, sections.reqexts, '-reqexts'));
  if (sections.policies !== undefined) add(readExtensionSection(config, sections.policies, '-policies'));
  return result;
}

// ---- DER

function directoryString(type: DirectoryStringType, value: string): asn1X509.AttributeValue {
  if (type === 'printable') return new asn1X509.AttributeValue({ printableString: value });
  if (type === 'ia5') return new asn1X509.AttributeValue({ ia5String: value });
  return new asn1X509.AttributeValue({ utf8String: value });
}

function encodeInteger(value: bigint): Uint8Array {
  let hex = (value < 0n ? -value : value).toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  let bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
  if (value < 0n) {
    // two's complement of the magnitude
    const n = BigInt.asUintN(bytes.length * 8, value);
    hex = n.toString(16).padStart(bytes.length * 2, '0');
    bytes = Uint8Array.from(Buffer.from(hex, 'hex'));
    if ((bytes[0]! & 0x80) === 0) bytes = Uint8Array.of(0xff, ...bytes);
  } else if ((bytes[0]! & 0x80) !== 0) {
    bytes = Uint8Array.of(0, ...bytes);
  }
  return encodeTlv(0x02, bytes);
}

function otherNameValue(value: OtherNameValue): Uint8Array {
  const text = (tag: number, s: string): Uint8Array => encodeTlv(tag, Uint8Array.from(Buffer.from(s, 'utf8')));
  switch (value.type) {
    case 'utf8':
      return text(0x0c, value.value);
    case 'ia5':
      return text(0x16, value.value);
    case 'printable':
      return text(0x13, value.value);
    case 'octets':
      return text(0x04, value.value);
    case 'integer':
      return encodeInteger(value.value);
  }
}

function generalName(spec: GeneralNameSpec): asn1X509.GeneralName {
  switch (spec.type) {
    case 'email':
      return new asn1X509.GeneralName({ rfc822Name: spec.value });
    case 'uri':
      return new asn1X509.GeneralName({ uniformResourceIdentifier: spec.value });
    case 'dns':
      return new asn1X509.GeneralName({ dNSName: spec.value });
    case 'ip':
      return new asn1X509.GeneralName({ iPAddress: spec.value });
    case 'rid':
      return new asn1X509.GeneralName({ registeredID: spec.value });
    case 'dirName':
      return new asn1X509.GeneralName({
        directoryName: new asn1X509.Name(
          spec.value.map(
            (a) =>
              new asn1X509.RelativeDistinguishedName([new asn1X509.AttributeTypeAndValue({ type: a.oid, value: directoryString(a.type, a.value) })]),
          ),
        ),
      });
    case 'otherName': {
      const v = otherNameValue(spec.value);
      return new asn1X509.GeneralName({
        otherName: new asn1X509.OtherName({ typeId: spec.typeId, value: v.buffer.slice(v.byteOffset, v.byteOffset + v.byteLength) as ArrayBuffer }),
      });
    }
  }
}

function displayTextValue(t: { type: 'visible' | 'utf8' | 'bmp' | 'ia5'; value: string }): asn1X509.DisplayText {
  if (t.type === 'utf8') return new asn1X509.DisplayText({ utf8String: t.value });
  if (t.type === 'bmp') return new asn1X509.DisplayText({ bmpString: t.value });
  if (t.type === 'ia5') return new asn1X509.DisplayText({ ia5String: t.value });
  return new asn1X509.DisplayText({ visibleString: t.value });
}

function policyInformation(policy: PolicySpec): asn1X509.PolicyInformation {
  const info = new asn1X509.PolicyInformation({ policyIdentifier: policy.oid });
  if (policy.qualifiers.length > 0) {
    info.policyQualifiers = policy.qualifiers.map((q) => {
      if (q.type === 'cps') {
        return new asn1X509.PolicyQualifierInfo({
          policyQualifierId: asn1X509.id_qt_csp,
          qualifier: AsnConvert.serialize(new asn1X509.Qualifier({ cPSuri: q.uri })),
        });
      }
      const notice = new asn1X509.UserNotice();
      if (q.notice.noticeRef) {
        notice.noticeRef = new asn1X509.NoticeReference({
          organization: displayTextValue(q.notice.noticeRef.organization),
          noticeNumbers: q.notice.noticeRef.noticeNumbers,
        });
      }
      if (q.notice.explicitText) notice.explicitText = displayTextValue(q.notice.explicitText);
      return new asn1X509.PolicyQualifierInfo({
        policyQualifierId: asn1X509.id_qt_unotice,
        qualifier: AsnConvert.serialize(notice),
      });
    });
  }
  return info;
}

/** One extension as a @peculiar/x509 object. */
function toX509Extension(spec: ExtensionSpec): x509.Extension {
  const { value, critical, oid } = spec;
  switch (value.kind) {
    case 'keyUsage':
      return new x509.KeyUsagesExtension(
        value.usages.reduce((flags, u) => flags | x509.KeyUsageFlags[u], 0),
        critical,
      );
    case 'extendedKeyUsage':
      return new x509.ExtendedKeyUsageExtension(value.purposes, critical);
    case 'basicConstraints':
      return new x509.BasicConstraintsExtension(value.ca, value.pathLen, critical);
    case 'subjectKeyIdentifier':
      return new x509.SubjectKeyIdentifierExtension(value.keyId, critical);
    case 'certificatePolicies':
      if (value.policies.every((p) => p.qualifiers.length === 0)) {
        return new x509.CertificatePolicyExtension(
          value.policies.map((p) => p.oid),
          critical,
        );
      }
      return new x509.Extension(oid, critical, AsnConvert.serialize(new asn1X509.CertificatePolicies(value.policies.map(policyInformation))));
    case 'generalNames': {
      const der = AsnConvert.serialize(new asn1X509.GeneralNames(value.names.map(generalName)));
      const raw = new x509.Extension(oid, critical, der).rawData;
      return oid === '2.5.29.17' ? new x509.SubjectAlternativeNameExtension(raw) : new x509.Extension(raw);
    }
    case 'der':
      return new x509.Extension(oid, critical, Uint8Array.from(value.der));
  }
}

/** DER of `Extensions` (SEQUENCE OF Extension), as CmpClientOptions.reqExtensions wants it. */
export function encodeExtensions(specs: readonly ExtensionSpec[]): Uint8Array {
  const asn = specs.map((s) => AsnConvert.parse(toX509Extension(s).rawData, asn1X509.Extension));
  return new Uint8Array(AsnConvert.serialize(new asn1X509.Extensions(asn)));
}
