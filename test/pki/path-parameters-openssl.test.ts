/**
 * OpenSSL's generic verification parameters (-policy, -explicit_policy, -inhibit_map, -inhibit_any,
 * -verify_depth, -ignore_critical) as PathValidationOptions: on the same certificates, `openssl
 * verify` with the option and validatePath with the matching field must both accept or both reject.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as x509 from '@peculiar/x509';
import { isCmpError, ErrorCodes, type ErrorCode } from '../../src/errors';
import { anyPolicy } from '../../src/pki/certificate-policies';
import { validatePath, type PathValidationOptions } from '../../src/pki/path';
import { runOpenSsl } from '../support/openssl';
import {
  certificatePoliciesExtension,
  generateKey,
  issueCa,
  issueLeaf,
  policyMappingsExtension,
  proxyCertInfoExtension,
  subjectAltNameExtension,
  unknownExtension,
  type Issued,
  type KeyKind,
} from './certificate-factory';

const P1 = '1.3.6.1.4.1.99999.3.1';
const P2 = '1.3.6.1.4.1.99999.3.2';

interface Chain {
  root: Issued;
  intermediates: Issued[];
  leaf: Issued;
}

let dir: string;
let root: Issued;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-params-'));
  root = await issueCa({ subject: 'CN=Parameters Root', key: await generateKey() });
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

/** root -> one intermediate per entry of `intermediates` (its extensions) -> a leaf with `leafExtensions`. */
async function chain(intermediates: x509.Extension[][], leafExtensions: x509.Extension[]): Promise<Chain> {
  let issuer = root;
  const made: Issued[] = [];
  for (const [i, extensions] of intermediates.entries()) {
    issuer = await issueCa({ subject: `CN=Parameters CA ${i + 1}`, key: await generateKey(), issuer, extensions });
    made.push(issuer);
  }
  const leaf = await issueLeaf({ subject: 'CN=Parameters Leaf', key: await generateKey(), issuer, extensions: leafExtensions });
  return { root, intermediates: made, leaf };
}

let files = 0;
async function certFile(certs: readonly Issued[]): Promise<string> {
  const file = path.join(dir, `certs-${files++}.pem`);
  await fs.writeFile(file, certs.map((c) => `${c.cert.toString('pem')}\n`).join(''));
  return file;
}

async function opensslAccepts(c: Chain, flags: string[]): Promise<boolean> {
  const args = ['verify', ...flags, '-CAfile', await certFile([c.root])];
  if (c.intermediates.length > 0) args.push('-untrusted', await certFile(c.intermediates));
  args.push(await certFile([c.leaf]));
  const result = await runOpenSsl(args);
  return result.code === 0;
}

async function ourVerdict(c: Chain, options: Partial<PathValidationOptions>): Promise<ErrorCode | 'ok'> {
  try {
    await validatePath(c.leaf.cert, { trusted: [c.root.cert], untrusted: c.intermediates.map((i) => i.cert), ...options });
    return 'ok';
  } catch (e) {
    if (!isCmpError(e)) throw e;
    return e.code;
  }
}

/** Both verdicts, ours as a code, OpenSSL's as whether it accepted. */
async function compare(c: Chain, flags: string[], options: Partial<PathValidationOptions>): Promise<ErrorCode | 'ok'> {
  const ours = await ourVerdict(c, options);
  expect(ours === 'ok').toBe(await opensslAccepts(c, flags));
  return ours;
}

const policies = (...oids: string[]) => certificatePoliciesExtension(oids);

