/**
 * Extended CRL support (validatePath with extendedCrl, OpenSSL -extended_crl): CRLs for some
 * reasons only, indirect CRLs whose entries name their certificateIssuer, and CRLs signed by a
 * certificate off the path (another key of the same CA, or a CRL issuer named in cRLIssuer), which
 * must validate itself to the same trust anchor (RFC 5280 6.3.3). Each scenario is judged by
 * validatePath and by `openssl verify -crl_check -extended_crl`, which must agree; without the
 * option both ignore such CRLs.
 */
import type { X509Certificate } from '@peculiar/x509';
import { ReasonFlags } from '@peculiar/asn1-x509';
import { KeyUsageFlags } from '@peculiar/x509';
import { generateKey, issueCa, issueLeaf, type Issued } from './certificate-factory';
import { crlDistributionPoint, makeCrl, ourError, ourVerdict, Workspace, type Scenario } from './crl-scenarios';

const KEY_COMPROMISE = 1;
const CRL_URI = 'http://crl.example/indirect.crl';
const SOME_REASONS = ReasonFlags.keyCompromise | ReasonFlags.cACompromise;
const OTHER_REASONS =
  ReasonFlags.affiliationChanged |
  ReasonFlags.superseded |
  ReasonFlags.cessationOfOperation |
  ReasonFlags.certificateHold |
  ReasonFlags.privilegeWithdrawn |
  ReasonFlags.aACompromise;

let ws: Workspace;
let root: Issued;
let ca: Issued;
let leaf: X509Certificate;
/** Certified by the root with cRLSign only: issues the indirect CRL the next leaf's distribution point names. */
let crlAuthority: Issued;
/** Issued by `ca`; its distribution point names `crlAuthority` as cRLIssuer. */
let delegating: X509Certificate;
/** The CA's second key: the same name, certified by the root for cRLSign only. */
let caCrlKey: Issued;
/** A CRL of the root listing nothing. */
let rootCrl: string;

beforeAll(async () => {
  ws = await Workspace.create();
  root = await issueCa({ subject: 'CN=Extended CRL Root, O=cmpflow', key: await generateKey() });
  ca = await issueCa({ subject: 'CN=Extended CRL CA, O=cmpflow', key: await generateKey(), issuer: root });
  leaf = (await issueLeaf({ subject: 'CN=Extended CRL Leaf, O=cmpflow', key: await generateKey(), issuer: ca })).cert;
  crlAuthority = await issueCa({
    subject: 'CN=Extended CRL Authority, O=cmpflow',
    key: await generateKey(),
    issuer: root,
    keyUsage: KeyUsageFlags.cRLSign,
  });
  delegating = (
    await issueLeaf({
      subject: 'CN=Extended CRL Delegating Leaf, O=cmpflow',
      key: await generateKey(),
      issuer: ca,
      extensions: [crlDistributionPoint({ uri: CRL_URI, crlIssuer: crlAuthority.cert })],
    })
  ).cert;
  caCrlKey = await issueCa({ subject: 'CN=Extended CRL CA, O=cmpflow', key: await generateKey(), issuer: root, keyUsage: KeyUsageFlags.cRLSign });
  rootCrl = await makeCrl({ issuer: root, number: 1 });
}, 60_000);

afterAll(async () => {
  await ws.dispose();
});

function scenario(target: X509Certificate, crls: string[], more: Partial<Scenario> = {}): Scenario {
  return { target, trusted: [root.cert], untrusted: [ca.cert], crls: [rootCrl, ...crls], check: 'leaf', extendedCrl: true, ...more };
}

describe('CRLs for some reasons only, with openssl verify -extended_crl', () => {
  it('do not suffice alone: the other reasons stay unchecked, so there is no usable CRL', async () => {
    const some = await makeCrl({ issuer: ca, number: 2, idp: { onlySomeReasons: SOME_REASONS } });
    await ws.expectAgreement(scenario(leaf, [some]), 'ERR_PATH_CRL_MISSING');
  });

  it('suffice together when they cover every reason, and revoke what either lists', async () => {
    const some = (entries = false) =>
      makeCrl({
        issuer: ca,
        number: 2,
        idp: { onlySomeReasons: SOME_REASONS },
        ...(entries ? { entries: [{ cert: leaf, reason: KEY_COMPROMISE }] } : {}),
      });
    const others = (entries = false) =>
      makeCrl({ issuer: ca, number: 3, idp: { onlySomeReasons: OTHER_REASONS }, ...(entries ? { entries: [{ cert: leaf }] } : {}) });
    await ws.expectAgreement(scenario(leaf, [await some(), await others()]), undefined);
    await ws.expectAgreement(scenario(leaf, [await some(true), await others()]), 'ERR_PATH_REVOKED');
    await ws.expectAgreement(scenario(leaf, [await some(), await others(true)]), 'ERR_PATH_REVOKED');
  });

  it('are ignored without -extended_crl, as OpenSSL ignores them', async () => {
    const crls = [
      await makeCrl({ issuer: ca, number: 2, idp: { onlySomeReasons: SOME_REASONS } }),
      await makeCrl({ issuer: ca, number: 3, idp: { onlySomeReasons: OTHER_REASONS } }),
    ];
    await ws.expectAgreement(scenario(leaf, crls, { extendedCrl: false }), 'ERR_PATH_CRL_MISSING');
  });

  it('complete a CRL whose distribution point in the certificate serves some reasons only', async () => {
    const partial = (
      await issueLeaf({
        subject: 'CN=Extended CRL Partial Leaf, O=cmpflow',
        key: await generateKey(),
        issuer: ca,
        extensions: [crlDistributionPoint({ uri: 'http://crl.example/some.crl', reasons: SOME_REASONS })],
      })
    ).cert;
    const full = await makeCrl({ issuer: ca, number: 2 });
    // The full CRL covers only the distribution point's reasons for this certificate.
    await ws.expectAgreement(scenario(partial, [full]), 'ERR_PATH_CRL_MISSING');
  });
});

