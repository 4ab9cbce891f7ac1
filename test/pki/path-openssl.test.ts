/**
 * validatePath against the reference it follows: for each scenario, `openssl verify` with the
 * matching flags must reach the same verdict, and when both reject, OpenSSL's error must be one
 * that corresponds to our code. Backtracking past an issuer whose signature fails is a deliberate
 * difference (OpenSSL commits to the first issuer), so no scenario here depends on it.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as x509 from '@peculiar/x509';
import { validatePath, type PathValidationOptions } from '../../src/pki/path';
import { isCmpError, type ErrorCode } from '../../src/errors';
import { runOpenSsl } from '../support/openssl';
import {
  DAY,
  certificatePoliciesExtension,
  generateKey,
  issueCa,
  issueLeaf,
  makeChain,
  nameConstraintsExtension,
  policyConstraintsExtension,
  policyMappingsExtension,
  subjectAltNameExtension,
  unknownExtension,
  type CertificateSpec,
  type TestChain,
} from './certificate-factory';

/** OpenSSL X509_V_ERR_* numbers that mean what each of our codes means. */
const opensslErrors: Partial<Record<ErrorCode, number[]>> = {
  // unable to get issuer certificate (locally), self-signed certificate (in chain)
  ERR_PATH_NO_ANCHOR: [2, 18, 19, 20],
  ERR_PATH_SIGNATURE: [7],
  ERR_PATH_NOT_YET_VALID: [9],
  ERR_PATH_EXPIRED: [10],
  // certificate chain too long, path length constraint exceeded
  ERR_PATH_LENGTH: [22, 25],
  // invalid CA certificate (24 before OpenSSL 3.0, 79 since)
  ERR_PATH_NOT_CA: [24, 79],
  // invalid CA certificate (OpenSSL folds keyUsage into it), key usage does not include certificate signing
  ERR_PATH_KEY_USAGE: [24, 32, 79],
  ERR_PATH_CRITICAL_EXTENSION: [34],
  // invalid or inconsistent policy extension, no explicit policy
  ERR_PATH_POLICY: [42, 43],
  // permitted/excluded subtree violation, unsupported constraint type/syntax, unsupported name syntax
  ERR_PATH_NAME_CONSTRAINTS: [47, 48, 51, 52, 53],
};

interface Scenario {
  target: x509.X509Certificate;
  options: PathValidationOptions;
}

let dir: string;
let chain: TestChain;

beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-path-'));
  chain = await makeChain('p256', 'Agreement');
});

afterAll(async () => {
  await fs.rm(dir, { recursive: true, force: true });
});

let fileCount = 0;

async function pemFile(certs: readonly x509.X509Certificate[]): Promise<string> {
  const file = path.join(dir, `certs-${fileCount++}.pem`);
  await fs.writeFile(file, certs.map((c) => c.toString('pem')).join('\n'));
  return file;
}

/** `openssl verify` with flags equivalent to `options`: undefined when it accepts, else its error number. */
async function opensslVerdict({ target, options }: Scenario, extraFlags: string[]): Promise<number | undefined> {
  const args = ['verify', ...extraFlags, '-CAfile', await pemFile(options.trusted)];
  if (options.untrusted?.length) args.push('-untrusted', await pemFile(options.untrusted));
  if (options.partialChain) args.push('-partial_chain');
  if (options.noCheckTime) args.push('-no_check_time');
  if (options.at) args.push('-attime', String(Math.floor(options.at.getTime() / 1000)));
  if (options.maxDepth !== undefined) args.push('-verify_depth', String(options.maxDepth));
  args.push(await pemFile([target]));
  const result = await runOpenSsl(args);
  if (result.code === 0) return undefined;
  const match = /error (\d+) at/.exec(result.stdout + result.stderr);
  if (!match) throw new Error(`unexpected openssl verify output: ${result.stdout}${result.stderr}`);
  return Number(match[1]);
}

async function ourVerdict({ target, options }: Scenario): Promise<ErrorCode | undefined> {
  try {
    await validatePath(target, options);
    return undefined;
  } catch (e) {
    if (!isCmpError(e)) throw e;
    return e.code;
  }
}

