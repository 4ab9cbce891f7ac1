import { AlgorithmIdentifier, CertificateList, GeneralName, TBSCertList, Time } from '@peculiar/asn1-x509';
import { checkedResponse } from './checked';
import { CertId, PKIStatus } from '../../src/asn1';
import { type ResponseExpectations } from '../../src/validation';
import {
  asnName,
  b64,
  buildResponse,
  expectationsFor,
  makePki,
  newTransaction,
  rpBody,
  statusInfo,
  type TestPki,
  type Transaction,
} from './response-factory';

const ISSUER = 'CN=Validation Issuing CA, O=cmpflow';
const SERIAL = Uint8Array.of(0x00, 0x9a, 0x01);

let pki: TestPki;
beforeAll(async () => {
  pki = await makePki();
});

function rrExpectations(t: Transaction, overrides: Partial<ResponseExpectations> = {}): ResponseExpectations {
  return expectationsFor(t, 'rr', { revokedCert: { issuer: asnName(ISSUER), serialNumber: SERIAL }, ...overrides });
}

const ecdsaSha256 = new AlgorithmIdentifier({ algorithm: '1.2.840.10045.4.3.2' });
const crl = () =>
  new CertificateList({
    tbsCertList: new TBSCertList({
      version: 1,
      signature: ecdsaSha256,
      issuer: asnName(ISSUER),
      thisUpdate: new Time(new Date('2024-05-01T10:00:00Z')),
    }),
    signatureAlgorithm: ecdsaSha256,
    signature: new Uint8Array(64).buffer,
  });

const certId = (issuer: string, serial: Uint8Array) =>
  new CertId({ issuer: new GeneralName({ directoryName: asnName(issuer) }), serialNumber: Uint8Array.from(serial).buffer });

async function revoke(body: Parameters<typeof buildResponse>[1], spec: Parameters<typeof buildResponse>[2] = {}) {
  const t = newTransaction();
  return checkedResponse(await buildResponse(t, body, spec), rrExpectations(t));
}

describe('revocation response (rp)', () => {
  it.each([
    ['accepted', PKIStatus.accepted],
    ['grantedWithMods', PKIStatus.grantedWithMods],
  ])('succeeds without warning for %s', async (name, status) => {
    const result = await revoke(rpBody([statusInfo(status)]));
    expect(result).toMatchObject({ kind: 'revocation', status, statusName: name, extraCerts: [] });
    expect(result).not.toHaveProperty('warning');
  });

  it.each([
    ['revocationWarning', PKIStatus.revocationWarning],
    ['revocationNotification', PKIStatus.revocationNotification],
  ])('succeeds with a warning for %s', async (name, status) => {
    const result = await revoke(rpBody([statusInfo(status)]));
    expect(result).toMatchObject({ kind: 'revocation', statusName: name, warning: expect.stringContaining(name) });
  });

  it('reads rejection as a refusal with the server failInfo', async () => {
    await expect(revoke(rpBody([statusInfo(PKIStatus.rejection, ['certRevoked'], ['already revoked'])]))).resolves.toMatchObject({
      kind: 'rejected',
      status: PKIStatus.rejection,
      failInfo: ['certRevoked'],
      error: { code: 'ERR_REQUEST_REJECTED', failInfo: ['certRevoked'], statusString: ['already revoked'] },
    });
  });

  it.each([
    ['waiting', PKIStatus.waiting],
    ['keyUpdateWarning', PKIStatus.keyUpdateWarning],
    ['an undefined status', 9],
  ])('refuses %s with ERR_UNEXPECTED_STATUS', async (_name, status) => {
    await expect(revoke(rpBody([statusInfo(status)]))).rejects.toMatchObject({ code: 'ERR_UNEXPECTED_STATUS', status });
  });

  it('refuses two statuses for our one request with ERR_REVOCATION_MISMATCH', async () => {
    await expect(revoke(rpBody([statusInfo(PKIStatus.accepted), statusInfo(PKIStatus.accepted)]))).rejects.toMatchObject({
      code: 'ERR_REVOCATION_MISMATCH',
    });
  });

  it('accepts revCerts naming our certificate, however the serial number is padded', async () => {
    const body = rpBody([statusInfo(PKIStatus.accepted)], { revCerts: [certId('cn=validation  issuing ca, o=CMPFLOW', Uint8Array.of(0x9a, 0x01))] });
    await expect(revoke(body)).resolves.toMatchObject({ kind: 'revocation' });
  });

  it('refuses revCerts with another serial number with ERR_REVOCATION_MISMATCH', async () => {
    const body = rpBody([statusInfo(PKIStatus.accepted)], { revCerts: [certId(ISSUER, Uint8Array.of(0x9a, 0x02))] });
    await expect(revoke(body)).rejects.toMatchObject({ code: 'ERR_REVOCATION_MISMATCH' });
  });

  it('refuses revCerts with another issuer with ERR_REVOCATION_MISMATCH', async () => {
    const body = rpBody([statusInfo(PKIStatus.accepted)], { revCerts: [certId('CN=Someone Else', SERIAL)] });
    await expect(revoke(body)).rejects.toMatchObject({ code: 'ERR_REVOCATION_MISMATCH' });
  });

  it('refuses two revCerts for our one request with ERR_REVOCATION_MISMATCH', async () => {
    const body = rpBody([statusInfo(PKIStatus.accepted)], { revCerts: [certId(ISSUER, SERIAL), certId(ISSUER, SERIAL)] });
    await expect(revoke(body)).rejects.toMatchObject({ code: 'ERR_REVOCATION_MISMATCH' });
  });

  it('refuses two CRLs for our one request with ERR_REVOCATION_MISMATCH', async () => {
    const body = rpBody([statusInfo(PKIStatus.accepted)], { crls: [crl(), crl()] });
    await expect(revoke(body)).rejects.toMatchObject({ code: 'ERR_REVOCATION_MISMATCH' });
  });

  it('accepts one CRL for our one request', async () => {
    await expect(revoke(rpBody([statusInfo(PKIStatus.accepted)], { crls: [crl()] }))).resolves.toMatchObject({ kind: 'revocation' });
  });

  it('keeps the extraCerts of the response', async () => {
    await expect(revoke(rpBody([statusInfo(PKIStatus.accepted)]), { extraCerts: [pki.intermediate.cert] })).resolves.toMatchObject({
      extraCerts: [b64(pki.intermediate.cert.rawData)],
    });
  });
});
