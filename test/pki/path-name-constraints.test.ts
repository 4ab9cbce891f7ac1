import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralSubtree, GeneralSubtrees, NameConstraints } from '@peculiar/asn1-x509';
import { validatePath } from '../../src/pki/path';
import { dnsWithin, emailWithin, ipWithin, uriWithin } from '../../src/pki/name-constraints';
import { ErrorCodes } from '../../src/errors';
import {
  generateKey,
  issueCa,
  issueLeaf,
  nameConstraintsExtension,
  subjectAltNameExtension,
  type Issued,
  type SubtreeBase,
} from './certificate-factory';

const rejectsWith = (promise: Promise<unknown>, code: string) => expect(promise).rejects.toMatchObject({ code });

let root: Issued;

beforeAll(async () => {
  root = await issueCa({ subject: 'O=cmpflow, CN=Constraint Root', key: await generateKey() });
});

type AltName = Parameters<typeof subjectAltNameExtension>[0][number];

/** Validates a leaf with `subject` and `altNames` under an intermediate carrying `constraints`. */
async function validateUnder(
  constraints: { permitted?: SubtreeBase[]; excluded?: SubtreeBase[] },
  leafSubject: string,
  altNames: AltName[] = [],
): Promise<x509.X509Certificate[]> {
  const intermediate = await issueCa({
    subject: 'O=cmpflow, CN=Constrained CA',
    key: await generateKey(),
    issuer: root,
    extensions: [nameConstraintsExtension(constraints)],
  });
  const leaf = await issueLeaf({
    subject: leafSubject,
    key: await generateKey(),
    issuer: intermediate,
    extensions: altNames.length > 0 ? [subjectAltNameExtension(altNames)] : [],
  });
  return validatePath(leaf.cert, { trusted: [root.cert], untrusted: [intermediate.cert] });
}

describe('name constraints on directory names', () => {
  it('accept a subject inside a permitted subtree', async () => {
    await expect(validateUnder({ permitted: [{ dn: 'O=cmpflow' }] }, 'O=cmpflow, CN=Inside')).resolves.toHaveLength(3);
  });

  it('reject a subject outside every permitted subtree with ERR_PATH_NAME_CONSTRAINTS', async () => {
    await rejectsWith(validateUnder({ permitted: [{ dn: 'O=cmpflow' }] }, 'O=elsewhere, CN=Outside'), ErrorCodes.ERR_PATH_NAME_CONSTRAINTS);
  });

  it('reject a subject inside an excluded subtree', async () => {
    await rejectsWith(validateUnder({ excluded: [{ dn: 'O=cmpflow, CN=Banned' }] }, 'O=cmpflow, CN=Banned'), ErrorCodes.ERR_PATH_NAME_CONSTRAINTS);
  });

  it('apply to directoryNames in subjectAltName too', async () => {
    await rejectsWith(
      validateUnder({ permitted: [{ dn: 'O=cmpflow' }] }, 'O=cmpflow, CN=Inside', [{ type: 'dn', value: 'O=elsewhere, CN=Alias' }]),
      ErrorCodes.ERR_PATH_NAME_CONSTRAINTS,
    );
  });
});

