/**
 * The process-wide memory of verified certificate signatures: a hit needs every byte the
 * verification read to be equal, and makes no crypto call; anything else is verified again.
 */
import * as x509 from '@peculiar/x509';
import { getCryptoProvider, setCryptoProvider, type CryptoProvider } from '../../src/crypto';
import { ErrorCodes } from '../../src/errors';
import { viewOf } from '../../src/pki/certificate-view';
import { certificateSignatureError, VerifiedSignatures } from '../../src/pki/signature-check';
import { generateKey, issueCa, issueLeaf, type Issued } from './certificate-factory';

let ca: Issued;
let impostor: Issued;
let leaf: Issued;
const original = getCryptoProvider();
let verifications: number;

beforeAll(async () => {
  ca = await issueCa({ subject: 'CN=Memory CA', key: await generateKey() });
  impostor = await issueCa({ subject: 'CN=Memory CA', key: await generateKey() });
  leaf = await issueLeaf({ subject: 'CN=Memory Leaf', key: await generateKey(), issuer: ca });
});

/** A provider of its own for each test, so that no test starts with what another remembered. */
beforeEach(() => {
  verifications = 0;
  setCryptoProvider(
    Object.assign(Object.create(original) as CryptoProvider, {
      verify: (...args: Parameters<CryptoProvider['verify']>) => {
        verifications += 1;
        return original.verify(...args);
      },
    }),
  );
});

afterAll(() => setCryptoProvider(original));

/** The leaf's DER with one byte changed at `at` (counted from the end when negative). */
function changed(at: number): x509.X509Certificate {
  const der = new Uint8Array(leaf.cert.rawData);
  const i = at < 0 ? der.length + at : at;
  der[i] ^= 0x01;
  return new x509.X509Certificate(der);
}

/** Where `text` starts in the leaf's DER. */
function offsetOf(text: string): number {
  const at = Buffer.from(leaf.cert.rawData).indexOf(Buffer.from(text, 'latin1'));
  if (at < 0) throw new Error(`${text} is not in the certificate`);
  return at;
}

describe('a certificate signature verified once in the process', () => {
  it('is not verified again for the same certificate and the same issuer key, even through new views', async () => {
    expect(await certificateSignatureError(viewOf(leaf.cert), viewOf(ca.cert))).toBeUndefined();
    expect(verifications).toBe(1);
    const again = new x509.X509Certificate(leaf.cert.rawData);
    expect(await certificateSignatureError(viewOf(again), viewOf(new x509.X509Certificate(ca.cert.rawData)))).toBeUndefined();
    expect(verifications).toBe(1);
  });

  it('is verified again and refused when a byte of the signed TBSCertificate changed', async () => {
    await certificateSignatureError(viewOf(leaf.cert), viewOf(ca.cert));
    const forged = changed(offsetOf('Memory Leaf') + 7);
    expect(viewOf(forged).subject).not.toEqual(viewOf(leaf.cert).subject);
    await expect(certificateSignatureError(viewOf(forged), viewOf(ca.cert))).resolves.toMatchObject({ code: ErrorCodes.ERR_PATH_SIGNATURE });
    expect(verifications).toBe(2);
  });

  it('is verified again and refused when a byte of the signature changed', async () => {
    await certificateSignatureError(viewOf(leaf.cert), viewOf(ca.cert));
    await expect(certificateSignatureError(viewOf(changed(-1)), viewOf(ca.cert))).resolves.toMatchObject({ code: ErrorCodes.ERR_PATH_SIGNATURE });
    expect(verifications).toBe(2);
  });

  it('is verified again and refused under another issuer key of the same name', async () => {
    await certificateSignatureError(viewOf(leaf.cert), viewOf(ca.cert));
    await expect(certificateSignatureError(viewOf(leaf.cert), viewOf(impostor.cert))).resolves.toMatchObject({ code: ErrorCodes.ERR_PATH_SIGNATURE });
    expect(verifications).toBe(2);
  });

  it('is verified again by another crypto provider', async () => {
    await certificateSignatureError(viewOf(leaf.cert), viewOf(ca.cert));
    setCryptoProvider(Object.assign(Object.create(original) as CryptoProvider, { verify: async () => false }));
    await expect(certificateSignatureError(viewOf(leaf.cert), viewOf(ca.cert))).resolves.toMatchObject({ code: ErrorCodes.ERR_PATH_SIGNATURE });
  });

  it('is remembered only when it verified: a refusal is verified again each time', async () => {
    for (let i = 0; i < 2; i++) {
      await expect(certificateSignatureError(viewOf(leaf.cert), viewOf(impostor.cert))).resolves.toMatchObject({
        code: ErrorCodes.ERR_PATH_SIGNATURE,
      });
    }
    expect(verifications).toBe(2);
  });
});

describe('VerifiedSignatures', () => {
  const provider = {} as CryptoProvider;
  const signed = () => ({
    provider,
    tbs: Uint8Array.of(1, 2, 3),
    algorithm: '1.2.840.10045.4.3.2',
    parameters: undefined as ArrayBuffer | null | undefined,
    signature: Uint8Array.of(4, 5, 6),
    spki: Uint8Array.of(7, 8, 9),
  });

  it.each([
    ['the signed bytes', { tbs: Uint8Array.of(1, 2, 4) }],
    ['the signed bytes, one byte longer', { tbs: Uint8Array.of(1, 2, 3, 0) }],
    ['the algorithm', { algorithm: '1.2.840.10045.4.3.3' }],
    ['the algorithm parameters', { parameters: Uint8Array.of(5, 0).buffer }],
    ['the signature', { signature: Uint8Array.of(4, 5, 7) }],
    ['the public key', { spki: Uint8Array.of(7, 8, 8) }],
    ['the provider', { provider: {} as CryptoProvider }],
  ])('does not know the bytes when %s differ', (_what, difference) => {
    const memory = new VerifiedSignatures(4);
    memory.add(signed());
    expect(memory.has(signed())).toBe(true);
    expect(memory.has({ ...signed(), ...difference })).toBe(false);
  });

  it('tells parameters absent from NULL parameters', () => {
    const memory = new VerifiedSignatures(4);
    memory.add({ ...signed(), parameters: Uint8Array.of(5, 0).buffer });
    expect(memory.has({ ...signed(), parameters: Uint8Array.of(5, 0).buffer })).toBe(true);
    expect(memory.has({ ...signed(), parameters: null })).toBe(false);
    expect(memory.has(signed())).toBe(false);
  });

  it('keeps its own copies: a caller changing its buffers later changes nothing remembered', () => {
    const memory = new VerifiedSignatures(4);
    const entry = signed();
    memory.add(entry);
    entry.tbs[0] = 9;
    expect(memory.has(entry)).toBe(false);
    expect(memory.has(signed())).toBe(true);
  });

  it('holds at most its limit, forgetting the least recently used first', () => {
    const memory = new VerifiedSignatures(2);
    const nth = (n: number) => ({ ...signed(), signature: Uint8Array.of(n) });
    memory.add(nth(1));
    memory.add(nth(2));
    expect(memory.has(nth(1))).toBe(true);
    memory.add(nth(3));
    expect(memory.size).toBe(2);
    expect(memory.has(nth(2))).toBe(false);
    expect(memory.has(nth(1))).toBe(true);
    expect(memory.has(nth(3))).toBe(true);
  });
});
