/** CMP message protection: protecting outgoing messages and verifying incoming ones. */
export { protectPkiMessage, type ProtectionConfig } from './protect';
export { verifyPkiMessageProtection, type VerifyOptions, type VerifiedProtection } from './verify';
export type { VerificationSettings } from './sender-cert';
export { computePbm, newPbmParameter, pbmAlgorithmId, pbmDefaults, readPbmParameter, type PbmSettings } from './pbm';
export {
  computePbmac1,
  maxPbmac1KeyLength,
  newPbmac1AlgorithmId,
  pbmac1Defaults,
  readPbmac1Parameters,
  type Pbmac1Parameters,
  type Pbmac1Settings,
} from './pbmac1';
export { defaultIterationLimits, type IterationLimits } from './mac-safety';
export { clearPbmKeyCache } from './pbm-key-cache';
export { chooseSignatureAlgorithm, keyFitsAlgorithm } from './signature';
