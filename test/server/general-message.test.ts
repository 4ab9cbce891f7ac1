/** General messages: what the server answers to each ITAV of RFC 9483 section 4.3. */
import { AsnConvert } from '@peculiar/asn1-schema';
import { GeneralName, GeneralNames, Name, Time } from '@peculiar/asn1-x509';
import * as x509 from '@peculiar/x509';
import {
  CaCertsValue,
  CertReqTemplateContent,
  CertTemplate,
  CmpOids,
  CRLSource,
  CRLStatus,
  CRLStatusListValue,
  CRLsValue,
  decodeInfoValue,
  PKIBody,
  RootCaKeyUpdateContent,
  UnsupportedOIDsValue,
  type InfoTypeAndValue,
} from '../../src/asn1';
import { buildGenMsg, buildRevReq } from '../../src/message/bodies';
import { parseName } from '../../src/pki/names';
import { createThrowawayCa } from '../../src/server';
import { enroll, exchange, newKey } from './client-messages';
import { makeServer, PBM, throwawayCa } from './fixtures';

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

async function ask(server: Awaited<ReturnType<typeof makeServer>>, itavs: { infoType: string; value?: Uint8Array }[]): Promise<InfoTypeAndValue[]> {
  const answer = await exchange(server, new PKIBody({ genm: buildGenMsg(itavs) }), { auth: PBM });
  expect(answer.type).toBe('genp');
  return [...answer.msg.body.genp!];
}

function crlStatusList(issuer: Name, thisUpdate?: Date): Uint8Array {
  const source = new CRLSource({ issuer: new GeneralNames([new GeneralName({ directoryName: issuer })]) });
  const status = new CRLStatus({ source, ...(thisUpdate ? { thisUpdate: new Time(thisUpdate) } : {}) });
  return new Uint8Array(AsnConvert.serialize(new CRLStatusListValue([status])));
}

describe('genm', () => {
  it('caCerts: the CA certificate', async () => {
    const ca = await throwawayCa();
    const [itav] = await ask(await makeServer(), [{ infoType: CmpOids.idItCaCerts }]);
    expect(itav!.infoType).toBe(CmpOids.idItCaCerts);
    expect(decodeInfoValue(itav!, CaCertsValue).map((c) => hex(AsnConvert.serialize(c)))).toEqual([hex(ca.ca.cert.rawData)]);
  });

  it('rootCaKeyUpdate: the configured update for the root the client names, none for another root', async () => {
    const ca = await throwawayCa();
    const next = await createThrowawayCa({ caName: '/CN=next root' });
    const server = await makeServer({ rootCaKeyUpdate: { oldRoot: ca.ca.cert, newWithNew: next.ca.cert } });
    const asking = (root: x509.X509Certificate) => ask(server, [{ infoType: CmpOids.idItRootCaCert, value: new Uint8Array(root.rawData) }]);
    const [update] = await asking(ca.ca.cert);
    expect(update!.infoType).toBe(CmpOids.idItRootCaKeyUpdate);
    expect(hex(AsnConvert.serialize(decodeInfoValue(update!, RootCaKeyUpdateContent).newWithNew))).toBe(hex(next.ca.cert.rawData));
    const [none] = await asking(next.ca.cert);
    expect(none!.infoType).toBe(CmpOids.idItRootCaKeyUpdate);
    expect(none!.infoValue).toBeUndefined();
  });

  it('rootCaKeyUpdate without a configured update: the ITAV without value', async () => {
    const [itav] = await ask(await makeServer(), [{ infoType: CmpOids.idItRootCaKeyUpdate }]);
    expect(itav!.infoType).toBe(CmpOids.idItRootCaKeyUpdate);
    expect(itav!.infoValue).toBeUndefined();
  });

  it('certReqTemplate: the configured template, or none', async () => {
    const template = new CertReqTemplateContent({ certTemplate: new CertTemplate({ subject: parseName('/O=cmpflow') }) });
    const [given] = await ask(await makeServer({ certReqTemplate: template }), [{ infoType: CmpOids.idItCertReqTemplate }]);
    expect(hex(given!.infoValue!)).toBe(hex(AsnConvert.serialize(template)));
    const [absent] = await ask(await makeServer(), [{ infoType: CmpOids.idItCertReqTemplate }]);
    expect(absent!.infoValue).toBeUndefined();
  });

  it('crlStatusList: the CA CRL when the client has an older one (or none), nothing when it is current', async () => {
    const server = await makeServer();
    const ca = await throwawayCa();
    const key = await newKey();
    const cert = await enroll(server, { key, subject: '/CN=on the CRL' }, PBM);
    await exchange(server, new PKIBody({ rr: buildRevReq({ cert }, -1) }), { auth: { kind: 'signature', key, cert } });
    const caName = AsnConvert.parse(ca.ca.cert.subjectName.toArrayBuffer(), Name);

    const [older] = await ask(server, [{ infoType: CmpOids.idItCrlStatusList, value: crlStatusList(caName, new Date(Date.now() - 86_400_000)) }]);
    expect(older!.infoType).toBe(CmpOids.idItCrls);
    const crls = decodeInfoValue(older!, CRLsValue);
    const crl = new x509.X509Crl(AsnConvert.serialize(crls[0]!));
    expect(crl.entries.map((e) => e.serialNumber)).toEqual([cert.serialNumber]);

    const [without] = await ask(server, [{ infoType: CmpOids.idItCrlStatusList, value: crlStatusList(caName) }]);
    expect(decodeInfoValue(without!, CRLsValue)).toHaveLength(1);

    const [current] = await ask(server, [{ infoType: CmpOids.idItCrlStatusList, value: crlStatusList(caName, new Date(Date.now() + 3_600_000)) }]);
    expect(current!.infoValue).toBeUndefined();
    const [other] = await ask(server, [{ infoType: CmpOids.idItCrlStatusList, value: crlStatusList(parseName('/CN=another CA')) }]);
    expect(other!.infoValue).toBeUndefined();
  });

  it('crlStatusList without a value: badDataFormat', async () => {
    const answer = await exchange(await makeServer(), new PKIBody({ genm: buildGenMsg([{ infoType: CmpOids.idItCrlStatusList }]) }), { auth: PBM });
    expect(answer.failInfo).toEqual(['badDataFormat']);
  });

  it('an ITAV the server does not know is named in unsupportedOIDs; an empty genm gets an empty genp', async () => {
    const itavs = await ask(await makeServer(), [{ infoType: CmpOids.idItCaCerts }, { infoType: '1.2.3.4.5' }]);
    expect(itavs.map((i) => i.infoType)).toEqual([CmpOids.idItCaCerts, CmpOids.idItUnsupportedOIDs]);
    expect([...decodeInfoValue(itavs[1]!, UnsupportedOIDsValue)]).toEqual(['1.2.3.4.5']);
    expect(await ask(await makeServer(), [])).toEqual([]);
  });

  it('leaves the transactionID reserved once answered', async () => {
    const server = await makeServer();
    const first = await exchange(server, new PKIBody({ genm: buildGenMsg([]) }), { auth: PBM });
    const again = await exchange(server, new PKIBody({ genm: buildGenMsg([]) }), { auth: PBM, transactionId: first.sent.transactionId });
    expect(again.failInfo).toEqual(['transactionIdInUse']);
  });
});