describe('-policy and -explicit_policy (policies, explicitPolicy) as openssl verify', () => {
  let p1: Chain;
  let none: Chain;
  beforeAll(async () => {
    p1 = await chain([[policies(P1)]], [policies(P1)]);
    none = await chain([[]], []);
  });

  it('accept a path asserting an acceptable policy when one is required', async () => {
    expect(await compare(p1, ['-policy', P1, '-explicit_policy'], { policies: [P1], explicitPolicy: true })).toBe('ok');
  });

  it('reject a path asserting none of the acceptable policies when one is required', async () => {
    expect(await compare(p1, ['-policy', P2, '-explicit_policy'], { policies: [P2], explicitPolicy: true })).toBe(ErrorCodes.ERR_PATH_POLICY);
  });

  it('accept a path outside the acceptable policies when no certificate requires one (OpenSSL does so too)', async () => {
    expect(await compare(p1, ['-policy', P2], { policies: [P2] })).toBe('ok');
  });

  it('reject with -explicit_policy a path without certificate policies', async () => {
    expect(await compare(none, ['-policy', anyPolicy, '-explicit_policy'], { explicitPolicy: true })).toBe(ErrorCodes.ERR_PATH_POLICY);
    expect(await compare(none, [], {})).toBe('ok');
  });

  it('find no acceptable policy without -policy, where OpenSSL starts from an empty set (policies: [])', async () => {
    expect(await compare(p1, ['-explicit_policy'], { policies: [], explicitPolicy: true })).toBe(ErrorCodes.ERR_PATH_POLICY);
    expect(await compare(p1, ['-policy', anyPolicy, '-explicit_policy'], { explicitPolicy: true })).toBe('ok');
  });

  it('accept several -policy values when the path asserts one of them', async () => {
    expect(await compare(p1, ['-policy', P2, '-policy', P1, '-explicit_policy'], { policies: [P2, P1], explicitPolicy: true })).toBe('ok');
  });

  it('expand a leaf asserting anyPolicy into the acceptable policies', async () => {
    const anyLeaf = await chain([[policies(anyPolicy)]], [policies(anyPolicy)]);
    expect(await compare(anyLeaf, ['-policy', P2, '-explicit_policy'], { policies: [P2], explicitPolicy: true })).toBe('ok');
  });
});

describe('-inhibit_any and -inhibit_map (inhibitAnyPolicy, inhibitPolicyMapping) as openssl verify', () => {
  it('stop anyPolicy in a CA from covering the policy of the leaf', async () => {
    const c = await chain([[policies(anyPolicy)]], [policies(P2)]);
    expect(await compare(c, ['-policy', P2, '-explicit_policy'], { policies: [P2], explicitPolicy: true })).toBe('ok');
    expect(
      await compare(c, ['-policy', P2, '-explicit_policy', '-inhibit_any'], { policies: [P2], explicitPolicy: true, inhibitAnyPolicy: true }),
    ).toBe(ErrorCodes.ERR_PATH_POLICY);
  });

  it('stop a CA mapping its policy to the one of the leaf (the valid policy is the issuer domain one)', async () => {
    const c = await chain([[policies(P1), policyMappingsExtension([[P1, P2]])]], [policies(P2)]);
    expect(await compare(c, ['-policy', P1, '-explicit_policy'], { policies: [P1], explicitPolicy: true })).toBe('ok');
    expect(await compare(c, ['-policy', P2, '-explicit_policy'], { policies: [P2], explicitPolicy: true })).toBe(ErrorCodes.ERR_PATH_POLICY);
    expect(
      await compare(c, ['-policy', P1, '-explicit_policy', '-inhibit_map'], { policies: [P1], explicitPolicy: true, inhibitPolicyMapping: true }),
    ).toBe(ErrorCodes.ERR_PATH_POLICY);
  });
});

describe('-verify_depth (maxDepth) as openssl verify', () => {
  it('counts the intermediates only, neither the leaf nor the trust anchor', async () => {
    const c = await chain([[], []], []);
    expect(await compare(c, ['-verify_depth', '2'], { maxDepth: 2 })).toBe('ok');
    expect(await compare(c, ['-verify_depth', '1'], { maxDepth: 1 })).toBe(ErrorCodes.ERR_PATH_LENGTH);
    expect(await compare(c, ['-verify_depth', '0'], { maxDepth: 0 })).toBe(ErrorCodes.ERR_PATH_LENGTH);
  });
});

describe('-ignore_critical (ignoreCritical) as openssl verify', () => {
  it('accepts a leaf with an unknown critical extension, which is refused without it', async () => {
    const c = await chain([[]], [unknownExtension(true)]);
    expect(await compare(c, [], {})).toBe(ErrorCodes.ERR_PATH_CRITICAL_EXTENSION);
    expect(await compare(c, ['-ignore_critical'], { ignoreCritical: true })).toBe('ok');
  });
});

