/**
 * Which property names hold secrets. The inspector redacts them and persisted session metadata
 * refuses them, so that one list decides both. Names are compared without case, '-' or '_', so
 * `keypass`, `key_pass` and `keyPass` are the same name.
 */

/** Names that are secrets on their own (OpenSSL cmp's -key, -keypass, -otherpass, -secret, ...). */
const SECRET_NAMES = new Set(['key', 'pass', 'pin', 'secret', 'keypass', 'otherpass', 'pkcs8', 'authorization', 'cookie']);

/** Parts that make any name a secret: `sharedSecret`, `macPassword`, `privateKeyPem`, `authToken`. */
const SECRET_PARTS = ['secret', 'password', 'passwd', 'passphrase', 'privatekey', 'token'];

/** Public keys end in "key" too, but are not secret. */
const PUBLIC_KEY_SUFFIXES = ['publickey', 'subjectpublickey'];

export function isSecretLikeName(name: string): boolean {
  const n = name.toLowerCase().replace(/[-_]/g, '');
  if (SECRET_NAMES.has(n)) return true;
  if (SECRET_PARTS.some((part) => n.includes(part))) return true;
  // A name ending in "key" (macKey, signingKey, newKey) names key material unless it is a public key.
  return n.endsWith('key') && !PUBLIC_KEY_SUFFIXES.some((suffix) => n.endsWith(suffix));
}
