/**
 * Building and protecting the server's answers: the header (echoed transactionID, the request's
 * senderNonce as recipNonce, a fresh senderNonce, implicitConfirm when granted), extraCerts, and
 * protection chosen from the request's (MAC with the same secret and our own parameters, or signature),
 * unless the configuration says to send unprotected answers.
 */
import { GeneralName, Name, type AlgorithmIdentifier } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import {
  frozenCmpCertificate,
  CmpOids,
  ErrorMsgContent,
  InfoTypeAndValue,
  PKIBody,
  PKIFailureInfo,
  PKIFreeText,
  PKIHeader,
  PKIMessage,
  PKIStatus,
  PKIStatusInfo,
  type CMPCertificate,
  type PKIFailureInfoName,
} from '../asn1';
import { encodePkiMessage } from '../asn1/codec';
import { getCryptoProvider } from '../crypto';
import { toArrayBuffer } from '../bytes';
import { protectPkiMessage, type ProtectionConfig } from '../protection/protect';
import { viewOf } from '../pki/certificate-view';
import type { CertificateAuthority } from './ca';
import type { ResolvedConfig } from './config';
import type { ProtectionHint } from './request-protection';

export interface ResponseInput {
  /** The request's header; absent when the request could not be decoded that far. */
  requestHeader?: PKIHeader;
  hint: ProtectionHint | { kind: 'unknown' };
  pvno: number;
  body: PKIBody;
  extraCerts?: X509Certificate[];
  implicitConfirm?: boolean;
}

export interface WrittenResponse {
  der: Uint8Array;
  senderNonce: Uint8Array;
}

const NULL_DER = Uint8Array.of(0x05, 0x00);

/** A PKIStatusInfo with optional text and failInfo bit names. */
export function statusInfo(status: number, text: string | undefined, failInfo: readonly string[]): PKIStatusInfo {
  return new PKIStatusInfo({
    status,
    ...(text ? { statusString: new PKIFreeText([text]) } : {}),
    ...(failInfo.length ? { failInfo: PKIFailureInfo.fromNames(failInfo) } : {}),
  });
}

export function errorBody(failInfo: readonly PKIFailureInfoName[], text: string): PKIBody {
  return new PKIBody({
    error: new ErrorMsgContent({
      pKIStatusInfo: statusInfo(PKIStatus.rejection, text, failInfo),
    }),
  });
}

/**
 * A MAC protection with the request's secret, of the request's kind (PasswordBasedMac or PBMAC1)
 * but with this server's own parameters, never the requester's: those travel unauthenticated, so
 * copying them would let anyone choose how much work our answer costs, and hand an attacker a
 * MAC under the real secret with a salt and an iteration count of its choice, to guess the secret
 * offline at the lowest cost. Our own parameters keep their salt for a while (reusablePbmSalt),
 * so the key behind every answer is derived once, not per request.
 */
function macProtection(algorithm: AlgorithmIdentifier, secret: Uint8Array): ProtectionConfig {
  return algorithm.algorithm === CmpOids.pbmac1 ? { kind: 'pbmac1', secret } : { kind: 'pbm', secret };
}

function chooseProtection(config: ResolvedConfig, hint: ResponseInput['hint'], isError: boolean): ProtectionConfig {
  const source = config.source;
  if (source.sendUnprotected || (isError && source.sendUnprotErr) || hint.kind === 'unknown') return { kind: 'none' };
  const signature = config.signer ? ({ kind: 'signature', key: config.signer.key, cert: config.signer.cert } as const) : undefined;
  if (hint.kind === 'kemMac') {
    // Without the transaction's secret (none exchanged, or expired) the answer cannot be KEM-MACed.
    const sharedSecret = hint.sharedSecret();
    if (sharedSecret) return { kind: 'kemMac', sharedSecret };
    return signature ?? { kind: 'none' };
  }
  if (hint.kind === 'mac') {
    const secret = hint.secret?.secret ?? config.defaultSecret;
    if (secret) return macProtection(hint.algorithm, secret);
    return signature ?? { kind: 'none' };
  }
  if (signature) return signature;
  return config.defaultSecret ? { kind: 'pbm', secret: config.defaultSecret } : { kind: 'none' };
}