describe('name constraints on DNS names', () => {
  const permitted = { permitted: [{ dns: 'example.com' }] };

  it('accept host names in the permitted domain', async () => {
    await expect(validateUnder(permitted, 'O=cmpflow, CN=Web', [{ type: 'dns', value: 'www.Example.COM' }])).resolves.toHaveLength(3);
  });

  it('reject host names outside it', async () => {
    await rejectsWith(
      validateUnder(permitted, 'O=cmpflow, CN=Web', [{ type: 'dns', value: 'www.example.org' }]),
      ErrorCodes.ERR_PATH_NAME_CONSTRAINTS,
    );
    await rejectsWith(
      validateUnder(permitted, 'O=cmpflow, CN=Web', [{ type: 'dns', value: 'badexample.com' }]),
      ErrorCodes.ERR_PATH_NAME_CONSTRAINTS,
    );
  });

  it('reject host names in an excluded domain', async () => {
    await rejectsWith(
      validateUnder({ excluded: [{ dns: 'internal.example.com' }] }, 'O=cmpflow, CN=Web', [{ type: 'dns', value: 'db.internal.example.com' }]),
      ErrorCodes.ERR_PATH_NAME_CONSTRAINTS,
    );
  });

  it('check a host-name-like common name of an end certificate without DNS names, as OpenSSL does', async () => {
    await rejectsWith(validateUnder(permitted, 'O=cmpflow, CN=www.example.org'), ErrorCodes.ERR_PATH_NAME_CONSTRAINTS);
    await expect(validateUnder(permitted, 'O=cmpflow, CN=www.example.com')).resolves.toHaveLength(3);
    await expect(validateUnder(permitted, 'O=cmpflow, CN=CMP Server')).resolves.toHaveLength(3);
  });
});

describe('name constraints on e-mail addresses, URIs and IP addresses', () => {
  it('check rfc822Names in subjectAltName and emailAddress in the subject', async () => {
    const constraints = { permitted: [{ email: 'example.com' }] };
    await expect(validateUnder(constraints, 'O=cmpflow, CN=Mail', [{ type: 'email', value: 'alice@example.com' }])).resolves.toHaveLength(3);
    await rejectsWith(
      validateUnder(constraints, 'O=cmpflow, CN=Mail', [{ type: 'email', value: 'alice@example.org' }]),
      ErrorCodes.ERR_PATH_NAME_CONSTRAINTS,
    );
    await rejectsWith(validateUnder(constraints, 'O=cmpflow, CN=Mail, E=mallory@example.org'), ErrorCodes.ERR_PATH_NAME_CONSTRAINTS);
  });

  it('check the host of URIs', async () => {
    const constraints = { permitted: [{ uri: '.example.com' }] };
    await expect(validateUnder(constraints, 'O=cmpflow, CN=Uri', [{ type: 'url', value: 'https://ca.example.com:8443/pkix' }])).resolves.toHaveLength(
      3,
    );
    await rejectsWith(
      validateUnder(constraints, 'O=cmpflow, CN=Uri', [{ type: 'url', value: 'https://ca.example.net/' }]),
      ErrorCodes.ERR_PATH_NAME_CONSTRAINTS,
    );
  });

  it('check IPv4 and IPv6 addresses against address ranges', async () => {
    const constraints = { permitted: [{ ip: '10.0.0.0/8' }, { ip: '2001:db8::/32' }] };
    await expect(
      validateUnder(constraints, 'O=cmpflow, CN=Ip', [
        { type: 'ip', value: '10.1.2.3' },
        { type: 'ip', value: '2001:db8::1' },
      ]),
    ).resolves.toHaveLength(3);
    await rejectsWith(validateUnder(constraints, 'O=cmpflow, CN=Ip', [{ type: 'ip', value: '192.168.1.1' }]), ErrorCodes.ERR_PATH_NAME_CONSTRAINTS);
    await rejectsWith(validateUnder(constraints, 'O=cmpflow, CN=Ip', [{ type: 'ip', value: '2001:db9::1' }]), ErrorCodes.ERR_PATH_NAME_CONSTRAINTS);
  });

  it('leave names of a type the CA does not constrain alone', async () => {
    await expect(
      validateUnder({ permitted: [{ ip: '10.0.0.0/8' }] }, 'O=elsewhere, CN=Anything', [{ type: 'dns', value: 'anything.example.org' }]),
    ).resolves.toHaveLength(3);
  });
});

