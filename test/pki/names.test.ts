import { execFileSync, spawnSync } from 'child_process';
import { mkdtempSync, rmSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { Pkcs10CertificateRequest } from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { formatName, nameToDer, nameToString, namesEqual, parseName, NAME_WARNING } from '../../src/pki/names';
import { CmpError } from '../../src/errors';

const hex = (der: Uint8Array | ArrayBuffer) => Buffer.from(der instanceof ArrayBuffer ? new Uint8Array(der) : der).toString('hex');

/** What `openssl req -subj` (the same apps/lib/apps.c parse_name as `openssl cmp`, UTF-8 and multi-valued RDNs on) makes of an argument. */
interface OpensslName {
  der?: string;
  warnings: string[];
}

let dir: string;
let key: string;

function opensslSubject(subject: string): OpensslName {
  const out = join(dir, 'csr.der');
  rmSync(out, { force: true });
  const run = spawnSync('openssl', ['req', '-new', '-key', key, '-subj', subject, '-utf8', '-multivalue-rdn', '-outform', 'DER', '-out', out], {
    encoding: 'utf8',
  });
  const warnings = run.stderr
    .split('\n')
    .map((line) => /^req (?:warning|hint): (.*)$/.exec(line)?.[1])
    .filter((w): w is string => w !== undefined);
  if (run.status !== 0) return { warnings };
  const csr = new Pkcs10CertificateRequest(execFileSync('openssl', ['req', '-in', out, '-inform', 'DER', '-outform', 'PEM'], { encoding: 'utf8' }));
  return { der: hex(csr.subjectName.toArrayBuffer()), warnings };
}

function cmpflowSubject(subject: string): OpensslName {
  const warnings: string[] = [];
  try {
    const name = parseName(subject, { what: 'subject', opensslSyntax: true, onWarning: (w) => warnings.push(w) });
    return { der: hex(nameToDer(name)), warnings };
  } catch (e) {
    if (!(e instanceof CmpError) || e.code !== 'ERR_INVALID_OPTION') throw e;
    return { warnings };
  }
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'cmpflow-names-'));
  key = join(dir, 'key.pem');
  execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key], { stdio: 'pipe' });
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('parseName with the OpenSSL syntax gives the DER and the warnings openssl gives for the same argument', () => {
  it.each([
    ['plain attributes in encoding order', '/CN=device 1/O=ACME, Inc./C=DE'],
    ['string types per attribute: Printable, IA5 and UTF8', '/C=DE/serialNumber=42/dnQualifier=q/emailAddress=a@b.example/DC=example/mail=m@x/CN=x'],
    ['non-ASCII text as UTF8String', '/CN=Müller 東京/O=Ærø'],
    ['a multi-valued RDN sorted into DER order', '/CN=b+O=a+CN=a/OU=x'],
    ['escaped separators and backslashes', '/CN=a\\/b\\+c\\\\d\\e'],
    ['a type written as long name or dotted OID', '/commonName=x/2.5.4.10=y/organizationalUnitName=z'],
    ['the pilot, PKCS#9 and EV attributes', '/UID=u/uid=v/unstructuredName=n/jurisdictionC=DE/jurisdictionST=Bayern/street=s/title=t/GN=g/SN=s'],
    ['NumericString and BMPString attributes', '/INN=1234 567/n3=276/c3=DEU/friendlyName=fü'],
    ['spaces kept as part of values', '/CN= a /O=b '],
    ['a trailing slash and a trailing plus', '/CN=a/O=b+'],
    ['an "=" inside a value', '/CN=a=b'],
    ['the empty name', '/'],
    ['the longest values the size bounds allow', `/CN=${'ü'.repeat(64)}/C=DE/serialNumber=${'1'.repeat(64)}`],
    ['an unknown attribute skipped with a warning', '/CN=Root CA/ABC=123'],
    ['an attribute type in the wrong case skipped with a warning', '/cn=x/CN=y'],
    ['an unknown dotted OID skipped with a warning', '/1.2.3.4=z/CN=y'],
    ['an empty value skipped with a warning', '/CN=a/O=/OU=b'],
    ['an unknown member of a multi-valued RDN, with the escaping hint', '/CN=a+ABC=b/O=c'],
    ['an empty value before a "+", whose next member then joins the RDN before', '/CN=a/O=+L=x'],
    ['an empty path component read as a type "/O"', '/CN=a//O=b'],
    ['a space before the type read as part of the type', '/ CN=a/O=b'],
    ['an escaped "=" in the type read as part of the type', '/C\\=X=a/CN=b'],
  ])('%s: %s', (_what, subject) => {
    const openssl = opensslSubject(subject);
    expect(openssl.der).toBeDefined();
    expect(cmpflowSubject(subject)).toEqual(openssl);
  });

  it.each([
    ['a missing "="', '/CN'],
    ['a missing "=" after a "+"', '/CN=a+b'],
    ['an escape at the end', '/CN=a\\'],
    ['a country name of three letters', '/C=DEU'],
    ['a country name of one letter', '/C=D'],
    ['a character PrintableString cannot hold', '/serialNumber=a_b'],
    ['a non-ASCII e-mail address', '/emailAddress=ü@x.example'],
    ['a common name longer than 64 characters', `/CN=${'a'.repeat(65)}`],
    ['a letter in a NumericString', '/INN=12a'],
  ])('refuses %s (%s) as openssl does, with ERR_INVALID_OPTION', (_what, subject) => {
    const openssl = opensslSubject(subject);
    expect(openssl.der).toBeUndefined();
    expect(cmpflowSubject(subject).der).toBeUndefined();
  });

  it('refuses a name without the leading "/" in OpenSSL syntax, quoting OpenSSL\'s format hint', () => {
    expect(opensslSubject('CN=a').der).toBeUndefined();
    expect(() => parseName('CN=a', { what: 'recipient', opensslSyntax: true })).toThrow(
      "recipient name is expected to be in the format /type0=value0/type1=value1/type2=... where characters may be escaped by \\. This name is not in that format: 'CN=a'",
    );
  });

  it('names the value and the reason when a value does not fit its attribute', () => {
    expect(() => parseName('/CN=x/C=DEU', { what: 'recipient' })).toThrow(
      'Error adding recipient name attribute "/C=DEU": string too long (maxsize=2)',
    );
  });
});

