import 'reflect-metadata';
import { X509Certificate } from '@peculiar/x509';
import { CmpError } from '../../src/errors';
import {
  CmpOids,
  createInfoTypeAndValue,
  decodePkiMessage,
  dumpPkiMessage,
  encodeDer,
  encodePkiMessage,
  GenRepContent,
  PKIBody,
  readMessageFile,
} from '../../src/asn1';
import { certificate, sampleMessage } from './samples';
import { readVector } from './vectors';

type Dump = Record<string, any>;

const dumpOf = (der: Uint8Array): Dump => dumpPkiMessage(decodePkiMessage(der)) as Dump;

function pem(label: string, der: Uint8Array, eol = '\n', headers = ''): Uint8Array {
  const lines = Buffer.from(der)
    .toString('base64')
    .match(/.{1,64}/g)!
    .join(eol);
  return Uint8Array.from(Buffer.from(`-----BEGIN ${label}-----${eol}${headers}${lines}${eol}-----END ${label}-----${eol}`));
}

describe('dumpPkiMessage', () => {
  const built = sampleMessage('cp');
  const dump = dumpOf(encodePkiMessage(built));
  const x509 = new X509Certificate(encodeDer(certificate));

  it('names the body type and shows every header field readably', () => {
    expect(dump.bodyType).toBe('cp');
    expect(dump.header.pvno).toBe(3);
    expect(dump.header.sender).toEqual({ directoryName: 'CN=Sample EE, O=cmpflow, C=DE' });
    expect(dump.header.messageTime).toBe(built.header.messageTime!.toISOString());
    expect(dump.header.protectionAlg.algorithm).toBe(`${CmpOids.passwordBasedMac} (PasswordBasedMac)`);
    expect(dump.header.protectionAlg.parameters.iterationCount).toBe('10000');
    for (const field of ['senderKID', 'recipKID', 'transactionID', 'senderNonce', 'recipNonce'] as const) {
      expect(dump.header[field]).toBe(Buffer.from(built.header[field]!).toString('hex'));
    }
    expect(dump.header.freeText).toEqual([...built.header.freeText!]);
    expect(dump.header.generalInfo).toEqual([
      { infoType: `${CmpOids.idItImplicitConfirm} (id-it-implicitConfirm)`, infoValue: null },
      { infoType: `${CmpOids.idItConfirmWaitTime} (id-it-confirmWaitTime)`, infoValue: '2024-05-06T07:10:00.000Z' },
      { infoType: `${CmpOids.idItCertProfile} (id-it-certProfile)`, infoValue: ['tls-server'] },
    ]);
  });

  it('summarises certificates as @peculiar/x509 reads them', () => {
    const summary = dump.body.response[0].certifiedKeyPair.certificate;
    expect(summary.subject).toBe(x509.subject);
    expect(summary.issuer).toBe(x509.issuer);
    expect(summary.serialNumber).toBe(x509.serialNumber.toLowerCase());
    expect(summary.notBefore).toBe(x509.notBefore.toISOString());
    expect(summary.notAfter).toBe(x509.notAfter.toISOString());
    expect(summary.publicKey).toBe('EC P-384');
    expect(dump.extraCerts).toHaveLength(2);
    expect(dump.body.caPubs[0]).toEqual(summary);
  });

  it('shows status, failInfo bit names and statusString', () => {
    expect(dump.body.response[3].status).toEqual({
      status: 2,
      statusName: 'rejection',
      statusString: ['refused'],
      failInfo: ['badPOP', 'badCertTemplate', 'duplicateCertReq'],
    });
    expect(dump.body.response[0].certReqId).toBe('-1');
  });

  it('shows a value it cannot interpret in hex instead of failing', () => {
    const msg = sampleMessage('genp');
    const garbage = Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x07);
    msg.body = new PKIBody({ genp: new GenRepContent([createInfoTypeAndValue(CmpOids.idItCaCerts)]) });
    msg.body.genp![0].infoValue = garbage.slice().buffer;
    const out = dumpOf(encodePkiMessage(msg));
    expect(out.body[0].infoValue).toEqual({ undecodable: '3003020107' });
  });

  it('dumps the old certProfile form that LightweightCmpRa sends (a bare UTF8String) as hex', () => {
    const out = dumpOf(readVector('lightweightcmpra/Kur/downstream_KEY_UPDATE_REQ.PKI'));
    const profile = out.header.generalInfo.find((i: Dump) => i.infoType.includes('id-it-certProfile'));
    expect(profile.infoValue.undecodable).toMatch(/^0c/);
  });
});

describe('readMessageFile', () => {
  const der = readVector('rustcrypto-cmpv2/genm_req_01.bin');

  it('returns DER unchanged', () => {
    expect(Buffer.from(readMessageFile(der)).equals(Buffer.from(der))).toBe(true);
  });

  it.each([
    ['PKIMESSAGE', '\n', ''],
    ['CMP MESSAGE', '\r\n', ''],
    ['ANYTHING', '\n', 'Proc-Type: 4,ENCRYPTED\n\n'],
  ])('decodes PEM labelled %j', (label, eol, headers) => {
    const out = readMessageFile(pem(label, der, eol, headers));
    expect(Buffer.from(out).equals(Buffer.from(der))).toBe(true);
  });

  it('finds the PEM block after leading text', () => {
    const text = Buffer.concat([Buffer.from('a message:\n'), Buffer.from(pem('PKIMESSAGE', der))]);
    expect(Buffer.from(readMessageFile(new Uint8Array(text))).equals(Buffer.from(der))).toBe(true);
  });

  it('rejects broken PEM with ERR_PEM', () => {
    const broken = [
      '-----BEGIN PKIMESSAGE-----\nMIIB\n',
      '-----BEGIN PKIMESSAGE-----\n!!!!\n-----END PKIMESSAGE-----\n',
      '-----BEGIN PKIMESSAGE-----\n-----END PKIMESSAGE-----\n',
      '-----BEGIN A-----\nMIIB\n-----END B-----\n',
    ];
    for (const text of broken) {
      const read = () => readMessageFile(Uint8Array.from(Buffer.from(text)));
      expect(read).toThrow(CmpError);
      expect(read).toThrow(expect.objectContaining({ code: 'ERR_PEM' }));
    }
  });
});
