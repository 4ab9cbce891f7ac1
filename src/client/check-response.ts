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

/** What stays the same for every response of one session. */
export interface SessionExpectations {
  /** The certificate request that started the session, if it is an enrollment. */
  kind?: CertRequestKind;
  requestedPublicKey?: Uint8Array;
}

/** The server certificate that signed the last response whose protection held (undefined after a MAC or none). */
export type SignerObserver = (signer: X509Certificate | undefined) => void;

function verifyOptions(setup: ClientSetup): ResponseExpectations['verify'] {
  const o = setup.options;
  const secret = o.secret === undefined ? undefined : typeof o.secret === 'string' ? new TextEncoder().encode(o.secret) : o.secret;
  return {
    ...(secret ? { secret } : {}),
    ...(setup.srvCert ? { srvCert: setup.srvCert } : {}),
    trusted: setup.trusted,
    untrusted: setup.untrusted,
    ...(o.ignoreKeyUsage ? { ignoreKeyUsage: true } : {}),
    ...(o.requireCmcEku ? { requireCmcEku: true } : {}),
    ...(o.verification ? { verification: o.verification } : {}),
    ...(o.permitTaInExtraCertsForIr ? { permitTaInExtraCertsForIr: true } : {}),
  };
}

export async function checkResponse(
  setup: ClientSetup,
  session: SessionExpectations,
  input: CheckResponseInput,
  onSigner?: SignerObserver,
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
    verify: verifyOptions(setup),
    now: setup.now,
    ...(onSigner ? { onProtection: (p: ResponseProtection) => onSigner(p.kind === 'signature' ? p.signer : undefined) } : {}),
  };
  return toCheckedResponse(await processResponse(fromB64(input.der), exp));
}
