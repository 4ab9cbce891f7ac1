/** Locating the recorded CMP test vectors, kept in test/vectors (see its README for origin and licence). */
import * as fs from 'fs';
import * as path from 'path';

export const VECTORS = path.join(__dirname, '../vectors');

function walk(dir: string): string[] {
  return fs.readdirSync(dir).flatMap((name) => {
    const p = path.join(dir, name);
    return fs.statSync(p).isDirectory() ? walk(p) : [p];
  });
}

export function vectorFiles(): string[] {
  return walk(VECTORS).sort();
}

/** Every complete PKIMessage among the vectors: RustCrypto `*_req_01.bin` / `*_rsp_01.bin` and LightweightCmpRa `*.PKI`. */
export function messageVectors(): string[] {
  return vectorFiles().filter((f) => /_(req|rsp)_01\.bin$/.test(f) || f.endsWith('.PKI'));
}

export function readVector(file: string): Uint8Array {
  return new Uint8Array(fs.readFileSync(path.isAbsolute(file) ? file : path.join(VECTORS, file)));
}

export function relativeName(file: string): string {
  return path.relative(VECTORS, file);
}
