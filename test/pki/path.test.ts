import * as x509 from '@peculiar/x509';
import { checkPath, validatePath } from '../../src/pki/path';
import { ErrorCodes } from '../../src/errors';
import { DAY, generateKey, issueCa, issueLeaf, makeChain, unknownExtension, type Issued, type KeyKind, type TestChain } from './certificate-factory';

const rejectsWith = (promise: Promise<unknown>, code: string) => expect(promise).rejects.toMatchObject({ name: 'CmpError', code });

let chain: TestChain;

beforeAll(async () => {
  chain = await makeChain('p256');
});

describe('validatePath accepts valid paths', () => {
  it('returns root -> intermediate -> leaf as [leaf, intermediate, root]', async () => {
    const path = await validatePath(chain.leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] });
    expect(path).toEqual([chain.leaf.cert, chain.intermediate.cert, chain.root.cert]);
  });

  it('accepts a leaf issued directly by the trusted root', async () => {
    const leaf = await issueLeaf({ subject: 'CN=Direct Leaf', key: await generateKey(), issuer: chain.root });
    expect(await validatePath(leaf.cert, { trusted: [chain.root.cert] })).toEqual([leaf.cert, chain.root.cert]);
  });

  it.each<KeyKind>(['rsa', 'p256', 'ed25519'])('verifies %s signatures along the path', async (kind) => {
    const c = await makeChain(kind, kind);
    const path = await validatePath(c.leaf.cert, { trusted: [c.root.cert], untrusted: [c.intermediate.cert] });
    expect(path).toHaveLength(3);
  });

  it('accepts a trusted self-signed target as a path of one', async () => {
    expect(await validatePath(chain.root.cert, { trusted: [chain.root.cert] })).toEqual([chain.root.cert]);
  });

  it('ignores the order and duplicates of the certificate pools', async () => {
    const path = await validatePath(chain.leaf.cert, {
      trusted: [chain.root.cert],
      untrusted: [chain.root.cert, chain.leaf.cert, chain.intermediate.cert, chain.intermediate.cert],
    });
    expect(path).toEqual([chain.leaf.cert, chain.intermediate.cert, chain.root.cert]);
  });

  it('matches issuer and subject names case-insensitively and ignoring repeated spaces (RFC 5280 7.1)', async () => {
    const leaf = await issueLeaf({
      subject: 'CN=Sloppy Leaf',
      key: await generateKey(),
      issuer: chain.intermediate,
      issuerName: 'CN=test   INTERMEDIATE ca, O=CMPFLOW',
    });
    const path = await validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] });
    expect(path[1]).toBe(chain.intermediate.cert);
  });

  it('does not check the trust anchor’s own signature, as OpenSSL does not', async () => {
    const key = await generateKey();
    const forger = await generateKey();
    const root = await issueCa({ subject: 'CN=Badly Self-Signed Root', key, signingKey: forger });
    const leaf = await issueLeaf({ subject: 'CN=Leaf Of Badly Signed Root', key: await generateKey(), issuer: root });
    expect(await validatePath(leaf.cert, { trusted: [root.cert] })).toEqual([leaf.cert, root.cert]);
  });
});

