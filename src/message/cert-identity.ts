/**
 * How CMP names an existing certificate (kur's oldCertID, rr's certDetails): its issuer and its
 * serial number, taken from the certificate's own DER, so that the INTEGER keeps its exact bytes
 * (a leading zero included).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, Name } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';

export interface IssuerAndSerial {
  issuer: Name;
  /** The content bytes of the serialNumber INTEGER. */
  serialNumber: ArrayBuffer;
}

export function issuerAndSerial(cert: X509Certificate): IssuerAndSerial {
  const tbs = AsnConvert.parse(cert.rawData, Certificate).tbsCertificate;
  return { issuer: tbs.issuer, serialNumber: tbs.serialNumber };
}

/**
 * The content bytes of an INTEGER holding `value`: minimal two's complement, as DER wants, so a
 * serial number given as a number names the same certificate as the issuer's own encoding.
 */
export function integerContent(value: bigint): ArrayBuffer {
  let bytes = 1;
  while (value < -(1n << BigInt(8 * bytes - 1)) || value >= 1n << BigInt(8 * bytes - 1)) bytes++;
  const out = new Uint8Array(bytes);
  let rest = BigInt.asUintN(8 * bytes, value);
  for (let i = bytes - 1; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out.buffer;
}