describe('indirect CRLs, with openssl verify -extended_crl', () => {
  const indirect = (entries: Parameters<typeof makeCrl>[0]['entries'] = []) =>
    makeCrl({ issuer: crlAuthority, number: 5, idp: { uri: CRL_URI, indirect: true }, entries });

  it('revoke a certificate their entry names with its certificateIssuer, the CRL issuer validated off the path', async () => {
    const crls = [await indirect([{ cert: delegating, reason: KEY_COMPROMISE, certificateIssuer: ca.cert.subjectName }])];
    const s = scenario(delegating, crls, { untrusted: [ca.cert, crlAuthority.cert] });
    await ws.expectAgreement(s, 'ERR_PATH_REVOKED');
    expect((await ourError(s))?.message).toContain('is listed in the CRL of "CN=Extended CRL Authority, O=cmpflow"');
    await ws.expectAgreement(scenario(delegating, [await indirect()], { untrusted: [ca.cert, crlAuthority.cert] }), undefined);
  });

  it("do not revoke by an entry without certificateIssuer, which is the CRL issuer's own certificate", async () => {
    const crls = [await indirect([{ cert: delegating, reason: KEY_COMPROMISE }])];
    await ws.expectAgreement(scenario(delegating, crls, { untrusted: [ca.cert, crlAuthority.cert] }), undefined);
  });

  it('need the CRL issuer among the untrusted certificates', async () => {
    await ws.expectAgreement(scenario(delegating, [await indirect()]), 'ERR_PATH_CRL_MISSING');
  });

  it("need a CRL issuer whose own path passes the revocation check with -crl_check_all; with -crl_check, OpenSSL checks only the end entity's", async () => {
    // The root's CRL serves the CA's certificate, the CRL authority's and (with -crl_check_all) the root's own.
    const revokedAuthority = await makeCrl({ issuer: root, number: 2, entries: [{ cert: crlAuthority.cert, reason: KEY_COMPROMISE }] });
    const s: Scenario = { ...scenario(delegating, [], { untrusted: [ca.cert, crlAuthority.cert] }), crls: [revokedAuthority, await indirect()] };
    await ws.expectAgreement(s, undefined);
    const all: Scenario = { ...s, check: 'all' };
    expect(await ourVerdict(all)).toBe('ERR_PATH_CRL_MISSING');
    expect((await ourError(all))?.message).toMatch(/^CRL path validation error: "CN=Extended CRL Authority, O=cmpflow".*certificate revoked/);
    // openssl verify's callback reports the CRL issuer's own failure (23), then the CRL path validation error (54).
    expect([23, 54]).toContain(await ws.opensslVerdict(all));
  });

  it('are ignored without -extended_crl', async () => {
    const crls = [await indirect([{ cert: delegating, reason: KEY_COMPROMISE, certificateIssuer: ca.cert.subjectName }])];
    await ws.expectAgreement(scenario(delegating, crls, { untrusted: [ca.cert, crlAuthority.cert], extendedCrl: false }), 'ERR_PATH_CRL_MISSING');
  });
});

describe('CRLs signed by another key of the same CA, with openssl verify -extended_crl', () => {
  const byOtherKey = (entries: Parameters<typeof makeCrl>[0]['entries'] = []) => makeCrl({ issuer: caCrlKey, number: 7, entries });

  it('serve once that key is found and validated to the same trust anchor', async () => {
    const untrusted = [ca.cert, caCrlKey.cert];
    await ws.expectAgreement(scenario(leaf, [await byOtherKey()], { untrusted }), undefined);
    await ws.expectAgreement(scenario(leaf, [await byOtherKey([{ cert: leaf, reason: KEY_COMPROMISE }])], { untrusted }), 'ERR_PATH_REVOKED');
  });

  it('are ignored without -extended_crl, the CRL key being off the path', async () => {
    const s = scenario(leaf, [await byOtherKey([{ cert: leaf, reason: KEY_COMPROMISE }])], {
      untrusted: [ca.cert, caCrlKey.cert],
      extendedCrl: false,
    });
    await ws.expectAgreement(s, 'ERR_PATH_CRL_MISSING');
  });

  it('must come from a key certified under the same trust anchor as the certificate', async () => {
    const otherRoot = await issueCa({ subject: 'CN=Extended CRL Other Root, O=cmpflow', key: await generateKey() });
    const foreignKey = await issueCa({
      subject: 'CN=Extended CRL CA, O=cmpflow',
      key: await generateKey(),
      issuer: otherRoot,
      keyUsage: KeyUsageFlags.cRLSign,
    });
    const s: Scenario = {
      ...scenario(leaf, [await makeCrl({ issuer: foreignKey, number: 7 })], { untrusted: [ca.cert, foreignKey.cert] }),
      trusted: [root.cert, otherRoot.cert],
      crls: [rootCrl, await makeCrl({ issuer: otherRoot, number: 1 }), await makeCrl({ issuer: foreignKey, number: 7 })],
    };
    await ws.expectAgreement(s, 'ERR_PATH_CRL_MISSING');
    expect((await ourError(s))?.message).toContain('validates to another trust anchor than the certificate');
  });
});
