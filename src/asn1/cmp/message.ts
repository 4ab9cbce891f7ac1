/**
 * The PKIMessage envelope and the PKIBody CHOICE. They live in one file because the types are
 * mutually recursive (a nested body holds PKIMessages), and asn1-schema resolves a property's
 * type when the decorator runs.
 */
import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { CertReqMessages } from '../crmf/cert_request';
import { CMPCertificate } from './cmp_certificate';
import { CAKeyUpdContent, CRLAnnContent, RevAnnContent } from './announcement';
import { CertConfirmContent } from './cert_confirm';
import { CertRepMessage, KeyRecRepContent } from './cert_rep';
import { ErrorMsgContent } from './error_msg';
import { PKIHeader } from './header';
import { GenMsgContent, GenRepContent } from './info_type_and_value';
import { PollRepContent, PollReqContent } from './poll';
import { POPODecKeyChallContent, POPODecKeyRespContent } from './pop_challenge';
import { RevRepContent, RevReqContent } from './revocation';

/**
 * ```asn1
 * PKIMessages ::= SEQUENCE SIZE (1..MAX) OF PKIMessage
 * ```
 * RFC 9810 section 5.1. Decorated below, once PKIMessage exists.
 */
export class PKIMessages extends AsnArray<PKIMessage> {
  public constructor(items?: PKIMessage[]) {
    super(items);
    Object.setPrototypeOf(this, PKIMessages.prototype);
  }
}

/**
 * ```asn1
 * NestedMessageContent ::= PKIMessages
 * ```
 * RFC 9810 section 5.1.3.5 (nested).
 */
export const NestedMessageContent = PKIMessages;
export type NestedMessageContent = PKIMessages;

/**
 * ```asn1
 * PKIBody ::= CHOICE {       -- message-specific body elements
 *   ir       [0]  CertReqMessages,        --Initialization Request
 *   ip       [1]  CertRepMessage,         --Initialization Response
 *   cr       [2]  CertReqMessages,        --Certification Request
 *   cp       [3]  CertRepMessage,         --Certification Response
 *   p10cr    [4]  CertificationRequest,   --imported from [RFC2986]
 *   popdecc  [5]  POPODecKeyChallContent, --pop Challenge
 *   popdecr  [6]  POPODecKeyRespContent,  --pop Response
 *   kur      [7]  CertReqMessages,        --Key Update Request
 *   kup      [8]  CertRepMessage,         --Key Update Response
 *   krr      [9]  CertReqMessages,        --Key Recovery Request
 *   krp      [10] KeyRecRepContent,       --Key Recovery Response
 *   rr       [11] RevReqContent,          --Revocation Request
 *   rp       [12] RevRepContent,          --Revocation Response
 *   ccr      [13] CertReqMessages,        --Cross-Cert. Request
 *   ccp      [14] CertRepMessage,         --Cross-Cert. Response
 *   ckuann   [15] CAKeyUpdContent,        --CA Key Update Ann.
 *   cann     [16] CertAnnContent,         --Certificate Ann.
 *   rann     [17] RevAnnContent,          --Revocation Ann.
 *   crlann   [18] CRLAnnContent,          --CRL Announcement
 *   pkiconf  [19] PKIConfirmContent,      --Confirmation
 *   nested   [20] NestedMessageContent,   --Nested Message
 *   genm     [21] GenMsgContent,          --General Message
 *   genp     [22] GenRepContent,          --General Response
 *   error    [23] ErrorMsgContent,        --Error Message
 *   certConf [24] CertConfirmContent,     --Certificate Confirm
 *   pollReq  [25] PollReqContent,         --Polling Request
 *   pollRep  [26] PollRepContent          --Polling Response
 * }
 * ```
 * RFC 9810 section 5.1.2 (explicit tags). Exactly one property is set; `pkiconf` is `null` when set.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class PKIBody {
  @AsnProp({ type: CertReqMessages, context: 0 })
  public ir?: CertReqMessages;

  @AsnProp({ type: CertRepMessage, context: 1 })
  public ip?: CertRepMessage;

  @AsnProp({ type: CertReqMessages, context: 2 })
  public cr?: CertReqMessages;

  @AsnProp({ type: CertRepMessage, context: 3 })
  public cp?: CertRepMessage;

  @AsnProp({ type: CertificationRequest, context: 4 })
  public p10cr?: CertificationRequest;

  @AsnProp({ type: POPODecKeyChallContent, context: 5 })
  public popdecc?: POPODecKeyChallContent;

  @AsnProp({ type: POPODecKeyRespContent, context: 6 })
  public popdecr?: POPODecKeyRespContent;

  @AsnProp({ type: CertReqMessages, context: 7 })
  public kur?: CertReqMessages;

  @AsnProp({ type: CertRepMessage, context: 8 })
  public kup?: CertRepMessage;

  @AsnProp({ type: CertReqMessages, context: 9 })
  public krr?: CertReqMessages;

  @AsnProp({ type: KeyRecRepContent, context: 10 })
  public krp?: KeyRecRepContent;

  @AsnProp({ type: RevReqContent, context: 11 })
  public rr?: RevReqContent;

  @AsnProp({ type: RevRepContent, context: 12 })
  public rp?: RevRepContent;

  @AsnProp({ type: CertReqMessages, context: 13 })
  public ccr?: CertReqMessages;

  @AsnProp({ type: CertRepMessage, context: 14 })
  public ccp?: CertRepMessage;

  @AsnProp({ type: CAKeyUpdContent, context: 15 })
  public ckuann?: CAKeyUpdContent;

  @AsnProp({ type: Certificate, context: 16 })
  public cann?: Certificate;

  @AsnProp({ type: RevAnnContent, context: 17 })
  public rann?: RevAnnContent;

  @AsnProp({ type: CRLAnnContent, context: 18 })
  public crlann?: CRLAnnContent;

  @AsnProp({ type: AsnPropTypes.Null, context: 19 })
  public pkiconf?: null;

  @AsnProp({ type: PKIMessages, context: 20 })
  public nested?: PKIMessages;

  @AsnProp({ type: GenMsgContent, context: 21 })
  public genm?: GenMsgContent;

  @AsnProp({ type: GenRepContent, context: 22 })
  public genp?: GenRepContent;

  @AsnProp({ type: ErrorMsgContent, context: 23 })
  public error?: ErrorMsgContent;

  @AsnProp({ type: CertConfirmContent, context: 24 })
  public certConf?: CertConfirmContent;

  @AsnProp({ type: PollReqContent, context: 25 })
  public pollReq?: PollReqContent;

  @AsnProp({ type: PollRepContent, context: 26 })
  public pollRep?: PollRepContent;

  public constructor(params: Partial<PKIBody> = {}) {
    Object.assign(this, params);
  }
}

/** The PKIBody alternatives in tag order: `PKI_BODY_TYPES[n]` is the alternative with tag [n]. */
export const PKI_BODY_TYPES = [
  'ir',
  'ip',
  'cr',
  'cp',
  'p10cr',
  'popdecc',
  'popdecr',
  'kur',
  'kup',
  'krr',
  'krp',
  'rr',
  'rp',
  'ccr',
  'ccp',
  'ckuann',
  'cann',
  'rann',
  'crlann',
  'pkiconf',
  'nested',
  'genm',
  'genp',
  'error',
  'certConf',
  'pollReq',
  'pollRep',
] as const;
export type PKIBodyType = (typeof PKI_BODY_TYPES)[number];

