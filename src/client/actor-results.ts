/**
 * The one place that speaks both languages: validation's domain values (parsed certificates,
 * bytes, bigint, CmpError) become the machines' JSON (base64, decimal strings, serialised errors),
 * which snapshots and inspector events can carry.
 */
import type { X509Certificate } from '@peculiar/x509';
import type { CheckedResponse } from '../../machines/actors';
import { toB64 as b64 } from '../bytes';
import type { ValidatedResponse } from '../validation/results';

const certB64 = (cert: X509Certificate): string => b64(cert.rawData);

export function toCheckedResponse(v: ValidatedResponse): CheckedResponse {
  switch (v.kind) {
    case 'certificate': {
      const { refusal, senderNonce, certReqId, certificate, chain, caPubs, extraCerts, ...rest } = v;
      return {
        ...(refusal ? { refusal: refusal.toJSON() } : {}),
        ...rest,
        senderNonce: b64(senderNonce),
        certReqId: certReqId.toString(),
        certificate: certB64(certificate),
        chain: chain.map(certB64),
        caPubs: caPubs.map(b64),
        extraCerts: extraCerts.map(b64),
      };
    }
    case 'waiting':
    case 'pollWait':
      return { ...v, senderNonce: b64(v.senderNonce), certReqId: v.certReqId.toString() };
    case 'rejected':
      return { ...v, senderNonce: b64(v.senderNonce), error: v.error.toJSON() };
    case 'pkiConf':
      return { kind: 'pkiConf', senderNonce: b64(v.senderNonce) };
    case 'revocation':
      return { ...v, senderNonce: b64(v.senderNonce), extraCerts: v.extraCerts.map(b64) };
    case 'generalResponse':
      return {
        kind: 'generalResponse',
        senderNonce: b64(v.senderNonce),
        itavs: v.itavs.map(({ infoType, value }) => ({ infoType, ...(value !== undefined ? { value: b64(value) } : {}) })),
        extraCerts: v.extraCerts.map(b64),
      };
  }
}