describe('validatePath checks validity periods', () => {
  it('rejects an expired leaf with ERR_PATH_EXPIRED', async () => {
    const leaf = await issueLeaf({
      subject: 'CN=Expired Leaf',
      key: await generateKey(),
      issuer: chain.intermediate,
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    await rejectsWith(validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] }), ErrorCodes.ERR_PATH_EXPIRED);
  });

  it('rejects a not-yet-valid intermediate with ERR_PATH_NOT_YET_VALID', async () => {
    const intermediate = await issueCa({
      subject: 'CN=Future Intermediate',
      key: await generateKey(),
      issuer: chain.root,
      notBefore: new Date(Date.now() + DAY),
      notAfter: new Date(Date.now() + 30 * DAY),
    });
    const leaf = await issueLeaf({ subject: 'CN=Leaf Of Future', key: await generateKey(), issuer: intermediate });
    await rejectsWith(validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [intermediate.cert] }), ErrorCodes.ERR_PATH_NOT_YET_VALID);
  });

  it('checks the trust anchor’s validity too, as OpenSSL does', async () => {
    const root = await issueCa({
      subject: 'CN=Expired Root',
      key: await generateKey(),
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const leaf = await issueLeaf({ subject: 'CN=Leaf Of Expired Root', key: await generateKey(), issuer: root });
    await rejectsWith(validatePath(leaf.cert, { trusted: [root.cert] }), ErrorCodes.ERR_PATH_EXPIRED);
  });

  it('validates at the time given by `at`', async () => {
    const notBefore = new Date('2020-01-01T00:00:00Z');
    const notAfter = new Date('2021-01-01T00:00:00Z');
    const leaf = await issueLeaf({ subject: 'CN=Leaf Of 2020', key: await generateKey(), issuer: chain.root, notBefore, notAfter });
    const root = { trusted: [chain.root.cert], noCheckTime: false };
    // The root was made yesterday: in 2020 it is not valid yet.
    await rejectsWith(validatePath(leaf.cert, { ...root, at: new Date('2020-06-01T00:00:00Z') }), ErrorCodes.ERR_PATH_NOT_YET_VALID);
    await rejectsWith(validatePath(leaf.cert, root), ErrorCodes.ERR_PATH_EXPIRED);
    await rejectsWith(
      validatePath(chain.leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert], at: new Date(Date.now() + 400 * DAY) }),
      ErrorCodes.ERR_PATH_EXPIRED,
    );
    const path = await validatePath(chain.leaf.cert, {
      trusted: [chain.root.cert],
      untrusted: [chain.intermediate.cert],
      at: new Date(Date.now() + 300 * DAY),
    });
    expect(path).toHaveLength(3);
  });

  it('accepts validity boundaries: valid at notBefore and at notAfter', async () => {
    const opts = { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] };
    const latestStart = new Date(Math.max(...[chain.root, chain.intermediate, chain.leaf].map((c) => c.cert.notBefore.getTime())));
    const earliestEnd = new Date(Math.min(...[chain.root, chain.intermediate, chain.leaf].map((c) => c.cert.notAfter.getTime())));
    await expect(validatePath(chain.leaf.cert, { ...opts, at: latestStart })).resolves.toHaveLength(3);
    await expect(validatePath(chain.leaf.cert, { ...opts, at: earliestEnd })).resolves.toHaveLength(3);
    await rejectsWith(validatePath(chain.leaf.cert, { ...opts, at: new Date(earliestEnd.getTime() + 1000) }), ErrorCodes.ERR_PATH_EXPIRED);
  });

  it('skips validity periods with noCheckTime', async () => {
    const leaf = await issueLeaf({
      subject: 'CN=Expired But Unchecked',
      key: await generateKey(),
      issuer: chain.intermediate,
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const path = await validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert], noCheckTime: true });
    expect(path).toHaveLength(3);
  });
});

