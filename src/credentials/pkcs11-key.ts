/**
 * Opens a private key named by a `pkcs11:` URI, with its PIN from the URI (pin-value, or
 * pin-source naming a file as libp11 reads it) or else from the key's pass phrase option
 * (-keypass, -newkeypass, -tls_keypass). The PIN goes to C_Login and nowhere else.
 */
import { openPkcs11Key } from '../crypto/pkcs11';
import { parsePkcs11Uri } from '../crypto/pkcs11-uri';
import type { PrivateKeyHandle } from '../crypto/provider';
import { resolvePassphrase } from './passphrase';

/** Environment variable naming the PKCS#11 module when the URI has no module-path. */
export const PKCS11_MODULE_ENV = 'CMPFLOW_PKCS11_MODULE';

async function pinOf(pinSource: string): Promise<string> {
  // RFC 7512 makes pin-source a URI; libp11 also takes a plain path.
  const path = pinSource.replace(/^file:(\/\/(?=\/))?/i, '');
  return resolvePassphrase(`file:${path}`, { option: 'pkcs11: pin-source' });
}

export async function loadPkcs11Key(uri: string, passphrase: string | undefined): Promise<PrivateKeyHandle> {
  const parsed = parsePkcs11Uri(uri);
  const pin = parsed.pinValue ?? (parsed.pinSource !== undefined ? await pinOf(parsed.pinSource) : passphrase);
  const modulePath = process.env[PKCS11_MODULE_ENV];
  return openPkcs11Key({ uri: parsed, ...(pin !== undefined ? { pin } : {}), ...(modulePath ? { modulePath } : {}) });
}
