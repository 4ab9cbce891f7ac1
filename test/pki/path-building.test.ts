import { AsnConvert } from '@peculiar/asn1-schema';
import { AttributeTypeAndValue, AttributeValue, Name, RelativeDistinguishedName } from '@peculiar/asn1-x509';
import { findIssuers, isSelfIssued, isSelfSigned } from '../../src/pki/path';
import { canonicalName, canonicalNameKey, isNamePrefix } from '../../src/pki/name-matching';
import { DAY, generateKey, issueCa, issueLeaf, makeChain, type TestChain } from './certificate-factory';

const CN = '2.5.4.3';
const O = '2.5.4.10';

function attribute(type: string, value: Partial<AttributeValue>): AttributeTypeAndValue {
  return new AttributeTypeAndValue({ type, value: new AttributeValue(value) });
}

function name(...rdns: AttributeTypeAndValue[][]): Name {
  return new Name(rdns.map((atvs) => new RelativeDistinguishedName(atvs)));
}

const key = (n: Name) => canonicalNameKey(canonicalName(n));

describe('RFC 5280 name comparison', () => {
  it('ignores case, outer and repeated white space, and the string type', () => {
    const printable = name([attribute(CN, { printableString: 'Test CA' })], [attribute(O, { printableString: 'cmpflow' })]);
    const utf8 = name([attribute(CN, { utf8String: '  test \t  CA ' })], [attribute(O, { utf8String: 'CMPFLOW' })]);
    expect(key(utf8)).toBe(key(printable));
  });

  it('tells different values, types and RDN orders apart', () => {
    const base = name([attribute(CN, { utf8String: 'Test CA' })], [attribute(O, { utf8String: 'cmpflow' })]);
    expect(key(name([attribute(CN, { utf8String: 'Test CB' })], [attribute(O, { utf8String: 'cmpflow' })]))).not.toBe(key(base));
    expect(key(name([attribute(O, { utf8String: 'Test CA' })], [attribute(O, { utf8String: 'cmpflow' })]))).not.toBe(key(base));
    expect(key(name([attribute(O, { utf8String: 'cmpflow' })], [attribute(CN, { utf8String: 'Test CA' })]))).not.toBe(key(base));
  });

  it('ignores the order of attributes inside a multi-valued RDN', () => {
    const a = name([attribute(CN, { utf8String: 'x' }), attribute(O, { utf8String: 'y' })]);
    const b = name([attribute(O, { utf8String: 'y' }), attribute(CN, { utf8String: 'x' })]);
    expect(key(a)).toBe(key(b));
  });

  it('compares values that are not strings by their encoding', () => {
    const integer = (n: number) => attribute('1.2.3.4', { anyValue: new Uint8Array([0x02, 0x01, n]).buffer });
    expect(key(name([integer(1)]))).toBe(key(name([integer(1)])));
    expect(key(name([integer(1)]))).not.toBe(key(name([integer(2)])));
  });

  it('finds directory subtrees by leading RDNs', () => {
    const org = canonicalName(name([attribute(O, { utf8String: 'cmpflow' })]));
    const inOrg = canonicalName(name([attribute(O, { printableString: 'CMPflow' })], [attribute(CN, { utf8String: 'leaf' })]));
    const elsewhere = canonicalName(name([attribute(O, { utf8String: 'other' })], [attribute(CN, { utf8String: 'leaf' })]));
    expect(isNamePrefix(org, inOrg)).toBe(true);
    expect(isNamePrefix(org, elsewhere)).toBe(false);
    expect(isNamePrefix(inOrg, org)).toBe(false);
    expect(isNamePrefix([], elsewhere)).toBe(true);
  });

  it('survives an encoding round trip of the name', () => {
    const n = name([attribute(CN, { utf8String: 'Round Trip' })]);
    expect(key(AsnConvert.parse(AsnConvert.serialize(n), Name))).toBe(key(n));
  });
});

describe('isSelfIssued and isSelfSigned', () => {
  let chain: TestChain;

  beforeAll(async () => {
    chain = await makeChain('p256', 'Shape');
  });

  it('call a root self-signed and its subordinates neither', () => {
    expect(isSelfSigned(chain.root.cert)).toBe(true);
    expect(isSelfIssued(chain.root.cert)).toBe(true);
    expect(isSelfSigned(chain.intermediate.cert)).toBe(false);
    expect(isSelfIssued(chain.leaf.cert)).toBe(false);
  });

  it('call a key-rollover certificate self-issued but not self-signed: its key identifiers differ', async () => {
    const rolled = await issueCa({ subject: chain.root.cert.subject, key: await generateKey(), issuer: chain.root });
    expect(isSelfIssued(rolled.cert)).toBe(true);
    expect(isSelfSigned(rolled.cert)).toBe(false);
  });

  it('do not verify the self-signature, as OpenSSL does not', async () => {
    const root = await issueCa({ subject: 'CN=Self-Signed In Name Only', key: await generateKey(), signingKey: await generateKey() });
    expect(isSelfSigned(root.cert)).toBe(true);
  });

  it('refuse a self-issued certificate whose signature algorithm cannot fit its own key', async () => {
    const root = await issueCa({
      subject: 'CN=Ed Signed EC Key',
      key: await generateKey('p256'),
      signingKey: await generateKey('ed25519'),
      keyIdentifiers: false,
    });
    expect(isSelfIssued(root.cert)).toBe(true);
    expect(isSelfSigned(root.cert)).toBe(false);
  });
});

describe('findIssuers', () => {
  let chain: TestChain;

  beforeAll(async () => {
    chain = await makeChain('p256', 'Finder');
  });

  it('returns only certificates whose subject is the issuer name', async () => {
    const other = await makeChain('p256', 'Unrelated');
    expect(findIssuers(chain.leaf.cert, [other.intermediate.cert, chain.root.cert, chain.intermediate.cert])).toEqual([chain.intermediate.cert]);
    expect(findIssuers(chain.leaf.cert, [])).toEqual([]);
  });

  it('puts the candidate the authority key identifier names first', async () => {
    const namesake = await issueCa({ subject: chain.intermediate.cert.subject, key: await generateKey(), issuer: chain.root });
    const unnamed = await issueCa({ subject: chain.intermediate.cert.subject, key: await generateKey(), issuer: chain.root, keyIdentifiers: false });
    expect(findIssuers(chain.leaf.cert, [namesake.cert, unnamed.cert, chain.intermediate.cert])).toEqual([
      chain.intermediate.cert,
      unnamed.cert,
      namesake.cert,
    ]);
  });

  it('prefers, among equals, candidates valid at the given time', async () => {
    const k = await generateKey();
    const subject = 'CN=Renewed CA';
    const old = await issueCa({
      subject,
      key: k,
      issuer: chain.root,
      notBefore: new Date(Date.now() - 60 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const renewed = await issueCa({ subject, key: k, issuer: chain.root });
    const leaf = await issueLeaf({ subject: 'CN=Leaf Of Renewed', key: await generateKey(), issuer: renewed, keyIdentifiers: false });
    expect(findIssuers(leaf.cert, [old.cert, renewed.cert], new Date())).toEqual([renewed.cert, old.cert]);
    expect(findIssuers(leaf.cert, [old.cert, renewed.cert])).toEqual([old.cert, renewed.cert]);
  });
});
