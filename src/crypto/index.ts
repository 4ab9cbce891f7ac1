import { webcrypto } from 'node:crypto';
import { cryptoProvider as x509CryptoProvider } from '@peculiar/x509';
import { NodeCryptoProvider } from './node';
import type { CryptoProvider } from './provider';

export * from './provider';
export * from './algorithms';
export { NodeCryptoProvider } from './node';
export { WebCryptoProvider } from './webcrypto';

let current: CryptoProvider | undefined;

/** The provider all of cmpflow uses; node:crypto unless `setCryptoProvider` chose another. */
export function getCryptoProvider(): CryptoProvider {
  current ??= new NodeCryptoProvider();
  return current;
}

export function setCryptoProvider(provider: CryptoProvider): void {
  current = provider;
}

/**
 * @peculiar/x509 looks for a WebCrypto in its own registry; under CommonJS (and jest's sandbox,
 * where globalThis.crypto may be missing) nothing registers one, so we do it once here.
 */
function configureX509(): void {
  const candidate = (globalThis as { crypto?: Crypto }).crypto;
  x509CryptoProvider.set(candidate?.subtle ? candidate : (webcrypto as unknown as Crypto));
}

configureX509();
