import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { BigIntConverter } from '../converters';
import { matchOptionalChoiceByTag } from '../optional-choice';
import { AttributeTypeAndValue, Controls } from './attribute';
import { CertTemplate } from './cert_template';
import { ProofOfPossession } from './proof_of_possession';

/**
 * ```asn1
 * CertRequest ::= SEQUENCE {
 *   certReqId     INTEGER,
 *   certTemplate  CertTemplate,
 *   controls      Controls OPTIONAL }
 * ```
 * RFC 4211 section 5.
 */
export class CertRequest {
  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public certReqId = 0n;

  @AsnProp({ type: CertTemplate })
  public certTemplate = new CertTemplate();

  @AsnProp({ type: Controls, optional: true })
  public controls?: Controls;

  public constructor(params: Partial<CertRequest> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertReq ::= CertRequest   -- value of id-regInfo-certReq
 * ```
 */
export const CertReq = CertRequest;
export type CertReq = CertRequest;

/**
 * ```asn1
 * CertReqMsg ::= SEQUENCE {
 *   certReq   CertRequest,
 *   popo       ProofOfPossession  OPTIONAL,
 *   regInfo   SEQUENCE SIZE(1..MAX) OF AttributeTypeAndValue OPTIONAL }
 * ```
 * RFC 4211 section 3.
 */
export class CertReqMsg {
  @AsnProp({ type: CertRequest })
  public certReq = new CertRequest();

  @AsnProp({ type: ProofOfPossession, optional: true })
  public popo?: ProofOfPossession;

  @AsnProp({ type: AttributeTypeAndValue, repeated: 'sequence', optional: true })
  public regInfo?: AttributeTypeAndValue[];

  public constructor(params: Partial<CertReqMsg> = {}) {
    Object.assign(this, params);
  }
}

// Without this, a CertReqMsg with regInfo but no popo would lose its regInfo to the popo field.
matchOptionalChoiceByTag(CertReqMsg, 'popo');

/**
 * ```asn1
 * CertReqMessages ::= SEQUENCE SIZE (1..MAX) OF CertReqMsg
 * ```
 * RFC 4211 section 3.
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: CertReqMsg })
export class CertReqMessages extends AsnArray<CertReqMsg> {
  public constructor(items?: CertReqMsg[]) {
    super(items);
    Object.setPrototypeOf(this, CertReqMessages.prototype);
  }
}
