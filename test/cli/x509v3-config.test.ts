import * as x509 from '@peculiar/x509';
import { CmpError } from '../../src/errors';
import { parseConfig } from '../../src/cli/config';
import { encodeExtensions, normalizeIp, readExtensionSection, readRequestExtensions } from '../../src/cli/x509v3-config';
import { decodeExtensions } from './openssl-request';

const conf = (text: string) => parseConfig(text, { env: {} });

function section(text: string, name = 'e') {
  return readExtensionSection(conf(text), name, '-reqexts');
}

function errorOf(fn: () => unknown): CmpError {
  try {
    fn();
  } catch (e) {
    return e as CmpError;
  }
  throw new Error('no error');
}

describe('subjectAltName', () => {
  it('reads the typed list into general names and encodes them', () => {
    const specs = section(
      '[e]\nsubjectAltName = critical, DNS:a.example, IP:192.0.2.1, IP:2001:db8::1, email:a@b.example, URI:https://u.example/x, RID:1.2.3\n',
    );
    expect(specs).toEqual([
      {
        oid: '2.5.29.17',
        name: 'subjectAltName',
        critical: true,
        value: {
          kind: 'generalNames',
          names: [
            { type: 'dns', value: 'a.example' },
            { type: 'ip', value: '192.0.2.1' },
            { type: 'ip', value: '2001:0db8:0000:0000:0000:0000:0000:0001' },
            { type: 'email', value: 'a@b.example' },
            { type: 'uri', value: 'https://u.example/x' },
            { type: 'rid', value: '1.2.3' },
          ],
        },
      },
    ]);
    const [ext] = decodeExtensions(encodeExtensions(specs));
    expect(ext).toBeInstanceOf(x509.SubjectAlternativeNameExtension);
    const san = ext as x509.SubjectAlternativeNameExtension;
    expect(san.critical).toBe(true);
    expect(san.names.toJSON()).toEqual([
      { type: 'dns', value: 'a.example' },
      { type: 'ip', value: '192.0.2.1' },
      { type: 'ip', value: '2001:db8::1' },
      { type: 'email', value: 'a@b.example' },
      { type: 'url', value: 'https://u.example/x' },
      { type: 'id', value: '1.2.3' },
    ]);
  });

  it('takes the names from a section with @section, numbered names included', () => {
    const specs = section('[e]\nsubjectAltName = @alt\n[alt]\nDNS.1 = one.example\nDNS.2 = two.example\nIP.1 = ::ffff:192.0.2.1\n');
    expect(specs[0]!.value).toEqual({
      kind: 'generalNames',
      names: [
        { type: 'dns', value: 'one.example' },
        { type: 'dns', value: 'two.example' },
        { type: 'ip', value: '0000:0000:0000:0000:0000:ffff:c000:0201' },
      ],
    });
  });

  it('encodes dirName with the string types OpenSSL chooses (PrintableString for C, IA5String for email)', () => {
    const specs = section('[e]\nsubjectAltName = dirName:dn\n[dn]\nC = DE\n1.O = Org\nCN = Name\nemailAddress = a@b.example\n');
    const [ext] = decodeExtensions(encodeExtensions(specs));
    const names = (ext as x509.SubjectAlternativeNameExtension).names.items;
    expect(names[0]!.type).toBe('dn');
    expect(names[0]!.value).toBe('C=DE, O=Org, CN=Name, E=a@b.example');
    const der = Buffer.from(encodeExtensions(specs)).toString('hex');
    expect(der).toContain('13024445'); // PrintableString "DE"
    expect(der).toContain('160b6140622e6578616d706c65'); // IA5String "a@b.example"
    expect(der).toContain('0c044e616d65'); // UTF8String "Name"
  });

  it('encodes otherName values of the common ASN1_generate types', () => {
    const specs = section('[e]\nsubjectAltName = otherName:1.3.6.1.4.1.311.20.2.3;UTF8:user@realm\n');
    expect(specs[0]!.value).toEqual({
      kind: 'generalNames',
      names: [{ type: 'otherName', typeId: '1.3.6.1.4.1.311.20.2.3', value: { type: 'utf8', value: 'user@realm' } }],
    });
    const [ext] = decodeExtensions(encodeExtensions(specs));
    expect((ext as x509.SubjectAlternativeNameExtension).names.toJSON()).toEqual([{ type: 'upn', value: 'user@realm' }]);
  });

  it('refuses what OpenSSL refuses: lowercase types, a bad IP, a missing value', () => {
    expect(errorOf(() => section('[e]\nsubjectAltName = dns:a\n')).message).toBe(
      "-reqexts section [e]: subjectAltName: unsupported general name type 'dns'",
    );
    expect(errorOf(() => section('[e]\nsubjectAltName = IP:1.2.3\n')).message).toContain("bad IP address '1.2.3'");
    expect(errorOf(() => section('[e]\nsubjectAltName = DNS:a, critical\n')).message).toContain("missing value for 'critical'");
    expect(errorOf(() => section('[e]\nsubjectAltName = @nosuch\n')).message).toContain('section [nosuch]');
    expect(errorOf(() => section('[e]\nsubjectAltName = DNS:a,,DNS:b\n')).message).toContain('empty name');
  });
});

