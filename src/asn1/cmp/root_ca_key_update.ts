import { AsnProp } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';

/**
 * ```asn1
 * RootCaKeyUpdateContent ::= SEQUENCE {
 *   newWithNew       CMPCertificate,
 *   newWithOld   [0] CMPCertificate OPTIONAL,
 *   oldWithNew   [1] CMPCertificate OPTIONAL }
 * ```
 * RFC 9810 section 5.3.19.15 (value of id-it-rootCaKeyUpdate and of ckuann cAKeyUpdAnnV3).
 */
export class RootCaKeyUpdateContent {
  @AsnProp({ type: Certificate })
  public newWithNew = new Certificate();

  @AsnProp({ type: Certificate, context: 0, optional: true })
  public newWithOld?: Certificate;

  @AsnProp({ type: Certificate, context: 1, optional: true })
  public oldWithNew?: Certificate;

  public constructor(params: Partial<RootCaKeyUpdateContent> = {}) {
    Object.assign(this, params);
  }
}

/** `RootCaKeyUpdateValue ::= RootCaKeyUpdateContent` */
export const RootCaKeyUpdateValue = RootCaKeyUpdateContent;
export type RootCaKeyUpdateValue = RootCaKeyUpdateContent;