/** Which alternative of the CHOICE `body` holds, or undefined for an empty body. */
export function pkiBodyType(body: PKIBody): PKIBodyType | undefined {
  return PKI_BODY_TYPES.find((t) => body[t] !== undefined);
}

/**
 * ```asn1
 * PKIProtection ::= BIT STRING
 * ```
 * RFC 9810 section 5.1.3; carried as the bytes of the BIT STRING (no unused bits).
 */
export type PKIProtection = ArrayBuffer;

/**
 * ```asn1
 * PKIMessage ::= SEQUENCE {
 *   header           PKIHeader,
 *   body             PKIBody,
 *   protection   [0] PKIProtection OPTIONAL,
 *   extraCerts   [1] SEQUENCE SIZE (1..MAX) OF CMPCertificate OPTIONAL }
 * ```
 * RFC 9810 section 5.1.
 */
export class PKIMessage {
  @AsnProp({ type: PKIHeader })
  public header = new PKIHeader();

  @AsnProp({ type: PKIBody })
  public body = new PKIBody();

  @AsnProp({ type: AsnPropTypes.BitString, context: 0, optional: true })
  public protection?: PKIProtection;

  @AsnProp({ type: CMPCertificate, context: 1, repeated: 'sequence', optional: true })
  public extraCerts?: Certificate[];

  public constructor(params: Partial<PKIMessage> = {}) {
    Object.assign(this, params);
  }
}

AsnType({ type: AsnTypeTypes.Sequence, itemType: PKIMessage })(PKIMessages);

/**
 * ```asn1
 * ProtectedPart ::= SEQUENCE {
 *   header    PKIHeader,
 *   body      PKIBody }
 * ```
 * RFC 9810 section 5.1.3, the input of the protection algorithm.
 */
export class ProtectedPart {
  @AsnProp({ type: PKIHeader })
  public header = new PKIHeader();

  @AsnProp({ type: PKIBody })
  public body = new PKIBody();

  public constructor(params: Partial<ProtectedPart> = {}) {
    Object.assign(this, params);
  }
}