describe('keyUsage, extendedKeyUsage, basicConstraints, subjectKeyIdentifier', () => {
  it('reads short and long key usage names', () => {
    const specs = section('[e]\nkeyUsage = critical, digitalSignature, Key Encipherment, decipherOnly\n');
    expect(specs[0]).toMatchObject({ critical: true, value: { kind: 'keyUsage', usages: ['digitalSignature', 'keyEncipherment', 'decipherOnly'] } });
    const [ext] = decodeExtensions(encodeExtensions(specs));
    expect(ext).toBeInstanceOf(x509.KeyUsagesExtension);
    expect((ext as x509.KeyUsagesExtension).usages).toBe(
      x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.decipherOnly,
    );
    expect(errorOf(() => section('[e]\nkeyUsage = signing\n')).message).toContain("unknown key usage 'signing'");
  });

  it('resolves extended key usage names and OIDs', () => {
    const specs = section('[e]\nextendedKeyUsage = clientAuth, TLS Web Server Authentication, cmKGA, 1.2.3.4\n');
    expect(specs[0]!.value).toEqual({
      kind: 'extendedKeyUsage',
      purposes: ['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.32', '1.2.3.4'],
    });
    const [ext] = decodeExtensions(encodeExtensions(specs));
    expect((ext as x509.ExtendedKeyUsageExtension).usages).toEqual(['1.3.6.1.5.5.7.3.2', '1.3.6.1.5.5.7.3.1', '1.3.6.1.5.5.7.3.32', '1.2.3.4']);
  });

  it('reads CA and pathlen of basicConstraints', () => {
    const specs = section('[e]\nbasicConstraints = critical,CA:TRUE, pathlen:0\n');
    expect(specs[0]).toMatchObject({ critical: true, value: { kind: 'basicConstraints', ca: true, pathLen: 0 } });
    const [ext] = decodeExtensions(encodeExtensions(specs));
    expect(ext).toBeInstanceOf(x509.BasicConstraintsExtension);
    expect((ext as x509.BasicConstraintsExtension).ca).toBe(true);
    expect((ext as x509.BasicConstraintsExtension).pathLength).toBe(0);
    expect(errorOf(() => section('[e]\nbasicConstraints = CA:maybe\n')).message).toContain('CA needs a boolean value');
    expect(errorOf(() => section('[e]\nbasicConstraints = ca:true\n')).message).toContain("unknown basicConstraints item 'ca'");
  });

  it('takes a subjectKeyIdentifier in hex', () => {
    const [ext] = decodeExtensions(encodeExtensions(section('[e]\nsubjectKeyIdentifier = 01:02:0a\n')));
    expect((ext as x509.SubjectKeyIdentifierExtension).keyId).toBe('01020a');
    expect(errorOf(() => section('[e]\nsubjectKeyIdentifier = hash\n')).message).toContain("'hash' is not supported");
  });
});

