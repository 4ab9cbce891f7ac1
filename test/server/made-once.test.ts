/**
 * What the CA makes once and hands out again (issue #22): constant extensions (frozen, their DER
 * kept), the CMPCertificate of a certificate it sends in every answer, and the CMPCertificate made
 * while signing, handed out with the record. Each must be exactly what making it afresh, or
 * decoding its DER strictly, gives.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { BasicConstraints, Certificate, KeyUsage, KeyUsageFlags, type Extension } from '@peculiar/asn1-x509';
import { encodeDer, frozenCmpCertificate, PkixOids } from '../../src/asn1';
import { decodeDerChecked } from '../../src/asn1/der-codec';
import { getCryptoProvider } from '../../src/crypto';
import { parseName } from '../../src/pki/names';
import { CertificateAuthority } from '../../src/server/ca';
import { constantExtension, extension, signCertificate, signCmpCertificate } from '../../src/server/certificate-builder';
import { cmpCertificateOf } from '../../src/server/response';
import { throwawayCa } from './fixtures';

const hex = (b: ArrayBuffer | Uint8Array): string => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

const basicConstraints = () => extension(PkixOids.basicConstraints, true, new BasicConstraints({ cA: false }));
const keyUsage = () => extension(PkixOids.keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature));

async function fields(extensions: Extension[]) {
  return {
    serialNumber: Uint8Array.of(0x01, 0x02, 0x03),
    issuer: new Uint8Array(AsnConvert.serialize(parseName('/O=cmpflow/CN=made-once CA'))),
    subject: parseName('/O=Example/CN=device 9'),
    notBefore: new Date('2030-01-01T00:00:00Z'),
    notAfter: new Date('2031-01-01T00:00:00Z'),
    spki: (await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' })).spki,
    extensions,
  };
}

describe('constant extensions', () => {
  it('are frozen all the way down and keep the DER the schema writes for them', () => {
    const made = constantExtension(basicConstraints());
    expect(Object.isFrozen(made)).toBe(true);
    expect(Object.isFrozen(made.extnValue)).toBe(true);
    expect(() => {
      (made as { critical: boolean }).critical = false;
    }).toThrow(TypeError);
    expect(hex(encodeDer(made))).toBe(hex(encodeDer(basicConstraints())));
    expect(constantExtension(made)).toBe(made);
  });

  it('give a certificate the same DER and the same value as extensions made afresh', async () => {
    const key = await getCryptoProvider().generateKey({ type: 'ed25519' });
    const shared = [constantExtension(basicConstraints()), constantExtension(keyUsage())];
    const base = await fields(shared);
    const withConstants = await signCmpCertificate(base, { key });
    const afresh = await signCertificate({ ...base, extensions: [basicConstraints(), keyUsage()] }, { key });
    // Ed25519 signatures are deterministic: equal bytes signed give equal certificates.
    expect(hex(withConstants.der)).toBe(hex(afresh));
    expect(withConstants.certificate).toEqual(decodeDerChecked(withConstants.der, Certificate).value);
    expect(hex(encodeDer(withConstants.certificate))).toBe(hex(withConstants.der));
  });

  it('stay usable by the next certificate after one that carries them is frozen', async () => {
    const key = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const shared = constantExtension(keyUsage());
    const first = await signCmpCertificate(await fields([shared]), { key });
    const second = await signCmpCertificate(await fields([shared]), { key });
    expect(Object.isFrozen(first.certificate)).toBe(true);
    expect(second.certificate).toEqual(decodeDerChecked(second.der, Certificate).value);
  });
});

describe('certificates sent in every answer (cmpCertificateOf)', () => {
  it('are the one frozen CMPCertificate of the certificate, encoded as its DER', async () => {
    const { ca } = await throwawayCa();
    const once = cmpCertificateOf(ca.cert);
    expect(cmpCertificateOf(ca.cert)).toBe(once);
    expect(once).toEqual(frozenCmpCertificate(new Uint8Array(ca.cert.rawData)));
    expect(Object.isFrozen(once)).toBe(true);
    expect(hex(encodeDer(once))).toBe(hex(ca.cert.rawData));
  });
});

describe('the record of an issue', () => {
  it('carries the certificate as the messages do: the strict decoding of its DER, encoded as that DER', async () => {
    const { ca } = await throwawayCa();
    const authority = new CertificateAuthority({ cert: ca.cert, key: ca.key });
    const record = await authority.issue({
      subject: parseName('/CN=made-once device'),
      spki: (await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' })).spki,
      notBefore: new Date(),
      notAfter: new Date(Date.now() + 86_400_000),
      extensions: [constantExtension(basicConstraints())],
    });
    expect(record.certificate).toBeDefined();
    expect(record.certificate).toEqual(decodeDerChecked(record.der, Certificate).value);
    expect(hex(encodeDer(record.certificate!))).toBe(hex(record.der));
    expect(authority.record(record.serial)?.certificate).toBeUndefined();
  });
});
