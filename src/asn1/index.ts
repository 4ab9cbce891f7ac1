export * from './oids';
export * from './crmf';
export * from './cmp';
export * from './codec';
export { EnvelopedData, PasswordRecipientInfo, RecipientInfo, RecipientInfos } from './cms';
export { readDer, sequenceElements, nodeBytes, nodeContent, encodeTlv, sameStructure } from './der';
export type { DerNode, DerReadOptions } from './der';
export type { AsnClass } from './der-codec';
export { dumpPkiMessage, readMessageFile } from './dump';
