/**
 * A minimal CMP responder for the suspended-sessions benchmark, so that finishing 100,000 sessions
 * measures the client, not a CA: it answers a pollReq with an ip carrying one fixed certificate (and
 * caPubs), and a certConf with pkiConf, echoing transactionID and nonces and protecting each answer
 * with PBM like the embedded CA. It reads only what it echoes and checks nothing: the client checks
 * everything as it always does (header, nonces, protection, certificate, key, chain).
 */
import type * as Asn1 from '../../src/asn1';
import type * as Message from '../../src/message/header';
import type * as Protection from '../../src/protection';
import type * as Crypto from '../../src/crypto';
import type { Transfer } from '../../src/transport';
import { requireDist } from './dist';

/**
 * Requests answered at a time; the rest wait in line, as they would for a server of limited
 * capacity. Without a bound, 100,000 sessions polling at once would all hold their ip in memory.
 */
export const RESPONDER_CAPACITY = 64;

export interface FastResponderOptions {
  /** DER of the certificate every ip carries. */
  certificate: Uint8Array;
  /** DER of the CA certificate for caPubs. */
  caCertificate: Uint8Array;
  ref: string;
  secret: string;
}

export function fastResponder(options: FastResponderOptions): Transfer & { answered: () => number } {
  const asn1 = requireDist<typeof Asn1>('src/asn1');
  const { buildHeader } = requireDist<typeof Message>('src/message/header');
  const { protectPkiMessage } = requireDist<typeof Protection>('src/protection');
  const { getCryptoProvider } = requireDist<typeof Crypto>('src/crypto');
  const { GeneralName, Name } = require('@peculiar/asn1-x509') as typeof import('@peculiar/asn1-x509');
  const secret = new TextEncoder().encode(options.secret);
  const ref = new TextEncoder().encode(options.ref);
  const nobody = new GeneralName({ directoryName: new Name([]) });
  let answered = 0;

  /** EXPLICIT [n] of the header after pvno, sender and recipient: transactionID is [4], senderNonce [5]. */
  const headerField = (der: Uint8Array, header: Asn1.DerNode, tag: number): Uint8Array => {
    const field = header.children!.slice(3).find((c) => c.tagClass === 2 && c.tagNumber === tag);
    if (!field) throw new Error(`request without header field [${tag}]`);
    return asn1.nodeContent(der, field.children![0]!);
  };

  let busy = 0;
  const line: (() => void)[] = [];
  const transfer = async (request: Uint8Array): Promise<Uint8Array> => {
    if (busy >= RESPONDER_CAPACITY) await new Promise<void>((resolve) => line.push(resolve));
    busy++;
    try {
      return await answer(request);
    } finally {
      busy--;
      line.shift()?.();
    }
  };

  const answer = async (request: Uint8Array): Promise<Uint8Array> => {
    const root = asn1.readDer(request);
    const header = root.children![0]!;
    const bodyTag = root.children![1]!.tagNumber;
    let body: Asn1.PKIBody;
    if (bodyTag === 25) {
      // pollReq -> ip with the certificate, certReqId 0, accepted.
      const response = new asn1.CertResponse({
        certReqId: 0n,
        status: new asn1.PKIStatusInfo({ status: asn1.PKIStatus.accepted }),
        certifiedKeyPair: new asn1.CertifiedKeyPair({
          certOrEncCert: new asn1.CertOrEncCert({ certificate: asn1.frozenCmpCertificate(options.certificate) }),
        }),
      });
      body = new asn1.PKIBody({ ip: new asn1.CertRepMessage({ caPubs: [asn1.frozenCmpCertificate(options.caCertificate)], response: [response] }) });
    } else if (bodyTag === 24) {
      body = new asn1.PKIBody({ pkiconf: null });
    } else {
      throw new Error(`the fast responder answers pollReq and certConf only, not body [${bodyTag}]`);
    }
    const msg = new asn1.PKIMessage({
      header: buildHeader({
        pvno: 2,
        sender: nobody,
        recipient: nobody,
        transactionId: headerField(request, header, 4),
        senderNonce: getCryptoProvider().randomBytes(16),
        recipNonce: headerField(request, header, 5),
        senderKID: ref,
        messageTime: new Date(),
      }),
      body,
    });
    answered++;
    return protectPkiMessage(msg, { kind: 'pbm', secret });
  };
  return Object.assign(transfer, { answered: () => answered });
}
