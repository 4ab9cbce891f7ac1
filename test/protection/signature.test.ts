/**
 * Signature protection: what we sign verifies independently with node:crypto, and a received
 * signed message is accepted only as OpenSSL's cmp_vfy.c would: sender certificate searched in
 * extraCerts, untrusted, trusted; subject = sender, SKID = senderKID, current, digitalSignature,
 * signature valid, path valid. Each rejection has its own code.
 */
import { createPublicKey, verify as nodeVerify } from 'node:crypto';
import { AlgorithmIdentifier, GeneralName } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import {
  CertifiedKeyPair,
  CertOrEncCert,
  CertRepMessage,
  CertResponse,
  CmpOids,
  createInfoTypeAndValue,
  decodePkiMessage,
  PKIBody,
  PKIStatusInfo,
  type PKIMessage,
} from '../../src/asn1';
import { protectPkiMessage, verifyPkiMessageProtection, type VerifyOptions } from '../../src/protection';
import { DAY, generateKey, issueCa, issueLeaf, makeChain, type Issued, type TestChain } from '../pki/certificate-factory';
import { asnCertificate, genmMessage, messageParts, privateKeyOf, subjectKeyId, uniqueOffset, type GenmOptions } from './fixtures';

let chain: TestChain;
let root: x509.X509Certificate;
let intermediate: x509.X509Certificate;

beforeAll(async () => {
  chain = await makeChain('p256', 'Protection');
  root = chain.root.cert;
  intermediate = chain.intermediate.cert;
});

interface SignOptions extends Partial<GenmOptions> {
  /** null: no senderKID. Default: the signer's SKID. */
  kid?: Uint8Array | null;
}

/** A genm (or `body`) signed by `signer`, with extraCerts [signer, intermediate] unless told otherwise. */
async function signedDer(signer: Issued, opts: SignOptions = {}): Promise<Uint8Array> {
  const { kid, ...rest } = opts;
  const senderKID = kid === null ? undefined : (kid ?? subjectKeyId(signer.cert));
  const msg = genmMessage({
    sender: signer.cert,
    extraCerts: [signer.cert, intermediate],
    ...(senderKID ? { senderKID } : {}),
    ...rest,
  });
  return protectPkiMessage(msg, { kind: 'signature', key: await privateKeyOf(signer), cert: signer.cert });
}

/** The same, as received. */
async function signedBy(signer: Issued, opts: SignOptions = {}): Promise<PKIMessage> {
  return decodePkiMessage(await signedDer(signer, opts));
}

const trustingRoot = (): VerifyOptions => ({ trusted: [root], untrusted: [] });

function sameName(a: x509.X509Certificate, b: x509.X509Certificate): boolean {
  return Buffer.from(a.subjectName.toArrayBuffer()).equals(Buffer.from(b.subjectName.toArrayBuffer()));
}

async function codeOf(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
    return undefined;
  } catch (e) {
    return (e as { code?: string }).code;
  }
}

describe('protecting with a signature', () => {
  it.each([
    ['ECDSA P-256', 'p256' as const, undefined, 'sha256', '1.2.840.10045.4.3.2'],
    ['ECDSA P-256 with SHA-384', 'p256' as const, 'SHA-384' as const, 'sha384', '1.2.840.10045.4.3.3'],
    ['RSA', 'rsa' as const, undefined, 'sha256', '1.2.840.113549.1.1.11'],
    ['Ed25519', 'ed25519' as const, undefined, null, '1.3.101.112'],
  ])('with %s signs DER(ProtectedPart) of the message it returns, as node:crypto verifies', async (_, kind, digest, hash, oid) => {
    const signer = await issueLeaf({ subject: `CN=${kind} signer, O=cmpflow`, key: await generateKey(kind), issuer: chain.intermediate });
    const msg = genmMessage({ sender: signer.cert, senderKID: subjectKeyId(signer.cert) });
    const der = await protectPkiMessage(msg, {
      kind: 'signature',
      key: await privateKeyOf(signer),
      cert: signer.cert,
      ...(digest ? { digest } : {}),
    });
    expect(decodePkiMessage(der).header.protectionAlg!.algorithm).toBe(oid);
    const parts = messageParts(der);
    const publicKey = createPublicKey({ key: Buffer.from(signer.cert.publicKey.rawData), format: 'der', type: 'spki' });
    expect(nodeVerify(hash, parts.protectedPart, publicKey, parts.protection!)).toBe(true);
  });

  it('refuses a key that does not belong to the certificate (ERR_CREDENTIALS)', async () => {
    const stranger = await issueLeaf({ subject: 'CN=stranger, O=cmpflow', key: await generateKey('p256'), issuer: chain.intermediate });
    const config = { kind: 'signature' as const, key: await privateKeyOf(stranger), cert: chain.leaf.cert };
    expect(await codeOf(protectPkiMessage(genmMessage({ sender: chain.leaf.cert }), config))).toBe('ERR_CREDENTIALS');
  });

  it('refuses an algorithm that does not fit the key (ERR_INVALID_OPTION)', async () => {
    const config = {
      kind: 'signature' as const,
      key: await privateKeyOf(chain.leaf),
      cert: chain.leaf.cert,
      algorithm: { scheme: 'rsa-pkcs1' as const, hash: 'SHA-256' as const },
    };
    expect(await codeOf(protectPkiMessage(genmMessage({ sender: chain.leaf.cert }), config))).toBe('ERR_INVALID_OPTION');
  });
});