describe('validatePath checks what issuers may do', () => {
  /** A leaf under an intermediate (issued by the shared root) built from `intermediateSpec`. */
  async function validateThrough(intermediateSpec: Partial<Parameters<typeof issueCa>[0]>): Promise<() => Promise<x509.X509Certificate[]>> {
    const intermediate = await issueCa({ subject: 'CN=Doubtful Intermediate', key: await generateKey(), issuer: chain.root, ...intermediateSpec });
    const leaf = await issueLeaf({ subject: 'CN=Leaf Of Doubtful', key: await generateKey(), issuer: intermediate });
    return () => validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [intermediate.cert] });
  }

  it('rejects an intermediate whose basicConstraints say cA FALSE with ERR_PATH_NOT_CA', async () => {
    await rejectsWith((await validateThrough({ basicConstraints: { cA: false } }))(), ErrorCodes.ERR_PATH_NOT_CA);
  });

  it('rejects an intermediate without basicConstraints with ERR_PATH_NOT_CA', async () => {
    await rejectsWith((await validateThrough({ basicConstraints: null }))(), ErrorCodes.ERR_PATH_NOT_CA);
  });

  it('accepts a CA whose basicConstraints are not critical', async () => {
    await expect((await validateThrough({ basicConstraints: { cA: true, critical: false } }))()).resolves.toHaveLength(3);
  });

  it('rejects an issuer whose keyUsage lacks keyCertSign with ERR_PATH_KEY_USAGE', async () => {
    await rejectsWith(
      (await validateThrough({ keyUsage: x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.cRLSign }))(),
      ErrorCodes.ERR_PATH_KEY_USAGE,
    );
  });

  it('accepts an issuer without keyUsage', async () => {
    await expect((await validateThrough({ keyUsage: null }))()).resolves.toHaveLength(3);
  });

  it('rejects a second intermediate below a pathLenConstraint of 0 with ERR_PATH_LENGTH', async () => {
    const first = await issueCa({
      subject: 'CN=PathLen0 CA',
      key: await generateKey(),
      issuer: chain.root,
      basicConstraints: { cA: true, pathLen: 0 },
    });
    const second = await issueCa({ subject: 'CN=Below PathLen0 CA', key: await generateKey(), issuer: first });
    const leaf = await issueLeaf({ subject: 'CN=Too Deep Leaf', key: await generateKey(), issuer: second });
    await rejectsWith(validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [first.cert, second.cert] }), ErrorCodes.ERR_PATH_LENGTH);
    // The same CA may issue end-entity certificates directly.
    const direct = await issueLeaf({ subject: 'CN=Allowed Leaf', key: await generateKey(), issuer: first });
    await expect(validatePath(direct.cert, { trusted: [chain.root.cert], untrusted: [first.cert] })).resolves.toHaveLength(3);
  });

  it('does not count self-issued intermediates against pathLenConstraint (RFC 5280 6.1.4 (l))', async () => {
    const first = await issueCa({
      subject: 'CN=Rollover CA',
      key: await generateKey(),
      issuer: chain.root,
      basicConstraints: { cA: true, pathLen: 0 },
    });
    // Key rollover: the new key's certificate is issued by the old key under the same name.
    const rolled = await issueCa({ subject: 'CN=Rollover CA', key: await generateKey(), issuer: first });
    const leaf = await issueLeaf({ subject: 'CN=Leaf After Rollover', key: await generateKey(), issuer: rolled });
    const path = await validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [first.cert, rolled.cert] });
    expect(path).toEqual([leaf.cert, rolled.cert, first.cert, chain.root.cert]);
  });

  it('rejects a certificate signed by another key under its issuer’s name with ERR_PATH_SIGNATURE', async () => {
    const impostor = await generateKey();
    const leaf = await issueLeaf({ subject: 'CN=Forged Leaf', key: await generateKey(), issuer: chain.intermediate, signingKey: impostor });
    await rejectsWith(validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] }), ErrorCodes.ERR_PATH_SIGNATURE);
  });

  it('rejects an unknown critical extension with ERR_PATH_CRITICAL_EXTENSION and ignores a non-critical one', async () => {
    const critical = await issueLeaf({
      subject: 'CN=Odd Leaf',
      key: await generateKey(),
      issuer: chain.intermediate,
      extensions: [unknownExtension(true)],
    });
    const opts = { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] };
    await rejectsWith(validatePath(critical.cert, opts), ErrorCodes.ERR_PATH_CRITICAL_EXTENSION);
    const plain = await issueLeaf({
      subject: 'CN=Odd Leaf',
      key: await generateKey(),
      issuer: chain.intermediate,
      extensions: [unknownExtension(false)],
    });
    await expect(validatePath(plain.cert, opts)).resolves.toHaveLength(3);
  });

  it('rejects an unknown critical extension in an intermediate too', async () => {
    await rejectsWith((await validateThrough({ extensions: [unknownExtension(true)] }))(), ErrorCodes.ERR_PATH_CRITICAL_EXTENSION);
  });
});

describe('validatePath refuses malformed extensions', () => {
  it('rejects a repeated extension with ERR_PATH_INVALID_EXTENSION', async () => {
    const leaf = await issueLeaf({
      subject: 'CN=Twice Constrained',
      key: await generateKey(),
      issuer: chain.intermediate,
      extensions: [new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.1']), new x509.ExtendedKeyUsageExtension(['1.3.6.1.5.5.7.3.2'])],
    });
    await rejectsWith(
      validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] }),
      ErrorCodes.ERR_PATH_INVALID_EXTENSION,
    );
  });

  it('rejects an undecodable basicConstraints with ERR_PATH_INVALID_EXTENSION', async () => {
    const intermediate = await issueCa({
      subject: 'CN=Garbled CA',
      key: await generateKey(),
      issuer: chain.root,
      basicConstraints: null,
      extensions: [new x509.Extension('2.5.29.19', true, new Uint8Array([0x04, 0x01, 0xff]))],
    });
    const leaf = await issueLeaf({ subject: 'CN=Leaf Of Garbled', key: await generateKey(), issuer: intermediate });
    await rejectsWith(validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [intermediate.cert] }), ErrorCodes.ERR_PATH_INVALID_EXTENSION);
  });

  it('treats a wrong authority key identifier as a hint, not a requirement', async () => {
    const leaf = await issueLeaf({
      subject: 'CN=Misdirected Leaf',
      key: await generateKey(),
      issuer: chain.intermediate,
      keyIdentifiers: false,
      extensions: [new x509.AuthorityKeyIdentifierExtension('0102030405060708090a0b0c0d0e0f1011121314')],
    });
    await expect(validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] })).resolves.toHaveLength(3);
  });
});

