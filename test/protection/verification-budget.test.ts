/**
 * What a signature-protected message may make us verify: one budget per message, shared by the
 * sender search and every path search it starts, so certificates stuffed into extraCerts cost a
 * bounded number of signature verifications, however many name the sender or its issuer. The
 * counts come from the crypto provider itself, so they include every verification made.
 */
import * as x509 from '@peculiar/x509';
import { decodePkiMessage, type PKIMessage } from '../../src/asn1';
import { getCryptoProvider, setCryptoProvider, type CryptoProvider } from '../../src/crypto';
import { CmpError, ErrorCodes } from '../../src/errors';
import { protectPkiMessage, verifyPkiMessageProtection } from '../../src/protection';
import { validatePath } from '../../src/pki/path';
import { defaultVerificationLimits, VerificationBudget } from '../../src/pki/verification-budget';
import { generateKey, issueCa, issueLeaf, makeChain, type Issued, type TestChain, type TestKey } from '../pki/certificate-factory';
import { genmMessage, privateKeyOf } from './fixtures';

const SENDER = 'CN=Stuffed Server, O=cmpflow';
const ISSUER = 'CN=Stuffed Issuing CA, O=cmpflow';
const LOOK_ALIKES = 100;

/** Runs `work` while counting the signature verifications the crypto provider makes. */
async function countingVerifications<T>(work: () => Promise<T>): Promise<{ outcome: T | CmpError; verifications: number }> {
  const original = getCryptoProvider();
  let verifications = 0;
  const counting = new Proxy(original, {
    get(target, property) {
      if (property === 'verify') {
        return (...args: Parameters<CryptoProvider['verify']>) => {
          verifications++;
          return target.verify(...args);
        };
      }
      const value: unknown = Reflect.get(target, property);
      return typeof value === 'function' ? (value as (...a: unknown[]) => unknown).bind(target) : value;
    },
  });
  setCryptoProvider(counting);
  try {
    const outcome = await work().catch((e: unknown) => {
      if (e instanceof CmpError) return e;
      throw e;
    });
    return { outcome, verifications };
  } finally {
    setCryptoProvider(original);
  }
}

function codeOf(outcome: unknown): string | undefined {
  return outcome instanceof CmpError ? outcome.code : undefined;
}

let chain: TestChain;
/** The real issuing CA's name is taken by every fake issuer; the real one is under chain.root. */
let realIssuer: Issued;
let issuerKey: TestKey;
let senderKey: TestKey;
/** Certificates naming the issuer, all with one key, which signed every look-alike sender. */
let fakeIssuers: x509.X509Certificate[];
/** Certificates naming the sender, all with the key that signs the messages. */
let lookAlikeSenders: Issued[];

beforeAll(async () => {
  chain = await makeChain('p256', 'Budget');
  realIssuer = await issueCa({ subject: ISSUER, key: await generateKey(), issuer: chain.root });
  issuerKey = await generateKey();
  senderKey = await generateKey();
  const fakes: Issued[] = [];
  for (let i = 0; i < LOOK_ALIKES; i++) {
    fakes.push(await issueCa({ subject: ISSUER, key: issuerKey, issuerName: chain.root.cert.subject, signingKey: issuerKey, keyIdentifiers: false }));
  }
  fakeIssuers = fakes.map((f) => f.cert);
  lookAlikeSenders = [];
  for (let i = 0; i < LOOK_ALIKES; i++) {
    lookAlikeSenders.push(await issueLeaf({ subject: SENDER, key: senderKey, issuer: fakes[0]!, keyIdentifiers: false }));
  }
}, 120_000);

/** A genm from SENDER signed with `signer`'s key, carrying `extraCerts`. */
async function signedMessage(signer: Issued, extraCerts: x509.X509Certificate[]): Promise<PKIMessage> {
  const msg = genmMessage({ sender: SENDER, extraCerts });
  return decodePkiMessage(await protectPkiMessage(msg, { kind: 'signature', key: await privateKeyOf(signer), cert: signer.cert }));
}