/** root -> CA (with `caExtensions`) -> a leaf made from `leaf`. */
async function leafChain(
  leaf: { subject?: string; keyUsage?: number | null; extensions?: x509.Extension[] },
  caExtensions: x509.Extension[] = [],
): Promise<Chain> {
  const ca = await issueCa({ subject: 'CN=Parameters CA', key: await generateKey(), issuer: root, extensions: caExtensions });
  const made = await issueLeaf({
    subject: leaf.subject ?? 'CN=Parameters Leaf',
    key: await generateKey(),
    issuer: ca,
    ...(leaf.keyUsage !== undefined ? { keyUsage: leaf.keyUsage } : {}),
    extensions: leaf.extensions ?? [],
  });
  return { root, intermediates: [ca], leaf: made };
}

const eku = (critical: boolean, ...oids: string[]) => new x509.ExtendedKeyUsageExtension(oids, critical);
const kp = (n: number) => `1.3.6.1.5.5.7.3.${n}`;

describe('-verify_hostname, -verify_email, -verify_ip (verifyHostname, verifyEmail, verifyIp) as openssl verify', () => {
  let withSans: Chain;
  let subjectOnly: Chain;
  beforeAll(async () => {
    withSans = await leafChain({
      subject: 'CN=other.example.org, E=Subject@Example.org',
      extensions: [
        subjectAltNameExtension([
          { type: 'dns', value: '*.example.com' },
          { type: 'dns', value: 'host.example.net' },
          { type: 'email', value: 'Alice@example.com' },
          { type: 'ip', value: '192.0.2.7' },
          { type: 'ip', value: '2001:db8::7' },
        ]),
      ],
    });
    subjectOnly = await leafChain({ subject: 'CN=host.example.org, E=bob@example.org' });
  });

  it.each([
    ['host.example.net', 'ok'],
    ['HOST.Example.NET', 'ok'],
    ['www.example.com', 'ok'],
    ['a.b.example.com', ErrorCodes.ERR_PATH_IDENTITY_MISMATCH],
    ['example.com', ErrorCodes.ERR_PATH_IDENTITY_MISMATCH],
    ['other.example.org', ErrorCodes.ERR_PATH_IDENTITY_MISMATCH],
  ])('match host %s against DNS subjectAltNames only when there are some: %s', async (host, verdict) => {
    expect(await compare(withSans, ['-verify_hostname', host], { verifyHostname: host })).toBe(verdict);
  });

  it('fall back to the commonName for hosts and to emailAddress for email without such subjectAltNames', async () => {
    expect(await compare(subjectOnly, ['-verify_hostname', 'host.example.org'], { verifyHostname: 'host.example.org' })).toBe('ok');
    expect(await compare(subjectOnly, ['-verify_email', 'bob@EXAMPLE.org'], { verifyEmail: 'bob@EXAMPLE.org' })).toBe('ok');
    expect(await compare(subjectOnly, ['-verify_ip', '192.0.2.7'], { verifyIp: '192.0.2.7' })).toBe(ErrorCodes.ERR_PATH_IDENTITY_MISMATCH);
  });

  it.each([
    ['Alice@EXAMPLE.com', 'ok'],
    ['alice@example.com', ErrorCodes.ERR_PATH_IDENTITY_MISMATCH],
    ['Subject@Example.org', ErrorCodes.ERR_PATH_IDENTITY_MISMATCH],
  ])('match email %s with an exact local part and any-case domain: %s', async (email, verdict) => {
    expect(await compare(withSans, ['-verify_email', email], { verifyEmail: email })).toBe(verdict);
  });

  it.each([
    ['192.0.2.7', 'ok'],
    ['2001:db8:0:0::7', 'ok'],
    ['192.0.2.8', ErrorCodes.ERR_PATH_IDENTITY_MISMATCH],
  ])('match IP address %s against iPAddress subjectAltNames: %s', async (ip, verdict) => {
    expect(await compare(withSans, ['-verify_ip', ip], { verifyIp: ip })).toBe(verdict);
  });
});

