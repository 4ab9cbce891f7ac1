/**
 * ASN.1 of password-based encryption parameters that the @peculiar packages do not define:
 * PBES2 (RFC 8018 A.4), PKCS#12's pkcs-12PbeParams (RFC 7292 appendix C) and CMS EncryptedData
 * (RFC 5652 section 8), which PKCS#12 uses for its encrypted SafeContents. PBKDF2-params is the
 * one class CMP's PBMAC1 uses too (src/asn1/cmp/pbmac1.ts).
 */
import { AsnProp, AsnPropTypes, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { EncryptedContentInfo } from '@peculiar/asn1-cms';

export class Pbes2Params {
  @AsnProp({ type: AlgorithmIdentifier })
  keyDerivationFunc = new AlgorithmIdentifier();

  @AsnProp({ type: AlgorithmIdentifier })
  encryptionScheme = new AlgorithmIdentifier();
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
