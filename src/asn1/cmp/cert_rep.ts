import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { BigIntConverter } from '../converters';
import { EncryptedKey } from '../crmf/encrypted_key';
import { PKIPublicationInfo } from '../crmf/publication_info';
import { CMPCertificate } from './cmp_certificate';
import { PKIStatusInfo } from './status';

/**
 * ```asn1
 * CertOrEncCert ::= CHOICE {
 *   certificate     [0] CMPCertificate,
 *   encryptedCert   [1] EncryptedKey }
 * ```
 * RFC 9810 section 5.3.4.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class CertOrEncCert {
  @AsnProp({ type: CMPCertificate, context: 0 })
  public certificate?: Certificate;

  @AsnProp({ type: EncryptedKey, context: 1 })
  public encryptedCert?: EncryptedKey;

  public constructor(params: Partial<CertOrEncCert> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertifiedKeyPair ::= SEQUENCE {
 *   certOrEncCert       CertOrEncCert,
 *   privateKey      [0] EncryptedKey      OPTIONAL,
 *   publicationInfo [1] PKIPublicationInfo  OPTIONAL }
 * ```
 * RFC 9810 section 5.3.4.
 */
export class CertifiedKeyPair {
  @AsnProp({ type: CertOrEncCert })
  public certOrEncCert = new CertOrEncCert();

  @AsnProp({ type: EncryptedKey, context: 0, optional: true })
  public privateKey?: EncryptedKey;

  @AsnProp({ type: PKIPublicationInfo, context: 1, optional: true })
  public publicationInfo?: PKIPublicationInfo;

  public constructor(params: Partial<CertifiedKeyPair> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertResponse ::= SEQUENCE {
 *   certReqId           INTEGER,
 *   status              PKIStatusInfo,
 *   certifiedKeyPair    CertifiedKeyPair    OPTIONAL,
 *   rspInfo             OCTET STRING        OPTIONAL }
 * ```
 * RFC 9810 section 5.3.4. certReqId is -1 when answering a p10cr.
 */
export class CertResponse {
  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public certReqId = 0n;

  @AsnProp({ type: PKIStatusInfo })
  public status = new PKIStatusInfo();

  @AsnProp({ type: CertifiedKeyPair, optional: true })
  public certifiedKeyPair?: CertifiedKeyPair;

  @AsnProp({ type: AsnPropTypes.OctetString, optional: true })
  public rspInfo?: ArrayBuffer;

  public constructor(params: Partial<CertResponse> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * CertRepMessage ::= SEQUENCE {
 *   caPubs       [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL,
 *   response         SEQUENCE OF CertResponse }
 * ```
 * RFC 9810 section 5.3.4 (ip, cp, kup, ccp).
 */
export class CertRepMessage {
  @AsnProp({ type: CMPCertificate, context: 1, repeated: 'sequence', optional: true })
  public caPubs?: Certificate[];

  @AsnProp({ type: CertResponse, repeated: 'sequence' })
  public response: CertResponse[] = [];

  public constructor(params: Partial<CertRepMessage> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * KeyRecRepContent ::= SEQUENCE {
 *   status                  PKIStatusInfo,
 *   newSigCert          [0] CMPCertificate OPTIONAL,
 *   caCerts             [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL,
 *   keyPairHist         [2] SEQUENCE SIZE (1..MAX) OF CertifiedKeyPair OPTIONAL }
 * ```
 * RFC 9810 section 5.3.8 (krp).
 */
export class KeyRecRepContent {
  @AsnProp({ type: PKIStatusInfo })
  public status = new PKIStatusInfo();

  @AsnProp({ type: Certificate, context: 0, optional: true })
  public newSigCert?: Certificate;

  @AsnProp({ type: Certificate, context: 1, repeated: 'sequence', optional: true })
  public caCerts?: Certificate[];

  @AsnProp({ type: CertifiedKeyPair, context: 2, repeated: 'sequence', optional: true })
  public keyPairHist?: CertifiedKeyPair[];

  public constructor(params: Partial<KeyRecRepContent> = {}) {
    Object.assign(this, params);
  }
}
