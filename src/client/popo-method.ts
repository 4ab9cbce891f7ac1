/**
 * The proof-of-possession method in effect (OpenSSL -popo): as configured, else 1 (signature), or 2
 * (keyEncipherment) for an ML-KEM key, which cannot sign. Indirect methods (2, 3) change the request's
 * pvno and how the answer is read, so every part of the client asks here.
 */
import type { PopoMethod } from '../message/cert-request';
import { CmpError, ErrorCodes } from '../errors';
import type { ClientSetup } from './setup';

export function popoMethod(setup: ClientSetup): PopoMethod {
  const configured = setup.options.popo;
  if (setup.newKemKey && configured === 1) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'popo: an ML-KEM key cannot sign; use 2 (keyEncipherment)', { options: ['popo', 'newKey'] });
  }
  return configured ?? (setup.newKemKey ? 2 : 1);
}

/** Whether the certificate comes back encrypted for the new key (RFC 9810 section 5.2.8.3). */
export function indirectPopo(setup: ClientSetup): boolean {
  const popo = popoMethod(setup);
  return (popo === 2 || popo === 3) && !setup.options.centralKeyGeneration;
}