describe('finding the signer', () => {
  it('accepts a message signed by the sender certificate in extraCerts, reporting its path to the trusted root', async () => {
    const verified = await verifyPkiMessageProtection(await signedBy(chain.leaf), trustingRoot());
    expect(verified).toEqual({ kind: 'signature', signer: chain.leaf.cert, chain: [chain.leaf.cert, intermediate, root] });
  });

  it('finds the sender certificate among the untrusted certificates when extraCerts lack it', async () => {
    const msg = await signedBy(chain.leaf, { extraCerts: [intermediate] });
    const verified = await verifyPkiMessageProtection(msg, { trusted: [root], untrusted: [chain.leaf.cert] });
    expect(verified).toMatchObject({ kind: 'signature', signer: chain.leaf.cert });
  });

  it('finds the sender certificate among the trusted certificates', async () => {
    const msg = await signedBy(chain.leaf, { extraCerts: [intermediate] });
    const verified = await verifyPkiMessageProtection(msg, { trusted: [root, chain.leaf.cert], untrusted: [] });
    expect(verified).toMatchObject({ kind: 'signature', signer: chain.leaf.cert, chain: [chain.leaf.cert, intermediate, root] });
  });

  it('moves on to the next candidate when a certificate of the sender name did not sign', async () => {
    // Same subject, another key: the impostor comes first (extraCerts) and must not stop the search.
    const impostor = await issueLeaf({ subject: chain.leaf.cert.subject, key: await generateKey('p256'), issuer: chain.intermediate });
    expect(sameName(impostor.cert, chain.leaf.cert)).toBe(true);
    const msg = await signedBy(chain.leaf, { extraCerts: [impostor.cert, intermediate], kid: null });
    const verified = await verifyPkiMessageProtection(msg, { trusted: [root], untrusted: [chain.leaf.cert] });
    expect(verified).toMatchObject({ kind: 'signature', signer: chain.leaf.cert });
  });

  it('accepts a signer without subject key identifier whatever the senderKID', async () => {
    const signer = await issueLeaf({
      subject: 'CN=no SKID, O=cmpflow',
      key: await generateKey('p256'),
      issuer: chain.intermediate,
      keyIdentifiers: false,
    });
    const msg = await signedBy(signer, { kid: Uint8Array.of(1, 2, 3, 4) });
    expect(await verifyPkiMessageProtection(msg, trustingRoot())).toMatchObject({ kind: 'signature', signer: signer.cert });
  });
});

