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
