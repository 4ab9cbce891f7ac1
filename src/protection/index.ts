/** CMP message protection: protecting outgoing messages and verifying incoming ones. */
export { protectPkiMessage, type ProtectionConfig } from './protect';
export { verifyPkiMessageProtection, type VerifyOptions, type VerifiedProtection } from './verify';
export type { VerificationSettings } from './sender-cert';
export { computePbm, pbmAlgorithmId, readPbmParameter, type PbmSettings } from './pbm';
export { computePbmac1, readPbmac1Parameters, type Pbmac1Parameters, type Pbmac1Settings } from './pbmac1';
export type { IterationLimits } from './mac-safety';
export { clearPbmKeyCache } from './pbm-key-cache';
