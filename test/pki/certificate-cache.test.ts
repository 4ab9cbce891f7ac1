import { X509Certificate } from '@peculiar/x509';
import { CERTIFICATE_CACHE_SIZE, certificateFromDer, clearCertificateCache } from '../../src/pki/certificate-cache';
import { viewOf } from '../../src/pki/certificate-view';
import { isCmpError } from '../../src/errors';
import { generateKey, issueCa, makeChain } from './certificate-factory';

const der = (cert: X509Certificate) => new Uint8Array(cert.rawData);

describe('certificateFromDer', () => {
  it('parses a certificate once: the same bytes give the same instance, with its view ready', async () => {
    const { root } = await makeChain();
    clearCertificateCache();
    const first = certificateFromDer(der(root.cert), 'the root');
    expect(first.equal(root.cert)).toBe(true);
    expect(certificateFromDer(Uint8Array.from(der(root.cert)), 'the root')).toBe(first);
    expect(viewOf(first).subjectName.toString()).toBe(viewOf(root.cert).subjectName.toString());
    expect(viewOf(first).tbs).toEqual(viewOf(root.cert).tbs);
  });

  it('parses again when the cached certificate no longer holds the bytes it was parsed from', async () => {
    const { root } = await makeChain();
    const first = certificateFromDer(der(root.cert), 'the root');
    new Uint8Array(first.rawData)[10] ^= 0xff;
    const second = certificateFromDer(der(root.cert), 'the root');
    expect(second).not.toBe(first);
    expect(second.equal(root.cert)).toBe(true);
  });

  it('refuses bytes that are no certificate with ERR_ASN1_DECODE, naming what they were', () => {
    let error: unknown;
    try {
      certificateFromDer(Uint8Array.of(0x30, 0x03, 0x02, 0x01, 0x05), 'caPubs certificate 1');
    } catch (e) {
      error = e;
    }
    expect(isCmpError(error) && error.code).toBe('ERR_ASN1_DECODE');
    expect((error as Error).message).toContain('caPubs certificate 1');
  });

  it(`keeps at most ${CERTIFICATE_CACHE_SIZE} certificates, the least recently used going first`, async () => {
    clearCertificateCache();
    const key = await generateKey();
    const kept = await issueCa({ subject: 'CN=kept', key });
    const keptOnce = certificateFromDer(der(kept.cert), 'kept');
    const dropped = await issueCa({ subject: 'CN=dropped', key });
    const droppedOnce = certificateFromDer(der(dropped.cert), 'dropped');
    for (let i = 0; i < CERTIFICATE_CACHE_SIZE - 1; i++) {
      certificateFromDer(der((await issueCa({ subject: `CN=filler ${i}`, key })).cert), 'filler');
      if (i % 50 === 0) certificateFromDer(der(kept.cert), 'kept');
    }
    expect(certificateFromDer(der(kept.cert), 'kept')).toBe(keptOnce);
    expect(certificateFromDer(der(dropped.cert), 'dropped')).not.toBe(droppedOnce);
  });
});