describe('a signed message stuffed with look-alike sender and issuer certificates', () => {
  let stuffed: PKIMessage;
  beforeAll(async () => {
    stuffed = await signedMessage(lookAlikeSenders[0]!, [...lookAlikeSenders.map((s) => s.cert), ...fakeIssuers]);
  });

  it(`is refused with ERR_VERIFICATION_BUDGET after at most ${defaultVerificationLimits.signatureVerifications} signature verifications`, async () => {
    const { outcome, verifications } = await countingVerifications(() =>
      verifyPkiMessageProtection(stuffed, { trusted: [chain.root.cert], untrusted: [realIssuer.cert] }),
    );
    expect(codeOf(outcome)).toBe(ErrorCodes.ERR_VERIFICATION_BUDGET);
    expect(verifications).toBeLessThanOrEqual(defaultVerificationLimits.signatureVerifications);
  });

  it('is refused by a client without trust anchors (MAC only) after one verification of the message signature', async () => {
    const { outcome, verifications } = await countingVerifications(() =>
      verifyPkiMessageProtection(stuffed, { secret: new TextEncoder().encode('a MAC secret'), trusted: [], untrusted: [] }),
    );
    // More sender candidates than one message may have; all share the key, verified once.
    expect(codeOf(outcome)).toBe(ErrorCodes.ERR_VERIFICATION_BUDGET);
    expect(verifications).toBe(1);
  });

  it('with few sender candidates is refused without trust anchors for want of an anchor, verifying nothing but the message', async () => {
    const msg = await signedMessage(lookAlikeSenders[0]!, [...lookAlikeSenders.slice(0, 3).map((s) => s.cert), ...fakeIssuers]);
    const { outcome, verifications } = await countingVerifications(() => verifyPkiMessageProtection(msg, { trusted: [], untrusted: [] }));
    expect(codeOf(outcome)).toBe(ErrorCodes.ERR_PATH_NO_ANCHOR);
    expect(verifications).toBe(1);
  });

  it('still yields the genuine sender certificate when it is among them', async () => {
    const genuine = await issueLeaf({ subject: SENDER, key: senderKey, issuer: realIssuer, keyIdentifiers: false });
    const extraCerts = [...lookAlikeSenders.slice(0, 3).map((s) => s.cert), genuine.cert, realIssuer.cert, ...fakeIssuers.slice(0, 20)];
    const msg = await signedMessage(genuine, extraCerts);
    const { outcome, verifications } = await countingVerifications(() =>
      verifyPkiMessageProtection(msg, { trusted: [chain.root.cert], untrusted: [] }),
    );
    expect(outcome).toEqual({ kind: 'signature', signer: genuine.cert, chain: [genuine.cert, realIssuer.cert, chain.root.cert] });
    expect(verifications).toBeLessThanOrEqual(defaultVerificationLimits.signatureVerifications);
  });
});

describe('path validation within a verification budget', () => {
  it('verifies a certificate once per issuer key, however many issuer certificates share that key', async () => {
    const sender = lookAlikeSenders[0]!.cert;
    const { outcome, verifications } = await countingVerifications(() =>
      validatePath(sender, { trusted: [chain.root.cert], untrusted: fakeIssuers.slice(0, 10) }),
    );
    expect(codeOf(outcome)).toBe(ErrorCodes.ERR_PATH_SIGNATURE);
    // The sender by the shared fake key once, then each fake issuer by the root.
    expect(verifications).toBe(1 + 10);
  });

  it('refuses with ERR_VERIFICATION_BUDGET when the search needs more verifications than the budget has', async () => {
    const budget = new VerificationBudget({ senderCandidates: 1, signatureVerifications: 5, issuerCandidates: 1000 });
    const search = validatePath(lookAlikeSenders[0]!.cert, { trusted: [chain.root.cert], untrusted: fakeIssuers.slice(0, 10) }, budget);
    await expect(search).rejects.toMatchObject({ code: ErrorCodes.ERR_VERIFICATION_BUDGET });
  });

  it('refuses with ERR_VERIFICATION_BUDGET when the search tries more issuer candidates than the budget has', async () => {
    const budget = new VerificationBudget({ senderCandidates: 1, signatureVerifications: 1000, issuerCandidates: 5 });
    const search = validatePath(lookAlikeSenders[0]!.cert, { trusted: [chain.root.cert], untrusted: fakeIssuers.slice(0, 10) }, budget);
    await expect(search).rejects.toMatchObject({ code: ErrorCodes.ERR_VERIFICATION_BUDGET });
  });

  it('is shared by the searches given the same budget: what one spent, the next has not', async () => {
    const budget = new VerificationBudget({ senderCandidates: 1, signatureVerifications: 3, issuerCandidates: 1000 });
    const honest = { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert] };
    await expect(validatePath(chain.leaf.cert, honest, budget)).resolves.toEqual([chain.leaf.cert, chain.intermediate.cert, chain.root.cert]);
    // Remembered results cost nothing: the same path again fits in what is left.
    await expect(validatePath(chain.leaf.cert, honest, budget)).resolves.toHaveLength(3);
    const other = await makeChain('p256', 'Second');
    await expect(validatePath(other.leaf.cert, { trusted: [other.root.cert], untrusted: [other.intermediate.cert] }, budget)).rejects.toMatchObject({
      code: ErrorCodes.ERR_VERIFICATION_BUDGET,
    });
  });

  it('verifies nothing when no trust anchor is configured', async () => {
    const { outcome, verifications } = await countingVerifications(() =>
      validatePath(chain.leaf.cert, { trusted: [], untrusted: [chain.intermediate.cert, chain.root.cert] }),
    );
    expect(codeOf(outcome)).toBe(ErrorCodes.ERR_PATH_NO_ANCHOR);
    expect(verifications).toBe(0);
  });
});
