import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { BigIntConverter } from '../converters';

const hmacWithSHA1 = '1.2.840.113549.2.7';

/** algid-hmacWithSHA1 of RFC 8018, the DEFAULT of PBKDF2-params.prf. */
function defaultPrf(): AlgorithmIdentifier {
  return new AlgorithmIdentifier({ algorithm: hmacWithSHA1, parameters: null });
}

/**
 * ```asn1
 * PBMAC1-params ::= SEQUENCE {
 *   keyDerivationFunc AlgorithmIdentifier {{PBMAC1-KDFs}},
 *   messageAuthScheme AlgorithmIdentifier {{PBMAC1-MACs}} }
 * ```
 * RFC 8018 appendix A.5, used for CMP protection by RFC 9481 section 6.1.3.
 */
export class PBMAC1Params {
  @AsnProp({ type: AlgorithmIdentifier })
  public keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  public messageAuthScheme = new AlgorithmIdentifier();

  public constructor(params: Partial<PBMAC1Params> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * salt CHOICE {
 *   specified OCTET STRING,
 *   otherSource AlgorithmIdentifier {{PBKDF2-SaltSources}} }
 * ```
 * The unnamed CHOICE of PBKDF2-params.salt.
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class PBKDF2Salt {
  @AsnProp({ type: AsnPropTypes.OctetString })
  public specified?: ArrayBuffer;

  @AsnProp({ type: AlgorithmIdentifier, optional: true })
  public otherSource?: AlgorithmIdentifier;

  public constructor(params: Partial<PBKDF2Salt> = {}) {
    Object.assign(this, params);
  }
}

/**
 * ```asn1
 * PBKDF2-params ::= SEQUENCE {
 *   salt CHOICE {
 *     specified OCTET STRING,
 *     otherSource AlgorithmIdentifier {{PBKDF2-SaltSources}} },
 *   iterationCount INTEGER (1..MAX),
 *   keyLength INTEGER (1..MAX) OPTIONAL,
 *   prf AlgorithmIdentifier {{PBKDF2-PRFs}} DEFAULT algid-hmacWithSHA1 }
 * ```
 * RFC 8018 appendix A.2. A prf equal to the DEFAULT (hmacWithSHA1 with NULL parameters) is not
 * encoded, as DER requires; when absent on decoding, `prf` holds that DEFAULT.
 */
export class PBKDF2Params {
  public static readonly defaultPrf = defaultPrf;

  @AsnProp({ type: PBKDF2Salt })
  public salt = new PBKDF2Salt();

  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter })
  public iterationCount = 1n;

  @AsnProp({ type: AsnPropTypes.Integer, converter: BigIntConverter, optional: true })
  public keyLength?: bigint;

  @AsnProp({ type: AlgorithmIdentifier, defaultValue: defaultPrf() })
  public prf = defaultPrf();

  public constructor(params: Partial<PBKDF2Params> = {}) {
    Object.assign(this, params);
  }
}
