/**
 * Delta CRLs (validatePath with useDeltas, OpenSSL -use_deltas; RFC 5280 sections 5.2.4, 5.2.6 and
 * 6.3.3), each scenario judged by validatePath and by `openssl verify -crl_check -use_deltas
 * -extended_crl`, which must agree. -extended_crl is given to OpenSSL throughout because OpenSSL
 * 3.0 without it takes the newest CRL, a delta, for the complete one (its get_crl_score skips
 * deltas only in an else-if of the extended branch; later sources skip them unconditionally); the
 * last test shows that case, where cmpflow keeps RFC 5280's verdict.
 */
import type { X509Certificate } from '@peculiar/x509';
import { generateKey, issueCa, issueLeaf, type Issued } from './certificate-factory';
import { freshestCrl, makeCrl, ourError, ourVerdict, Workspace, type CrlSpec, type Scenario } from './crl-scenarios';

const KEY_COMPROMISE = 1;
const CERTIFICATE_HOLD = 6;
const REMOVE_FROM_CRL = 8;

let ws: Workspace;
let root: Issued;
let ca: Issued;
/** Issued by `ca`, without freshestCRL: deltas apply only when the complete CRL announces them. */
let leaf: X509Certificate;
/** Issued by `ca` with freshestCRL. */
let announcing: X509Certificate;
let rootCrl: string;

beforeAll(async () => {
  ws = await Workspace.create();
  root = await issueCa({ subject: 'CN=Delta Test Root, O=cmpflow', key: await generateKey() });
  ca = await issueCa({ subject: 'CN=Delta Test CA, O=cmpflow', key: await generateKey(), issuer: root });
  leaf = (await issueLeaf({ subject: 'CN=Delta Test Leaf, O=cmpflow', key: await generateKey(), issuer: ca })).cert;
  announcing = (
    await issueLeaf({ subject: 'CN=Delta Test Announcing Leaf, O=cmpflow', key: await generateKey(), issuer: ca, extensions: [freshestCrl()] })
  ).cert;
  rootCrl = await makeCrl({ issuer: root, number: 1 });
}, 60_000);

afterAll(async () => {
  await ws.dispose();
});

const base = (more: Partial<CrlSpec> = {}) => makeCrl({ issuer: ca, number: 10, freshest: true, ...more });
const delta = (more: Partial<CrlSpec> = {}) => makeCrl({ issuer: ca, number: 11, deltaOf: 10, thisUpdateDays: -0.5, ...more });

function scenario(crls: string[], more: Partial<Scenario> = {}): Scenario {
  return {
    target: leaf,
    trusted: [root.cert],
    untrusted: [ca.cert],
    crls: [rootCrl, ...crls],
    check: 'leaf',
    useDeltas: true,
    extendedCrl: true,
    ...more,
  };
}

