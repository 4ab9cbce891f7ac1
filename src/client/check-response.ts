/**
 * The `checkResponse` service: the machine's JSON request for a check, turned into the
 * expectations of src/validation's processResponse, and its answer turned back into JSON.
 */
import type { CertRequestKind, CheckedResponse, CheckResponseInput } from '../../machines/actors';
import type { X509Certificate } from '@peculiar/x509';
import { fromB64 } from '../bytes';
import { issuerAndSerial } from '../message/cert-identity';
import { processResponse } from '../validation/response';
import type { ResponseExpectations, ResponseProtection } from '../validation/expectations';
import { toCheckedResponse } from './actor-results';
import type { ClientSetup } from './setup';
import { createPrivateKey } from 'node:crypto';
import type { EnvelopeKey } from '../cms';
import { getCryptoProvider } from '../crypto';
import { CmpError, ErrorCodes } from '../errors';
import { indirectPopo } from './popo-method';

/** The responses that may carry the new certificate: to the request itself, or to a poll for it. */
function isCertAnswer(input: CheckResponseInput): boolean {
  return (
    ['ir', 'cr', 'kur'].includes(input.requestType) || (input.requestType === 'pollReq' && ['ir', 'cr', 'kur', undefined].includes(input.pollingFor))
  );
}

/** What stays the same for every response of one session. */
export interface SessionExpectations {
  /** The certificate request that started the session, if it is an enrollment. */
  kind?: CertRequestKind;
  requestedPublicKey?: Uint8Array;
  /** The shared secret of the session's KEM exchange, for responses protected with KemBasedMac. */
  kemSharedSecret?: Uint8Array;
}

/** The server certificate that signed the last response whose protection held (undefined after a MAC or none). */
export type SignerObserver = (signer: X509Certificate | undefined) => void;

function verifyOptions(setup: ClientSetup, session: SessionExpectations): ResponseExpectations['verify'] {
  const o = setup.options;
  const secret = o.secret === undefined ? undefined : typeof o.secret === 'string' ? new TextEncoder().encode(o.secret) : o.secret;
  // The fixed fields first: a literal that starts with a spread gets a new map on every call in
  // V8 11 (docs/benchmarks.md, ninth session).
  return {
    trusted: setup.trusted,
    untrusted: setup.untrusted,
    ...(secret ? { secret } : {}),
    ...(session.kemSharedSecret ? { kemSharedSecret: session.kemSharedSecret } : {}),
    ...(setup.srvCert ? { srvCert: setup.srvCert } : {}),
    ...(o.ignoreKeyUsage ? { ignoreKeyUsage: true } : {}),
    ...(o.requireCmcEku ? { requireCmcEku: true } : {}),
    ...(o.verification ? { verification: o.verification } : {}),
    ...(o.permitTaInExtraCertsForIr ? { permitTaInExtraCertsForIr: true } : {}),
  };
}

/** How the centrally generated key is opened: with the request's MAC secret, its signing key or its KEM key (RFC 9483 section 4.1.6). */
async function keyDecryption(setup: ClientSetup): Promise<EnvelopeKey> {
  const p = setup.protection;
  if (p.kind === 'pbm' || p.kind === 'pbmac1') return { kind: 'password', password: p.secret };
  if (p.kind === 'signature') {
    const pkcs8 = await getCryptoProvider().exportPrivateKey(p.key);
    return {
      kind: 'privateKey',
      privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }),
      certificate: new Uint8Array(p.cert.rawData),
    };
  }
  // KemBasedMac: the CA encrypts to the KEM certificate (KEMRecipientInfo), whose key opens it.
  if (p.kind === 'kemMac' && setup.kemKey) return { kind: 'kem', key: setup.kemKey };
  throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'centralKeyGeneration: needs protected requests, the key is encrypted for their secret or key', {
    options: ['centralKeyGeneration'],
  });
}

/** The new key, which opens the certificate the CA encrypted for it after indirect proof of possession (popo 2 or 3). */
async function certificateDecryption(setup: ClientSetup): Promise<EnvelopeKey> {
  if (setup.newKemKey) return { kind: 'kem', key: setup.newKemKey };
  const key = setup.newKey ?? setup.key;
  if (!key)
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'newKey: the encrypted certificate opens only with the new key', { options: ['newKey'] });
  const pkcs8 = await getCryptoProvider().exportPrivateKey(key);
  return { kind: 'privateKey', privateKey: createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }) };
}

export async function checkResponse(
  setup: ClientSetup,
  session: SessionExpectations,
  input: CheckResponseInput,
  onSigner?: SignerObserver,
  onGeneratedKey?: (pkcs8: Uint8Array) => void,
): Promise<CheckedResponse> {
  const t = input.transaction;
  // The rp must name what the rr asked to revoke (see revocationTarget).
  const revoked =
    setup.serialNumber !== undefined && setup.issuer
      ? { issuer: setup.issuer, serialNumber: setup.serialNumber }
      : setup.oldCert && issuerAndSerial(setup.oldCert);
  const exp: ResponseExpectations = {
    requestType: input.requestType,
    transactionId: fromB64(t.transactionId),
    lastSenderNonce: fromB64(t.lastSenderNonce ?? ''),
    ...(setup.expectedSender ? { expectedSender: setup.expectedSender } : {}),
    ...(t.certReqId !== undefined ? { certReqId: BigInt(t.certReqId) } : {}),
    ...(input.requestType === 'pollReq' && (input.pollingFor ?? session.kind) ? { pollingFor: input.pollingFor ?? session.kind } : {}),
    ...(t.requestedPublicKey
      ? { requestedPublicKey: fromB64(t.requestedPublicKey) }
      : session.requestedPublicKey
        ? { requestedPublicKey: session.requestedPublicKey }
        : {}),
    ...((input.requestType === 'rr' || input.pollingFor === 'rr') && revoked
      ? { revokedCert: { issuer: revoked.issuer, serialNumber: new Uint8Array(revoked.serialNumber) } }
      : {}),
    ...(setup.options.unprotectedErrors ? { unprotectedErrors: true } : {}),
    ...(setup.outTrusted ? { outTrusted: setup.outTrusted } : {}),
    ...(setup.options.noCacheExtraCerts ? { noCacheExtraCerts: true } : {}),
    verify: verifyOptions(setup, session),
    ...(setup.options.centralKeyGeneration && onGeneratedKey && isCertAnswer(input)
      ? { generatedKey: { decryptWith: await keyDecryption(setup), onKey: onGeneratedKey } }
      : {}),
    ...(indirectPopo(setup) && isCertAnswer(input) ? { encryptedCert: { decryptWith: await certificateDecryption(setup) } } : {}),
    now: setup.now,
    ...(onSigner ? { onProtection: (p: ResponseProtection) => onSigner(p.kind === 'signature' ? p.signer : undefined) } : {}),
  };
  return toCheckedResponse(await processResponse(fromB64(input.der), exp));
}
