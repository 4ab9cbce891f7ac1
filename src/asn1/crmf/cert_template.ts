import { AsnIntegerArrayBufferConverter, AsnProp, AsnPropTypes, BitString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Extensions, Name, SubjectPublicKeyInfo, Time } from '@peculiar/asn1-x509';
import { SmallIntegerConverter } from '../converters';

/**
 * ```asn1
 * OptionalValidity ::= SEQUENCE {
 *   notBefore  [0] Time OPTIONAL,
 *   notAfter   [1] Time OPTIONAL } -- at least one MUST be present
 * ```
 * RFC 4211 section 5 (IMPLICIT TAGS module; Time is a CHOICE, so its tags are explicit).
 */
export class OptionalValidity {
  @AsnProp({ type: Time, context: 0, optional: true })
  public notBefore?: Time;

  @AsnProp({ type: Time, context: 1, optional: true })
  public notAfter?: Time;

  public constructor(params: Partial<OptionalValidity> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertTemplate ::= SEQUENCE {
 *   version      [0] Version               OPTIONAL,
 *   serialNumber [1] INTEGER               OPTIONAL,
 *   signingAlg   [2] AlgorithmIdentifier   OPTIONAL,
 *   issuer       [3] Name                  OPTIONAL,
 *   validity     [4] OptionalValidity      OPTIONAL,
 *   subject      [5] Name                  OPTIONAL,
 *   publicKey    [6] SubjectPublicKeyInfo  OPTIONAL,
 *   issuerUID    [7] UniqueIdentifier      OPTIONAL,
 *   subjectUID   [8] UniqueIdentifier      OPTIONAL,
 *   extensions   [9] Extensions            OPTIONAL }
 * ```
 * RFC 4211 section 5. Tags are implicit except for the CHOICE type Name, whose tags are explicit.
 */
export class CertTemplate {
  @AsnProp({ type: AsnPropTypes.Integer, context: 0, implicit: true, optional: true, converter: SmallIntegerConverter })
  public version?: number;

  @AsnProp({
    type: AsnPropTypes.Integer,
    context: 1,
    implicit: true,
    optional: true,
    converter: AsnIntegerArrayBufferConverter,
  })
  public serialNumber?: ArrayBuffer;

  @AsnProp({ type: AlgorithmIdentifier, context: 2, implicit: true, optional: true })
  public signingAlg?: AlgorithmIdentifier;

  @AsnProp({ type: Name, context: 3, optional: true })
  public issuer?: Name;

  @AsnProp({ type: OptionalValidity, context: 4, implicit: true, optional: true })
  public validity?: OptionalValidity;

  @AsnProp({ type: Name, context: 5, optional: true })
  public subject?: Name;

  @AsnProp({ type: SubjectPublicKeyInfo, context: 6, implicit: true, optional: true })
  public publicKey?: SubjectPublicKeyInfo;

  @AsnProp({ type: BitString, context: 7, implicit: true, optional: true })
  public issuerUID?: BitString;

  @AsnProp({ type: BitString, context: 8, implicit: true, optional: true })
  public subjectUID?: BitString;

  @AsnProp({ type: Extensions, context: 9, implicit: true, optional: true })
  public extensions?: Extensions;

  public constructor(params: Partial<CertTemplate> = {}) {
    Object.assign(this, params);
  }
}
