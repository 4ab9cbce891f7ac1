import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { checkedResponse } from './checked';
import { toCheckedResponse } from '../../src/client/actor-results';
import { CertifiedKeyPair, CertOrEncCert, CertResponse, decodePkiMessage, EncryptedKey, EncryptedValue, PKIStatus } from '../../src/asn1';
import { processResponse, validateCertResponse, type ResponseExpectations } from '../../src/validation';
import {
  b64,
  buildResponse,
  certRepBody,
  certResponse,
  expectationsFor,
  makePki,
  newTransaction,
  SECRET,
  spkiOf,
  statusInfo,
  type TestPki,
  type Transaction,
} from './response-factory';

let pki: TestPki;
beforeAll(async () => {
  pki = await makePki();
});

const NOW = 1_700_000_000_000;

function irExpectations(t: Transaction, overrides: Partial<ResponseExpectations> = {}): ResponseExpectations {
  return expectationsFor(t, 'ir', { requestedPublicKey: spkiOf(pki.enrolled.cert), now: () => NOW, ...overrides });
}

const issued = (status: number = PKIStatus.accepted, certReqId = 0n) =>
  certResponse({ certReqId, status: statusInfo(status), certificate: pki.enrolled.cert });

describe('certificate response (ip/cp/kup)', () => {
  it('yields the issued certificate with status, extraCerts and a chain validated against the trust anchors', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [issued()]), { extraCerts: [pki.intermediate.cert] });
    const result = await checkedResponse(der, irExpectations(t, { verify: { secret: SECRET, trusted: [pki.root.cert], untrusted: [] } }));
    expect(result).toMatchObject({
      kind: 'certificate',
      certReqId: '0',
      certificate: b64(pki.enrolled.cert.rawData),
      status: PKIStatus.accepted,
      statusName: 'accepted',
      caPubs: [],
      extraCerts: [b64(pki.intermediate.cert.rawData)],
      chain: [b64(pki.enrolled.cert.rawData), b64(pki.intermediate.cert.rawData), b64(pki.root.cert.rawData)],
      implicitConfirmGranted: false,
    });
    expect(result.senderNonce).toBe(b64(new Uint8Array(decodePkiMessage(der).header.senderNonce!)));
  });

  it('returns domain values, not JSON: the certificate and chain parsed, nonce and extraCerts as received bytes, certReqId as bigint', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [issued()]), { extraCerts: [pki.intermediate.cert] });
    const result = await processResponse(der, irExpectations(t, { verify: { secret: SECRET, trusted: [pki.root.cert], untrusted: [] } }));
    if (result.kind !== 'certificate') throw new Error(`expected a certificate, got ${result.kind}`);
    expect(result.certificate).toBeInstanceOf(X509Certificate);
    expect(result.certificate.equal(pki.enrolled.cert)).toBe(true);
    expect(result.chain.map((c) => c.subject)).toEqual([pki.enrolled.cert.subject, pki.intermediate.cert.subject, pki.root.cert.subject]);
    expect(result.certReqId).toBe(0n);
    expect(Buffer.from(result.senderNonce)).toEqual(Buffer.from(decodePkiMessage(der).header.senderNonce!));
    expect(result.extraCerts.map((c) => Buffer.from(c))).toEqual([Buffer.from(pki.intermediate.cert.rawData)]);
  });

  it('reports implicit confirmation granted when the response header carries id-it-implicitConfirm', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [issued()]), { implicitConfirm: true });
    await expect(checkedResponse(der, irExpectations(t))).resolves.toMatchObject({ kind: 'certificate', implicitConfirmGranted: true });
  });

  it('leaves the chain empty when nothing we trust anchors it', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [issued()]), { extraCerts: [pki.intermediate.cert, pki.root.cert] });
    await expect(checkedResponse(der, irExpectations(t))).resolves.toMatchObject({ kind: 'certificate', chain: [] });
  });

  it.each([0, 2])('refuses %i CertResponses with ERR_WRONG_CERT_RESPONSE_COUNT', async (count) => {
    const t = newTransaction();
    const der = await buildResponse(
      t,
      certRepBody(
        'ip',
        Array.from({ length: count }, (_, i) => issued(PKIStatus.accepted, BigInt(i))),
      ),
    );
    await expect(checkedResponse(der, irExpectations(t))).rejects.toMatchObject({ code: 'ERR_WRONG_CERT_RESPONSE_COUNT' });
  });

  it('refuses a CertResponse for another certReqId with ERR_CERT_REQ_ID_MISMATCH', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [issued(PKIStatus.accepted, 1n)]));
    await expect(checkedResponse(der, irExpectations(t))).rejects.toMatchObject({ code: 'ERR_CERT_REQ_ID_MISMATCH' });
  });

  it('expects certReqId -1 in the cp answering a p10cr', async () => {
    const t = newTransaction();
    const exp = irExpectations(t, { requestType: 'p10cr' });
    await expect(checkedResponse(await buildResponse(t, certRepBody('cp', [issued(PKIStatus.accepted, 0n)])), exp)).rejects.toMatchObject({
      code: 'ERR_CERT_REQ_ID_MISMATCH',
    });
    await expect(checkedResponse(await buildResponse(t, certRepBody('cp', [issued(PKIStatus.accepted, -1n)])), exp)).resolves.toMatchObject({
      kind: 'certificate',
      certReqId: '-1',
    });
  });

  it('refuses a certificate for another key than the requested one with ERR_PUBLIC_KEY_MISMATCH, to be answered by a negative certConf', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [issued()]));
    await expect(checkedResponse(der, irExpectations(t, { requestedPublicKey: spkiOf(pki.intermediate.cert) }))).resolves.toMatchObject({
      kind: 'certificate',
      refusal: { code: 'ERR_PUBLIC_KEY_MISMATCH', failInfo: ['incorrectData'] },
    });
  });

  it.each([
    ['grantedWithMods', PKIStatus.grantedWithMods],
    ['revocationWarning', PKIStatus.revocationWarning],
    ['revocationNotification', PKIStatus.revocationNotification],
  ])('issues with status %s and keeps the status', async (name, status) => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [issued(status)]));
    await expect(checkedResponse(der, irExpectations(t))).resolves.toMatchObject({ kind: 'certificate', status, statusName: name });
  });

  it('accepts keyUpdateWarning in a kup but not in an ip (ERR_UNEXPECTED_STATUS)', async () => {
    const t = newTransaction();
    const kup = await buildResponse(t, certRepBody('kup', [issued(PKIStatus.keyUpdateWarning)]));
    await expect(checkedResponse(kup, irExpectations(t, { requestType: 'kur' }))).resolves.toMatchObject({
      kind: 'certificate',
      statusName: 'keyUpdateWarning',
    });
    const ip = await buildResponse(t, certRepBody('ip', [issued(PKIStatus.keyUpdateWarning)]));
    await expect(checkedResponse(ip, irExpectations(t))).rejects.toMatchObject({ code: 'ERR_UNEXPECTED_STATUS', status: PKIStatus.keyUpdateWarning });
  });

  it('refuses a status RFC 9810 does not define with ERR_UNEXPECTED_STATUS', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [issued(7)]));
    await expect(checkedResponse(der, irExpectations(t))).rejects.toMatchObject({ code: 'ERR_UNEXPECTED_STATUS', status: 7 });
  });

  it('reads waiting as an instruction to poll at once: checkAfter 0, received now', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [certResponse({ status: statusInfo(PKIStatus.waiting) })]));
    await expect(checkedResponse(der, irExpectations(t))).resolves.toMatchObject({
      kind: 'waiting',
      certReqId: '0',
      checkAfter: 0,
      receivedAt: NOW,
      statusName: 'waiting',
    });
  });

  it('refuses waiting once polling has started with ERR_UNEXPECTED_STATUS', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [certResponse({ status: statusInfo(PKIStatus.waiting) })]));
    await expect(checkedResponse(der, irExpectations(t, { requestType: 'pollReq', pollingFor: 'ir' }))).rejects.toMatchObject({
      code: 'ERR_UNEXPECTED_STATUS',
    });
  });

  it('reads rejection as a refusal with the server status, failInfo and text', async () => {
    const t = newTransaction();
    const der = await buildResponse(
      t,
      certRepBody('ip', [certResponse({ status: statusInfo(PKIStatus.rejection, ['badCertTemplate'], ['no such profile']) })]),
    );
    await expect(checkedResponse(der, irExpectations(t))).resolves.toMatchObject({
      kind: 'rejected',
      status: PKIStatus.rejection,
      failInfo: ['badCertTemplate'],
      statusString: ['no such profile'],
      error: { code: 'ERR_REQUEST_REJECTED', status: PKIStatus.rejection, failInfo: ['badCertTemplate'], statusString: ['no such profile'] },
    });
  });

  it('refuses an accepted CertResponse without certificate with ERR_NO_CERTIFICATE', async () => {
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [certResponse({ status: statusInfo(PKIStatus.accepted) })]));
    await expect(checkedResponse(der, irExpectations(t))).rejects.toMatchObject({ code: 'ERR_NO_CERTIFICATE' });
  });

  it('refuses an encrypted certificate with ERR_ENCRYPTED_CERT_UNSUPPORTED', async () => {
    const t = newTransaction();
    const encrypted = new CertResponse({
      certReqId: 0n,
      status: statusInfo(PKIStatus.accepted),
      certifiedKeyPair: new CertifiedKeyPair({
        certOrEncCert: new CertOrEncCert({
          encryptedCert: new EncryptedKey({
            encryptedValue: new EncryptedValue({
              symmAlg: new AlgorithmIdentifier({ algorithm: '2.16.840.1.101.3.4.1.2' }),
              encValue: new Uint8Array(32).buffer,
            }),
          }),
        }),
      }),
    });
    const der = await buildResponse(t, certRepBody('ip', [encrypted]));
    await expect(checkedResponse(der, irExpectations(t))).rejects.toMatchObject({ code: 'ERR_ENCRYPTED_CERT_UNSUPPORTED' });
  });

  describe('caPubs', () => {
    it('from a MAC-protected response are returned and anchor the new certificate chain', async () => {
      const t = newTransaction();
      const der = await buildResponse(t, certRepBody('ip', [issued()], [pki.root.cert]), { extraCerts: [pki.intermediate.cert] });
      const result = await checkedResponse(der, irExpectations(t));
      expect(result).toMatchObject({
        kind: 'certificate',
        caPubs: [b64(pki.root.cert.rawData)],
        chain: [b64(pki.enrolled.cert.rawData), b64(pki.intermediate.cert.rawData), b64(pki.root.cert.rawData)],
      });
    });

    it('from a signature-protected response are returned but do not anchor the chain', async () => {
      const t = newTransaction();
      const msg = decodePkiMessage(await buildResponse(t, certRepBody('ip', [issued()], [pki.root.cert]), { extraCerts: [pki.intermediate.cert] }));
      const signed = { kind: 'signature' as const, signer: pki.intermediate.cert, chain: [pki.intermediate.cert, pki.root.cert] };
      const result = toCheckedResponse(await validateCertResponse(msg, irExpectations(t), signed));
      expect(result).toMatchObject({ kind: 'certificate', caPubs: [b64(pki.root.cert.rawData)], chain: [] });
    });

    it('from an unauthenticated response are refused with ERR_CAPUBS_UNTRUSTED', async () => {
      const t = newTransaction();
      const msg = decodePkiMessage(await buildResponse(t, certRepBody('ip', [issued()], [pki.root.cert])));
      const unprotected = { kind: 'none' as const, ignored: 'missing' as const, exception: 'test' };
      await expect(validateCertResponse(msg, irExpectations(t), unprotected)).rejects.toMatchObject({ code: 'ERR_CAPUBS_UNTRUSTED' });
    });
  });

  it('never issues from an unauthenticated response, caPubs or not (ERR_PROTECTION_MISSING)', async () => {
    const t = newTransaction();
    const msg = decodePkiMessage(await buildResponse(t, certRepBody('ip', [issued()])));
    const unprotected = { kind: 'none' as const, ignored: 'missing' as const, exception: 'test' };
    await expect(validateCertResponse(msg, irExpectations(t), unprotected)).rejects.toMatchObject({ code: 'ERR_PROTECTION_MISSING' });
  });

  describe('with outTrusted', () => {
    it('validates the new certificate against them and returns the validated chain', async () => {
      const t = newTransaction();
      const der = await buildResponse(t, certRepBody('ip', [issued()]), { extraCerts: [pki.intermediate.cert] });
      await expect(checkedResponse(der, irExpectations(t, { outTrusted: [pki.root.cert] }))).resolves.toMatchObject({
        chain: [b64(pki.enrolled.cert.rawData), b64(pki.intermediate.cert.rawData), b64(pki.root.cert.rawData)],
      });
    });

    it('refuses (for a negative certConf) a certificate that does not chain to them with ERR_NEW_CERT_UNTRUSTED', async () => {
      const t = newTransaction();
      const der = await buildResponse(t, certRepBody('ip', [issued()]), { extraCerts: [pki.intermediate.cert, pki.root.cert] });
      await expect(checkedResponse(der, irExpectations(t, { outTrusted: [pki.otherRoot.cert] }))).resolves.toMatchObject({
        refusal: { code: 'ERR_NEW_CERT_UNTRUSTED', failInfo: ['incorrectData'] },
      });
    });

    it('applies the expected host there, as OpenSSL keeps -verify_hostname for its -out_trusted store', async () => {
      const t = newTransaction();
      const der = await buildResponse(t, certRepBody('ip', [issued()]), { extraCerts: [pki.intermediate.cert] });
      const expecting = (verifyHostname: string) =>
        irExpectations(t, { outTrusted: [pki.root.cert], verify: { secret: SECRET, trusted: [], untrusted: [], verification: { verifyHostname } } });
      await expect(checkedResponse(der, expecting('validation enrolled'))).resolves.toMatchObject({
        chain: [b64(pki.enrolled.cert.rawData), expect.anything(), expect.anything()],
      });
      await expect(checkedResponse(der, expecting('cmp.example.com'))).resolves.toMatchObject({
        refusal: { code: 'ERR_NEW_CERT_UNTRUSTED', message: expect.stringContaining('does not match the expected hostname cmp.example.com') },
      });
    });

    it('does not take caPubs of a MAC-protected response as anchors in their place', async () => {
      const t = newTransaction();
      const der = await buildResponse(t, certRepBody('ip', [issued()], [pki.root.cert]), { extraCerts: [pki.intermediate.cert] });
      await expect(checkedResponse(der, irExpectations(t, { outTrusted: [pki.otherRoot.cert] }))).resolves.toMatchObject({
        refusal: { code: 'ERR_NEW_CERT_UNTRUSTED', failInfo: ['incorrectData'] },
      });
    });
  });

  it('hands on the certificates exactly as the server encoded them, not as re-encoded after decoding', async () => {
    // BER's TRUE as 0x01 where DER wants 0xFF (basicConstraints critical): decodes, but re-encoding changes it.
    const derCritical = Buffer.from('0603551d130101ff', 'hex');
    const berCritical = Buffer.from('0603551d13010101', 'hex');
    const toBer = (der: Uint8Array): Uint8Array => {
      const hex = Buffer.from(der).toString('hex').split(derCritical.toString('hex')).join(berCritical.toString('hex'));
      return new Uint8Array(Buffer.from(hex, 'hex'));
    };
    const t = newTransaction();
    const der = await buildResponse(t, certRepBody('ip', [issued()], [pki.intermediate.cert]), {
      extraCerts: [pki.intermediate.cert],
      rewrite: toBer,
    });
    const result = await checkedResponse(der, irExpectations(t));
    if (result.kind !== 'certificate') throw new Error(`expected a certificate, got ${result.kind}`);
    const sent = [result.certificate, ...result.caPubs, ...result.extraCerts].map((c) => Buffer.from(c, 'base64'));
    expect(sent).toHaveLength(3);
    for (const cert of sent) {
      expect(cert.includes(berCritical)).toBe(true);
      expect(Buffer.from(der).includes(cert)).toBe(true);
    }
  });
});