describe('delta CRLs agree with openssl verify -use_deltas', () => {
  it('revoke what the delta lists though the complete CRL does not', async () => {
    const crls = [await base(), await delta({ entries: [{ cert: leaf, reason: KEY_COMPROMISE }] })];
    await ws.expectAgreement(scenario(crls), 'ERR_PATH_REVOKED');
    expect((await ourError(scenario(crls)))?.message).toContain('is listed in the delta CRL of "CN=Delta Test CA, O=cmpflow" (reason keyCompromise)');
    // Without -use_deltas the delta is no complete CRL, and the complete one lists nothing.
    await ws.expectAgreement(scenario(crls, { useDeltas: false }), undefined);
  });

  it('still revoke what the complete CRL lists when the delta does not list it', async () => {
    const crls = [await base({ entries: [{ cert: leaf, reason: KEY_COMPROMISE }] }), await delta()];
    await ws.expectAgreement(scenario(crls), 'ERR_PATH_REVOKED');
  });

  it('release a certificateHold of the complete CRL with removeFromCRL in the delta', async () => {
    const crls = [
      await base({ entries: [{ cert: leaf, reason: CERTIFICATE_HOLD }] }),
      await delta({ entries: [{ cert: leaf, reason: REMOVE_FROM_CRL }] }),
    ];
    await ws.expectAgreement(scenario(crls), undefined);
    await ws.expectAgreement(scenario(crls, { useDeltas: false }), 'ERR_PATH_REVOKED');
  });

  it('are not applied when neither the certificate nor the complete CRL has freshestCRL', async () => {
    const crls = [await base({ freshest: false }), await delta({ entries: [{ cert: leaf, reason: KEY_COMPROMISE }] })];
    await ws.expectAgreement(scenario(crls), undefined);
  });

  it('are applied when the certificate has freshestCRL, though the complete CRL has not', async () => {
    const crls = [await base({ freshest: false }), await delta({ entries: [{ cert: announcing, reason: KEY_COMPROMISE }] })];
    await ws.expectAgreement(scenario(crls, { target: announcing }), 'ERR_PATH_REVOKED');
  });

  it('are not applied to a complete CRL older than their BaseCRLNumber', async () => {
    const crls = [await base(), await delta({ deltaOf: 11, number: 12, entries: [{ cert: leaf, reason: KEY_COMPROMISE }] })];
    await ws.expectAgreement(scenario(crls), undefined);
  });

  it('apply to a newer complete CRL than their BaseCRLNumber, when their own number is newer still', async () => {
    const crls = [await base(), await delta({ deltaOf: 8, number: 11, entries: [{ cert: leaf, reason: KEY_COMPROMISE }] })];
    await ws.expectAgreement(scenario(crls), 'ERR_PATH_REVOKED');
  });

  it('are not applied when their own number is not above the complete CRL number', async () => {
    const crls = [await base(), await delta({ deltaOf: 8, number: 10, entries: [{ cert: leaf, reason: KEY_COMPROMISE }] })];
    await ws.expectAgreement(scenario(crls), undefined);
  });

  it('are not applied across scopes: an authorityKeyIdentifier or issuingDistributionPoint the complete CRL has not', async () => {
    const revoking = { entries: [{ cert: leaf, reason: KEY_COMPROMISE }] };
    await ws.expectAgreement(scenario([await base(), await delta({ ...revoking, akid: false })]), undefined);
    await ws.expectAgreement(scenario([await base(), await delta({ ...revoking, idp: { uri: 'http://crl.example/other.crl' } })]), undefined);
  });

  it('excuse an expired complete CRL when the delta is current, and not otherwise', async () => {
    const expiredBase = await base({ thisUpdateDays: -10, nextUpdateDays: -1 });
    await ws.expectAgreement(scenario([expiredBase, await delta()]), undefined);
    await ws.expectAgreement(scenario([expiredBase, await delta({ nextUpdateDays: -0.25 })]), 'ERR_PATH_CRL_EXPIRED');
    await ws.expectAgreement(scenario([expiredBase]), 'ERR_PATH_CRL_EXPIRED');
  });

  it('must be signed by the key of the complete CRL', async () => {
    const forger = await generateKey();
    const crls = [await base(), await delta({ signingKey: forger.pair.privateKey })];
    await ws.expectAgreement(scenario(crls), 'ERR_PATH_CRL_SIGNATURE');
    expect((await ourError(scenario(crls)))?.message).toContain('the delta CRL of "CN=Delta Test CA, O=cmpflow" does not verify');
  });

  it('are never taken for a complete CRL: a delta alone leaves the certificate without a CRL', async () => {
    await ws.expectAgreement(scenario([await delta()]), 'ERR_PATH_CRL_MISSING');
  });

  it('apply to every certificate of the path with -crl_check_all', async () => {
    const rootBase = await makeCrl({ issuer: root, number: 20, freshest: true });
    const rootDelta = await makeCrl({
      issuer: root,
      number: 21,
      deltaOf: 20,
      thisUpdateDays: -0.5,
      entries: [{ cert: ca.cert, reason: KEY_COMPROMISE }],
    });
    const s: Scenario = { ...scenario([await base(), await delta()]), crls: [rootBase, rootDelta, await base(), await delta()], check: 'all' };
    await ws.expectAgreement(s, 'ERR_PATH_REVOKED');
    expect(await ourVerdict({ ...s, check: 'leaf' })).toBeUndefined();
  });

  it('with -use_deltas alone, keep the complete CRL where OpenSSL 3.0 takes the newer delta for it (fixed in later OpenSSL)', async () => {
    const crls = [await base({ entries: [{ cert: leaf, reason: KEY_COMPROMISE }] }), await delta()];
    const s = scenario(crls, { extendedCrl: false });
    expect(await ourVerdict(s)).toBe('ERR_PATH_REVOKED');
    // OpenSSL 3.0.19 scores the delta as a complete CRL and prefers it as the newer one: the revocation is lost.
    expect(await ws.opensslVerdict(s)).toBeUndefined();
  });
});
