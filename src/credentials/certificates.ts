import { X509Certificate } from '@peculiar/x509';
import '../crypto'; // registers WebCrypto with @peculiar/x509, which certificate methods need
import { CmpError, ErrorCodes } from '../errors';
import { credentialFormat } from './format';
import { parsePem } from './pem';
import { CredentialInput, pemText, readCredentialInput } from './source';

const certificateLabels = new Set(['CERTIFICATE', 'X509 CERTIFICATE']);

/**
 * All certificates of a file path, PEM text, DER bytes or PEM bytes; PEM may hold several, and
 * other blocks (keys, CRLs) are skipped. ERR_FILE when the file cannot be read, ERR_PEM for broken
 * PEM, ERR_CREDENTIALS when it holds no certificate or one that does not parse.
 */
export function loadCertificates(input: string | Uint8Array): X509Certificate[] {
  return certificatesIn(readCredentialInput(input, 'certificate'));
}

/** The one certificate of an input; ERR_CREDENTIALS when it holds more than one. */
export function loadCertificate(input: string | Uint8Array): X509Certificate {
  const source = readCredentialInput(input, 'certificate');
  const certificates = certificatesIn(source);
  if (certificates.length > 1) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `expected one certificate in ${source.name}, found ${certificates.length}`);
  }
  return certificates[0]!;
}

/**
 * The certificates of PEM or DER input (for PKCS#12, which needs a pass phrase and decrypts
 * asynchronously, see loader.ts).
 */
export function certificatesIn(source: CredentialInput): X509Certificate[] {
  const format = credentialFormat(source.bytes);
  if (format === 'pkcs12') {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `${source.name} is a PKCS#12 file: load it with loadCertificateSet and its pass phrase`);
  }
  if (format === 'unknown') throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `no certificate in a known format (PEM, DER, PKCS#12) in ${source.name}`);
  const text = pemText(source);
  const ders = text === undefined ? [source.bytes] : pemCertificates(text, source.name);
  if (ders.length === 0) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `no certificate in ${source.name}`);
  return ders.map((der, i) => {
    try {
      return new X509Certificate(new Uint8Array(der));
    } catch (e) {
      const which = ders.length > 1 ? `certificate ${i + 1} of ${source.name}` : source.name;
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `cannot parse ${which} as an X.509 certificate`, { cause: e });
    }
  });
}

function pemCertificates(text: string, name: string): Uint8Array[] {
  try {
    return parsePem(text)
      .filter((block) => certificateLabels.has(block.label))
      .map((block) => block.der);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_PEM, `${name}: ${(e as Error).message}`, { cause: e });
  }
}
