import { X509Certificate, createPrivateKey, type KeyObject } from 'node:crypto';
import { CmpError, ErrorCodes } from '../errors';

/**
 * Turns the TLS credentials a caller holds (DER or PEM, as bytes or text) into the PEM text
 * Node's TLS layer takes, failing early with a CmpError instead of at the first handshake.
 * No key material ever goes into a message.
 */

/** DER bytes, or PEM as bytes or text (a PEM source may hold several certificates). */
export type CertificateSource = Uint8Array | string;
/** DER (PKCS#8, PKCS#1 or SEC1) bytes, or PEM as bytes or text, possibly encrypted. */
export type PrivateKeySource = Uint8Array | string;

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

function isDer(src: CertificateSource): src is Uint8Array {
  // A DER certificate or key is a SEQUENCE; PEM text starts with '-' or whitespace.
  return typeof src !== 'string' && src.length > 0 && src[0] === 0x30;
}

function asText(src: Uint8Array | string): string {
  return typeof src === 'string' ? src : Buffer.from(src.buffer, src.byteOffset, src.byteLength).toString('latin1');
}

/** Each certificate in `src` as PEM, checked to parse; `what` names the option in errors. */
export function certificatesToPem(src: CertificateSource, what: string): string[] {
  if (isDer(src)) {
    try {
      return [new X509Certificate(Buffer.from(src)).toString()];
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${what} is not a DER certificate`, { cause: e });
    }
  }
  const blocks = asText(src).match(PEM_CERT);
  if (blocks === null) {
    // A file name lands here when the transport is used directly; CmpClient reads files itself.
    throw new CmpError(ErrorCodes.ERR_PEM, `${what} holds no PEM certificate (the transport takes PEM or DER, not file names)`);
  }
  return blocks.map((block, i) => {
    try {
      return new X509Certificate(block).toString();
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_PEM, `${what}: PEM certificate #${i + 1} does not parse`, { cause: e });
    }
  });
}

function isDecryptFailure(e: unknown): boolean {
  const text = `${(e as { code?: string }).code ?? ''} ${(e as Error).message ?? ''}`;
  return /passphrase|bad decrypt|ERR_MISSING_PASSPHRASE|BAD_DECRYPT/i.test(text);
}

/**
 * A wrong pass phrase yields valid CBC padding about once in 256 tries; the garbage then fails to
 * decode instead of failing to decrypt, so an encrypted PEM that does not open is a pass phrase problem.
 */
function isEncryptedPem(src: PrivateKeySource): boolean {
  return !isDer(src) && /-----BEGIN ENCRYPTED PRIVATE KEY-----|Proc-Type:\s*4,\s*ENCRYPTED/.test(asText(src));
}

/** The private key as unencrypted PKCS#8 PEM (kept only in the agent's memory). */
export function privateKeyToPem(src: PrivateKeySource, passphrase: string | undefined, what: string): string {
  let key: KeyObject | undefined;
  let lastError: unknown;
  if (isDer(src)) {
    for (const type of ['pkcs8', 'pkcs1', 'sec1'] as const) {
      try {
        key = createPrivateKey({ key: Buffer.from(src), format: 'der', type, passphrase });
        break;
      } catch (e) {
        lastError = e;
      }
    }
  } else {
    try {
      key = createPrivateKey({ key: asText(src), format: 'pem', passphrase });
    } catch (e) {
      lastError = e;
    }
  }
  if (key === undefined) {
    if (isDecryptFailure(lastError) || (passphrase !== undefined && isEncryptedPem(src))) {
      throw new CmpError(ErrorCodes.ERR_BAD_PASSPHRASE, `${what} cannot be decrypted with the given passphrase`);
    }
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `${what} is not a usable private key`);
  }
  return key.export({ format: 'pem', type: 'pkcs8' }) as string;
}
