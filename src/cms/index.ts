export { envelope, openEnvelope, CmsOids, MAX_PWRI_ITERATIONS } from './enveloped-data';
export type { EnvelopeKey, EnvelopeRecipient } from './enveloped-data';
export { signContent, verifySignedContent, isKeyGenerationAuthority } from './signed-data';
export type { SignOptions, VerifiedContent } from './signed-data';
export { sealGeneratedKey, openGeneratedKey, idCtKpAKeyPackage } from './key-package';
export type { KeyGenerationAuthority, OpenedGeneratedKey } from './key-package';
export { sealCertificate, openCertificate, idData } from './encrypted-certificate';
export { sealEncryptedValue, openEncryptedValue } from './encrypted-value';