describe('-purpose (purpose) as openssl verify', () => {
  it.each([
    ['sslserver', [eku(false, kp(1))], x509.KeyUsageFlags.digitalSignature, 'ok'],
    ['sslserver', [eku(false, kp(2))], x509.KeyUsageFlags.digitalSignature, ErrorCodes.ERR_PATH_PURPOSE],
    ['sslserver', [], x509.KeyUsageFlags.cRLSign, ErrorCodes.ERR_PATH_PURPOSE],
    ['sslclient', [eku(false, kp(2))], x509.KeyUsageFlags.keyAgreement, 'ok'],
    ['sslclient', [], x509.KeyUsageFlags.keyEncipherment, ErrorCodes.ERR_PATH_PURPOSE],
    ['nssslserver', [], x509.KeyUsageFlags.digitalSignature, ErrorCodes.ERR_PATH_PURPOSE],
    ['nssslserver', [], x509.KeyUsageFlags.keyEncipherment, 'ok'],
    ['smimesign', [eku(false, kp(4))], x509.KeyUsageFlags.nonRepudiation, 'ok'],
    ['smimeencrypt', [eku(false, kp(4))], x509.KeyUsageFlags.digitalSignature, ErrorCodes.ERR_PATH_PURPOSE],
    ['crlsign', [], x509.KeyUsageFlags.cRLSign, 'ok'],
    ['crlsign', [], x509.KeyUsageFlags.digitalSignature, ErrorCodes.ERR_PATH_PURPOSE],
    ['any', [eku(false, kp(3))], x509.KeyUsageFlags.dataEncipherment, 'ok'],
    ['ocsphelper', [eku(false, kp(3))], x509.KeyUsageFlags.dataEncipherment, 'ok'],
    ['timestampsign', [eku(true, kp(8))], x509.KeyUsageFlags.digitalSignature, 'ok'],
    ['timestampsign', [eku(false, kp(8))], x509.KeyUsageFlags.digitalSignature, ErrorCodes.ERR_PATH_PURPOSE],
    ['timestampsign', [eku(true, kp(8), kp(1))], x509.KeyUsageFlags.digitalSignature, ErrorCodes.ERR_PATH_PURPOSE],
  ] as const)('%s for a leaf with %j, keyUsage %d: %s', async (purpose, extensions, keyUsage, verdict) => {
    const c = await leafChain({ keyUsage, extensions: [...extensions] });
    expect(await compare(c, ['-purpose', purpose], { purpose })).toBe(verdict);
  });

  it('applies the extendedKeyUsage of CAs too', async () => {
    const c = await leafChain({}, [eku(false, kp(2))]);
    expect(await compare(c, ['-purpose', 'sslclient'], { purpose: 'sslclient' })).toBe('ok');
    expect(await compare(c, ['-purpose', 'sslserver'], { purpose: 'sslserver' })).toBe(ErrorCodes.ERR_PATH_PURPOSE);
  });
});

describe('-check_ss_sig (checkSelfSignature) as openssl verify', () => {
  it('rejects a trust anchor whose self-signature does not verify, which is accepted without it', async () => {
    const key = await generateKey();
    const forged = await issueCa({ subject: 'CN=Forged Root', key, signingKey: await generateKey() });
    const leaf = await issueLeaf({ subject: 'CN=Forged Leaf', key: await generateKey(), issuer: forged });
    const c: Chain = { root: forged, intermediates: [], leaf };
    expect(await compare(c, [], {})).toBe('ok');
    expect(await compare(c, ['-check_ss_sig'], { checkSelfSignature: true })).toBe(ErrorCodes.ERR_PATH_SIGNATURE);
    expect(await compare(await chain([], []), ['-check_ss_sig'], { checkSelfSignature: true })).toBe('ok');
  });
});

