import * as asn1js from 'asn1js';
import { AsnArray, AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { EnvelopedData } from '../cms/enveloped_data';
import { AlgorithmIdentifier, GeneralName } from '@peculiar/asn1-x509';
import { BigIntConverter } from '../converters';

/**
 * ```asn1
 * Challenge ::= SEQUENCE {
 *   owf                 AlgorithmIdentifier{DIGEST-ALGORITHM, {...}} OPTIONAL,
 *   witness             OCTET STRING,
 *   challenge           OCTET STRING,
 *   encryptedRand   [0] EnvelopedData OPTIONAL }
 * ```
 * RFC 9810 section 5.2.8.3.
 */
export class Challenge {
  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  public owf?: AlgorithmIdentifier;

  @AsnProp({ type: AsnPropTypes.OctetString })
  public witness = new ArrayBuffer(0);

  @AsnProp({ type: AsnPropTypes.OctetString })
  public challenge = new ArrayBuffer(0);

  @AsnProp({ type: EnvelopedData, context: 0, optional: true })
  public encryptedRand?: EnvelopedData;

  public constructor(params: Partial<Challenge> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * Rand ::= SEQUENCE {
 *   int                  INTEGER,
 *   sender               GeneralName }
 * ```
 * RFC 9810 section 5.2.8.3, the plaintext of challenge / encryptedRand.
 */
export class Rand {
  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public int = 0n;

  @AsnProp({ type: GeneralName })
  public sender = new GeneralName();

  public constructor(params: Partial<Rand> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * POPODecKeyChallContent ::= SEQUENCE OF Challenge
 * ```
 * RFC 9810 section 5.2.8.3 (popdecc).
 */
@AsnType({ type: AsnTypeTypes.Sequence, itemType: Challenge })
export class POPODecKeyChallContent extends AsnArray<Challenge> {
  public constructor(items?: Challenge[]) {
    super(items);
    Object.setPrototypeOf(this, POPODecKeyChallContent.prototype);
  }
}

/**
 * ```asn1
 * POPODecKeyRespContent ::= SEQUENCE OF INTEGER
 * ```
 * RFC 9810 section 5.2.8.3 (popdecr). asn1-schema cannot give array items a converter, and its
 * default INTEGER converter loses values above 2^53, so this type converts itself (bigint items).
 */
export class POPODecKeyRespContent extends AsnArray<bigint> {
  public constructor(items?: bigint[]) {
    super(items);
    Object.setPrototypeOf(this, POPODecKeyRespContent.prototype);
  }

  public fromASN(asn: asn1js.AsnType): this {
    if (!(asn instanceof asn1js.Sequence)) throw new TypeError('POPODecKeyRespContent must be a SEQUENCE');
    this.length = 0;
    for (const item of asn.valueBlock.value) {
      if (!(item instanceof asn1js.Integer)) throw new TypeError('POPODecKeyRespContent items must be INTEGERs');
      this.push(item.toBigInt());
    }
    return this;
  }

  public toASN(): asn1js.Sequence {
    return new asn1js.Sequence({ value: Array.from(this, (v) => asn1js.Integer.fromBigInt(v)) });
  }

  public toSchema(name: string): asn1js.Sequence {
    return new asn1js.Sequence({ name });
  }
}