describe('validatePath and the trust anchor’s CA status', () => {
  it('accepts a root without basicConstraints whose keyUsage allows keyCertSign, as OpenSSL does', async () => {
    const root = await issueCa({ subject: 'CN=Old Style Root', key: await generateKey(), basicConstraints: null });
    const leaf = await issueLeaf({ subject: 'CN=Leaf Of Old Style', key: await generateKey(), issuer: root });
    await expect(validatePath(leaf.cert, { trusted: [root.cert] })).resolves.toHaveLength(2);
  });

  it('rejects a v3 root with neither basicConstraints nor keyUsage with ERR_PATH_NOT_CA', async () => {
    const root = await issueCa({ subject: 'CN=Bare Root', key: await generateKey(), basicConstraints: null, keyUsage: null });
    const leaf = await issueLeaf({ subject: 'CN=Leaf Of Bare', key: await generateKey(), issuer: root });
    await rejectsWith(validatePath(leaf.cert, { trusted: [root.cert] }), ErrorCodes.ERR_PATH_NOT_CA);
  });
});

describe('checkPath on a given path', () => {
  it('accepts a correctly ordered path', async () => {
    await expect(checkPath([chain.leaf.cert, chain.intermediate.cert, chain.root.cert])).resolves.toBeUndefined();
  });

  it('rejects a path whose names do not chain with ERR_PATH_NAME_CHAINING', async () => {
    await rejectsWith(checkPath([chain.leaf.cert, chain.root.cert]), ErrorCodes.ERR_PATH_NAME_CHAINING);
    await rejectsWith(checkPath([chain.intermediate.cert, chain.leaf.cert, chain.root.cert]), ErrorCodes.ERR_PATH_NAME_CHAINING);
  });
});

describe('validatePath needs a trust anchor', () => {
  it('rejects a path to a root that is not trusted with ERR_PATH_NO_ANCHOR', async () => {
    const other = await makeChain('p256', 'Other');
    await rejectsWith(
      validatePath(chain.leaf.cert, { trusted: [other.root.cert], untrusted: [chain.intermediate.cert, chain.root.cert] }),
      ErrorCodes.ERR_PATH_NO_ANCHOR,
    );
  });

  it('rejects a missing intermediate with ERR_PATH_NO_ANCHOR', async () => {
    await rejectsWith(validatePath(chain.leaf.cert, { trusted: [chain.root.cert] }), ErrorCodes.ERR_PATH_NO_ANCHOR);
  });

  it('rejects an untrusted self-signed target with ERR_PATH_NO_ANCHOR', async () => {
    await rejectsWith(validatePath(chain.root.cert, { trusted: [], untrusted: [chain.root.cert] }), ErrorCodes.ERR_PATH_NO_ANCHOR);
  });

  it('ends the path at a trusted intermediate only with partialChain', async () => {
    const opts = { trusted: [chain.intermediate.cert] };
    await rejectsWith(validatePath(chain.leaf.cert, opts), ErrorCodes.ERR_PATH_NO_ANCHOR);
    expect(await validatePath(chain.leaf.cert, { ...opts, partialChain: true })).toEqual([chain.leaf.cert, chain.intermediate.cert]);
  });

  it('goes past a trusted intermediate to a trusted root without partialChain', async () => {
    const path = await validatePath(chain.leaf.cert, { trusted: [chain.intermediate.cert, chain.root.cert] });
    expect(path).toEqual([chain.leaf.cert, chain.intermediate.cert, chain.root.cert]);
  });

  it('accepts a trusted target that is not self-signed as a path of one with partialChain', async () => {
    expect(await validatePath(chain.leaf.cert, { trusted: [chain.leaf.cert], partialChain: true })).toEqual([chain.leaf.cert]);
    await rejectsWith(validatePath(chain.leaf.cert, { trusted: [chain.leaf.cert] }), ErrorCodes.ERR_PATH_NO_ANCHOR);
  });
});

