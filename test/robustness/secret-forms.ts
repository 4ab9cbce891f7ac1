/**
 * The forms a secret could take when it leaks into text: as written, base64 (both alphabets), hex
 * (both cases), and for private keys also the PKCS#8 DER, its PEM body, and the private scalar
 * (EC `d`, RSA `d`) on their own.
 */
import { createPrivateKey } from 'node:crypto';

export interface SecretForm {
  /** Which secret, in which form: printed when one is found, never the value itself. */
  label: string;
  value: string;
}

const MIN_FORM_CHARS = 12;

function encodings(label: string, bytes: Buffer): SecretForm[] {
  return [
    { label: `${label} (base64)`, value: bytes.toString('base64').replace(/=+$/, '') },
    { label: `${label} (base64url)`, value: bytes.toString('base64url') },
    { label: `${label} (hex)`, value: bytes.toString('hex') },
    { label: `${label} (HEX)`, value: bytes.toString('hex').toUpperCase() },
  ];
}

/** A pass phrase or shared secret. */
export function passphraseForms(label: string, secret: string): SecretForm[] {
  return [{ label, value: secret }, ...encodings(label, Buffer.from(secret, 'utf8'))].filter((f) => f.value.length >= MIN_FORM_CHARS);
}

/** A private key given as PEM (plain PKCS#8, SEC1 or PKCS#1; encrypted ones need `passphrase`). */
export function privateKeyForms(label: string, pem: string, passphrase?: string): SecretForm[] {
  const key = createPrivateKey(passphrase !== undefined ? { key: pem, passphrase } : pem);
  const der = key.export({ format: 'der', type: 'pkcs8' }) as Buffer;
  const plainPem = key.export({ format: 'pem', type: 'pkcs8' }) as string;
  const body = plainPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  const jwk = key.export({ format: 'jwk' }) as { d?: string };
  const d = jwk.d ? Buffer.from(jwk.d, 'base64url') : undefined;
  return [
    { label: `${label} PKCS#8 PEM body`, value: body },
    // A single PEM line is enough to give away part of the key.
    ...body
      .match(/.{64}/g)!
      .slice(1, 3)
      .map((line, i) => ({ label: `${label} PEM line ${i + 2}`, value: line })),
    { label: `${label} PKCS#8 DER (latin1)`, value: der.toString('latin1') },
    ...encodings(`${label} PKCS#8 DER`, der),
    ...(d ? encodings(`${label} private scalar`, d) : []),
  ];
}

/** The labels of the forms found in `text`. */
export function leaksIn(text: string, forms: SecretForm[]): string[] {
  return forms.filter((f) => text.includes(f.value)).map((f) => f.label);
}
