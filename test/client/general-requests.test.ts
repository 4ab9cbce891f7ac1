/**
 * The RFC 9480 general-message helpers: exactly one ITAV of the expected type must come back, and
 * a root CA key update is accepted only when the old root authenticates the new one (section 4.3).
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { CaCertsValue, CmpOids, RootCaKeyUpdateContent } from '../../src/asn1';
import { getCaCerts, getRootCaUpdate } from '../../src/client/general-requests';
import { CmpError } from '../../src/errors';
import type { InfoTypeAndValueInput } from '../../src/options';
import { generateKey, issueCa, type Issued } from '../pki/certificate-factory';

const asn = (i: Issued) => AsnConvert.parse(i.cert.rawData, Certificate);
const der = (v: object) => new Uint8Array(AsnConvert.serialize(v));

/** A genm stand-in answering with the given ITAVs and recording what was asked. */
function answering(itavs: { infoType: string; value?: Uint8Array }[]) {
  const asked: InfoTypeAndValueInput[][] = [];
  const genm = async (request: InfoTypeAndValueInput[]) => {
    asked.push(request);
    return { itavs };
  };
  return { genm, asked };
}

async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'resolved';
  } catch (e) {
    return e instanceof CmpError ? e.code : String(e);
  }
}

describe('RFC 9480 general requests', () => {
  let oldRoot: Issued;
  let newRoot: Issued;
  let newWithOld: Issued;
  let oldWithNew: Issued;

  beforeAll(async () => {
    oldRoot = await issueCa({ subject: 'CN=Root G1, O=cmpflow', key: await generateKey() });
    newRoot = await issueCa({ subject: 'CN=Root G2, O=cmpflow', key: await generateKey() });
    // The new root's key, certified by the old root (the link that authenticates the update).
    newWithOld = await issueCa({ subject: 'CN=Root G2, O=cmpflow', key: newRoot.key, issuer: oldRoot });
    oldWithNew = await issueCa({ subject: 'CN=Root G1, O=cmpflow', key: oldRoot.key, issuer: newRoot });
  });

  const update = (content: Partial<RootCaKeyUpdateContent>) =>
    answering([{ infoType: CmpOids.idItRootCaKeyUpdate, value: der(new RootCaKeyUpdateContent({ newWithNew: asn(newRoot), ...content })) }]);

  it('asks for caCerts and returns the certificates of the answer', async () => {
    const { genm, asked } = answering([{ infoType: CmpOids.idItCaCerts, value: der(new CaCertsValue([asn(oldRoot), asn(newRoot)])) }]);
    const certs = await getCaCerts(genm);
    expect(asked).toEqual([[{ infoType: CmpOids.idItCaCerts }]]);
    expect(certs.map((c) => c.subject)).toEqual([oldRoot.cert.subject, newRoot.cert.subject]);
  });

  it('reads an absent caCerts value as no certificates', async () => {
    expect(await getCaCerts(answering([{ infoType: CmpOids.idItCaCerts }]).genm)).toEqual([]);
  });

  it('refuses a genp with another InfoType or more than one ITAV', async () => {
    expect(await codeOf(getCaCerts(answering([{ infoType: CmpOids.idItCertProfile }]).genm))).toBe('ERR_UNEXPECTED_BODY');
    expect(await codeOf(getCaCerts(answering([{ infoType: CmpOids.idItCaCerts }, { infoType: CmpOids.idItCaCerts }]).genm))).toBe(
      'ERR_UNEXPECTED_BODY',
    );
  });

  it('refuses a malformed value with ERR_ASN1_DECODE', async () => {
    expect(await codeOf(getCaCerts(answering([{ infoType: CmpOids.idItCaCerts, value: new Uint8Array([0x30, 0x03, 0x02, 0x01]) }]).genm))).toBe(
      'ERR_ASN1_DECODE',
    );
  });

  it('sends the old root and accepts an update that the old root authenticates', async () => {
    const { genm, asked } = update({ newWithOld: asn(newWithOld), oldWithNew: asn(oldWithNew) });
    const result = await getRootCaUpdate(genm, oldRoot.cert);
    expect(asked[0][0].infoType).toBe(CmpOids.idItRootCaCert);
    expect(Buffer.from(asked[0][0].value!).equals(Buffer.from(oldRoot.cert.rawData))).toBe(true);
    expect(result!.newWithNew.equal(newRoot.cert)).toBe(true);
  });

  it('without an old root names none and authenticates newWithOld by the trusted certificates instead', async () => {
    const { genm, asked } = update({ newWithOld: asn(newWithOld), oldWithNew: asn(oldWithNew) });
    const result = await getRootCaUpdate(genm, undefined, undefined, [oldRoot.cert]);
    expect(asked[0][0]).toEqual({ infoType: CmpOids.idItRootCaCert });
    expect(result!.newWithNew.equal(newRoot.cert)).toBe(true);
    expect(await codeOf(getRootCaUpdate(update({ newWithOld: asn(newWithOld) }).genm, undefined, undefined, [newRoot.cert]))).toBe(
      'ERR_ROOT_CA_KEY_UPDATE',
    );
    expect(await codeOf(getRootCaUpdate(update({ newWithOld: asn(newWithOld) }).genm, undefined))).toBe('ERR_ROOT_CA_KEY_UPDATE');
  });

  it('returns undefined when the server has no update', async () => {
    expect(await getRootCaUpdate(answering([{ infoType: CmpOids.idItRootCaKeyUpdate }]).genm, oldRoot.cert)).toBeUndefined();
  });

  it('refuses an update without newWithOld', async () => {
    expect(await codeOf(getRootCaUpdate(update({}).genm, oldRoot.cert))).toBe('ERR_ROOT_CA_KEY_UPDATE');
  });

  it('refuses a newWithOld that another key signed', async () => {
    const impostor = await issueCa({ subject: 'CN=Root G1, O=cmpflow', key: await generateKey() });
    const forged = await issueCa({ subject: 'CN=Root G2, O=cmpflow', key: newRoot.key, issuer: impostor });
    expect(await codeOf(getRootCaUpdate(update({ newWithOld: asn(forged) }).genm, oldRoot.cert))).toBe('ERR_ROOT_CA_KEY_UPDATE');
  });

  it('refuses a newWithOld whose key is not the new root key', async () => {
    const other = await issueCa({ subject: 'CN=Root G2, O=cmpflow', key: await generateKey(), issuer: oldRoot });
    expect(await codeOf(getRootCaUpdate(update({ newWithOld: asn(other) }).genm, oldRoot.cert))).toBe('ERR_ROOT_CA_KEY_UPDATE');
  });

  it('refuses an oldWithNew that does not carry the old key', async () => {
    const wrong = await issueCa({ subject: 'CN=Root G1, O=cmpflow', key: await generateKey(), issuer: newRoot });
    expect(await codeOf(getRootCaUpdate(update({ newWithOld: asn(newWithOld), oldWithNew: asn(wrong) }).genm, oldRoot.cert))).toBe(
      'ERR_ROOT_CA_KEY_UPDATE',
    );
  });
});
