import { Certificate } from '@peculiar/asn1-x509';

/**
 * ```asn1
 * CMPCertificate ::= CHOICE { x509v3PKCert Certificate, ... }
 * ```
 * RFC 9810 Appendix F. The only alternative is bits-on-the-wire identical to Certificate, so the
 * module's own suggestion `CMPCertificate ::= Certificate` is what this library uses.
 */
export const CMPCertificate = Certificate;
export type CMPCertificate = Certificate;