describe('rejecting the signer', () => {
  it('with ERR_SENDER_KID_MISMATCH when the senderKID is not the subject key identifier', async () => {
    const msg = await signedBy(chain.leaf, { kid: Uint8Array.of(1, 2, 3, 4) });
    expect(await codeOf(verifyPkiMessageProtection(msg, trustingRoot()))).toBe('ERR_SENDER_KID_MISMATCH');
  });

  it('with ERR_SENDER_KEY_USAGE when its keyUsage lacks digitalSignature, unless key usage is ignored', async () => {
    const signer = await issueLeaf({
      subject: 'CN=key encipherment only, O=cmpflow',
      key: await generateKey('p256'),
      issuer: chain.intermediate,
      keyUsage: x509.KeyUsageFlags.keyEncipherment,
    });
    const msg = await signedBy(signer);
    expect(await codeOf(verifyPkiMessageProtection(msg, trustingRoot()))).toBe('ERR_SENDER_KEY_USAGE');
    expect(await verifyPkiMessageProtection(msg, { ...trustingRoot(), ignoreKeyUsage: true })).toMatchObject({
      kind: 'signature',
      signer: signer.cert,
    });
  });

  it('with ERR_PATH_EXPIRED when it has expired, unless time checks are off', async () => {
    const now = Date.now();
    const signer = await issueLeaf({
      subject: 'CN=expired, O=cmpflow',
      key: await generateKey('p256'),
      issuer: chain.intermediate,
      notBefore: new Date(now - 10 * DAY),
      notAfter: new Date(now - 2 * DAY),
    });
    const msg = await signedBy(signer);
    expect(await codeOf(verifyPkiMessageProtection(msg, trustingRoot()))).toBe('ERR_PATH_EXPIRED');
    expect(await verifyPkiMessageProtection(msg, { ...trustingRoot(), verification: { noCheckTime: true } })).toMatchObject({ kind: 'signature' });
  });

  it('with ERR_PATH_NOT_CA when its issuer is an intermediate with cA FALSE', async () => {
    const notCa = await issueCa({
      subject: 'CN=Not a CA, O=cmpflow',
      key: await generateKey('p256'),
      issuer: chain.root,
      basicConstraints: { cA: false },
    });
    const signer = await issueLeaf({ subject: 'CN=under a non-CA, O=cmpflow', key: await generateKey('p256'), issuer: notCa });
    const msg = await signedBy(signer, { extraCerts: [signer.cert, notCa.cert] });
    expect(await codeOf(verifyPkiMessageProtection(msg, trustingRoot()))).toBe('ERR_PATH_NOT_CA');
  });

  it('with ERR_PATH_NO_ANCHOR when its root is not trusted', async () => {
    const other = await makeChain('p256', 'Other');
    const msg = await signedBy(chain.leaf, { extraCerts: [chain.leaf.cert, intermediate, root] });
    expect(await codeOf(verifyPkiMessageProtection(msg, { trusted: [other.root.cert], untrusted: [] }))).toBe('ERR_PATH_NO_ANCHOR');
  });

  it('with ERR_PROTECTION_INVALID when the signature does not verify (tampered body)', async () => {
    const der = await signedDer(chain.leaf, { itavs: [createInfoTypeAndValue(CmpOids.idItSignKeyPairTypes)] });
    const oid = Uint8Array.of(0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x04, 0x02);
    der[uniqueOffset(der, oid) + oid.length - 1] = 0x03; // signKeyPairTypes -> encKeyPairTypes
    expect(await codeOf(verifyPkiMessageProtection(decodePkiMessage(der), trustingRoot()))).toBe('ERR_PROTECTION_INVALID');
  });

  it('with ERR_PROTECTION_ALG_MISMATCH when the protectionAlg does not fit the key', async () => {
    const msg = await signedBy(chain.leaf);
    msg.header.protectionAlg = new AlgorithmIdentifier({ algorithm: '1.2.840.113549.1.1.11', parameters: null }); // sha256WithRSAEncryption
    expect(await codeOf(verifyPkiMessageProtection(msg, trustingRoot()))).toBe('ERR_PROTECTION_ALG_MISMATCH');
    expect(await codeOf(verifyPkiMessageProtection(msg, { ...trustingRoot(), srvCert: chain.leaf.cert }))).toBe('ERR_PROTECTION_ALG_MISMATCH');
  });

  it('with ERR_SENDER_CERT_NOT_FOUND when no certificate has the sender name', async () => {
    const msg = await signedBy(chain.leaf, { sender: '/CN=nobody we know' });
    expect(await codeOf(verifyPkiMessageProtection(msg, trustingRoot()))).toBe('ERR_SENDER_CERT_NOT_FOUND');
  });

  it('with ERR_SENDER_CERT_NOT_FOUND when the sender is not a directoryName', async () => {
    const msg = await signedBy(chain.leaf);
    msg.header.sender = new GeneralName({ dNSName: 'cmp.example' });
    expect(await codeOf(verifyPkiMessageProtection(msg, trustingRoot()))).toBe('ERR_SENDER_CERT_NOT_FOUND');
  });

  it('with ERR_UNSUPPORTED_ALGORITHM for a signature algorithm it does not know', async () => {
    const msg = await signedBy(chain.leaf);
    msg.header.protectionAlg = new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.3.2' }); // dsa-with-sha256
    expect(await codeOf(verifyPkiMessageProtection(msg, trustingRoot()))).toBe('ERR_UNSUPPORTED_ALGORITHM');
  });

  it('reports the candidate that got furthest: an expired signer over another with a different key identifier', async () => {
    const now = Date.now();
    const expired = await issueLeaf({
      subject: chain.leaf.cert.subject,
      key: chain.leaf.key,
      issuer: chain.intermediate,
      notBefore: new Date(now - 10 * DAY),
      notAfter: new Date(now - 2 * DAY),
    });
    const otherKey = await issueLeaf({ subject: chain.leaf.cert.subject, key: await generateKey('p256'), issuer: chain.intermediate });
    expect(sameName(otherKey.cert, expired.cert)).toBe(true);
    const msg = await signedBy(expired, { extraCerts: [otherKey.cert, expired.cert, intermediate] });
    expect(await codeOf(verifyPkiMessageProtection(msg, trustingRoot()))).toBe('ERR_PATH_EXPIRED');
  });
});