describe('certificatePolicies', () => {
  it('encodes plain policy OIDs with CertificatePolicyExtension', () => {
    const specs = section('[e]\ncertificatePolicies = 1.2.3.4, anyPolicy\n');
    const [ext] = decodeExtensions(encodeExtensions(specs));
    expect(ext).toBeInstanceOf(x509.CertificatePolicyExtension);
    expect((ext as x509.CertificatePolicyExtension).policies).toEqual(['1.2.3.4', '2.5.29.32.0']);
  });

  it('reads policy sections with CPS and user notices', () => {
    const specs = section(
      '[e]\ncertificatePolicies = ia5org, @p\n[p]\npolicyIdentifier = 1.2.3\nCPS.1 = http://cps.example\nuserNotice.1 = @n\n[n]\nexplicitText = UTF8:Grüße\norganization = Org\nnoticeNumbers = 1, 2\n',
    );
    expect(specs[0]!.value).toEqual({
      kind: 'certificatePolicies',
      policies: [
        {
          oid: '1.2.3',
          qualifiers: [
            { type: 'cps', uri: 'http://cps.example' },
            {
              type: 'userNotice',
              notice: {
                explicitText: { type: 'utf8', value: 'Grüße' },
                noticeRef: { organization: { type: 'ia5', value: 'Org' }, noticeNumbers: [1, 2] },
              },
            },
          ],
        },
      ],
    });
    const [ext] = decodeExtensions(encodeExtensions(specs));
    expect((ext as x509.CertificatePolicyExtension).policies).toEqual(['1.2.3']);
    expect(errorOf(() => section('[e]\ncertificatePolicies = @p\n[p]\nCPS = x\n')).message).toContain('no policyIdentifier');
    expect(
      errorOf(() => section('[e]\ncertificatePolicies = @p\n[p]\npolicyIdentifier = 1.2\nuserNotice = @n\n[n]\norganization = O\n')).message,
    ).toContain('needs both organization and noticeNumbers');
  });
});

describe('other extensions and the section as a whole', () => {
  it('takes any extension as name-or-OID = DER:hex', () => {
    const specs = section('[e]\n1.2.3.4.5 = critical,DER:0500\nnameConstraints = DER:3000\n');
    expect(specs.map((s) => [s.oid, s.critical, s.value])).toEqual([
      ['1.2.3.4.5', true, { kind: 'der', der: Uint8Array.of(5, 0) }],
      ['2.5.29.30', false, { kind: 'der', der: Uint8Array.of(0x30, 0) }],
    ]);
  });

  it('names what it cannot read', () => {
    expect(errorOf(() => section('[e]\nfooBar = x\n')).message).toBe("-reqexts section [e]: unknown extension name 'fooBar'");
    expect(errorOf(() => section('[e]\nnameConstraints = permitted;DNS:x\n')).message).toContain("only the form 'nameConstraints = DER:<hex>'");
    expect(errorOf(() => section('[e]\n1.2.3 = ASN1:NULL\n')).message).toContain('ASN1: values are not supported');
    expect(errorOf(() => section('[e]\n1.2.3 = DER:abc\n')).message).toContain('invalid hex value');
    expect(errorOf(() => readExtensionSection(conf('[x]\n'), 'e', '-reqexts')).message).toBe('-reqexts: section [e] not found in the config file');
  });

  it('lets -policies replace an extension of the same OID from -reqexts, as X509V3_CTX_REPLACE does', () => {
    const specs = readRequestExtensions(conf('[r]\ncertificatePolicies = 1.1.1\nkeyUsage = digitalSignature\n[p]\ncertificatePolicies = 2.2.2\n'), {
      reqexts: 'r',
      policies: 'p',
    });
    expect(specs.map((s) => s.name)).toEqual(['keyUsage', 'certificatePolicies']);
    expect(specs[1]!.value).toEqual({ kind: 'certificatePolicies', policies: [{ oid: '2.2.2', qualifiers: [] }] });
  });
});

describe('normalizeIp', () => {
  it('keeps IPv4, expands IPv6 and refuses anything else', () => {
    expect(normalizeIp('10.1.2.3')).toBe('10.1.2.3');
    expect(normalizeIp('::')).toBe('0000:0000:0000:0000:0000:0000:0000:0000');
    expect(normalizeIp('fe80::1:2')).toBe('fe80:0000:0000:0000:0000:0000:0001:0002');
    expect(normalizeIp('1:2:3:4:5:6:7:8')).toBe('0001:0002:0003:0004:0005:0006:0007:0008');
    expect(normalizeIp('10.1.2')).toBeUndefined();
    expect(normalizeIp('host.example')).toBeUndefined();
  });
});
