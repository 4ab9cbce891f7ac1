/**
 * The consistency of an ML-DSA expanded private key read without its seed (RFC 9881 section 8 and its
 * appendix C.4 examples): FIPS 204's skEncode(rho, K, tr, s1, s2, t0) holds parts that must fit
 * together, and a file whose parts do not is corrupt or forged. A pairwise sign/verify test does not
 * catch them all: a wrong t0 only enters signing through the hint, and small errors in it still give
 * signatures that verify. So each derived part is recomputed from the ones it derives from:
 *
 * - s1 and s2 must lie in [-eta, eta] (their packing can hold more; @noble's decoding checks that);
 * - tr must be H(pk), pk = (rho, t1) being what s1 and s2 give (@noble/post-quantum's getPublicKey);
 * - t0 must be the low part of t = A*s1 + s2 (FIPS 204 Algorithm 6, lines 5-6).
 *
 * The lattice arithmetic is @noble/post-quantum's own (its CRYSTALS NTT, SHAKE128 reader and bit
 * packing); what is written here is only FIPS 204's sampling of A from those bytes (RejNTTPoly,
 * Algorithm 30), the pointwise product in the NTT domain and Power2Round's low part.
 */
import { createHash } from 'node:crypto';
import type * as NobleCrystals from '@noble/post-quantum/_crystals.js';
import type { MlDsaName } from './provider';

const N = 256;
const Q = 8380417;
/** FIPS 204 section 4: the dropped bits of t, so t0 lies in (-2^12, 2^12]. */
const D = 13;
const TR_BYTES = 64;

/** FIPS 204 table 1. */
const PARAMETERS: Readonly<Record<MlDsaName, { k: number; l: number; eta: number }>> = {
  'ml-dsa-44': { k: 4, l: 4, eta: 2 },
  'ml-dsa-65': { k: 6, l: 5, eta: 4 },
  'ml-dsa-87': { k: 8, l: 7, eta: 2 },
};

type Poly = Int32Array;
let crystals: ReturnType<typeof NobleCrystals.genCrystals<Poly>> | undefined;
let xof128: typeof NobleCrystals.XOF128 | undefined;

/** @noble's CRYSTALS helpers for ML-DSA's ring (q, its 512th root of unity 1753, 256^-1 = 8347681 mod q), loaded on first use. */
function ring() {
  if (!crystals) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, as ml-dsa.ts loads the library
    const noble = require('@noble/post-quantum/_crystals.js') as typeof NobleCrystals;
    crystals = noble.genCrystals({ N, Q, F: 8347681, ROOT_OF_UNITY: 1753, newPoly: (n: number) => new Int32Array(n), isKyber: false, brvBits: 8 });
    xof128 = noble.XOF128;
  }
  return { crystals, xof128: xof128! };
}

/** FIPS 204 Algorithm 30 (RejNTTPoly): coefficients of A[i][j] in the NTT domain, 23-bit candidates below q. */
function rejectionSample(read: () => Uint8Array): Poly {
  const poly = new Int32Array(N);
  for (let n = 0; n < N;) {
    const block = read();
    for (let b = 0; n < N && b + 3 <= block.length; b += 3) {
      const candidate = (block[b]! | (block[b + 1]! << 8) | (block[b + 2]! << 16)) & 0x7fffff;
      if (candidate < Q) poly[n++] = candidate;
    }
  }
  return poly;
}

/**
 * Why the expanded key `secretKey` of `variant`, whose s1 and s2 give `publicKey`, is not consistent;
 * undefined when it is.
 */
export function expandedKeyInconsistency(variant: MlDsaName, secretKey: Uint8Array, publicKey: Uint8Array): string | undefined {
  const { k, l, eta } = PARAMETERS[variant];
  const { crystals: c, xof128: xof } = ring();
  const etaBits = eta === 2 ? 3 : 4;
  const etaBytes = (N * etaBits) / 8;
  const t0Bytes = (N * D) / 8;
  const rho = secretKey.subarray(0, 32);
  const tr = secretKey.subarray(64, 64 + TR_BYTES);
  let offset = 64 + TR_BYTES;
  const raw = c.bitsCoder(etaBits, { encode: (v: number) => v, decode: (v: number) => v });
  const polys = (count: number, bytes: number, decode: (bytes: Uint8Array) => Poly): Poly[] =>
    Array.from({ length: count }, () => {
      const poly = decode(secretKey.subarray(offset, offset + bytes));
      offset += bytes;
      return poly;
    });
  const packedS = polys(l + k, etaBytes, (b) => raw.decode(b) as Poly);
  const t0 = polys(
    k,
    t0Bytes,
    (b) => c.bitsCoder(D, { encode: (v: number) => (1 << (D - 1)) - v, decode: (v: number) => (1 << (D - 1)) - v }).decode(b) as Poly,
  );
  const [s1, s2] = [packedS.slice(0, l).map((p) => p.map((v) => eta - v)), packedS.slice(l).map((p) => p.map((v) => eta - v))];

  const expectedTr = createHash('shake256', { outputLength: TR_BYTES }).update(publicKey).digest();
  if (!expectedTr.equals(Buffer.from(tr))) return 'its tr is not the hash of its public key';

  const s1Hat = s1.map((p) => c.NTT.encode(p.slice()));
  const reader = xof(rho);
  try {
    for (let i = 0; i < k; i++) {
      const t = new Int32Array(N);
      for (let j = 0; j < l; j++) {
        const a = rejectionSample(reader.get(j, i));
        for (let n = 0; n < N; n++) t[n] = c.mod(t[n]! + c.mod(a[n]! * s1Hat[j]![n]!));
      }
      c.NTT.decode(t);
      for (let n = 0; n < N; n++) {
        // Power2Round's low part of t = A*s1 + s2, centred mod 2^d.
        if (c.smod(c.mod(t[n]! + s2[i]![n]!), 1 << D) !== t0[i]![n]) return 'its t0 is not the low part of A*s1 + s2';
      }
    }
  } finally {
    reader.clean();
  }
  return undefined;
}