describe('a pinned server certificate', () => {
  it('is the signer without needing a trust anchor', async () => {
    const msg = await signedBy(chain.leaf, { extraCerts: undefined });
    expect(await verifyPkiMessageProtection(msg, { trusted: [], untrusted: [], srvCert: chain.leaf.cert })).toEqual({
      kind: 'signature',
      signer: chain.leaf.cert,
      chain: [chain.leaf.cert],
    });
  });

  it('that did not sign gives ERR_SRVCERT_DID_NOT_SIGN, even when the real signer would validate', async () => {
    const pinned = await issueLeaf({ subject: 'CN=pinned server, O=cmpflow', key: await generateKey('p256'), issuer: chain.intermediate });
    const msg = await signedBy(chain.leaf);
    expect(await codeOf(verifyPkiMessageProtection(msg, { ...trustingRoot(), srvCert: pinned.cert }))).toBe('ERR_SRVCERT_DID_NOT_SIGN');
  });

  it('is still checked for its validity period and key usage', async () => {
    const now = Date.now();
    const expired = await issueLeaf({
      subject: 'CN=expired pinned, O=cmpflow',
      key: await generateKey('p256'),
      issuer: chain.intermediate,
      notBefore: new Date(now - 10 * DAY),
      notAfter: new Date(now - 2 * DAY),
    });
    expect(await codeOf(verifyPkiMessageProtection(await signedBy(expired), { trusted: [], untrusted: [], srvCert: expired.cert }))).toBe(
      'ERR_PATH_EXPIRED',
    );
    const noSigning = await issueLeaf({
      subject: 'CN=no signing, O=cmpflow',
      key: await generateKey('p256'),
      issuer: chain.intermediate,
      keyUsage: x509.KeyUsageFlags.keyAgreement,
    });
    expect(await codeOf(verifyPkiMessageProtection(await signedBy(noSigning), { trusted: [], untrusted: [], srvCert: noSigning.cert }))).toBe(
      'ERR_SENDER_KEY_USAGE',
    );
  });
});

describe('3GPP mode (a trust anchor from the extraCerts of an ip)', () => {
  async function ipSignedBy(signer: Issued, enrolled: Issued): Promise<PKIMessage> {
    const response = new CertResponse({
      certReqId: 0n,
      status: new PKIStatusInfo({ status: 0 }),
      certifiedKeyPair: new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ certificate: asnCertificate(enrolled.cert) }) }),
    });
    return signedBy(signer, {
      body: new PKIBody({ ip: new CertRepMessage({ response: [response] }) }),
      extraCerts: [signer.cert, intermediate, root],
    });
  }

  let enrolled: Issued;
  beforeAll(async () => {
    enrolled = await issueLeaf({ subject: 'CN=enrolled, O=cmpflow', key: await generateKey('p256'), issuer: chain.intermediate });
  });

  it('is off by default: a root only in extraCerts is no anchor', async () => {
    expect(await codeOf(verifyPkiMessageProtection(await ipSignedBy(chain.leaf, enrolled), { trusted: [], untrusted: [] }))).toBe(
      'ERR_PATH_NO_ANCHOR',
    );
  });

  it('accepts the self-signed root in extraCerts when the enrolled certificate validates under it too', async () => {
    const verified = await verifyPkiMessageProtection(await ipSignedBy(chain.leaf, enrolled), {
      trusted: [],
      untrusted: [],
      permitTaInExtraCertsForIr: true,
    });
    expect(verified).toEqual({ kind: 'signature', signer: chain.leaf.cert, chain: [chain.leaf.cert, intermediate, root] });
  });

  it('refuses when the enrolled certificate does not validate under that root', async () => {
    const other = await makeChain('p256', 'Elsewhere');
    const msg = await ipSignedBy(chain.leaf, other.leaf);
    expect(await codeOf(verifyPkiMessageProtection(msg, { trusted: [], untrusted: [], permitTaInExtraCertsForIr: true }))).toBe('ERR_PATH_NO_ANCHOR');
  });

  it('applies to an ip only', async () => {
    const genm = await signedBy(chain.leaf, { extraCerts: [chain.leaf.cert, intermediate, root] });
    expect(await codeOf(verifyPkiMessageProtection(genm, { trusted: [], untrusted: [], permitTaInExtraCertsForIr: true }))).toBe(
      'ERR_PATH_NO_ANCHOR',
    );
  });
});
