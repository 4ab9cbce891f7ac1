/**
 * What kind of credential file some bytes are, told by their content as OpenSSL's apps do
 * (load_key_certs_crls tries every decoder whatever the file is called): PEM text, a PKCS#12
 * PFX, or some other DER structure (a certificate, a key, a CSR) for the loaders to parse.
 */
import { sequenceChildTags } from './der-shape';
import { isPem } from './pem';

export type CredentialFormat = 'pem' | 'pkcs12' | 'der' | 'unknown';

const INTEGER = 0x02;
const SEQUENCE = 0x30;

export function credentialFormat(bytes: Uint8Array): CredentialFormat {
  if (isPem(bytes)) return 'pem';
  const tags = sequenceChildTags(bytes);
  if (tags === undefined || tags.length === 0) return 'unknown';
  // PFX: version, authSafe ContentInfo, optional MacData. No key or certificate format starts
  // INTEGER, SEQUENCE and then ends or goes on with a SEQUENCE (PKCS#8 has an OCTET STRING there).
  if (tags[0] === INTEGER && tags[1] === SEQUENCE && (tags.length === 2 || (tags.length === 3 && tags[2] === SEQUENCE))) return 'pkcs12';
  return 'der';
}
