/**
 * Protects an outgoing PKIMessage (RFC 9810 section 5.1.3): sets header.protectionAlg, computes
 * the protection over DER(ProtectedPart), and serialises the message around exactly the header
 * and body bytes that were protected, so what is sent is what was signed or MACed. Sender,
 * senderKID and extraCerts are the message builder's job and must be in place before.
 */
import type { X509Certificate } from '@peculiar/x509';
import { encodePkiMessage, protectedPartBytes } from '../asn1/codec';
import type { PKIMessage } from '../asn1/cmp/message';
import { encodeTlv } from '../asn1/der';
import type { HashName, PrivateKeyHandle, SignatureAlgorithm } from '../crypto/provider';
import { CmpError, ErrorCodes } from '../errors';
import { extraCertsBytes } from '../asn1/message-certs';
import { requireSecret } from './mac-safety';
import { kemMacAlgorithm, kemMacProtect, type KemMacSettings } from './kem-mac';
import { senderPbm } from './pbm';
import { computePbmac1, readPbmac1Parameters, senderPbmac1AlgorithmId } from './pbmac1';
import { chooseSignatureAlgorithm, signProtectedPart } from './signature';

export type ProtectionConfig =
  | { kind: 'none' }
  | {
      kind: 'pbm';
      secret: Uint8Array;
      /** One-way function; default SHA-256. */
      owf?: HashName;
      /** HMAC hash; default SHA-1, as OpenSSL. */
      mac?: HashName;
      /** Default 500. */
      iterations?: number;
      /** Default 16. */
      saltLength?: number;
    }
  | {
      kind: 'pbmac1';
      secret: Uint8Array;
      /** PBKDF2 PRF HMAC hash; default SHA-256. */
      prf?: HashName;
      /** HMAC hash; default SHA-256. */
      mac?: HashName;
      /** Default 10000. */
      iterations?: number;
      /** Derived key length in bytes; default the MAC's hash length. */
      keyLength?: number;
      /** Default 16. */
      saltLength?: number;
    }
  | {
      kind: 'signature';
      key: PrivateKeyHandle;
      cert: X509Certificate;
      /** Default: the usual algorithm for the key (see defaultSignatureAlgorithm). */
      algorithm?: SignatureAlgorithm;
      /** Hash for the default algorithm. */
      digest?: HashName;
    }
  | {
      /**
       * KemBasedMac (RFC 9810 section 5.1.3.4) with the shared secret of this transaction's KEM
       * exchange; absent until that exchange is done, and protecting then fails with ERR_NO_SECRET.
       */
      kind: 'kemMac';
      sharedSecret?: Uint8Array;
      /** Default kemMacDefaults: HKDF-SHA256, HMAC-SHA256, 32 bytes. */
      settings?: KemMacSettings;
    };

/**
 * Protects `msg` as `config` says and returns its DER. With `none`, any protection is removed.
 * Throws CmpError ERR_NO_SECRET, ERR_INVALID_OPTION, ERR_CREDENTIALS, ERR_UNSUPPORTED_ALGORITHM or
 * ERR_ASN1_ENCODE.
 */
export async function protectPkiMessage(msg: PKIMessage, config: ProtectionConfig): Promise<Uint8Array> {
  switch (config.kind) {
    case 'none':
      msg.header.protectionAlg = undefined;
      msg.protection = undefined;
      return encodePkiMessage(msg);
    case 'pbm': {
      const secret = requireSecret(config.secret, 'PasswordBasedMac protection');
      // Our own choice of iterations is not subject to the limits we apply to received messages.
      const pbm = await senderPbm(secret, {
        ...(config.owf !== undefined ? { owf: config.owf } : {}),
        ...(config.mac !== undefined ? { mac: config.mac } : {}),
        ...(config.iterations !== undefined ? { iterations: config.iterations } : {}),
        ...(config.saltLength !== undefined ? { saltLength: config.saltLength } : {}),
      });
      msg.header.protectionAlg = pbm.algorithmId();
      const part = protectedPartBytes(msg);
      return finish(msg, part, await pbm.mac(part));
    }
    case 'pbmac1': {
      const secret = requireSecret(config.secret, 'PBMAC1 protection');
      const algorithm = await senderPbmac1AlgorithmId(secret, {
        ...(config.prf !== undefined ? { prf: config.prf } : {}),
        ...(config.mac !== undefined ? { mac: config.mac } : {}),
        ...(config.iterations !== undefined ? { iterations: config.iterations } : {}),
        ...(config.keyLength !== undefined ? { keyLength: config.keyLength } : {}),
        ...(config.saltLength !== undefined ? { saltLength: config.saltLength } : {}),
      });
      msg.header.protectionAlg = algorithm;
      const part = protectedPartBytes(msg);
      const limits = { min: 1, max: Number.MAX_SAFE_INTEGER };
      return finish(msg, part, await computePbmac1(readPbmac1Parameters(algorithm), secret, part, limits));
    }
    case 'signature': {
      const choice = chooseSignatureAlgorithm(config.key, config.cert, config.algorithm, config.digest);
      msg.header.protectionAlg = choice.id;
      const part = protectedPartBytes(msg);
      return finish(msg, part, await signProtectedPart(choice.algorithm, config.key, part));
    }
    case 'kemMac': {
      const sharedSecret = requireSecret(config.sharedSecret, 'KEM-based MAC protection');
      const transactionID = msg.header.transactionID;
      if (!transactionID) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'KEM-based MAC protection needs a transactionID');
      msg.header.protectionAlg = kemMacAlgorithm(config.settings);
      const part = protectedPartBytes(msg);
      return finish(msg, part, kemMacProtect(msg.header.protectionAlg, sharedSecret, new Uint8Array(transactionID), part));
    }
    default:
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `unknown protection kind ${String((config as { kind: unknown }).kind)}`);
  }
}

/**
 * Records the protection in `msg` and builds PKIMessage ::= SEQUENCE { header, body,
 * [0] protection, [1] extraCerts } around the very bytes of `part`.
 */
function finish(msg: PKIMessage, part: Uint8Array, protection: Uint8Array): Uint8Array {
  msg.protection = protection.slice().buffer;
  // `part` is our own DER SEQUENCE: one identifier octet, then a short or long form length.
  const lengthOctets = part[1]! < 0x80 ? 1 : 1 + (part[1]! & 0x7f);
  const headerAndBody = part.subarray(1 + lengthOctets);
  const protectionElement = encodeTlv(0xa0, encodeTlv(0x03, Uint8Array.of(0), protection));
  const certs = extraCertsBytes(msg);
  if (msg.extraCerts !== undefined && certs.length === 0) {
    throw new CmpError(ErrorCodes.ERR_ASN1_ENCODE, 'extraCerts must hold at least one certificate or be absent');
  }
  const extraCertsElement = certs.length > 0 ? [encodeTlv(0xa1, encodeTlv(0x30, ...certs))] : [];
  return encodeTlv(0x30, headerAndBody, protectionElement, ...extraCertsElement);
}
