/**
 * Revocation checking (validatePath with crlCheck) against the reference it follows: a PKI made by
 * `openssl ca` (root, intermediate, leaf, CRLs from `openssl ca -gencrl`), and for each scenario
 * `openssl verify -crl_check` or `-crl_check_all` with the same CRLs in -CRLfile must reach the
 * same verdict, with an error that corresponds to our code.
 */
import { promises as fs } from 'fs';
import type { X509Certificate } from '@peculiar/x509';
import { isCmpError, type ErrorCode } from '../../src/errors';
import { validatePath, type CrlCheck } from '../../src/pki/path';
import { OpensslPki, type OpensslCa } from './path-crl-pki';
import { opensslCrlErrors as opensslErrors, Workspace } from './crl-scenarios';

const DAY = 86_400_000;

interface Scenario {
  target: X509Certificate;
  trusted: X509Certificate;
  untrusted: X509Certificate[];
  crlFiles: string[];
  check: CrlCheck;
  at?: Date;
}

let pki: OpensslPki;
let ws: Workspace;
let root: OpensslCa;
let intermediate: OpensslCa;
let leaf: X509Certificate;
/** CRLs with nothing revoked, valid for a day. */
let rootCrl: string;
let intermediateCrl: string;

beforeAll(async () => {
  ws = await Workspace.create();
  pki = await OpensslPki.create();
  root = await pki.root('/CN=CRL Test Root');
  intermediate = await pki.intermediate(root, '/CN=CRL Test Intermediate');
  leaf = await intermediate.issue('/CN=CRL Test Leaf');
  rootCrl = await root.crl();
  intermediateCrl = await intermediate.crl();
}, 60_000);

afterAll(async () => {
  await pki.dispose();
  await ws.dispose();
});

const chain = (crlFiles: string[], check: CrlCheck, more: Partial<Scenario> = {}): Scenario => ({
  target: leaf,
  trusted: root.cert,
  untrusted: [intermediate.cert],
  crlFiles,
  check,
  ...more,
});

async function opensslVerdict(s: Scenario): Promise<number | undefined> {
  const crls = await Promise.all(s.crlFiles.map((f) => fs.readFile(f, 'utf8')));
  return ws.opensslVerdict({ target: s.target, trusted: [s.trusted], untrusted: s.untrusted, crls, check: s.check, ...(s.at ? { at: s.at } : {}) });
}

/** Our verdict, with the CRLs given once as one PEM file and once as DER bytes read from them. */
async function ourVerdict(s: Scenario): Promise<ErrorCode | undefined> {
  const options = { trusted: [s.trusted], untrusted: s.untrusted, crlCheck: s.check, ...(s.at ? { at: s.at } : {}) };
  const verdict = async (crls: string | Uint8Array[]): Promise<ErrorCode | undefined> => {
    try {
      await validatePath(s.target, { ...options, crls });
      return undefined;
    } catch (e) {
      if (!isCmpError(e)) throw e;
      return e.code;
    }
  };
  const fromFile = await verdict(s.crlFiles.length > 0 ? await pki.bundle(s.crlFiles) : []);
  const der = await Promise.all(s.crlFiles.map(async (f) => pemToDer(await fs.readFile(f, 'utf8'))));
  expect(await verdict(der)).toBe(fromFile);
  return fromFile;
}

function pemToDer(pem: string): Uint8Array {
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));
}

async function expectAgreement(s: Scenario, expected: ErrorCode | undefined): Promise<void> {
  expect(await ourVerdict(s)).toBe(expected);
  const theirs = await opensslVerdict(s);
  if (expected === undefined) expect(theirs).toBeUndefined();
  else expect(opensslErrors[expected]).toContain(theirs);
}

