export * from './oids';
export * from './crmf';
export * from './cmp';
export * from './codec';
export { readDer, sequenceElements, nodeBytes, nodeContent, encodeTlv, sameStructure } from './der';
export type { DerNode, DerReadOptions } from './der';
export type { AsnClass } from './der-codec';
export { BigIntConverter, SmallIntegerConverter, GeneralizedTimeConverter, RawAnyConverter } from './converters';
export { dumpPkiMessage, readMessageFile } from './dump';
