/**
 * Responses made by OpenSSL's own CMP server (`openssl cmp -use_mock_srv`, in process), captured
 * with -reqout/-rspout and validated here against the requests OpenSSL sent: what a real server
 * produces must pass, and must fail for the reasons the rules say when the expectations differ.
 */
import { checkedResponse } from './checked';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodePkiMessage, PKIStatus } from '../../src/asn1';
import { loadCertificate } from '../../src/credentials';
import { type RequestKind, type ResponseExpectations } from '../../src/validation';
import { runCmp } from '../support/openssl';
import { makeTestPki, type TestPki } from '../support/pki';

const SECRET = 'interop-validation-secret';

let pki: TestPki;
let dir: string;

beforeAll(async () => {
  pki = await makeTestPki();
  dir = await mkdtemp(join(tmpdir(), 'cmpflow-validation-'));
}, 60_000);

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
  await pki?.cleanup();
});

/** Runs one `openssl cmp` client session against the in-process mock server, saving every message. */
async function session(name: string, cmd: string, messages: number, extra: string[]): Promise<{ req: Uint8Array[]; rsp: Uint8Array[] }> {
  const files = (kind: string) => Array.from({ length: messages }, (_, i) => join(dir, `${name}-${kind}${i}.der`));
  const r = await runCmp([
    '-cmd',
    cmd,
    '-use_mock_srv',
    '-ref',
    '1234',
    '-secret',
    `pass:${SECRET}`,
    '-srv_ref',
    '1234',
    '-srv_secret',
    `pass:${SECRET}`,
    '-recipient',
    '/CN=mock',
    '-reqout',
    files('req').join(','),
    '-rspout',
    files('rsp').join(','),
    ...extra,
  ]);
  const read = (paths: string[]) => Promise.all(paths.map(async (p) => new Uint8Array(await readFile(p))));
  const [req, rsp] = await Promise.all([read(files('req')), read(files('rsp'))]).catch((e: unknown) => {
    throw new Error(`openssl cmp ${cmd} did not produce ${messages} message pairs (exit ${r.code}):\n${r.stderr}\n${String(e)}`);
  });
  return { req, rsp };
}

/** What our client would expect after sending `request` (OpenSSL's, here). */
function expecting(request: Uint8Array, requestType: RequestKind, overrides: Partial<ResponseExpectations> = {}): ResponseExpectations {
  const header = decodePkiMessage(request).header;
  return {
    requestType,
    transactionId: new Uint8Array(header.transactionID!),
    lastSenderNonce: new Uint8Array(header.senderNonce!),
    verify: { secret: new TextEncoder().encode(SECRET), trusted: [], untrusted: [] },
    ...overrides,
  };
}

const b64 = (der: Uint8Array) => Buffer.from(der).toString('base64');