async function expectAgreement(scenario: Scenario, expected: ErrorCode | undefined, extraFlags: string[] = []): Promise<void> {
  const ours = await ourVerdict(scenario);
  expect(ours).toBe(expected);
  const theirs = await opensslVerdict(scenario, extraFlags);
  if (expected === undefined) expect(theirs).toBeUndefined();
  else expect(opensslErrors[expected]).toContain(theirs);
}

const past = () => ({ notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
const future = () => ({ notBefore: new Date(Date.now() + DAY), notAfter: new Date(Date.now() + 30 * DAY) });

describe('validatePath agrees with openssl verify', () => {
  it.each(['rsa', 'p256', 'ed25519'] as const)('on a valid %s chain', async (kind) => {
    const c = kind === 'p256' ? chain : await makeChain(kind, `Agreement ${kind}`);
    await expectAgreement({ target: c.leaf.cert, options: { trusted: [c.root.cert], untrusted: [c.intermediate.cert] } }, undefined);
  });

  it('on a trusted self-signed target', async () => {
    await expectAgreement({ target: chain.root.cert, options: { trusted: [chain.root.cert] } }, undefined);
  });

  it('on an expired leaf, with and without -no_check_time, and at an earlier -attime', async () => {
    const leaf = await issueLeaf({ subject: 'CN=Agreement Expired', key: await generateKey(), issuer: chain.intermediate, ...past() });
    const options = { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] };
    await expectAgreement({ target: leaf.cert, options }, 'ERR_PATH_EXPIRED');
    await expectAgreement({ target: leaf.cert, options: { ...options, noCheckTime: true } }, undefined);
    // The leaf expired a day ago; two days ago the chain's CAs (made a day ago) were not valid yet.
    await expectAgreement({ target: leaf.cert, options: { ...options, at: new Date(Date.now() - 2 * DAY) } }, 'ERR_PATH_NOT_YET_VALID');
    const earlier = await issueLeaf({
      subject: 'CN=Agreement Expired Lately',
      key: await generateKey(),
      issuer: chain.intermediate,
      notAfter: new Date(Date.now() - 60_000),
    });
    await expectAgreement({ target: earlier.cert, options: { ...options, at: new Date(Date.now() - 120_000) } }, undefined);
  });

  it('on a not-yet-valid intermediate', async () => {
    const intermediate = await issueCa({ subject: 'CN=Agreement Future CA', key: await generateKey(), issuer: chain.root, ...future() });
    const leaf = await issueLeaf({ subject: 'CN=Agreement Future Leaf', key: await generateKey(), issuer: intermediate });
    await expectAgreement({ target: leaf.cert, options: { trusted: [chain.root.cert], untrusted: [intermediate.cert] } }, 'ERR_PATH_NOT_YET_VALID');
  });

  it.each<[string, Partial<CertificateSpec>, ErrorCode]>([
    ['cA FALSE', { basicConstraints: { cA: false } }, 'ERR_PATH_NOT_CA'],
    ['no basicConstraints', { basicConstraints: null }, 'ERR_PATH_NOT_CA'],
    ['keyUsage without keyCertSign', { keyUsage: x509.KeyUsageFlags.cRLSign }, 'ERR_PATH_KEY_USAGE'],
    ['an unknown critical extension', { extensions: [unknownExtension(true)] }, 'ERR_PATH_CRITICAL_EXTENSION'],
    [
      'name constraints the leaf violates',
      { extensions: [nameConstraintsExtension({ permitted: [{ dns: 'example.com' }] })] },
      'ERR_PATH_NAME_CONSTRAINTS',
    ],
  ])('on an intermediate with %s', async (_what, spec, expected) => {
    const intermediate = await issueCa({ subject: 'CN=Agreement Odd CA', key: await generateKey(), issuer: chain.root, ...spec });
    const leaf = await issueLeaf({
      subject: 'CN=Agreement Odd Leaf',
      key: await generateKey(),
      issuer: intermediate,
      extensions: [subjectAltNameExtension([{ type: 'dns', value: 'www.example.org' }])],
    });
    await expectAgreement({ target: leaf.cert, options: { trusted: [chain.root.cert], untrusted: [intermediate.cert] } }, expected);
  });

  it('on a pathLenConstraint of 0 with two intermediates', async () => {
    const first = await issueCa({
      subject: 'CN=Agreement PathLen0',
      key: await generateKey(),
      issuer: chain.root,
      basicConstraints: { cA: true, pathLen: 0 },
    });
    const second = await issueCa({ subject: 'CN=Agreement Below', key: await generateKey(), issuer: first });
    const leaf = await issueLeaf({ subject: 'CN=Agreement Deep', key: await generateKey(), issuer: second });
    await expectAgreement({ target: leaf.cert, options: { trusted: [chain.root.cert], untrusted: [first.cert, second.cert] } }, 'ERR_PATH_LENGTH');
  });

  it('on a signature by another key under the issuer’s name', async () => {
    const leaf = await issueLeaf({
      subject: 'CN=Agreement Forged',
      key: await generateKey(),
      issuer: chain.intermediate,
      signingKey: await generateKey(),
    });
    await expectAgreement({ target: leaf.cert, options: { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] } }, 'ERR_PATH_SIGNATURE');
  });

  it('on a root that is not trusted, and on a missing intermediate', async () => {
    const other = await makeChain('p256', 'Agreement Other');
    await expectAgreement(
      { target: chain.leaf.cert, options: { trusted: [other.root.cert], untrusted: [chain.intermediate.cert, chain.root.cert] } },
      'ERR_PATH_NO_ANCHOR',
    );
    await expectAgreement({ target: chain.leaf.cert, options: { trusted: [chain.root.cert] } }, 'ERR_PATH_NO_ANCHOR');
  });

  it('on a trusted intermediate, with and without -partial_chain', async () => {
    const options = { trusted: [chain.intermediate.cert] };
    await expectAgreement({ target: chain.leaf.cert, options }, 'ERR_PATH_NO_ANCHOR');
    await expectAgreement({ target: chain.leaf.cert, options: { ...options, partialChain: true } }, undefined);
    await expectAgreement({ target: chain.leaf.cert, options: { trusted: [chain.leaf.cert], partialChain: true } }, undefined);
  });

  it('on -verify_depth', async () => {
    const options = { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] };
    await expectAgreement({ target: chain.leaf.cert, options: { ...options, maxDepth: 0 } }, 'ERR_PATH_LENGTH');
    await expectAgreement({ target: chain.leaf.cert, options: { ...options, maxDepth: 1 } }, undefined);
  });

  it('on certificate policies, with -policy_check -policy anyPolicy', async () => {
    const [p1, p2] = ['1.3.6.1.4.1.99999.3.1', '1.3.6.1.4.1.99999.3.2'];
    const requireExplicit = policyConstraintsExtension({ requireExplicitPolicy: 0 });
    const ca1 = await issueCa({
      subject: 'CN=Agreement Policy CA 1',
      key: await generateKey(),
      issuer: chain.root,
      extensions: [certificatePoliciesExtension([p1]), requireExplicit],
    });
    const ca2 = await issueCa({
      subject: 'CN=Agreement Policy CA 2',
      key: await generateKey(),
      issuer: ca1,
      extensions: [certificatePoliciesExtension([p1]), policyMappingsExtension([[p1, p2]])],
    });
    const mapped = await issueLeaf({
      subject: 'CN=Agreement Mapped',
      key: await generateKey(),
      issuer: ca2,
      extensions: [certificatePoliciesExtension([p2])],
    });
    const bare = await issueLeaf({ subject: 'CN=Agreement Bare', key: await generateKey(), issuer: ca2 });
    const options = { trusted: [chain.root.cert], untrusted: [ca1.cert, ca2.cert] };
    const policyFlags = ['-policy_check', '-policy', '2.5.29.32.0'];
    await expectAgreement({ target: mapped.cert, options }, undefined, policyFlags);
    await expectAgreement({ target: bare.cert, options }, 'ERR_PATH_POLICY', policyFlags);
  });
});
