/**
 * A CRL from a file, PEM ("X509 CRL") or DER, as OpenSSL's load_crl() with FORMAT_UNDEF accepts
 * it; and the bytes of a CRL file as OpenSSL writes one (-crlform: DER by default, or PEM).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList } from '@peculiar/asn1-x509';
import { X509Crl } from '@peculiar/x509';
import { toArrayBuffer } from '../bytes';
import { CmpError, ErrorCodes } from '../errors';
import { encodePem, parsePem } from './pem';
import { pemText, readCredentialInput } from './source';

export type CrlForm = 'PEM' | 'DER';

/** The one CRL of `input` (a path, PEM text or bytes); `what` names it in errors, e.g. '-oldcrl'. */
export function loadCrl(input: string | Uint8Array, what: string): X509Crl {
  const source = readCredentialInput(input, `${what} CRL`);
  const pem = pemText(source);
  let der: Uint8Array = source.bytes;
  if (pem !== undefined) {
    const block = parsePem(pem).find((b) => b.label === 'X509 CRL');
    if (!block) throw new CmpError(ErrorCodes.ERR_PEM, `${what}: ${source.name} holds no X509 CRL PEM block`);
    der = block.der;
  }
  try {
    // Parsed strictly first: X509Crl alone accepts bytes that are not a CertificateList at all.
    AsnConvert.parse(der, CertificateList);
    return new X509Crl(toArrayBuffer(der));
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_ASN1_DECODE, `${what}: ${source.name} is not a CRL`, { cause: e });
  }
}

export function encodeCrl(crl: X509Crl, form: CrlForm): Uint8Array {
  const der = new Uint8Array(crl.rawData);
  return form === 'PEM' ? new TextEncoder().encode(encodePem('X509 CRL', der)) : der;
}
