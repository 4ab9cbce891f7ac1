/**
 * The secret check of a resume, made against the server's answer kept in the session as received:
 * a MAC-protected answer tells a wrong secret from the right one (whichever MAC the server used),
 * a signed or unprotected answer holds nothing to check against, and a tampered answer is refused
 * as a broken session, not taken for a wrong secret.
 */
import { X509Certificate } from '@peculiar/x509';
import { readFileSync } from 'fs';
import { PKIBody, PKIHeader, PKIMessage, PollRepContent, PollRepContentEntry } from '../../src/asn1';
import { GeneralName } from '@peculiar/asn1-x509';
import { loadPrivateKey } from '../../src/credentials/loader';
import { parseName } from '../../src/pki/names';
import { protectPkiMessage, type ProtectionConfig } from '../../src/protection';
import { assertSecretFitsResponse } from '../../src/session/secret-check';
import { makeTestPki, TEST_DN, type TestPki } from '../support/pki';

const SECRET = new TextEncoder().encode('the-session-secret');
const WRONG = new TextEncoder().encode('the-session-secreT');
let pki: TestPki;

beforeAll(async () => {
  pki = await makeTestPki();
});
afterAll(async () => pki?.cleanup());

/** A pollRep as a server sends it while the client waits, protected as `protection` says. */
function pollRepFromServer(protection: ProtectionConfig): Promise<Uint8Array> {
  const header = new PKIHeader({
    pvno: 2,
    sender: new GeneralName({ directoryName: parseName(TEST_DN.server) }),
    recipient: new GeneralName({ directoryName: parseName('/CN=client') }),
    transactionID: new Uint8Array(16).fill(7).buffer,
    senderNonce: new Uint8Array(16).fill(9).buffer,
  });
  const body = new PKIBody({ pollRep: new PollRepContent([new PollRepContentEntry({ certReqId: 0n, checkAfter: 1n })]) });
  return protectPkiMessage(new PKIMessage({ header, body }), protection);
}

describe('the secret check against the stored answer', () => {
  it.each([
    ['PasswordBasedMac', { kind: 'pbm', secret: SECRET }],
    ['PBMAC1', { kind: 'pbmac1', secret: SECRET, iterations: 1000 }],
  ] as const)('refuses a wrong secret with ERR_CREDENTIALS and accepts the right one (%s answer)', async (_name, protection) => {
    const answer = await pollRepFromServer(protection);
    await expect(assertSecretFitsResponse(answer, WRONG)).rejects.toMatchObject({
      code: 'ERR_CREDENTIALS',
      message: expect.stringMatching(/^secret: not the shared secret the session was started with; nothing was sent/),
    });
    await expect(assertSecretFitsResponse(answer, SECRET)).resolves.toBeUndefined();
  });

  it('lets any secret pass when the server signed its answer or left it unprotected, or no answer was kept', async () => {
    const key = await loadPrivateKey(readFileSync(pki.server.keyPath));
    const signed = await pollRepFromServer({ kind: 'signature', key, cert: new X509Certificate(pki.server.certPem) });
    const unprotected = await pollRepFromServer({ kind: 'none' });
    await expect(assertSecretFitsResponse(signed, WRONG)).resolves.toBeUndefined();
    await expect(assertSecretFitsResponse(unprotected, WRONG)).resolves.toBeUndefined();
    await expect(assertSecretFitsResponse(undefined, WRONG)).resolves.toBeUndefined();
  });

  it('refuses a stored answer whose MAC parameters exceed the verifier limits as an invalid session, without deriving a key', async () => {
    const costly = await pollRepFromServer({ kind: 'pbm', secret: SECRET, iterations: 200_000 });
    const started = Date.now();
    await expect(assertSecretFitsResponse(costly, SECRET)).rejects.toMatchObject({
      code: 'ERR_SNAPSHOT_INVALID',
      message: expect.stringContaining('lastResponse'),
    });
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('refuses bytes that are not a PKIMessage as an invalid session', async () => {
    await expect(assertSecretFitsResponse(new Uint8Array([0x30, 0x03, 0x02, 0x01, 0x00]), SECRET)).rejects.toMatchObject({
      code: 'ERR_SNAPSHOT_INVALID',
    });
  });
});