describe('-auth_level (authLevel) as openssl verify', () => {
  it('accepts P-256 keys with ECDSA-SHA-256 up to level 3 (128 bits), not at level 4', async () => {
    const c = await chain([[]], []);
    expect(await compare(c, ['-auth_level', '3'], { authLevel: 3 })).toBe('ok');
    expect(await compare(c, ['-auth_level', '4'], { authLevel: 4 })).toBe(ErrorCodes.ERR_PATH_SECURITY_LEVEL);
  });

  it('counts a 2048-bit RSA end key as 112 bits: level 2, not level 3', async () => {
    const ca = await issueCa({ subject: 'CN=Level CA', key: await generateKey(), issuer: root });
    const leaf = await issueLeaf({ subject: 'CN=RSA Leaf', key: await generateKey('rsa'), issuer: ca });
    const c: Chain = { root, intermediates: [ca], leaf };
    expect(await compare(c, ['-auth_level', '2'], { authLevel: 2 })).toBe('ok');
    expect(await compare(c, ['-auth_level', '3'], { authLevel: 3 })).toBe(ErrorCodes.ERR_PATH_SECURITY_LEVEL);
  });

  it('counts an RSA CA with a SHA-256 signature below it, and Ed25519 as 128 bits', async () => {
    const ca = await issueCa({ subject: 'CN=RSA CA', key: await generateKey('rsa'), issuer: root });
    const leaf = await issueLeaf({ subject: 'CN=Ed25519 Leaf', key: await generateKey('ed25519'), issuer: ca });
    const c: Chain = { root, intermediates: [ca], leaf };
    expect(await compare(c, ['-auth_level', '2'], { authLevel: 2 })).toBe('ok');
    expect(await compare(c, ['-auth_level', '3'], { authLevel: 3 })).toBe(ErrorCodes.ERR_PATH_SECURITY_LEVEL);
  });
});

describe('-x509_strict (x509Strict) as openssl verify', () => {
  const strictly = async (c: Chain) => [await compare(c, [], {}), await compare(c, ['-x509_strict'], { x509Strict: true })];
  const caUnder = async (spec: Partial<Parameters<typeof issueCa>[0]>) =>
    issueCa({ subject: 'CN=Strict CA', key: await generateKey(), issuer: root, ...spec });
  const leafUnder = async (issuer: Issued, spec: Partial<Parameters<typeof issueLeaf>[0]> = {}) =>
    issueLeaf({ subject: 'CN=Strict Leaf', key: await generateKey(), issuer, ...spec });

  it('accepts a path that follows the profile', async () => {
    const ca = await caUnder({});
    expect(await strictly({ root, intermediates: [ca], leaf: await leafUnder(ca) })).toEqual(['ok', 'ok']);
  });

  it.each<[string, () => Promise<Chain>]>([
    [
      'a CA whose basicConstraints is not critical',
      async () => {
        const ca = await caUnder({ basicConstraints: { cA: true, critical: false } });
        return { root, intermediates: [ca], leaf: await leafUnder(ca) };
      },
    ],
    [
      'a CA without keyUsage',
      async () => {
        const ca = await caUnder({ keyUsage: null });
        return { root, intermediates: [ca], leaf: await leafUnder(ca) };
      },
    ],
    [
      'an end certificate without authorityKeyIdentifier',
      async () => {
        const ca = await caUnder({});
        return { root, intermediates: [ca], leaf: await leafUnder(ca, { keyIdentifiers: false }) };
      },
    ],
    [
      'keyCertSign in an end certificate',
      async () => {
        const ca = await caUnder({});
        const keyUsage = x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.keyCertSign;
        return { root, intermediates: [ca], leaf: await leafUnder(ca, { keyUsage }) };
      },
    ],
    [
      'pathLenConstraint in an end certificate',
      async () => {
        const ca = await caUnder({});
        return { root, intermediates: [ca], leaf: await leafUnder(ca, { basicConstraints: { cA: false, pathLen: 0 } }) };
      },
    ],
    [
      'a trust anchor that is a CA by keyUsage only',
      async () => {
        const kuRoot = await issueCa({ subject: 'CN=KeyUsage Root', key: await generateKey(), basicConstraints: null });
        return { root: kuRoot, intermediates: [], leaf: await leafUnder(kuRoot) };
      },
    ],
  ])('rejects %s only when strict', async (_what, make) => {
    expect(await strictly(await make())).toEqual(['ok', ErrorCodes.ERR_PATH_X509_STRICT]);
  });
});

