/**
 * SHA-256 applied again and again to its own 32-byte output, as PasswordBasedMac derives its key
 * (RFC 4211 section 4.4: hundreds of rounds per message, 500 with OpenSSL's defaults). Every round
 * hashes exactly one block of fixed layout (the 32 bytes, the padding bit, the length 256), so it is
 * one compression function call; in JavaScript that costs a few hundred nanoseconds, while each call
 * into node:crypto costs about a microsecond of overhead. The code has no branches or table lookups
 * that depend on the data, and leaves no intermediate value behind. Where WebAssembly runs, the
 * same compression assembled as WebAssembly (sha256-wasm.ts) does the rounds instead, about three
 * times faster; this JavaScript one remains for runtimes without it.
 */
import { instantiateSha256Iteration, type Sha256Iteration } from './sha256-wasm';

const K = Int32Array.from(
  [
    0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
    0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
    0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
    0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
    0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
    0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
  ].map((k) => k | 0),
);

const IV = Int32Array.from([0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19].map((v) => v | 0));

/** The message schedule and the state; wiped after every use. */
const W = new Int32Array(64);
const H = new Int32Array(8);

/** H := SHA-256(H as 32 bytes, big-endian). */
function compressOwnDigest(): void {
  for (let i = 0; i < 8; i++) W[i] = H[i]!;
  W[8] = 0x80000000 | 0;
  for (let i = 9; i < 15; i++) W[i] = 0;
  W[15] = 256;
  for (let i = 16; i < 64; i++) {
    const w15 = W[i - 15]!;
    const w2 = W[i - 2]!;
    const s0 = ((w15 >>> 7) | (w15 << 25)) ^ ((w15 >>> 18) | (w15 << 14)) ^ (w15 >>> 3);
    const s1 = ((w2 >>> 17) | (w2 << 15)) ^ ((w2 >>> 19) | (w2 << 13)) ^ (w2 >>> 10);
    W[i] = (W[i - 16]! + s0 + W[i - 7]! + s1) | 0;
  }
  let a = IV[0]!;
  let b = IV[1]!;
  let c = IV[2]!;
  let d = IV[3]!;
  let e = IV[4]!;
  let f = IV[5]!;
  let g = IV[6]!;
  let h = IV[7]!;
  for (let i = 0; i < 64; i++) {
    const s1 = ((e >>> 6) | (e << 26)) ^ ((e >>> 11) | (e << 21)) ^ ((e >>> 25) | (e << 7));
    const t1 = (h + s1 + ((e & f) ^ (~e & g)) + K[i]! + W[i]!) | 0;
    const s0 = ((a >>> 2) | (a << 30)) ^ ((a >>> 13) | (a << 19)) ^ ((a >>> 22) | (a << 10));
    const t2 = (s0 + ((a & b) ^ (a & c) ^ (b & c))) | 0;
    h = g;
    g = f;
    f = e;
    e = (d + t1) | 0;
    d = c;
    c = b;
    b = a;
    a = (t1 + t2) | 0;
  }
  H[0] = (IV[0]! + a) | 0;
  H[1] = (IV[1]! + b) | 0;
  H[2] = (IV[2]! + c) | 0;
  H[3] = (IV[3]! + d) | 0;
  H[4] = (IV[4]! + e) | 0;
  H[5] = (IV[5]! + f) | 0;
  H[6] = (IV[6]! + g) | 0;
  H[7] = (IV[7]! + h) | 0;
}

/** SHA-256 applied `rounds` times (0 or more) to a 32-byte value: `digest` itself for 0 rounds. */
export function iterateSha256(digest: Uint8Array, rounds: number): Uint8Array {
  if (digest.length !== 32) throw new RangeError('iterateSha256 needs a 32-byte SHA-256 value');
  if (!Number.isSafeInteger(rounds) || rounds < 0) throw new RangeError('iterateSha256 needs a whole number of rounds >= 0');
  wasm ??= instantiateSha256Iteration() ?? null;
  return wasm !== null && rounds <= MAX_WASM_ROUNDS ? iterateWith(wasm.state, digest, (n) => wasm!.iterate(n), rounds) : iterateInJs(digest, rounds);
}

/** The JavaScript compression, whatever the runtime offers (for tests comparing the two). */
export function iterateSha256InJs(digest: Uint8Array, rounds: number): Uint8Array {
  if (digest.length !== 32) throw new RangeError('iterateSha256 needs a 32-byte SHA-256 value');
  return iterateInJs(digest, rounds);
}

/** The WebAssembly module once made, null where it cannot be. */
let wasm: Sha256Iteration | null | undefined;
/** `iterate` takes a signed 32-bit count. */
const MAX_WASM_ROUNDS = 0x7fffffff;

function iterateInJs(digest: Uint8Array, rounds: number): Uint8Array {
  return iterateWith(
    H,
    digest,
    (n) => {
      for (let r = 0; r < n; r++) compressOwnDigest();
    },
    rounds,
  );
}

function iterateWith(state: Int32Array, digest: Uint8Array, run: (rounds: number) => void, rounds: number): Uint8Array {
  for (let i = 0; i < 8; i++) state[i] = (digest[4 * i]! << 24) | (digest[4 * i + 1]! << 16) | (digest[4 * i + 2]! << 8) | digest[4 * i + 3]!;
  run(rounds);
  const out = new Uint8Array(32);
  for (let i = 0; i < 8; i++) {
    const v = state[i]!;
    out[4 * i] = v >>> 24;
    out[4 * i + 1] = (v >>> 16) & 0xff;
    out[4 * i + 2] = (v >>> 8) & 0xff;
    out[4 * i + 3] = v & 0xff;
  }
  state.fill(0);
  W.fill(0);
  return out;
}
