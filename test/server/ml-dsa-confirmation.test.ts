/**
 * The embedded CA's certConf check for an ML-DSA-signed certificate (RFC 9810 section 5.3.18):
 * ML-DSA names no hash, so the certConf must name one in hashAlg (pvno 3); a certHash computed with
 * a hash the client did not name is refused.
 */
import { CertConfirmContent, CertStatus, PKIBody } from '../../src/asn1';
import { getCryptoProvider, hashAlgorithmId, type HashName } from '../../src/crypto';
import { createCmpServer, createThrowawayCa, type CmpServer, type ThrowawayCa } from '../../src/server';
import { certRequestBody, exchange } from './client-messages';

const SECRET = 'ml-dsa-confirmation-secret';
const PBM = { kind: 'pbm' as const, secret: SECRET, ref: 'client-1' };
let ca: ThrowawayCa;

beforeAll(async () => {
  ca = await createThrowawayCa({ keySpec: { type: 'ml-dsa-44' } });
});

const server = (): CmpServer => createCmpServer({ ...ca.serverConfig(), srvSecret: SECRET });

async function issuedThenConfirmed(hash: HashName, named: boolean, pvno: 2 | 3) {
  const cmp = server();
  const key = await getCryptoProvider().generateKey({ type: 'ml-dsa-44' });
  const ip = await exchange(cmp, await certRequestBody({ key, subject: '/CN=ml-dsa confirm' }), { auth: PBM });
  expect(ip.type).toBe('ip');
  const certHash = await getCryptoProvider().digest(hash, new Uint8Array(ip.cert!.rawData));
  const status = new CertStatus({ certHash: Uint8Array.from(certHash).buffer, certReqId: 0n, ...(named ? { hashAlg: hashAlgorithmId(hash) } : {}) });
  return exchange(cmp, new PKIBody({ certConf: new CertConfirmContent([status]) }), {
    auth: PBM,
    pvno,
    transactionId: ip.sent.transactionId,
    recipNonce: ip.senderNonce,
  });
}

describe('certConf for a certificate the ML-DSA CA signed', () => {
  it('accepts certHash with the hash named in hashAlg (SHA-512, as cmpflow sends, or another one)', async () => {
    expect((await issuedThenConfirmed('SHA-512', true, 3)).type).toBe('pkiconf');
    expect((await issuedThenConfirmed('SHA3-256', true, 3)).type).toBe('pkiconf');
  });

  it('refuses a certConf that names no hashAlg: ML-DSA implies none (badRequest)', async () => {
    const answer = await issuedThenConfirmed('SHA-256', false, 2);
    expect(answer.type).toBe('error');
    expect(answer.failInfo).toEqual(['badRequest']);
  });
});
