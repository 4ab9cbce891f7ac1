/**
 * The SHA-256 iteration of sha256-iteration.ts as a WebAssembly function, assembled here from the
 * algorithm, so that what runs can be read in this file (sha256-wasm-module.ts keeps the assembled
 * bytes, checked against this assembler by the tests). WebAssembly has a rotate instruction, and the
 * whole message schedule and state stay in locals (the assembler unrolls all 64 rounds and renames
 * the eight working variables instead of moving them): once V8 has optimised it, a compression takes
 * about 190 ns against 330 ns in JavaScript. The rounds of PBM (RFC 4211 section 4.4) are where it
 * matters: 500 compressions for each received message with a salt not seen before.
 *
 * Exported function `iterate(rounds)`: the state is the eight words at memory offset 0 (host
 * order, as an Int32Array sees them); it is replaced by SHA-256 of its big-endian bytes, `rounds`
 * times. Nothing but those eight words is left in memory.
 */

import { SHA256_ITERATION_MODULE_BASE64 } from './sha256-wasm-module';

/** The round constants, FIPS 180-4 section 4.2.2. */
const K = [
  0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3,
  0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
  0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13,
  0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
  0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3, 0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208,
  0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
];
/** The initial hash value, FIPS 180-4 section 5.3.3. */
const IV = [0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a, 0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19];

/** WebAssembly opcodes used below (WebAssembly Core Specification, section 5.4). */
const OP = {
  block: 0x02,
  loop: 0x03,
  end: 0x0b,
  brIf: 0x0d,
  localGet: 0x20,
  localSet: 0x21,
  localTee: 0x22,
  i32Load: 0x28,
  i32Store: 0x36,
  i32Const: 0x41,
  i32Eqz: 0x45,
  i32Add: 0x6a,
  i32Sub: 0x6b,
  i32And: 0x71,
  i32Or: 0x72,
  i32Xor: 0x73,
  i32ShrU: 0x76,
  i32Rotr: 0x78,
  void: 0x40,
  i32: 0x7f,
} as const;

/** Appends `n` as unsigned LEB128. */
function pushUnsigned(out: number[], n: number): void {
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
}

/** Appends `n` (a 32-bit integer) as signed LEB128. */
function pushSigned(out: number[], n: number): void {
  n |= 0;
  for (;;) {
    const byte = n & 0x7f;
    n >>= 7;
    if ((n === 0 && (byte & 0x40) === 0) || (n === -1 && (byte & 0x40) !== 0)) {
      out.push(byte);
      return;
    }
    out.push(byte | 0x80);
  }
}

