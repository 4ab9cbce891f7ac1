/**
 * An ML-DSA private key read in RFC 9881's expanded form (no seed) must be consistent in itself (RFC 9881
 * section 8): s1 and s2 in range, tr the hash of the public key, t0 the low part of A*s1 + s2. RFC 9881's
 * own inconsistent examples are refused, the wrong t0 among them; so is a t0 off by one in a single
 * coefficient, which a sign-and-verify test does not notice (shown here with @noble's deterministic
 * signing); every consistent expanded key (RFC 9881's, for each parameter set, and fresh ones) loads.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { ml_dsa44, ml_dsa65, ml_dsa87 } from '@noble/post-quantum/ml-dsa.js';
import { getCryptoProvider, Oids, type MlDsaName } from '../../src/crypto';
import { CmpError, isCmpError } from '../../src/errors';

const vectors = join(__dirname, '..', 'vectors', 'ml-dsa', 'rfc9881');
const pemDer = (name: string) => new Uint8Array(Buffer.from(readFileSync(join(vectors, name), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64'));
const variants: [MlDsaName, typeof ml_dsa44, string, number][] = [
  // variant, library, OID, offset of t0 in the expanded key: 128 + (l + k) * 32 * bits(eta)
  ['ml-dsa-44', ml_dsa44, Oids.mlDsa44, 128 + 8 * 96],
  ['ml-dsa-65', ml_dsa65, Oids.mlDsa65, 128 + 11 * 128],
  ['ml-dsa-87', ml_dsa87, Oids.mlDsa87, 128 + 15 * 96],
];

/** PKCS#8 with the expanded key only (RFC 9881's expandedKey choice: an OCTET STRING). */
function expandedPkcs8(oid: string, expanded: Uint8Array): Uint8Array {
  const info = new PrivateKeyInfo({
    version: 0,
    privateKeyAlgorithm: new AlgorithmIdentifier({ algorithm: oid }),
    privateKey: new OctetString(AsnConvert.serialize(new OctetString(expanded))),
  });
  return new Uint8Array(AsnConvert.serialize(info));
}

async function refusal(pkcs8: Uint8Array): Promise<CmpError> {
  try {
    await getCryptoProvider().importPrivateKey(pkcs8);
  } catch (e) {
    if (isCmpError(e, 'ERR_CREDENTIALS')) return e;
    throw e;
  }
  throw new Error('the key was accepted');
}

it.each([
  ['bad-ML-DSA-44-1.priv', 'do not belong together'],
  ['bad-ML-DSA-44-2.priv', 'its tr is not the hash of its public key'],
  ['bad-ML-DSA-44-3.priv', 'its t0 is not the low part of A*s1 + s2'],
])("refuses RFC 9881's inconsistent example %s, saying why (%s)", async (file, why) => {
  expect((await refusal(pemDer(file))).message).toContain(why);
});

describe.each(variants)('%s expanded keys', (variant, library, oid, t0Offset) => {
  it("load when consistent: RFC 9881's example (the public key its .pub file has) and a fresh one", async () => {
    const example = await getCryptoProvider().importPrivateKey(pemDer(`${variant.toUpperCase()}-expanded.priv`));
    expect(Buffer.from(example.spki)).toEqual(Buffer.from(pemDer(`${variant.toUpperCase()}.pub`)));
    const fresh = library.keygen();
    const key = await getCryptoProvider().importPrivateKey(expandedPkcs8(oid, fresh.secretKey));
    expect(Buffer.from(key.spki).subarray(-fresh.publicKey.length)).toEqual(Buffer.from(fresh.publicKey));
  });

  it('are refused with one t0 coefficient off by one, which signing and verifying does not reveal', async () => {
    const { secretKey, publicKey } = library.keygen(new Uint8Array(32).fill(7));
    const tampered = secretKey.slice();
    tampered[t0Offset]! ^= 0x01;
    const message = new TextEncoder().encode('signed with a key whose t0 is off by one');
    // Deterministic signing (no fresh randomness), so this holds on every run: the signature verifies.
    expect(library.verify(library.sign(message, tampered, { extraEntropy: false }), message, publicKey)).toBe(true);
    expect((await refusal(expandedPkcs8(oid, tampered))).message).toContain('its t0 is not the low part of A*s1 + s2');
  });

  it('are refused with an s1 coefficient outside [-eta, eta]', async () => {
    const { secretKey } = library.keygen(new Uint8Array(32).fill(9));
    const tampered = secretKey.slice();
    // The first coefficient of s1 is the low bits of byte 128; all ones is 7 (eta 2) or 15 (eta 4), beyond 2 * eta.
    tampered[128] = tampered[128]! | (variant === 'ml-dsa-65' ? 0x0f : 0x07);
    expect((await refusal(expandedPkcs8(oid, tampered))).message).toContain('outside');
  });
});
