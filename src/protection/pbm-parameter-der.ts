/**
 * PBMParameter to and from DER without a full asn1-schema run each time: every PBM-protected
 * message needs one of each, and the schema machinery cost more than the MAC itself. The two
 * AlgorithmIdentifiers repeat from message to message, so their encodings are kept (bounded, by
 * value and by exact bytes); salt and iteration count are written and read directly.
 *
 * Reading is only a shortcut for input that is exactly what writing gives (which DER input of a
 * value is): anything else goes to the strict decoder, so what is accepted and what it decodes to
 * do not change.
 */
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { PBMParameter } from '../asn1/crmf/pbm_parameter';
import { encodeTlv, nodeBytes, nodeContent, readDer, shortestHeader, shortestInteger } from '../asn1/der';
import { BoundedMap } from '../bounded-map';
import { hex, sameBytes } from '../bytes';
import { decodeDer, encodeDer } from '../asn1/der-codec';
import { copyAsnValue } from '../asn1/copy';

/** DER of AlgorithmIdentifiers by OID and parameters, and the other way round. */
const encodings = new BoundedMap<string, Uint8Array>(64);
const decodings = new BoundedMap<string, ReadAlgorithm>(64);

interface ReadAlgorithm {
  value: AlgorithmIdentifier;
  /** Whether the bytes it was read from are what encoding it gives. */
  exact: boolean;
}

function algorithmDer(id: AlgorithmIdentifier): Uint8Array {
  const p = id.parameters;
  const key = `${id.algorithm} ${p === undefined ? 'absent' : p === null ? 'null' : hex(p)}`;
  return encodings.get(key) ?? encodings.set(key, encodeDer(id));
}

function readAlgorithm(der: Uint8Array): ReadAlgorithm {
  const key = hex(der);
  let known = decodings.get(key);
  if (!known) {
    const value = decodeDer(der, AlgorithmIdentifier);
    known = decodings.set(key, { value, exact: sameBytes(algorithmDer(value), der) });
  }
  return known;
}

/** DER INTEGER content octets: minimal two's complement. */
function integerContent(value: bigint): Uint8Array {
  const octets: number[] = [];
  let v = value;
  for (;;) {
    const byte = Number(BigInt.asUintN(8, v));
    octets.unshift(byte);
    v >>= 8n;
    // Done when the rest is pure sign extension of the octet just written.
    if ((v === 0n && (byte & 0x80) === 0) || (v === -1n && (byte & 0x80) !== 0)) break;
  }
  return Uint8Array.from(octets);
}

function integerValue(content: Uint8Array): bigint {
  let v = 0n;
  for (const byte of content) v = (v << 8n) | BigInt(byte);
  return content.length > 0 && (content[0]! & 0x80) !== 0 ? v - (1n << BigInt(8 * content.length)) : v;
}

/** DER of a PBMParameter; equal to encodeDer(parameter). Throws CmpError ERR_ASN1_ENCODE. */
export function encodePbmParameter(parameter: PBMParameter): Uint8Array<ArrayBuffer> {
  // asn1js writes some negative INTEGERs with a superfluous octet; no valid count is negative.
  if (parameter.iterationCount < 0n) return encodeDer(parameter);
  return encodeTlv(
    0x30,
    encodeTlv(0x04, new Uint8Array(parameter.salt)),
    algorithmDer(parameter.owf),
    encodeTlv(0x02, integerContent(parameter.iterationCount)),
    algorithmDer(parameter.mac),
  );
}

/** The PBMParameter `der` encodes; what decodeDer(der, PBMParameter) gives, or throws. */
export function decodePbmParameter(der: Uint8Array): PBMParameter {
  const fast = readExactly(der);
  return fast ?? decodeDer(der, PBMParameter);
}

/** INTEGER content that integerContent gives for a count (not negative): shortest form. */
function shortestCount(content: Uint8Array): boolean {
  return shortestInteger(content, 0, content.length) && (content[0]! & 0x80) === 0;
}

/**
 * The value, for input that is exactly what encodePbmParameter writes of it; checked element by
 * element as read rather than by encoding the value again, since every received message has one.
 */
function readExactly(der: Uint8Array): PBMParameter | undefined {
  try {
    const root = readDer(der);
    const [salt, owf, count, mac] = root.children ?? [];
    const is = (n: typeof salt, tag: number, constructed: boolean) =>
      n !== undefined && n.tagClass === 0 && n.tagNumber === tag && n.constructed === constructed;
    if (root.tagClass !== 0 || root.tagNumber !== 16 || root.children!.length !== 4) return undefined;
    if (!is(salt, 4, false) || !is(owf, 16, true) || !is(count, 2, false) || !is(mac, 16, true)) return undefined;
    if (!shortestHeader(root) || !shortestHeader(salt!) || !shortestHeader(count!)) return undefined;
    const countContent = nodeContent(der, count!);
    if (!shortestCount(countContent)) return undefined;
    const owfRead = readAlgorithm(nodeBytes(der, owf!));
    const macRead = readAlgorithm(nodeBytes(der, mac!));
    if (!owfRead.exact || !macRead.exact) return undefined;
    return new PBMParameter({
      salt: nodeContent(der, salt!).slice().buffer,
      owf: copyAsnValue(owfRead.value),
      iterationCount: integerValue(countContent),
      mac: copyAsnValue(macRead.value),
    });
  } catch {
    return undefined;
  }
}
