import * as asn1js from 'asn1js';
import { AsnParser, AsnSerializer, type IAsnConvertible } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { RawElement } from '../converters';
import { copyAsnValue } from '../copy';
import { deepFreeze } from '../freeze';
import { BoundedMap } from '../../bounded-map';
import { sameBytes, toB64 } from '../../bytes';
import { sameStructure } from '../der';
import { decodeDerChecked, reencodingJustDecoded } from '../der-codec';

/**
 * ```asn1
 * CMPCertificate ::= CHOICE { x509v3PKCert Certificate, ... }
 * ```
 * RFC 9810 Appendix F. The only alternative is bits-on-the-wire identical to Certificate, so a
 * CMPCertificate is a Certificate: the module's own suggestion `CMPCertificate ::= Certificate`.
 *
 * What this class adds is speed where certificates travel in CMP messages (extraCerts, caPubs,
 * CertOrEncCert): the same CA certificates come back in every response, and reading them with
 * asn1js and asn1-schema, then encoding them again for the strict decoder's check that nothing was
 * skipped (der-codec.ts), was most of the cost of reading a response. So certificate encodings seen
 * before are remembered, bounded and by their exact bytes, with their decoded value and their
 * re-encoding:
 *
 * - the strict decoder (der-reader.ts) hands a certificate over as its own bytes (fromDer), which
 *   are decoded and checked on their own, and not at all if they are known;
 * - decoding a known certificate copies the remembered value, so each message still gets objects
 *   of its own, equal to what the schema would have made (each field copied when first used);
 * - while the strict decoder re-encodes a message it has just decoded, a certificate in it gives
 *   the remembered re-encoding of its bytes, which is exactly what encoding the (unchanged, just
 *   decoded) value would give. At any other time a CMPCertificate is encoded from its value, like
 *   any Certificate, since it may have been changed; only frozen ones (frozenCmpCertificate, for
 *   messages being built) always give their known encoding.
 *
 * A certificate is remembered only after its own bytes passed the strict decoder's check.
 */
export class CMPCertificate extends Certificate implements IAsnConvertible {
  /**
   * Decoding from the certificate's own DER: the cached value if these bytes are known. Static, so
   * that the DER reader does not construct an empty certificate (a TBSCertificate, names, a key,
   * three buffers) only to replace it.
   */
  static fromDer(der: Uint8Array): CMPCertificate {
    return copyOf(strictlyDecoded(der));
  }

  /**
   * Whether `cert`, as fromDer just gave it, encodes as exactly the bytes it was read from: the DER
   * reader then knows that writing a message read with it gives the message's bytes back
   * (der-reader.ts's exact reading), without encoding the certificate again to find out.
   */
  static readExactly(cert: unknown): boolean {
    return cert instanceof CMPCertificate && decodedFrom.get(cert)?.identical === true;
  }

  /**
   * Only for asn1js's reading of a certificate (asn1-schema's own parser, or the DER reader's
   * fallback for unusual forms): known bytes come from the cache, anything else is decoded from
   * the asn1js tree and never remembered, since that is not the strict decoder's check.
   */
  fromASN(asn: asn1js.AsnType): this {
    const der = (asn as asn1js.BaseBlock).valueBeforeDecodeView;
    let decoded = der ? lookUp(der) : undefined;
    if (!decoded) {
      const value = AsnParser.fromASN<Certificate>(asn, Certificate);
      const reencoded = new Uint8Array(AsnSerializer.serialize(value));
      const identical = !!der && sameBytes(der, reencoded);
      if (der && !identical && !sameStructure(der, reencoded)) {
        throw new Error('a certificate contains elements that do not fit its ASN.1 definition');
      }
      decoded = { value, reencoded, identical };
    }
    return copyOf(decoded) as this;
  }

  /**
   * The encoding toASN() gives as it is (frozen, or just decoded and being re-encoded), if any: the
   * DER writer (der-writer.ts) copies it without going through asn1js.
   */
  knownEncoding(): Uint8Array | undefined {
    return fixedEncoding.get(this) ?? (reencodingJustDecoded() ? decodedFrom.get(this)?.reencoded : undefined);
  }

  toASN(): asn1js.AsnType {
    const fixed = this.knownEncoding();
    if (fixed) return new RawElement({ data: fixed }) as unknown as asn1js.AsnType;
    // A plain Certificate with the same fields: encoding `this` would come back here.
    return AsnSerializer.toASN(Object.assign(Object.create(Certificate.prototype) as Certificate, this));
  }

  toSchema(name: string): asn1js.BaseBlock {
    // Like asn1-schema for a nested SEQUENCE type: any element here, decoded by fromASN.
    return new asn1js.Any({ name }) as unknown as asn1js.BaseBlock;
  }
}

