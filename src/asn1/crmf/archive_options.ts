import { AsnProp, AsnPropTypes, AsnType, AsnTypeTypes } from '@peculiar/asn1-schema';
import { EncryptedKey } from './encrypted_key';

/**
 * ```asn1
 * PKIArchiveOptions ::= CHOICE {
 *   encryptedPrivKey     [0] EncryptedKey,
 *   keyGenParameters     [1] KeyGenParameters,
 *   archiveRemGenPrivKey [2] BOOLEAN }
 * KeyGenParameters ::= OCTET STRING
 * ```
 * RFC 4211 section 6.4 (EncryptedKey is a CHOICE, so its tag is explicit; the others implicit).
 */
@AsnType({ type: AsnTypeTypes.Choice })
export class PKIArchiveOptions {
  @AsnProp({ type: EncryptedKey, context: 0 })
  public encryptedPrivKey?: EncryptedKey;

  @AsnProp({ type: AsnPropTypes.OctetString, context: 1, implicit: true })
  public keyGenParameters?: ArrayBuffer;

  @AsnProp({ type: AsnPropTypes.Boolean, context: 2, implicit: true })
  public archiveRemGenPrivKey?: boolean;

  public constructor(params: Partial<PKIArchiveOptions> = {}) {
    Object.assign(this, params);
  }
}