describe('-suiteB_128_only, -suiteB_128, -suiteB_192 (suiteB) as openssl verify', () => {
  const levels = [
    ['-suiteB_128_only', '128only'],
    ['-suiteB_128', '128'],
    ['-suiteB_192', '192'],
  ] as const;
  /** Our verdicts without the option, then under each level, every one compared with openssl verify. */
  const underEachLevel = async (c: Chain) => {
    const verdicts = [await compare(c, [], {})];
    for (const [flag, suiteB] of levels) verdicts.push(await compare(c, [flag], { suiteB }));
    return verdicts;
  };
  const ok = 'ok';
  const B = ErrorCodes.ERR_PATH_SUITE_B;
  /** root -> CA -> leaf on the given curves, each signature by default the digest that fits the signer. */
  const curves = async (
    rootKind: KeyKind,
    caKind: KeyKind,
    leafKind: KeyKind,
    hashes: { ca?: 'SHA-256' | 'SHA-384'; leaf?: 'SHA-256' | 'SHA-384' } = {},
  ): Promise<Chain> => {
    const suiteRoot = await issueCa({ subject: `CN=Suite B Root ${rootKind}`, key: await generateKey(rootKind) });
    const ca = await issueCa({
      subject: 'CN=Suite B CA',
      key: await generateKey(caKind),
      issuer: suiteRoot,
      ...(hashes.ca ? { signingHash: hashes.ca } : {}),
    });
    const leaf = await issueLeaf({
      subject: 'CN=Suite B Leaf',
      key: await generateKey(leafKind),
      issuer: ca,
      ...(hashes.leaf ? { signingHash: hashes.leaf } : {}),
    });
    return { root: suiteRoot, intermediates: [ca], leaf };
  };

  it('allows P-256 at the 128-bit levels and P-384 at -suiteB_128 and -suiteB_192', async () => {
    expect(await underEachLevel(await curves('p256', 'p256', 'p256'))).toEqual([ok, ok, ok, B]);
    expect(await underEachLevel(await curves('p384', 'p384', 'p384'))).toEqual([ok, B, ok, ok]);
  });

  it('lets -suiteB_128 mix a P-384 CA above P-256 keys, with SHA-384 signatures by the P-384 key', async () => {
    expect(await underEachLevel(await curves('p384', 'p256', 'p256'))).toEqual([ok, B, ok, B]);
  });

  it('refuses a P-384 key signed with P-256 at every level', async () => {
    expect(await underEachLevel(await curves('p256', 'p384', 'p384'))).toEqual([ok, B, B, B]);
    expect(await underEachLevel(await curves('p256', 'p256', 'p384'))).toEqual([ok, B, B, B]);
  });

  it('refuses a signature whose digest does not fit the signing curve', async () => {
    expect(await underEachLevel(await curves('p256', 'p256', 'p256', { leaf: 'SHA-384' }))).toEqual([ok, B, B, B]);
    expect(await underEachLevel(await curves('p384', 'p384', 'p384', { ca: 'SHA-256' }))).toEqual([ok, B, B, B]);
  });

  it('refuses keys that are not EC, the trust anchor included', async () => {
    expect(await underEachLevel(await curves('rsa', 'p256', 'p256'))).toEqual([ok, B, B, B]);
    expect(await underEachLevel(await curves('p256', 'p256', 'ed25519'))).toEqual([ok, B, B, B]);
  });
});