/** The body of `iterate`: local 0 is the parameter `rounds`. */
function iterateBody(): number[] {
  // Locals after the parameter: the state h0..h7, the schedule w0..w63, the working variables, t1, t2.
  const H = 1;
  const W = H + 8;
  const V = W + 64;
  const T1 = V + 8;
  const T2 = T1 + 1;
  const localCount = T2 + 1 - 1;
  // Plain pushes, no spreading: this runs once per process, before V8 has optimised anything.
  const code: number[] = [];
  const emit = (op: number) => void code.push(op);
  const get = (local: number) => {
    code.push(OP.localGet);
    pushUnsigned(code, local);
  };
  const set = (local: number) => {
    code.push(OP.localSet);
    pushUnsigned(code, local);
  };
  const constant = (value: number) => {
    code.push(OP.i32Const);
    pushSigned(code, value);
  };
  const ops = (...list: number[]) => list.forEach(emit);
  const rotr = (local: number, bits: number) => {
    get(local);
    constant(bits);
    emit(OP.i32Rotr);
  };
  const shr = (local: number, bits: number) => {
    get(local);
    constant(bits);
    emit(OP.i32ShrU);
  };
  /** Pushes rotr(x, r1) ^ rotr(x, r2) ^ (rotr or shr)(x, r3). */
  const sigma = (x: number, r1: number, r2: number, r3: number, lastIsShift: boolean) => {
    rotr(x, r1);
    rotr(x, r2);
    emit(OP.i32Xor);
    if (lastIsShift) shr(x, r3);
    else rotr(x, r3);
    emit(OP.i32Xor);
  };

  pushUnsigned(code, 1);
  pushUnsigned(code, localCount);
  emit(OP.i32);
  // The state comes from memory; 0 rounds leave it there untouched.
  for (let i = 0; i < 8; i++) {
    constant(0);
    ops(OP.i32Load, 2);
    pushUnsigned(code, 4 * i);
    set(H + i);
  }
  ops(OP.block, OP.void);
  get(0);
  ops(OP.i32Eqz, OP.brIf, 0);
  ops(OP.loop, OP.void);

  // The message block: the 32-byte state, the padding bit, zeros, the length 256.
  for (let i = 0; i < 8; i++) {
    get(H + i);
    set(W + i);
  }
  constant(0x80000000);
  set(W + 8);
  for (let i = 9; i < 15; i++) {
    constant(0);
    set(W + i);
  }
  constant(256);
  set(W + 15);
  for (let i = 16; i < 64; i++) {
    get(W + i - 16);
    sigma(W + i - 15, 7, 18, 3, true);
    emit(OP.i32Add);
    get(W + i - 7);
    emit(OP.i32Add);
    sigma(W + i - 2, 17, 19, 10, true);
    emit(OP.i32Add);
    set(W + i);
  }

  for (let i = 0; i < 8; i++) {
    constant(IV[i]!);
    set(V + i);
  }
  // v[j] names the local that holds working variable j (a..h) in the current round.
  const v = [0, 1, 2, 3, 4, 5, 6, 7].map((j) => V + j);
  for (let i = 0; i < 64; i++) {
    const [a, b, c, d, e, f, g, h] = v as [number, number, number, number, number, number, number, number];
    // t1 = h + Σ1(e) + Ch(e, f, g) + K[i] + W[i], Ch = g ^ (e & (f ^ g))
    get(h);
    sigma(e, 6, 11, 25, false);
    emit(OP.i32Add);
    get(g);
    get(e);
    get(f);
    get(g);
    ops(OP.i32Xor, OP.i32And, OP.i32Xor, OP.i32Add);
    constant(K[i]!);
    emit(OP.i32Add);
    get(W + i);
    emit(OP.i32Add);
    set(T1);
    // t2 = Σ0(a) + Maj(a, b, c), Maj = (a & b) | (c & (a | b))
    sigma(a, 2, 13, 22, false);
    get(a);
    get(b);
    emit(OP.i32And);
    get(c);
    get(a);
    get(b);
    ops(OP.i32Or, OP.i32And, OP.i32Or, OP.i32Add);
    set(T2);
    // e' = d + t1 goes where d was, a' = t1 + t2 where h was; the others only change names.
    get(d);
    get(T1);
    emit(OP.i32Add);
    set(d);
    get(T1);
    get(T2);
    emit(OP.i32Add);
    set(h);
    v.unshift(v.pop()!);
  }
  // 64 renamings are eight full turns: v is back in order.
  for (let i = 0; i < 8; i++) {
    constant(IV[i]!);
    get(v[i]!);
    emit(OP.i32Add);
    set(H + i);
  }

  get(0);
  constant(1);
  ops(OP.i32Sub, OP.localTee, 0, OP.brIf, 0);
  ops(OP.end, OP.end);
  for (let i = 0; i < 8; i++) {
    constant(0);
    get(H + i);
    ops(OP.i32Store, 2);
    pushUnsigned(code, 4 * i);
  }
  emit(OP.end);
  return code;
}

/** The module's bytes: one memory page, exported as `mem`, and `iterate(rounds: i32)`. */
export function sha256IterationModuleBytes(): Uint8Array<ArrayBuffer> {
  const body = iterateBody();
  const out: number[] = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
  const section = (id: number, content: readonly number[]) => {
    out.push(id);
    pushUnsigned(out, content.length);
    for (const b of content) out.push(b);
  };
  const name = (s: string) => [s.length, ...Array.from(s, (c) => c.charCodeAt(0))];
  section(1, [1, 0x60, 1, OP.i32, 0]);
  section(3, [1, 0]);
  section(5, [1, 0x00, 1]);
  section(7, [2, ...name('mem'), 0x02, 0, ...name('iterate'), 0x00, 0]);
  const code = [1];
  pushUnsigned(code, body.length);
  for (const b of body) code.push(b);
  section(10, code);
  return new Uint8Array(out);
}

export interface Sha256Iteration {
  /** The eight state words (host order), read and written by `iterate`. */
  state: Int32Array;
  iterate(rounds: number): void;
}

/**
 * The instantiated module, or undefined where WebAssembly is missing or refused (Node's
 * `--jitless`, a runtime without it); the JavaScript compression is used there.
 */
export function instantiateSha256Iteration(): Sha256Iteration | undefined {
  try {
    const wasm = (globalThis as { WebAssembly?: typeof WebAssembly }).WebAssembly;
    if (wasm === undefined) return undefined;
    const instance = new wasm.Instance(new wasm.Module(Buffer.from(SHA256_ITERATION_MODULE_BASE64, 'base64')));
    const exports = instance.exports as { mem: WebAssembly.Memory; iterate: (rounds: number) => void };
    return { state: new Int32Array(exports.mem.buffer, 0, 8), iterate: exports.iterate };
  } catch {
    return undefined;
  }
}