describe('name constraints that cannot be evaluated', () => {
  it('fail the path when a name of an unsupported form meets a constraint of that form', async () => {
    const intermediate = await issueCa({
      subject: 'O=cmpflow, CN=Registered-ID CA',
      key: await generateKey(),
      issuer: root,
      extensions: [nameConstraintsExtension({ permitted: [{ dn: 'O=cmpflow' }] })],
    });
    // Built with asn1-x509 directly: the test factory has no registeredID subtree.
    const nc = new NameConstraints({
      permittedSubtrees: new GeneralSubtrees([new GeneralSubtree({ base: new GeneralName({ registeredID: '1.2.3.4' }) })]),
    });
    const registeredCa = await issueCa({
      subject: 'O=cmpflow, CN=Registered-ID CA 2',
      key: await generateKey(),
      issuer: intermediate,
      extensions: [new x509.Extension('2.5.29.30', true, AsnConvert.serialize(nc))],
    });
    const leaf = await issueLeaf({
      subject: 'O=cmpflow, CN=Registered',
      key: await generateKey(),
      issuer: registeredCa,
      extensions: [subjectAltNameExtension([{ type: 'id', value: '1.2.3.5' }])],
    });
    await rejectsWith(
      validatePath(leaf.cert, { trusted: [root.cert], untrusted: [intermediate.cert, registeredCa.cert] }),
      ErrorCodes.ERR_PATH_NAME_CONSTRAINTS,
    );
  });
});

describe('name constraints of the trust anchor', () => {
  it('apply to the whole path, as OpenSSL applies them', async () => {
    const constrainedRoot = await issueCa({
      subject: 'O=cmpflow, CN=Constrained Root',
      key: await generateKey(),
      extensions: [nameConstraintsExtension({ excluded: [{ dns: 'example.org' }] })],
    });
    const leaf = await issueLeaf({
      subject: 'O=cmpflow, CN=Excluded',
      key: await generateKey(),
      issuer: constrainedRoot,
      extensions: [subjectAltNameExtension([{ type: 'dns', value: 'www.example.org' }])],
    });
    await rejectsWith(validatePath(leaf.cert, { trusted: [constrainedRoot.cert] }), ErrorCodes.ERR_PATH_NAME_CONSTRAINTS);
  });
});

describe('subtree matching rules', () => {
  it('dNSName: labels may be added on the left; a leading dot requires one', () => {
    expect(dnsWithin('example.com', 'example.com')).toBe(true);
    expect(dnsWithin('example.com', 'a.b.EXAMPLE.com')).toBe(true);
    expect(dnsWithin('example.com', 'notexample.com')).toBe(false);
    expect(dnsWithin('.example.com', 'a.example.com')).toBe(true);
    expect(dnsWithin('.example.com', 'example.com')).toBe(false);
    expect(dnsWithin('', 'anything.at.all')).toBe(true);
  });

  it('rfc822Name: a mailbox, a host, or a domain', () => {
    expect(emailWithin('alice@example.com', 'alice@EXAMPLE.com')).toBe(true);
    expect(emailWithin('alice@example.com', 'Alice@example.com')).toBe(false);
    expect(emailWithin('example.com', 'bob@Example.com')).toBe(true);
    expect(emailWithin('example.com', 'bob@mail.example.com')).toBe(false);
    expect(emailWithin('.example.com', 'bob@mail.example.com')).toBe(true);
    expect(emailWithin('.example.com', 'bob@example.com')).toBe(false);
    expect(emailWithin('example.com', 'not-an-address')).toBe(false);
  });

  it('uniformResourceIdentifier: the host, ignoring user info and port', () => {
    expect(uriWithin('example.com', 'ldap://user@EXAMPLE.com:389/o=x')).toBe(true);
    expect(uriWithin('example.com', 'http://www.example.com/')).toBe(false);
    expect(uriWithin('.example.com', 'http://www.example.com/')).toBe(true);
    expect(uriWithin('example.com', 'urn:isbn:123')).toBe(false);
  });

  it('iPAddress: address and mask, never across families', () => {
    const v4Range = new Uint8Array([192, 168, 0, 0, 255, 255, 0, 0]);
    expect(ipWithin(v4Range, new Uint8Array([192, 168, 7, 9]))).toBe(true);
    expect(ipWithin(v4Range, new Uint8Array([192, 169, 7, 9]))).toBe(false);
    expect(ipWithin(v4Range, new Uint8Array(16))).toBe(false);
  });
});
