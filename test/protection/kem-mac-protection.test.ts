/**
 * KemBasedMac as a protection of whole PKIMessages (RFC 9810 section 5.1.3.4): protectPkiMessage with
 * the transaction's shared secret, verifyPkiMessageProtection over the received bytes. The derivation
 * itself is specified in kem-mac.test.ts; no published known-answer values for KemBasedMac exist
 * that we know of (RFC 9810 and the LAMPS examples have none), so its inputs are checked against
 * DER written by hand and node's HKDF/HMAC there.
 */
import { CmpOids, createInfoTypeAndValue, decodePkiMessage } from '../../src/asn1';
import { generateMlKemKey, mlKemEncapsulate } from '../../src/crypto/ml-kem';
import { protectPkiMessage, verifyPkiMessageProtection } from '../../src/protection';
import { genmMessage } from './fixtures';

const key = generateMlKemKey('ml-kem-512');
const { sharedSecret } = mlKemEncapsulate(key.spki());
const noCerts = { trusted: [], untrusted: [] };
const genm = () => genmMessage({ sender: '/CN=kem client', itavs: [createInfoTypeAndValue(CmpOids.idItCaCerts)] });

describe('KemBasedMac message protection', () => {
  it('protects with id-KemBasedMac and verifies with the same shared secret', async () => {
    const der = await protectPkiMessage(genm(), { kind: 'kemMac', sharedSecret });
    const received = decodePkiMessage(der);
    expect(received.header.protectionAlg!.algorithm).toBe(CmpOids.kemBasedMac);
    await expect(verifyPkiMessageProtection(received, { ...noCerts, kemSharedSecret: sharedSecret })).resolves.toEqual({
      kind: 'mac',
      algorithm: 'kem',
    });
  });

  it('another shared secret does not verify (ERR_PROTECTION_INVALID)', async () => {
    const received = decodePkiMessage(await protectPkiMessage(genm(), { kind: 'kemMac', sharedSecret }));
    const other = mlKemEncapsulate(key.spki()).sharedSecret;
    await expect(verifyPkiMessageProtection(received, { ...noCerts, kemSharedSecret: other })).rejects.toMatchObject({
      code: 'ERR_PROTECTION_INVALID',
    });
  });

  it('neither side works without the secret of a KEM exchange (ERR_NO_SECRET)', async () => {
    await expect(protectPkiMessage(genm(), { kind: 'kemMac' })).rejects.toMatchObject({ code: 'ERR_NO_SECRET' });
    const received = decodePkiMessage(await protectPkiMessage(genm(), { kind: 'kemMac', sharedSecret }));
    await expect(verifyPkiMessageProtection(received, { ...noCerts, secret: new TextEncoder().encode('a MAC secret') })).rejects.toMatchObject({
      code: 'ERR_NO_SECRET',
    });
  });

  it('the MAC is bound to the transactionID: a changed one does not verify', async () => {
    const msg = genm();
    const der = await protectPkiMessage(msg, { kind: 'kemMac', sharedSecret });
    const tid = Buffer.from(new Uint8Array(msg.header.transactionID!)).toString('hex');
    const altered = Buffer.from(
      Buffer.from(der)
        .toString('hex')
        .replace(tid, tid.slice(0, -2) + (tid.endsWith('00') ? '01' : '00')),
      'hex',
    );
    await expect(verifyPkiMessageProtection(decodePkiMessage(altered), { ...noCerts, kemSharedSecret: sharedSecret })).rejects.toMatchObject({
      code: 'ERR_PROTECTION_INVALID',
    });
  });
});
