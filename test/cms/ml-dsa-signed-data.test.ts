/**
 * SignedData signed with ML-DSA (RFC 9882), as a key generation authority with an ML-DSA key would
 * sign a centrally generated key: RFC 9882's own examples (signed by another implementation with
 * RFC 9881's example keys) verify, and a changed signature, content or algorithm does not.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { AsnConvert, OctetString } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier, Certificate } from '@peculiar/asn1-x509';
import { CertificateChoices, CertificateSet, ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { verifySignedContent } from '../../src/cms';
import { Oids } from '../../src/crypto';
import { isCmpError } from '../../src/errors';

const vectors = join(__dirname, '..', 'vectors', 'ml-dsa');
const pemDer = (pem: string) => new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64'));

/**
 * The RFC 9882 example's SignedData with the signer's RFC 9881 certificate added to `certificates`
 * (the example leaves it out; the signature covers only the signed attributes, so it still holds).
 */
function exampleWithCertificate(size: string, change?: (signed: SignedData) => void): Uint8Array {
  const info = AsnConvert.parse(pemDer(readFileSync(join(vectors, 'rfc9882', `mldsa${size}-signed-attrs.pem`), 'utf8')), ContentInfo);
  const signed = AsnConvert.parse(info.content, SignedData);
  const certificate = AsnConvert.parse(pemDer(readFileSync(join(vectors, 'rfc9881', `ML-DSA-${size}.crt`), 'utf8')), Certificate);
  signed.certificates = new CertificateSet([new CertificateChoices({ certificate })]);
  change?.(signed);
  return new Uint8Array(AsnConvert.serialize(signed));
}

function refusal(run: () => unknown): unknown {
  try {
    run();
  } catch (e) {
    return e;
  }
  throw new Error('expected a refusal');
}

describe.each(['44', '65', '87'])('the RFC 9882 ML-DSA-%s signed-data example', (size) => {
  it('verifies: signer found by issuer and serial, SHA-512 messageDigest, pure ML-DSA signature', () => {
    const verified = verifySignedContent(exampleWithCertificate(size));
    expect(new TextDecoder().decode(verified.content)).toBe(`ML-DSA-${size} signed-data example with signed attributes`);
    expect(verified.contentType).toBe('1.2.840.113549.1.7.1');
  });

  it('does not verify with one bit of the signature changed: ERR_CMS_SIGNATURE', () => {
    const der = exampleWithCertificate(size, (signed) => {
      const signature = new Uint8Array(signed.signerInfos[0]!.signature.buffer);
      signature[7]! ^= 0x01;
      signed.signerInfos[0]!.signature = new OctetString(signature);
    });
    expect(
      isCmpError(
        refusal(() => verifySignedContent(der)),
        'ERR_CMS_SIGNATURE',
      ),
    ).toBe(true);
  });

  it('does not verify when the content is not the one digested: ERR_CMS_SIGNATURE', () => {
    const der = exampleWithCertificate(size, (signed) => {
      signed.encapContentInfo.eContent!.single = new OctetString(new TextEncoder().encode('another content'));
    });
    expect(
      isCmpError(
        refusal(() => verifySignedContent(der)),
        'ERR_CMS_SIGNATURE',
      ),
    ).toBe(true);
  });

  it('refuses the signature algorithm with parameters (RFC 9882 requires them absent)', () => {
    const oid = { '44': Oids.mlDsa44, '65': Oids.mlDsa65, '87': Oids.mlDsa87 }[size]!;
    const der = exampleWithCertificate(size, (signed) => {
      signed.signerInfos[0]!.signatureAlgorithm = new AlgorithmIdentifier({ algorithm: oid, parameters: null });
    });
    expect(
      isCmpError(
        refusal(() => verifySignedContent(der)),
        'ERR_CMS_SIGNATURE',
      ),
    ).toBe(true);
  });
});
