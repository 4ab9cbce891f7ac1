/**
 * The `buildRequest` service: from what the machine asks for (JSON) to the protected DER of the
 * next request, serialised once. It owns the per-message parts of the header (a fresh senderNonce,
 * the echoed recipNonce) and leaves the transaction's memory to the machine.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { CertReqMessages, CertReqMsg, frozenCmpCertificate, PKIBody, PKIMessage } from '../asn1';
import { getCryptoProvider } from '../crypto';
import { CmpError } from '../errors';
import type { BuildRequestInput, BuiltRequest } from '../../machines/actors';
import { buildCertConf } from '../message/cert-conf';
import { buildCertReqMessages } from '../message/cert-request';
import { buildErrorMsg, buildGenMsg, buildPollReq, buildRevReq, type RevocationTarget } from '../message/bodies';
import { fromB64, toB64 } from '../bytes';
import { buildHeader } from '../message/header';
import { protectPkiMessage, type ProtectionConfig } from '../protection/protect';
import { isCertRequestKind } from '../protocol';
import type { ClientSetup } from './setup';
import { buildRequestTemplate } from './template';
import { indirectPopo, popoMethod } from './popo-method';

/** OpenSSL's certReqId for ir/cr/kur; p10cr has none and uses -1 (RFC 9810 5.3.4). */
const CERT_REQ_ID = 0n;
const P10CR_CERT_REQ_ID = -1n;

/** What one session adds to the client's setup: the ITAVs of a genm, an explicit CRMF request. */
export interface SessionSpec {
  itavs?: { infoType: string; value?: Uint8Array }[];
  /** DER of a complete CertReqMsg to send instead of one built from the options (OpenSSL's certreq with crm). */
  certReqMsg?: Uint8Array;
}

async function buildBody(
  setup: ClientSetup,
  spec: SessionSpec,
  input: BuildRequestInput,
): Promise<{ body: PKIBody; certReqId?: bigint; pvno: 2 | 3 }> {
  const o = setup.options;
  switch (input.kind) {
    case 'ir':
    case 'cr':
    case 'kur': {
      if (spec.certReqMsg) {
        const msg = AsnConvert.parse(spec.certReqMsg, CertReqMsg);
        return { body: new PKIBody({ [input.kind]: new CertReqMessages([msg]) }), certReqId: msg.certReq.certReqId, pvno: 2 };
      }
      const template = buildRequestTemplate(setup, input.kind);
      const popoKey = setup.newKey ?? (input.kind === 'kur' ? undefined : setup.key);
      const messages = await buildCertReqMessages({
        certReqId: CERT_REQ_ID,
        ...template,
        ...(o.days !== undefined ? { days: o.days } : {}),
        ...(input.kind === 'kur' ? { oldCert: (setup.oldCert ?? setup.cert)! } : {}),
        popo: popoMethod(setup),
        ...(popoKey ? { popoKey } : {}),
        ...(o.centralKeyGeneration ? { centralKeyGeneration: true } : {}),
        digest: setup.digest,
      });
      // cmp2021 tells the CA that we read EnvelopedData (RFC 9810 section 7): an encrypted certificate then comes in one.
      return { body: new PKIBody({ [input.kind]: messages }), certReqId: CERT_REQ_ID, pvno: indirectPopo(setup) ? 3 : 2 };
    }
    case 'p10cr': {
      if (!setup.csr) throw new CmpError('ERR_MISSING_OPTION', 'p10cr needs a PKCS#10 request (csr)', { options: ['csr'] });
      return { body: new PKIBody({ p10cr: AsnConvert.parse(setup.csr, CertificationRequest) }), certReqId: P10CR_CERT_REQ_ID, pvno: 2 };
    }
    case 'pollReq':
      return { body: new PKIBody({ pollReq: buildPollReq(BigInt(input.transaction.certReqId ?? '0')) }), pvno: input.transaction.pvno };
    case 'certConf': {
      const conf = await buildCertConf({
        certificateDer: fromB64(input.certificate),
        certReqId: BigInt(input.transaction.certReqId ?? '0'),
        accept: input.accept.accept,
        ...(input.accept.failInfo ? { failInfo: input.accept.failInfo } : {}),
        ...(input.accept.text ? { text: input.accept.text } : {}),
      });
      return { body: new PKIBody({ certConf: conf.content }), pvno: conf.pvno };
    }
    case 'error':
      return { body: new PKIBody({ error: buildErrorMsg(input.text, input.failInfo) }), pvno: input.transaction.pvno };
    case 'rr': {
      return { body: new PKIBody({ rr: buildRevReq(revocationTarget(setup), o.revReason ?? -1) }), pvno: 2 };
    }
    case 'genm':
      return { body: new PKIBody({ genm: buildGenMsg(spec.itavs ?? []) }), pvno: 2 };
  }
}

/**
 * The certificate to revoke: named by issuer and serial number when both are given (they win
 * over oldCert, as in OpenSSL 3.2), else oldCert, or as OpenSSL 3.0's fallback the subject and key of `csr`.
 */
function revocationTarget(setup: ClientSetup): RevocationTarget {
  if (setup.serialNumber !== undefined) {
    if (!setup.issuer) {
      throw new CmpError('ERR_MISSING_OPTION', 'rr by serial number needs the issuer too: give both issuer and serialNumber or neither', {
        options: ['issuer', 'serialNumber'],
      });
    }
    return { issuer: setup.issuer, serialNumber: setup.serialNumber };
  }
  if (setup.oldCert) return { cert: setup.oldCert };
  if (setup.csr) {
    const info = AsnConvert.parse(setup.csr, CertificationRequest).certificationRequestInfo;
    return { subject: info.subject, publicKey: info.subjectPKInfo };
  }
  throw new CmpError('ERR_MISSING_OPTION', 'rr needs the certificate to revoke (oldCert), or a csr naming its subject and key', {
    options: ['oldCert', 'csr'],
  });
}

/** `protection`: the session's own, when it is not the client's (KEM-based MAC with this transaction's secret). */
export async function buildRequest(
  setup: ClientSetup,
  spec: SessionSpec,
  input: BuildRequestInput,
  protection: ProtectionConfig = setup.protection,
): Promise<BuiltRequest> {
  const { body, certReqId, pvno } = await buildBody(setup, spec, input);
  const senderNonce = getCryptoProvider().randomBytes(16);
  const header = buildHeader({
    pvno,
    sender: setup.sender,
    recipient: setup.recipient,
    transactionId: fromB64(input.transaction.transactionId),
    senderNonce,
    ...(input.transaction.recipNonce ? { recipNonce: fromB64(input.transaction.recipNonce) } : {}),
    ...(setup.senderKID ? { senderKID: setup.senderKID } : {}),
    messageTime: new Date(setup.now()),
    implicitConfirm: isCertRequestKind(input.kind) && setup.options.implicitConfirm === true,
    ...(setup.options.generalInfo?.length ? { generalInfo: setup.options.generalInfo } : {}),
  });
  const message = new PKIMessage({ header, body });
  if (setup.extraCertsOut.length) {
    // Frozen: encoded as known, not through the schema, in every message of every session.
    message.extraCerts = setup.extraCertsOut.map((c) => frozenCmpCertificate(new Uint8Array(c.rawData)));
  }
  const der = await protectPkiMessage(message, protection);
  return {
    der: toB64(der),
    bodyType: input.kind,
    senderNonce: toB64(senderNonce),
    pvno,
    ...(certReqId !== undefined ? { certReqId: certReqId.toString() } : {}),
  };
}