describe('parseName for library callers', () => {
  it('reads the comma form in the same order as @peculiar/x509 prints it', () => {
    expect(namesEqual(parseName('CN=device 1, O=ACME, C=DE'), parseName('/CN=device 1/O=ACME/C=DE'))).toBe(true);
    expect(nameToString(parseName('/CN=device 1/O=ACME, Inc./C=DE'))).toBe('CN=device 1, O=ACME\\, Inc., C=DE');
  });

  it('takes attribute types of the comma form in any case, as RFC 4514 does', () => {
    expect(namesEqual(parseName('cn=a, o=b'), parseName('/CN=a/O=b'))).toBe(true);
  });

  it('reads multi-valued RDNs of the comma form', () => {
    expect(namesEqual(parseName('CN=a+O=b, C=DE'), parseName('/CN=a+O=b/C=DE'))).toBe(true);
  });

  it('treats "" and "/" as the empty name', () => {
    expect(hex(nameToDer(parseName('')))).toBe('3000');
    expect(AsnConvert.parse(nameToDer(parseName('/')), Name).length).toBe(0);
  });

  it('refuses a comma-form member without "=" with ERR_INVALID_OPTION', () => {
    for (const bad of ['CN=a, =b', 'CN=a, b']) {
      expect(() => parseName(bad)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
    }
  });

  it('skips an unknown attribute type with a process warning of type CmpflowNameWarning when no handler is given', () => {
    const spy = jest.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const name = parseName('CN=Root CA, ABC=123');
      expect(spy.mock.calls).toEqual([['Skipping unknown name attribute "ABC"', { type: NAME_WARNING, code: 'CMPFLOW_NAME_ATTRIBUTE_SKIPPED' }]]);
      expect(namesEqual(name, parseName('/CN=Root CA'))).toBe(true);
    } finally {
      spy.mockRestore();
    }
  });
});

describe('formatName', () => {
  it.each(['/CN=a\\/b\\+c\\\\d/O=x+OU=y/C=DE', '/INN=123/friendlyName=fü/DC=example/emailAddress=a@b', '/'])(
    'writes %s back in a form parseName reads to the same DER',
    (subject) => {
      const name = parseName(subject, { opensslSyntax: true });
      expect(hex(nameToDer(parseName(formatName(name), { opensslSyntax: true })))).toBe(hex(nameToDer(name)));
    },
  );

  it('writes the short names OpenSSL uses and drops what parseName skipped', () => {
    expect(formatName(parseName('/commonName=Root CA/ABC=123/2.5.4.10=o', { onWarning: () => undefined }))).toBe('/CN=Root CA/O=o');
  });
});
