/** Runs the `openssl` binary synchronously, as the independent implementation the tests compare against. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function openssl(args: string[], input?: Uint8Array | string): Buffer {
  return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'pipe'] });
}

/** True when the command exits 0. */
export function opensslSucceeds(args: string[], input?: Uint8Array | string): boolean {
  try {
    openssl(args, input);
    return true;
  } catch {
    return false;
  }
}

/** A scratch directory removed by `cleanup()`. */
export class TempDir {
  readonly path = mkdtempSync(join(tmpdir(), 'cmpflow-test-'));

  file(name: string, content?: Uint8Array | string): string {
    const path = join(this.path, name);
    if (content !== undefined) writeFileSync(path, content);
    return path;
  }

  read(name: string): Buffer {
    return readFileSync(join(this.path, name));
  }

  cleanup(): void {
    rmSync(this.path, { recursive: true, force: true });
  }
}

export interface OpenSslKey {
  /** The key file openssl wrote (PEM, unencrypted PKCS#8). */
  pemPath: string;
  pkcs8: Buffer;
  spki: Buffer;
  publicPemPath: string;
}

/** Generates a key with `openssl genpkey`; `algorithm` is e.g. 'RSA', 'EC:P-256', 'ED25519'. */
export function generateOpenSslKey(dir: TempDir, name: string, algorithm: string): OpenSslKey {
  const pemPath = dir.file(`${name}.pem`);
  const [alg, curve] = algorithm.split(':');
  const opts = alg === 'RSA' ? ['-pkeyopt', 'rsa_keygen_bits:2048'] : curve ? ['-pkeyopt', `ec_paramgen_curve:${curve}`] : [];
  openssl(['genpkey', '-algorithm', alg!, ...opts, '-out', pemPath]);
  const publicPemPath = dir.file(`${name}.pub.pem`);
  openssl(['pkey', '-in', pemPath, '-pubout', '-out', publicPemPath]);
  return {
    pemPath,
    publicPemPath,
    // `pkey -outform DER` writes the traditional format (PKCS#1, SEC1); `pkcs8 -topk8` writes PKCS#8.
    pkcs8: openssl(['pkcs8', '-topk8', '-nocrypt', '-in', pemPath, '-outform', 'DER']),
    spki: openssl(['pkey', '-in', pemPath, '-pubout', '-outform', 'DER']),
  };
}