describe('-allow_proxy_certs (allowProxyCertificates) as openssl verify', () => {
  const ok = 'ok';
  const P = ErrorCodes.ERR_PATH_PROXY_CERTIFICATE;
  /** Verdicts without and with the option, each compared with openssl verify. */
  const withAndWithout = async (c: Chain) => [await compare(c, [], {}), await compare(c, ['-allow_proxy_certs'], { allowProxyCertificates: true })];
  const proxyUnder = async (issuer: Issued, spec: { pathLength?: number; name?: string; extensions?: x509.Extension[] } = {}) =>
    issueLeaf({
      subject: spec.name ?? `${issuer.cert.subject}, CN=proxy`,
      key: await generateKey(),
      issuer,
      keyIdentifiers: false,
      extensions: [proxyCertInfoExtension(spec.pathLength), ...(spec.extensions ?? [])],
    });
  /** root -> CA -> end entity (`user`) -> the proxies `make` builds, the last one the target. */
  const proxyChain = async (
    make: (user: Issued) => Promise<Issued[]>,
    spec: { caPathLength?: number; userKeyUsage?: number; userIsCa?: boolean } = {},
  ): Promise<Chain> => {
    const ca = await issueCa({
      subject: 'CN=Proxy Users CA',
      key: await generateKey(),
      issuer: root,
      ...(spec.caPathLength !== undefined ? { basicConstraints: { cA: true, pathLen: spec.caPathLength } } : {}),
    });
    const userSpec = {
      subject: 'CN=Proxy User, O=cmpflow',
      key: await generateKey(),
      issuer: ca,
      ...(spec.userKeyUsage !== undefined ? { keyUsage: spec.userKeyUsage } : {}),
    };
    const user = spec.userIsCa ? await issueCa(userSpec) : await issueLeaf(userSpec);
    const proxies = await make(user);
    return { root, intermediates: [ca, user, ...proxies.slice(0, -1)], leaf: proxies[proxies.length - 1]! };
  };

  it('accepts a proxy certificate of an end entity only with the option', async () => {
    expect(await withAndWithout(await proxyChain(async (user) => [await proxyUnder(user)]))).toEqual([P, ok]);
  });

  it("does not count proxy certificates against a CA's pathLenConstraint", async () => {
    expect(await withAndWithout(await proxyChain(async (user) => [await proxyUnder(user)], { caPathLength: 0 }))).toEqual([P, ok]);
  });

  it('holds a chain of proxies to the pCPathLenConstraint of the proxies above', async () => {
    const twoDeep = (allowed: number) => async (user: Issued) => {
      const first = await proxyUnder(user, { pathLength: allowed });
      return [first, await proxyUnder(first)];
    };
    expect(await withAndWithout(await proxyChain(twoDeep(1)))).toEqual([P, ok]);
    expect(await withAndWithout(await proxyChain(twoDeep(0)))).toEqual([P, P]);
  });

  it.each<[string, (user: Issued) => Promise<Issued[]>]>([
    ['a subject that is not the issuer plus a commonName', async (user) => [await proxyUnder(user, { name: 'CN=Someone Else, CN=proxy' })]],
    ['a last RDN that is not a commonName', async (user) => [await proxyUnder(user, { name: `${user.cert.subject}, OU=proxy` })]],
    ['a subject with two RDNs added', async (user) => [await proxyUnder(user, { name: `${user.cert.subject}, CN=proxy, CN=again` })]],
    [
      'a subjectAltName',
      async (user) => [await proxyUnder(user, { extensions: [subjectAltNameExtension([{ type: 'dns', value: 'proxy.example' }])] })],
    ],
  ])('rejects a proxy certificate with %s either way', async (_what, make) => {
    const [without, withOption] = await withAndWithout(await proxyChain(make));
    expect(without).toBe(P);
    expect(withOption).not.toBe(ok);
  });

  it('rejects a proxy certificate issued by a key without digitalSignature or by a CA either way', async () => {
    const byKeyEncipherment = await proxyChain(async (user) => [await proxyUnder(user)], { userKeyUsage: x509.KeyUsageFlags.keyEncipherment });
    expect(await withAndWithout(byKeyEncipherment)).toEqual([P, ErrorCodes.ERR_PATH_KEY_USAGE]);
    expect(await withAndWithout(await proxyChain(async (user) => [await proxyUnder(user)], { userIsCa: true }))).toEqual([P, P]);
  });
});

describe('unusable verification parameters', () => {
  it('give ERR_INVALID_OPTION for a policy that is not an OID or a list that is not an array', async () => {
    const c = await chain([], []);
    expect(await ourVerdict(c, { policies: ['gold'] })).toBe(ErrorCodes.ERR_INVALID_OPTION);
    expect(await ourVerdict(c, { policies: P1 as unknown as string[] })).toBe(ErrorCodes.ERR_INVALID_OPTION);
  });

  it('give ERR_INVALID_OPTION for an unknown purpose, an email without @ or an IP address that is none', async () => {
    const c = await chain([], []);
    expect(await ourVerdict(c, { purpose: 'codesign' })).toBe(ErrorCodes.ERR_INVALID_OPTION);
    expect(await ourVerdict(c, { verifyEmail: 'alice' })).toBe(ErrorCodes.ERR_INVALID_OPTION);
    expect(await ourVerdict(c, { verifyIp: '192.0.2' })).toBe(ErrorCodes.ERR_INVALID_OPTION);
    expect(await ourVerdict(c, { authLevel: -1 })).toBe(ErrorCodes.ERR_INVALID_OPTION);
    expect(await ourVerdict(c, { suiteB: '256' as never })).toBe(ErrorCodes.ERR_INVALID_OPTION);
  });
});