describe('validatePath backtracks through candidate issuers', () => {
  let twins: { first: Issued; second: Issued };

  beforeAll(async () => {
    const name = 'CN=Twin Intermediate, O=cmpflow';
    twins = {
      first: await issueCa({ subject: name, key: await generateKey(), issuer: chain.root }),
      second: await issueCa({ subject: name, key: await generateKey(), issuer: chain.root }),
    };
  });

  it('tries the next issuer of the same name when the first does not verify the signature', async () => {
    // Without key identifiers nothing tells the two apart before the signature check.
    const leaf = await issueLeaf({ subject: 'CN=Child Of Second Twin', key: await generateKey(), issuer: twins.second, keyIdentifiers: false });
    const path = await validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [twins.first.cert, twins.second.cert] });
    expect(path).toEqual([leaf.cert, twins.second.cert, chain.root.cert]);
  });

  it('tries the next issuer when the first verifies but leads to no trust anchor', async () => {
    const key = await generateKey();
    const rogueRoot = await issueCa({ subject: 'CN=Test Root CA, O=cmpflow', key: await generateKey() });
    const name = 'CN=Cross Intermediate, O=cmpflow';
    const viaRogue = await issueCa({ subject: name, key, issuer: rogueRoot, keyIdentifiers: false });
    const viaRoot = await issueCa({ subject: name, key, issuer: chain.root, keyIdentifiers: false });
    const leaf = await issueLeaf({ subject: 'CN=Child Of Cross', key: await generateKey(), issuer: viaRoot, keyIdentifiers: false });
    const path = await validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [viaRogue.cert, rogueRoot.cert, viaRoot.cert] });
    expect(path).toEqual([leaf.cert, viaRoot.cert, chain.root.cert]);
  });

  it('reports the failure of the most advanced attempt: an expired issuer, not a dead end', async () => {
    const key = await generateKey();
    const name = 'CN=Aging Intermediate, O=cmpflow';
    const deadEnd = await issueCa({ subject: name, key, issuer: await issueCa({ subject: 'CN=Nobody Trusts Me', key: await generateKey() }) });
    const expired = await issueCa({
      subject: name,
      key,
      issuer: chain.root,
      notBefore: new Date(Date.now() - 30 * DAY),
      notAfter: new Date(Date.now() - DAY),
    });
    const leaf = await issueLeaf({ subject: 'CN=Child Of Aging', key: await generateKey(), issuer: expired, keyIdentifiers: false });
    await rejectsWith(validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [deadEnd.cert, expired.cert] }), ErrorCodes.ERR_PATH_EXPIRED);
    await rejectsWith(validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [expired.cert, deadEnd.cert] }), ErrorCodes.ERR_PATH_EXPIRED);
  });

  it('reports a failing signature rather than a missing anchor when a same-named trusted root has another key', async () => {
    const lookalike = await issueCa({ subject: 'CN=Test Root CA, O=cmpflow', key: await generateKey() });
    await rejectsWith(
      validatePath(chain.leaf.cert, { trusted: [lookalike.cert], untrusted: [chain.intermediate.cert] }),
      ErrorCodes.ERR_PATH_SIGNATURE,
    );
  });

  it('terminates on certificates that certify each other', async () => {
    const a = await generateKey();
    const b = await generateKey();
    const aSelf = await issueCa({ subject: 'CN=Loop A', key: a });
    const bSelf = await issueCa({ subject: 'CN=Loop B', key: b });
    const aByB = await issueCa({ subject: 'CN=Loop A', key: a, issuer: bSelf, keyIdentifiers: false });
    const bByA = await issueCa({ subject: 'CN=Loop B', key: b, issuer: aSelf, keyIdentifiers: false });
    const leaf = await issueLeaf({ subject: 'CN=Loop Leaf', key: await generateKey(), issuer: aByB, keyIdentifiers: false });
    await rejectsWith(validatePath(leaf.cert, { trusted: [chain.root.cert], untrusted: [aByB.cert, bByA.cert] }), ErrorCodes.ERR_PATH_NO_ANCHOR);
  });
});

describe('validatePath options', () => {
  it('limits the number of intermediates with maxDepth', async () => {
    const opts = { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] };
    await rejectsWith(validatePath(chain.leaf.cert, { ...opts, maxDepth: 0 }), ErrorCodes.ERR_PATH_LENGTH);
    await expect(validatePath(chain.leaf.cert, { ...opts, maxDepth: 1 })).resolves.toHaveLength(3);
  });

  it.each([
    ['a negative maxDepth', { maxDepth: -1 }],
    ['a fractional maxDepth', { maxDepth: 1.5 }],
    ['an invalid date', { at: new Date(Number.NaN) }],
    ['untrusted that is no array', { untrusted: 'x' as unknown as x509.X509Certificate[] }],
    ['trusted that is no array', { trusted: undefined as unknown as x509.X509Certificate[] }],
  ])('rejects %s with ERR_INVALID_OPTION', async (_what, bad) => {
    await rejectsWith(validatePath(chain.leaf.cert, { trusted: [chain.root.cert], ...bad }), ErrorCodes.ERR_INVALID_OPTION);
  });
});