/**
 * A certificate to put into messages being built (extraCerts, caPubs, an issued certificate), from
 * its DER: decoded through the cache like a received one, deeply frozen, and therefore encoded as
 * that re-encoding every time without running the schema. The same bytes give the same instance
 * while it stays in the cache. Throws what decodeDerChecked throws.
 */
export function frozenCmpCertificate(der: Uint8Array): CMPCertificate {
  const key = toB64(der);
  const cached = frozen.get(key);
  if (cached) return cached;
  const decoded = strictlyDecoded(der);
  const cert = deepFreeze(copyAsnValue(decoded.value, CMPCertificate.prototype) as CMPCertificate);
  fixedEncoding.set(cert, decoded.reencoded);
  frozen.set(key, cert);
  return cert;
}

/**
 * A certificate this process has just written, from the value it wrote and the DER it made of it:
 * frozen and encoded as `der` like frozenCmpCertificate's, without reading `der` back, since those
 * bytes were never received. The writer answers for `value` being what decoding `der` gives
 * (signCmpCertificate in src/server/certificate-builder.ts; its tests compare the two). `value`
 * becomes the certificate: it is frozen in place, so it must share nothing mutable with the caller
 * (parts frozen by deepFreeze already, a CA's constant extensions, may be shared). It is not filed
 * in the cache under its bytes: its issuer hands it out with the record it issued, and a CA's
 * stream of new certificates would only push the ones it does look up out of the cache.
 */
export function builtCmpCertificate(value: Certificate, der: Uint8Array): CMPCertificate {
  Object.setPrototypeOf(value, CMPCertificate.prototype);
  const cert = deepFreeze(value as CMPCertificate);
  fixedEncoding.set(cert, der);
  return cert;
}

interface DecodedCertificate {
  /** The schema's value, never handed out: every decoded CMPCertificate gets a copy. */
  value: Certificate;
  reencoded: Uint8Array;
  /** Whether `reencoded` is exactly the bytes it was decoded from. */
  identical: boolean;
}

/** About 256 distinct certificates: a few per server, with room for many servers. */
const CMP_CERTIFICATE_CACHE_SIZE = 256;

const known = new BoundedMap<string, DecodedCertificate>(CMP_CERTIFICATE_CACHE_SIZE);
const decodedFrom = new WeakMap<CMPCertificate, DecodedCertificate>();
const frozen = new BoundedMap<string, CMPCertificate>(CMP_CERTIFICATE_CACHE_SIZE);
const fixedEncoding = new WeakMap<CMPCertificate, Uint8Array>();

function lookUp(der: Uint8Array): DecodedCertificate | undefined {
  return known.get(toB64(der));
}

/** The remembered decoding of `der`, or the strict decoder's, which is then remembered. */
function strictlyDecoded(der: Uint8Array): DecodedCertificate {
  let decoded = lookUp(der);
  if (!decoded) {
    decoded = decodeDerChecked(der, Certificate);
    remember(der, decoded);
  }
  return decoded;
}

/**
 * A CMPCertificate of its own for a decoding, which knows how that decoding re-encodes. Its fields
 * are copied from the remembered value when first read or replaced: the checks of a response read
 * its certificates as bytes, and a deep copy of each certificate of each message was most of
 * decoding a known one. The instance still has its own objects, equal to the schema's, for any
 * caller that looks.
 */
function copyOf(decoded: DecodedCertificate): CMPCertificate {
  const out = Object.create(CMPCertificate.prototype) as CMPCertificate;
  const source = decoded.value as unknown as Record<string, unknown>;
  for (const key of Object.keys(source)) defineCopiedOnUse(out, key, source[key]);
  decodedFrom.set(out, decoded);
  return out;
}

/** `target[key]`: a copy of `source`, made on first use, then an ordinary data property. */
function defineCopiedOnUse(target: object, key: string, source: unknown): void {
  let made = false;
  let value: unknown;
  const settle = (v: unknown): boolean => {
    try {
      Object.defineProperty(target, key, { value: v, writable: true, enumerable: true, configurable: true });
      return true;
    } catch {
      return false;
    }
  };
  Object.defineProperty(target, key, {
    enumerable: true,
    configurable: true,
    get: () => {
      if (!made) {
        made = true;
        value = copyAsnValue(source);
        // Sealed or frozen before this field was read: the accessor keeps the copy.
        settle(value);
      }
      return value;
    },
    set: (v: unknown) => {
      // As for a data property of a sealed or frozen object: the assignment is refused.
      if (!settle(v)) throw new TypeError(`Cannot assign to read only property '${key}' of a CMPCertificate`);
    },
  });
}

function remember(der: Uint8Array, decoded: DecodedCertificate): void {
  known.set(toB64(der), decoded);
}

/** Forgets every remembered certificate (tests). */
export function clearCmpCertificateCache(): void {
  known.clear();
  frozen.clear();
}
