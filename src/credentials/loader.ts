/**
 * The one way cmpflow reads credentials, whatever option names them (client and embedded CA
 * alike): a file path, PEM text, or bytes, in PEM, DER or PKCS#12, told apart by content as
 * OpenSSL's apps do. The pass phrase is the one of the option that goes with the input (keyPass
 * for cert and key, newKeyPass, srvKeyPass ...); it decrypts encrypted keys and PKCS#12 files.
 * Errors name the file, never a pass phrase; callers prefix the option.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import type { X509Certificate } from '@peculiar/x509';
import { getCryptoProvider } from '../crypto';
import type { CryptoProvider, PrivateKeyHandle } from '../crypto/provider';
import { CmpError, ErrorCodes, isCmpError } from '../errors';
import { certificatesIn } from './certificates';
import { credentialFormat } from './format';
import { privateKeyIn } from './keys';
import { parsePem } from './pem';
import { pkcs12In, type Pkcs12Contents } from './pkcs12';
import { loadPkcs11Key } from './pkcs11-key';
import { isPkcs11Uri } from '../crypto/pkcs11-uri';
import { type CredentialInput, pemText, readCredentialInput } from './source';

export interface CredentialLoadOptions {
  /** Decrypts an encrypted private key or a PKCS#12 file; ignored by plain PEM and DER. */
  passphrase?: string;
  provider?: CryptoProvider;
}

/**
 * A PKCS#12 file without a pass phrase: files written with an empty one (or `-nomac` and no
 * encryption) open with '', others need the pass phrase that was not given.
 */
async function openPkcs12(source: CredentialInput, options: CredentialLoadOptions): Promise<Pkcs12Contents> {
  const provider = options.provider ?? getCryptoProvider();
  if (options.passphrase !== undefined) return pkcs12In(source, options.passphrase, provider);
  try {
    return await pkcs12In(source, '', provider);
  } catch (e) {
    if (!isCmpError(e, ErrorCodes.ERR_BAD_PASSPHRASE)) throw e;
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, `the PKCS#12 file ${source.name} is protected by a pass phrase and none was given`);
  }
}

function unknownFormat(what: string, name: string): CmpError {
  return new CmpError(ErrorCodes.ERR_CREDENTIALS, `no ${what} in a known format (PEM, DER, PKCS#12) in ${name}`);
}

/**
 * All certificates of the input, in file order. For PKCS#12 the certificate of its key comes
 * first, then the others (its chain), as OpenSSL's load_cert_certs returns them.
 */
export async function loadCertificateSet(input: string | Uint8Array, options: CredentialLoadOptions = {}): Promise<X509Certificate[]> {
  const source = readCredentialInput(input, 'certificate');
  switch (credentialFormat(source.bytes)) {
    case 'pkcs12': {
      const contents = await openPkcs12(source, options);
      return [contents.cert, ...contents.chain];
    }
    case 'unknown':
      throw unknownFormat('certificate', source.name);
    default:
      return certificatesIn(source);
  }
}

/**
 * The private key of the input: PKCS#8 (plain or encrypted), PKCS#1 or SEC1 as PEM or DER, or
 * the key of a PKCS#12 file, or a key in a PKCS#11 token named by a `pkcs11:` URI (whose PIN,
 * unless the URI has one, is `passphrase`).
 */
export async function loadPrivateKey(
  input: string | Uint8Array,
  passphrase?: string,
  provider: CryptoProvider = getCryptoProvider(),
): Promise<PrivateKeyHandle> {
  if (isPkcs11Uri(input)) return loadPkcs11Key(input, passphrase);
  const source = readCredentialInput(input, 'private key');
  switch (credentialFormat(source.bytes)) {
    case 'pkcs12':
      return (await openPkcs12(source, { ...(passphrase !== undefined ? { passphrase } : {}), provider })).key;
    case 'unknown':
      throw unknownFormat('private key', source.name);
    default:
      return privateKeyIn(source, passphrase, provider);
  }
}

/** The DER of a PKCS#10 request given as PEM (`CERTIFICATE REQUEST`) or DER. */
export function loadCertificationRequest(input: string | Uint8Array): Uint8Array {
  const source = readCredentialInput(input, 'certificate request');
  const text = pemText(source);
  let der = source.bytes;
  if (text !== undefined) {
    let block;
    try {
      block = parsePem(text).find((b) => /^(NEW )?CERTIFICATE REQUEST$/.test(b.label));
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_PEM, `${source.name}: ${(e as Error).message}`, { cause: e });
    }
    if (block === undefined) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `no CERTIFICATE REQUEST in ${source.name}`);
    der = block.der;
  }
  try {
    AsnConvert.parse(der, CertificationRequest);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `no PKCS#10 certificate request in ${source.name}`, { cause: e });
  }
  return der;
}
