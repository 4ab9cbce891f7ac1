/**
 * ASN.1 of password-based encryption parameters that the @peculiar packages do not define:
 * PBES2 and PBKDF2 (RFC 8018 A.2, A.4), PKCS#12's pkcs-12PbeParams (RFC 7292 appendix C) and CMS
 * EncryptedData (RFC 5652 section 8), which PKCS#12 uses for its encrypted SafeContents.
 */
import { AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { EncryptedContentInfo } from '@peculiar/asn1-cms';
import { Oids } from '../crypto/algorithms';

export class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier })
  keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  encryptionScheme = new AlgorithmIdentifier();
}

/** Only the `specified` choice of salt: RFC 8018 reserves otherSource for future use. */
export class Pbkdf2Params {
  @AsnProp({ type: OctetString })
  salt = new OctetString();

  @AsnProp({ type: AsnPropTypes.Integer })
  iterationCount = 0;

  @AsnProp({ type: AsnPropTypes.Integer, optional: true })
  keyLength?: number;

  @AsnProp({ type: AlgorithmIdentifier, defaultValue: new AlgorithmIdentifier({ algorithm: Oids.hmacWithSHA1, parameters: null }) })
  prf = new AlgorithmIdentifier({ algorithm: Oids.hmacWithSHA1, parameters: null });
}

export class Pkcs12PbeParams {
  @AsnProp({ type: OctetString })
  salt = new OctetString();

  @AsnProp({ type: AsnPropTypes.Integer })
  iterations = 0;
}

export class CmsEncryptedData {
  @AsnProp({ type: AsnPropTypes.Integer })
  version = 0;

  @AsnProp({ type: EncryptedContentInfo })
  encryptedContentInfo = new EncryptedContentInfo();
}