describe('revocation checking agrees with openssl verify', () => {
  it('accepts a chain whose CRLs list nothing, checking the leaf or the whole chain', async () => {
    await expectAgreement(chain([rootCrl, intermediateCrl], 'leaf'), undefined);
    await expectAgreement(chain([rootCrl, intermediateCrl], 'all'), undefined);
  });

  it('rejects a revoked leaf with either check', async () => {
    const ca = await pki.intermediate(root, '/CN=CRL Test Revoking CA');
    const revoked = await ca.issue('/CN=CRL Test Revoked Leaf');
    await ca.revoke(revoked);
    const crl = await ca.crl();
    const scenario = { target: revoked, untrusted: [ca.cert] };
    await expectAgreement(chain([rootCrl, crl], 'leaf', scenario), 'ERR_PATH_REVOKED');
    await expectAgreement(chain([rootCrl, crl], 'all', scenario), 'ERR_PATH_REVOKED');
  });

  it('catches a revoked intermediate only when checking the whole chain', async () => {
    const ca = await pki.intermediate(root, '/CN=CRL Test Revoked CA');
    const below = await ca.issue('/CN=CRL Test Leaf Below Revoked CA');
    await root.revoke(ca.cert, 'cACompromise');
    const revokingRootCrl = await root.crl();
    const caCrl = await ca.crl();
    const scenario = { target: below, untrusted: [ca.cert] };
    await expectAgreement(chain([revokingRootCrl, caCrl], 'leaf', scenario), undefined);
    await expectAgreement(chain([revokingRootCrl, caCrl], 'all', scenario), 'ERR_PATH_REVOKED');
  });

  it('does not count an entry with reason removeFromCRL as revoked', async () => {
    const ca = await pki.intermediate(root, '/CN=CRL Test Removing CA');
    const removed = await ca.issue('/CN=CRL Test Removed Leaf');
    await ca.revoke(removed, 'removeFromCRL');
    await expectAgreement(chain([rootCrl, await ca.crl()], 'leaf', { target: removed, untrusted: [ca.cert] }), undefined);
  });

  it('rejects a CRL past its nextUpdate, and one not yet issued, at -attime', async () => {
    await expectAgreement(chain([rootCrl, intermediateCrl], 'leaf', { at: new Date(Date.now() + 3 * DAY) }), 'ERR_PATH_CRL_EXPIRED');
    await expectAgreement(chain([rootCrl, intermediateCrl], 'leaf', { at: new Date('2021-01-01T00:00:00Z') }), 'ERR_PATH_CRL_NOT_YET_VALID');
  });

  it('needs a CRL for every certificate it checks', async () => {
    await expectAgreement(chain([rootCrl], 'leaf'), 'ERR_PATH_CRL_MISSING');
    await expectAgreement(chain([intermediateCrl], 'leaf'), undefined);
    await expectAgreement(chain([intermediateCrl], 'all'), 'ERR_PATH_CRL_MISSING');
    await expectAgreement(chain([], 'leaf'), 'ERR_PATH_CRL_MISSING');
  });

  it('rejects a CRL signed by another key under the issuer’s name: unusable with a key identifier, failing without', async () => {
    const impostor = await pki.root('/CN=CRL Test Intermediate');
    // The key identifier names the impostor's key, so the CRL is no candidate for the real issuer.
    await expectAgreement(chain([rootCrl, await impostor.crl('crl_akid')], 'leaf'), 'ERR_PATH_CRL_MISSING');
    // Without one the CRL is chosen, and its signature does not verify with the issuer's key.
    await expectAgreement(chain([rootCrl, await impostor.crl('crl_plain')], 'leaf'), 'ERR_PATH_CRL_SIGNATURE');
  });

  it('rejects a CRL with an unknown critical extension', async () => {
    await expectAgreement(chain([rootCrl, await intermediate.crl('crl_unknown_critical')], 'leaf'), 'ERR_PATH_CRITICAL_EXTENSION');
  });

  it('with -ignore_critical, lets a CRL with an unknown critical extension clear a certificate, and still revoke', async () => {
    const crls = async () => Promise.all([rootCrl, await intermediate.crl('crl_unknown_critical')].map((f) => fs.readFile(f, 'utf8')));
    const s = { target: leaf, trusted: [root.cert], untrusted: [intermediate.cert], check: 'leaf' as const, ignoreCritical: true };
    await ws.expectAgreement({ ...s, crls: await crls() }, undefined);
    const revokedLeaf = await intermediate.issue('/CN=CRL Test Revoked Under Critical');
    await intermediate.revoke(revokedLeaf);
    await ws.expectAgreement({ ...s, target: revokedLeaf, crls: await crls() }, 'ERR_PATH_REVOKED');
  });

  it('rejects a CRL for end-entity certificates only when checking a CA certificate against it', async () => {
    const userOnlyRootCrl = await root.crl('crl_only_user');
    await expectAgreement(chain([userOnlyRootCrl, intermediateCrl], 'leaf'), undefined);
    await expectAgreement(chain([userOnlyRootCrl, intermediateCrl], 'all'), 'ERR_PATH_CRL_MISSING');
  });

  it('does not use an indirect CRL', async () => {
    await expectAgreement(chain([rootCrl, await intermediate.crl('crl_indirect')], 'leaf'), 'ERR_PATH_CRL_MISSING');
  });

  it('never takes a delta CRL for a complete one, where OpenSSL 3.0 does when it is the only CRL (later OpenSSL no longer does)', async () => {
    const delta = chain([rootCrl, await intermediate.crl('crl_delta')], 'leaf');
    expect(await ourVerdict(delta)).toBe('ERR_PATH_CRL_MISSING');
    // OpenSSL 3.0's get_crl_score skips deltas only with -extended_crl (an else-if), so it accepts.
    expect(await opensslVerdict(delta)).toBeUndefined();
  });

  it('rejects a CRL from an issuer whose keyUsage lacks cRLSign', async () => {
    const ca = await pki.intermediate(root, '/CN=CRL Test No CRLSign CA', 'v3_ca_no_crlsign');
    const below = await ca.issue('/CN=CRL Test Leaf Below No CRLSign');
    await expectAgreement(chain([rootCrl, await ca.crl()], 'leaf', { target: below, untrusted: [ca.cert] }), 'ERR_PATH_KEY_USAGE');
  });

  it('uses the newest of several CRLs, in whatever order they come', async () => {
    const ca = await pki.intermediate(root, '/CN=CRL Test Renewing CA');
    const later = await ca.issue('/CN=CRL Test Later Revoked');
    const before = await ca.crl();
    await ca.revoke(later);
    // thisUpdate has a resolution of one second.
    await new Promise((resolve) => setTimeout(resolve, 1100));
    const after = await ca.crl();
    const scenario = { target: later, untrusted: [ca.cert] };
    await expectAgreement(chain([rootCrl, before, after], 'leaf', scenario), 'ERR_PATH_REVOKED');
    await expectAgreement(chain([rootCrl, after, before], 'leaf', scenario), 'ERR_PATH_REVOKED');
  });
});
