export { parsePem, encodePem, isPem } from './pem';
export type { PemBlock } from './pem';
export { loadCertificates, loadCertificate } from './certificates';
export { loadPrivateKey, importPrivateKeyInfo, publicKeyMatches } from './keys';
export { loadPkcs12 } from './pkcs12';
export type { Pkcs12Contents } from './pkcs12';
export { resolvePassphrase } from './passphrase';
export type { ResolvePassphraseOptions } from './passphrase';
