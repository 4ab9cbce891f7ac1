import { CmpOids, GenRepContent, InfoTypeAndValue, PKIBody } from '../../src/asn1';
import { checkedResponse } from './checked';
import { b64, buildResponse, expectationsFor, makePki, newTransaction, pkiconfBody } from './response-factory';

describe('general response (genp)', () => {
  it('yields each InfoTypeAndValue as OID and exact value DER, and the extraCerts', async () => {
    const pki = await makePki();
    const t = newTransaction();
    const caCerts = Uint8Array.of(0x30, 0x00);
    const body = new PKIBody({
      genp: new GenRepContent([
        new InfoTypeAndValue({ infoType: CmpOids.idItCaCerts, infoValue: caCerts.buffer }),
        new InfoTypeAndValue({ infoType: CmpOids.idItSignKeyPairTypes }),
      ]),
    });
    const result = await checkedResponse(await buildResponse(t, body, { extraCerts: [pki.root.cert] }), expectationsFor(t, 'genm'));
    expect(result).toEqual({
      kind: 'generalResponse',
      senderNonce: expect.any(String),
      itavs: [{ infoType: CmpOids.idItCaCerts, value: b64(caCerts) }, { infoType: CmpOids.idItSignKeyPairTypes }],
      extraCerts: [b64(pki.root.cert.rawData)],
    });
  });
});

describe('PKI confirmation (pkiconf)', () => {
  it('yields the senderNonce that our next message must echo', async () => {
    const t = newTransaction();
    const senderNonce = Uint8Array.from({ length: 16 }, (_, i) => i * 3);
    const result = await checkedResponse(await buildResponse(t, pkiconfBody(), { senderNonce }), expectationsFor(t, 'certConf'));
    expect(result).toEqual({ kind: 'pkiConf', senderNonce: b64(senderNonce) });
  });
});
