/**
 * The proof-of-possession method in effect (OpenSSL -popo): as configured, else 1 (signature), 2
 * (keyEncipherment) for an ML-KEM key or 3 (keyAgreement) for an X25519/X448 key, which cannot sign.
 * Indirect methods (2, 3) change the request's pvno and how the answer is read, so every part of the
 * client asks here.
 */
import type { PopoMethod } from '../message/cert-request';
import { CmpError, ErrorCodes } from '../errors';
import type { ClientSetup } from './setup';

export function popoMethod(setup: ClientSetup): PopoMethod {
  const configured = setup.options.popo;
  if (setup.newKemKey && configured === 1 && !setup.options.centralKeyGeneration) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'popo: an ML-KEM key cannot sign; use 2 (keyEncipherment)', { options: ['popo', 'newKey'] });
  }
  // X25519 and X448 keys only agree on keys (RFC 8410): keyAgreement is their one proof of possession.
  const agreementOnly = setup.newKey?.keyType === 'x25519' || setup.newKey?.keyType === 'x448';
  if (agreementOnly && configured === 1 && !setup.options.centralKeyGeneration) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `popo: an ${setup.newKey!.keyType.toUpperCase()} key cannot sign; use 3 (keyAgreement)`, {
      options: ['popo', 'newKey'],
    });
  }
  return configured ?? (setup.newKemKey ? 2 : agreementOnly ? 3 : 1);
}

/** Whether the certificate comes back encrypted for the new key (RFC 9810 section 5.2.8.3). */
export function indirectPopo(setup: ClientSetup): boolean {
  const popo = popoMethod(setup);
  return (popo === 2 || popo === 3) && !setup.options.centralKeyGeneration;
}