describe('responses of the OpenSSL mock server', () => {
  describe('ir with polling: ip (waiting), pollRep, ip, pkiconf', () => {
    let req: Uint8Array[];
    let rsp: Uint8Array[];
    let enrolledSpki: Uint8Array;

    beforeAll(async () => {
      ({ req, rsp } = await session('ir', 'ir', 4, [
        '-newkey',
        pki.newKeyPath,
        '-subject',
        '/CN=interop',
        '-certout',
        join(dir, 'ir-cert.pem'),
        '-rsp_cert',
        pki.enrolled.certPath,
        '-rsp_capubs',
        pki.root.certPath,
        '-rsp_extracerts',
        pki.intermediate.certPath,
        '-poll_count',
        '2',
        '-check_after',
        '0',
      ]));
      enrolledSpki = new Uint8Array(loadCertificate(pki.enrolled.certPem).publicKey.rawData);
    }, 60_000);

    it('reads the first ip as waiting', async () => {
      await expect(checkedResponse(rsp[0], expecting(req[0], 'ir'))).resolves.toMatchObject({ kind: 'waiting', status: PKIStatus.waiting });
    });

    it('reads the pollRep as a wait of checkAfter seconds', async () => {
      await expect(checkedResponse(rsp[1], expecting(req[1], 'pollReq', { pollingFor: 'ir' }))).resolves.toMatchObject({
        kind: 'pollWait',
        certReqId: '0',
        checkAfter: 0,
      });
    });

    it('takes the certificate, caPubs and extraCerts from the final ip and anchors the chain in the MAC-protected caPubs', async () => {
      const result = await checkedResponse(rsp[2], expecting(req[2], 'pollReq', { pollingFor: 'ir', requestedPublicKey: enrolledSpki }));
      expect(result).toMatchObject({
        kind: 'certificate',
        certificate: b64(pki.enrolled.certDer),
        caPubs: [b64(pki.root.certDer)],
        extraCerts: [b64(pki.intermediate.certDer)],
        chain: [b64(pki.enrolled.certDer), b64(pki.intermediate.certDer), b64(pki.root.certDer)],
        implicitConfirmGranted: false,
      });
    });

    it('reads the pkiconf as the end of the transaction', async () => {
      await expect(checkedResponse(rsp[3], expecting(req[3], 'certConf'))).resolves.toMatchObject({ kind: 'pkiConf' });
    });

    it('refuses the final ip as the answer to an earlier request (ERR_RECIP_NONCE_MISMATCH)', async () => {
      const stale = { ...expecting(req[2], 'pollReq', { pollingFor: 'ir' }), lastSenderNonce: expecting(req[1], 'pollReq').lastSenderNonce };
      await expect(checkedResponse(rsp[2], stale)).rejects.toMatchObject({ code: 'ERR_RECIP_NONCE_MISMATCH' });
    });

    it('refuses the final ip under another shared secret (ERR_PROTECTION_INVALID)', async () => {
      const exp = expecting(req[2], 'pollReq', { pollingFor: 'ir' });
      exp.verify = { ...exp.verify, secret: new TextEncoder().encode('another secret') };
      await expect(checkedResponse(rsp[2], exp)).rejects.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
    });

    it('refuses the final ip for a key we did not ask for (ERR_PUBLIC_KEY_MISMATCH)', async () => {
      const otherKey = new Uint8Array(loadCertificate(pki.client.certPem).publicKey.rawData);
      const exp = expecting(req[2], 'pollReq', { pollingFor: 'ir', requestedPublicKey: otherKey });
      await expect(checkedResponse(rsp[2], exp)).resolves.toMatchObject({ refusal: { code: 'ERR_PUBLIC_KEY_MISMATCH' } });
    });
  });

  it('grants implicit confirmation when asked, and says so', async () => {
    const { req, rsp } = await session('implicit', 'ir', 1, [
      '-newkey',
      pki.newKeyPath,
      '-subject',
      '/CN=interop',
      '-certout',
      join(dir, 'implicit-cert.pem'),
      '-rsp_cert',
      pki.enrolled.certPath,
      '-implicit_confirm',
      '-grant_implicitconf',
    ]);
    await expect(checkedResponse(rsp[0], expecting(req[0], 'ir'))).resolves.toMatchObject({ kind: 'certificate', implicitConfirmGranted: true });
  });

  it('validates an rp that accepts the revocation of the named certificate', async () => {
    const { req, rsp } = await session('rr', 'rr', 1, ['-oldcert', pki.enrolled.certPath, '-rsp_cert', pki.enrolled.certPath]);
    const enrolled = loadCertificate(pki.enrolled.certPem);
    const revokedCert = {
      issuer: decodePkiMessage(req[0]).body.rr![0].certDetails.issuer!,
      serialNumber: new Uint8Array(Buffer.from(enrolled.serialNumber, 'hex')),
    };
    await expect(checkedResponse(rsp[0], expecting(req[0], 'rr', { revokedCert }))).resolves.toMatchObject({
      kind: 'revocation',
      status: PKIStatus.accepted,
    });
  });

  it('validates a genp', async () => {
    const { req, rsp } = await session('genm', 'genm', 1, []);
    await expect(checkedResponse(rsp[0], expecting(req[0], 'genm'))).resolves.toMatchObject({ kind: 'generalResponse' });
  });

  it('turns the mock server error message into ERR_ERROR_RESPONSE', async () => {
    const { req, rsp } = await session('error', 'ir', 1, [
      '-newkey',
      pki.newKeyPath,
      '-subject',
      '/CN=interop',
      '-certout',
      join(dir, 'error-cert.pem'),
      '-rsp_cert',
      pki.enrolled.certPath,
      '-send_error',
    ]);
    await expect(checkedResponse(rsp[0], expecting(req[0], 'ir'))).rejects.toMatchObject({ code: 'ERR_ERROR_RESPONSE', status: PKIStatus.rejection });
  });
});
