/**
 * A CmpServerConfig handed to the workers of a CA cluster. Worker threads get their data as a
 * structured clone, which keeps bytes, dates, maps and Node KeyObjects but not classes, so
 * certificates, names and the certificate request template travel as DER and keys as their
 * KeyObject (ML-DSA keys, which have none, as PKCS#8), and are rebuilt on the other side. Nothing is written to disk or to a command line.
 * What cannot travel (callbacks, a PKCS#11 key, a record store) is refused by name: the cluster
 * keeps the record store and the observers in the main thread itself.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Name } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { CertReqTemplateContent, decodeDer, encodeDer } from '../asn1';
import { PrivateKey } from '../crypto/private-key';
import { exportMlDsaPrivateKey, importMlDsaPrivateKey, isMlDsaKey } from '../crypto/ml-dsa';
import { CmpError, ErrorCodes } from '../errors';
import type { CmpServerConfig } from './config';

/** Options the main thread keeps for itself; they never reach a worker. */
export const MAIN_THREAD_OPTIONS = ['store', 'onRequest', 'onInternalError', 'maxMsgs'] as const;

type Tagged =
  | { $cmpflow: 'x509'; der: Uint8Array }
  | { $cmpflow: 'name'; der: Uint8Array }
  | { $cmpflow: 'template'; der: Uint8Array }
  | { $cmpflow: 'key'; keyType: string; curve?: string; modulusLength?: number; spki: Uint8Array; handle: unknown }
  | { $cmpflow: 'ml-dsa-key'; pkcs8: Uint8Array };

function refuse(where: string, what: string): never {
  throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${where}: ${what} cannot be handed to the workers of a CA cluster`);
}

function outbound(value: unknown, where: string): unknown {
  if (value === null || value === undefined || typeof value !== 'object') {
    if (typeof value === 'function') refuse(where, 'a function');
    return value;
  }
  if (value instanceof X509Certificate) return { $cmpflow: 'x509', der: new Uint8Array(value.rawData) } satisfies Tagged;
  if (value instanceof Name) return { $cmpflow: 'name', der: new Uint8Array(AsnConvert.serialize(value)) } satisfies Tagged;
  if (value instanceof CertReqTemplateContent) return { $cmpflow: 'template', der: encodeDer(value) } satisfies Tagged;
  if (value instanceof PrivateKey) {
    if (typeof (value as { sign?: unknown }).sign === 'function') refuse(where, 'a key that signs where it lives (PKCS#11)');
    // A KeyObject crosses to a worker whole; ML-DSA key material is a class a structured clone would strip.
    if (isMlDsaKey(value)) return { $cmpflow: 'ml-dsa-key', pkcs8: exportMlDsaPrivateKey(value) } satisfies Tagged;
    return {
      $cmpflow: 'key',
      keyType: value.keyType,
      ...(value.curve !== undefined ? { curve: value.curve } : {}),
      ...(value.modulusLength !== undefined ? { modulusLength: value.modulusLength } : {}),
      spki: value.spki,
      handle: value.handle,
    } satisfies Tagged;
  }
  if (ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map((v, i) => outbound(v, `${where}[${i}]`));
  if (value instanceof Set) return new Set([...value].map((v, i) => outbound(v, `${where}[${i}]`)));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, outbound(v, `${where}.${String(k)}`)]));
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) refuse(where, `an instance of ${(value as object).constructor?.name ?? 'a class'}`);
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) if (v !== undefined) out[k] = outbound(v, `${where}.${k}`);
  return out;
}

function inbound(value: unknown): unknown {
  if (value === null || typeof value !== 'object' || ArrayBuffer.isView(value) || value instanceof Date) return value;
  if (Array.isArray(value)) return value.map(inbound);
  if (value instanceof Set) return new Set([...value].map(inbound));
  if (value instanceof Map) return new Map([...value].map(([k, v]) => [k, inbound(v)]));
  const tagged = value as Partial<Tagged>;
  switch (tagged.$cmpflow) {
    case 'x509':
      return new X509Certificate(Uint8Array.from(tagged.der!));
    case 'name':
      return AsnConvert.parse(tagged.der!, Name);
    case 'template':
      return decodeDer(tagged.der!, CertReqTemplateContent);
    case 'ml-dsa-key':
      return importMlDsaPrivateKey((tagged as Extract<Tagged, { $cmpflow: 'ml-dsa-key' }>).pkcs8);
    case 'key': {
      const k = tagged as Extract<Tagged, { $cmpflow: 'key' }>;
      return new PrivateKey({
        keyType: k.keyType as PrivateKey['keyType'],
        ...(k.curve !== undefined ? { curve: k.curve } : {}),
        ...(k.modulusLength !== undefined ? { modulusLength: k.modulusLength } : {}),
        spki: k.spki,
        handle: k.handle,
      });
    }
  }
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = inbound(v);
  return out;
}

/** The config as worker data, without the options the main thread keeps; refuses what cannot travel. */
export function configForWorkers(config: CmpServerConfig): unknown {
  const rest: Record<string, unknown> = { ...config };
  for (const key of MAIN_THREAD_OPTIONS) delete rest[key];
  return outbound(rest, 'config');
}

/** The config a worker rebuilds from its worker data. */
export function configFromMainThread(data: unknown): CmpServerConfig {
  return inbound(data) as CmpServerConfig;
}
