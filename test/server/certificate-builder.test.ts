/**
 * The certificate writer: the DER it writes by hand is the DER the schema would write, times are
 * UTCTime or GeneralizedTime as RFC 5280 says, INTEGERs are minimal, and every key type the CA
 * certifies passes the proof of possession and gets a certificate.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, ExtendedKeyUsage, SubjectPublicKeyInfo } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { getCryptoProvider, type KeySpec } from '../../src/crypto';
import { parseName } from '../../src/pki/names';
import { encodeDer, PkixOids } from '../../src/asn1';
import { copyAsnValue } from '../../src/asn1/copy';
import { decodeDerChecked } from '../../src/asn1/der-codec';
import { extension, keyIdentifier, signCertificate, signCmpCertificate, timeDer } from '../../src/server/certificate-builder';
import { certRequestBody, exchange } from './client-messages';
import { makeServer, PBM, throwawayCa } from './fixtures';

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

async function build(overrides: Partial<Parameters<typeof signCertificate>[0]> = {}): Promise<Uint8Array> {
  const ca = await throwawayCa();
  const key = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  return signCertificate(
    {
      serialNumber: Uint8Array.of(0x12, 0x34),
      issuer: new Uint8Array(AsnConvert.serialize(parseName('/O=cmpflow/CN=cmpflow throwaway CA'))),
      subject: parseName('/O=Example/CN=device 7'),
      notBefore: new Date('2049-12-31T23:59:59.900Z'),
      notAfter: new Date('2050-01-01T00:00:00Z'),
      spki: key.spki,
      extensions: [
        extension(PkixOids.basicConstraints, true, new BasicConstraints({ cA: false })),
        extension(PkixOids.extKeyUsage, false, new ExtendedKeyUsage(['1.3.6.1.5.5.7.3.2'])),
      ],
      ...overrides,
    },
    { key: ca.ca.key },
  );
}

describe('certificates written as DER', () => {
  it('are exactly what asn1-schema writes for the same fields, and verify with the CA key', async () => {
    const der = await build();
    const parsed = AsnConvert.parse(der, Certificate);
    expect(hex(AsnConvert.serialize(parsed))).toBe(hex(der));
    const cert = new X509Certificate(Uint8Array.from(der));
    expect(cert.subject).toBe('O=Example, CN=device 7');
    expect(cert.issuer).toBe('O=cmpflow, CN=cmpflow throwaway CA');
    expect(cert.serialNumber).toBe('1234');
    expect(parsed.tbsCertificate.extensions!.map((e) => [e.extnID, e.critical])).toEqual([
      [PkixOids.basicConstraints, true],
      [PkixOids.extKeyUsage, false],
    ]);
    expect(await cert.verify({ publicKey: (await throwawayCa()).ca.cert.publicKey, signatureOnly: true })).toBe(true);
  });

  it('hold whole seconds, in UTCTime through 2049 and in GeneralizedTime from 2050', async () => {
    const validity = AsnConvert.parse(await build(), Certificate).tbsCertificate.validity;
    expect(validity.notBefore.utcTime?.toISOString()).toBe('2049-12-31T23:59:59.000Z');
    expect(validity.notBefore.generalTime).toBeUndefined();
    expect(validity.notAfter.generalTime?.toISOString()).toBe('2050-01-01T00:00:00.000Z');
    expect(
      Buffer.from(timeDer(new Date('1949-06-01T12:00:00Z')))
        .toString('latin1')
        .slice(2),
    ).toBe('19490601120000Z');
    expect(() => timeDer(new Date('+010000-01-01T00:00:00Z'))).toThrow(expect.objectContaining({ code: 'ERR_ASN1_ENCODE' }));
  });

  it('write serial numbers as minimal positive INTEGERs', async () => {
    const der = await build({ serialNumber: Uint8Array.of(0x00, 0x00, 0x80, 0x01) });
    // Leading zeros dropped, one zero octet before a set top bit: the INTEGER content is 00 80 01.
    expect(hex(AsnConvert.parse(der, Certificate).tbsCertificate.serialNumber)).toBe('008001');
    expect(hex(AsnConvert.serialize(AsnConvert.parse(der, Certificate)))).toBe(hex(der));
  });

  it('refuse a public key that is not a SubjectPublicKeyInfo', async () => {
    await expect(build({ spki: Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x01) })).rejects.toMatchObject({ code: 'ERR_ASN1_DECODE' });
  });

  it('get as key identifier the SHA-1 of the subjectPublicKey bits (RFC 5280 4.2.1.2 method 1)', async () => {
    const key = await getCryptoProvider().generateKey({ type: 'rsa', modulusLength: 2048 });
    const bits = new Uint8Array(AsnConvert.parse(key.spki, SubjectPublicKeyInfo).subjectPublicKey);
    expect(hex(await keyIdentifier(key.spki))).toBe(createHash('sha1').update(bits).digest('hex'));
  });
});

describe('the CMPCertificate of a certificate just written (signCmpCertificate)', () => {
  const signers: [string, KeySpec][] = [
    ['an EC P-256 CA', { type: 'ec', curve: 'P-256' }],
    ['an RSA CA (NULL algorithm parameters)', { type: 'rsa', modulusLength: 2048 }],
    ['an Ed25519 CA', { type: 'ed25519' }],
    ['an ML-DSA-44 CA', { type: 'ml-dsa-44' }],
  ];
  const fields = async () => ({
    serialNumber: Uint8Array.of(0x00, 0x80, 0x01),
    issuer: new Uint8Array(AsnConvert.serialize(parseName('/O=cmpflow/CN=cmpflow test CA'))),
    subject: parseName('/O=Example/CN=device 8'),
    notBefore: new Date('1949-12-31T23:59:59.900Z'),
    notAfter: new Date('2050-01-01T00:00:00Z'),
    spki: (await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' })).spki,
    extensions: [extension(PkixOids.basicConstraints, true, new BasicConstraints({ cA: false }))],
  });

  it.each(signers)('%s: is the value the strict decoder reads from its DER, and is encoded as that DER', async (_, spec) => {
    const key = await getCryptoProvider().generateKey(spec);
    const { der, certificate } = await signCmpCertificate(await fields(), { key });
    expect(certificate).toEqual(decodeDerChecked(der, Certificate).value);
    // The value itself, written by the schema, not the remembered bytes: the same DER.
    expect(hex(AsnConvert.serialize(copyAsnValue(certificate, Certificate.prototype)))).toBe(hex(der));
    expect(hex(encodeDer(certificate))).toBe(hex(der));
  });

  it('with the issuer as a Name and no extensions, the same', async () => {
    const key = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-384' });
    const { der, certificate } = await signCmpCertificate({ ...(await fields()), issuer: parseName('/CN=named issuer'), extensions: [] }, { key });
    expect(certificate).toEqual(decodeDerChecked(der, Certificate).value);
    expect(certificate.tbsCertificate.extensions).toBeUndefined();
  });

  it('is frozen and shares nothing with the fields it was made from', async () => {
    const key = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const input = await fields();
    const { certificate } = await signCmpCertificate(input, { key });
    expect(Object.isFrozen(certificate.tbsCertificate.subject[0]![0])).toBe(true);
    expect(Object.isFrozen(certificate.tbsCertificate.extensions![0])).toBe(true);
    expect(Object.isFrozen(input.subject[0]![0])).toBe(false);
    expect(Object.isFrozen(input.extensions[0])).toBe(false);
  });
});

describe('the proof of possession and the certificate, for every kind of key the CA certifies', () => {
  const specs: [string, KeySpec][] = [
    ['EC P-256', { type: 'ec', curve: 'P-256' }],
    ['EC P-384', { type: 'ec', curve: 'P-384' }],
    ['RSA 2048', { type: 'rsa', modulusLength: 2048 }],
    ['Ed25519', { type: 'ed25519' }],
    ['Ed448', { type: 'ed448' }],
  ];
  it.each(specs)('%s: a valid POPO gets a certificate for the key, a POPO by another key of the same kind gets badPOP', async (_, spec) => {
    const server = await makeServer();
    const key = await getCryptoProvider().generateKey(spec);
    const answer = await exchange(server, await certRequestBody({ key, subject: '/CN=any key' }), { auth: PBM });
    expect(answer.type).toBe('ip');
    expect(hex(answer.cert!.publicKey.rawData)).toBe(hex(key.spki));
    const other = await getCryptoProvider().generateKey(spec);
    const refused = await exchange(server, await certRequestBody({ key, popoKey: other, subject: '/CN=any key' }), { auth: PBM });
    expect(refused.failInfo).toEqual(['badPOP']);
  });
});