/**
 * The CMPCertificate of each certificate that goes out again and again (the CA and its chain in
 * extraCerts, the anchors in caPubs), kept with the certificate object: frozenCmpCertificate would
 * find it by its bytes, made into a base64 key and hashed for every message.
 */
const cmpCertificates = new WeakMap<X509Certificate, CMPCertificate>();

export function cmpCertificateOf(cert: X509Certificate): CMPCertificate {
  let value = cmpCertificates.get(cert);
  if (!value) cmpCertificates.set(cert, (value = frozenCmpCertificate(new Uint8Array(cert.rawData))));
  return value;
}

function distinct(certs: X509Certificate[]): X509Certificate[] {
  const seen = new Set<string>();
  return certs.filter((c) => {
    const id = viewOf(c).id;
    return !seen.has(id) && seen.add(id) !== undefined;
  });
}

export async function writeResponse(config: ResolvedConfig, ca: CertificateAuthority | undefined, input: ResponseInput): Promise<WrittenResponse> {
  const isError = input.body.error !== undefined;
  const protection = chooseProtection(config, input.hint, isError);
  const request = input.requestHeader;
  const senderNonce = getCryptoProvider().randomBytes(16);
  const header = new PKIHeader({
    pvno: input.pvno,
    sender: new GeneralName({ directoryName: protection.kind === 'signature' ? viewOf(protection.cert).subjectName : config.senderName }),
    // The request's own object: the answer is encoded at once and nothing changes either of them.
    recipient: request ? request.sender : new GeneralName({ directoryName: new Name([]) }),
    messageTime: config.now(),
    ...(request?.transactionID ? { transactionID: request.transactionID.slice(0) } : {}),
    senderNonce: toArrayBuffer(senderNonce),
    ...(request?.senderNonce ? { recipNonce: request.senderNonce.slice(0) } : {}),
  });
  if (protection.kind === 'signature') {
    const skid = viewOf(protection.cert).extensions?.subjectKeyIdentifier;
    if (skid) header.senderKID = toArrayBuffer(skid);
  } else if (protection.kind === 'pbm' || protection.kind === 'pbmac1') {
    const kid = config.srvRef ?? (request?.senderKID ? new Uint8Array(request.senderKID) : undefined);
    if (kid) header.senderKID = toArrayBuffer(kid);
    if (request?.senderKID) header.recipKID = request.senderKID.slice(0);
  }
  if (input.implicitConfirm) {
    header.generalInfo = [new InfoTypeAndValue({ infoType: CmpOids.idItImplicitConfirm, infoValue: toArrayBuffer(NULL_DER) })];
  }
  const certs = distinct([
    ...(protection.kind === 'signature' ? [protection.cert, ...(config.source.srvUntrusted ?? []), ...(ca?.certificates ?? [])] : []),
    ...(input.extraCerts ?? []),
  ]);
  const message = new PKIMessage({ header, body: input.body });
  if (certs.length) message.extraCerts = certs.map(cmpCertificateOf);
  return { der: await protectPkiMessage(message, protection), senderNonce };
}

/**
 * The answer when even building an error message failed: unprotected, without anything from the
 * configuration or the request that could fail again.
 */
export function lastResortError(): Uint8Array {
  const header = new PKIHeader({
    pvno: 2,
    sender: new GeneralName({ directoryName: new Name([]) }),
    recipient: new GeneralName({ directoryName: new Name([]) }),
  });
  return encodePkiMessage(new PKIMessage({ header, body: errorBody(['systemFailure'], 'the server failed to process the request') }));
}
