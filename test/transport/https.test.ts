import type * as http from 'node:http';
import type { TLSSocket } from 'node:tls';
import { createHttpTransfer, type HttpTlsOptions, type HttpTransfer } from '../../src/transport';
import { expectCmpError } from './helpers/cmp-error';
import { startHttpsServer, type LocalServer } from './helpers/local-servers';
import { makeTestPki, type TestPki } from './helpers/test-pki';

const PKIMESSAGE = Uint8Array.from([0x30, 0x03, 0x02, 0x01, 0x02]);
const RESPONSE = Uint8Array.from([0x30, 0x03, 0x04, 0x01, 0x07]);

let pki: TestPki;
let server: LocalServer;
let clientAuthServer: LocalServer;
let peerNames: (string | undefined)[] = [];
let transfers: HttpTransfer[] = [];

const answer: http.RequestListener = (req, res) => {
  const peer = (req.socket as TLSSocket).getPeerCertificate();
  const cn = peer && 'subject' in peer ? peer.subject?.CN : undefined;
  peerNames.push(Array.isArray(cn) ? cn.join(',') : cn);
  req.resume();
  req.on('end', () => {
    res.writeHead(200, { 'Content-Type': 'application/pkixcmp' });
    res.end(RESPONSE);
  });
};

beforeAll(async () => {
  pki = makeTestPki();
  const serverTls = { cert: pki.serverCertPem, key: pki.serverKeyPem };
  server = await startHttpsServer(serverTls, answer);
  clientAuthServer = await startHttpsServer({ ...serverTls, ca: pki.caPem, requestCert: true, rejectUnauthorized: true }, answer);
});

afterAll(async () => {
  await server?.close();
  await clientAuthServer?.close();
  pki?.dispose();
});

afterEach(() => {
  for (const t of transfers) t.close();
  transfers = [];
  peerNames = [];
});

/** The server certificate names only DNS:cmp.test, while the connection goes to 127.0.0.1. */
function transferTo(target: LocalServer, tls: Partial<HttpTlsOptions>): HttpTransfer {
  const t = createHttpTransfer({ server: `127.0.0.1:${target.port}`, env: {}, tls: { used: true, ...tls } });
  transfers.push(t);
  return t;
}

describe('HTTPS server authentication', () => {
  it('succeeds when the server certificate chains to a trusted CA and names tls.host', async () => {
    const transfer = transferTo(server, { trusted: pki.caPem, host: 'cmp.test' });
    expect(transfer.url).toBe(`https://127.0.0.1:${server.port}/`);
    await expect(transfer(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
  });

  it('takes trusted certificates as DER bytes or PEM text as well', async () => {
    await expect(transferTo(server, { trusted: pki.caDer, host: 'cmp.test' })(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
    await expect(
      transferTo(server, { trusted: [pki.otherCaPem.toString(), pki.caPem.toString()], host: 'cmp.test' })(PKIMESSAGE, {}),
    ).resolves.toEqual(RESPONSE);
  });

  it('checks the server address when tls.host is not given, so a certificate for another name fails with ERR_TLS', async () => {
    await expectCmpError(transferTo(server, { trusted: pki.caPem })(PKIMESSAGE, {}), 'ERR_TLS');
  });

  it('fails with ERR_TLS when tls.host does not match the server certificate', async () => {
    const err = await expectCmpError(transferTo(server, { trusted: pki.caPem, host: 'other.test' })(PKIMESSAGE, {}), 'ERR_TLS');
    expect(err.message).toContain(`https://127.0.0.1:${server.port}/`);
  });

  it('fails with ERR_TLS when no trusted CA issued the server certificate', async () => {
    await expectCmpError(transferTo(server, { trusted: pki.otherCaPem, host: 'cmp.test' })(PKIMESSAGE, {}), 'ERR_TLS');
  });

  it("uses Node's root CAs without tls.trusted, which do not include a test CA", async () => {
    await expectCmpError(transferTo(server, { host: 'cmp.test' })(PKIMESSAGE, {}), 'ERR_TLS');
  });
});

describe('HTTPS client authentication', () => {
  it('presents tls.cert with tls.key to a server that requires a client certificate', async () => {
    const transfer = transferTo(clientAuthServer, {
      trusted: pki.caPem,
      host: 'cmp.test',
      cert: pki.clientCertPem,
      key: pki.clientKeyPem,
    });
    await expect(transfer(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
    expect(peerNames).toEqual(['cmp-client']);
  });

  it('decrypts an encrypted tls.key with tls.keyPassphrase', async () => {
    const transfer = transferTo(clientAuthServer, {
      trusted: pki.caPem,
      host: 'cmp.test',
      cert: pki.clientCertPem,
      key: pki.clientKeyEncryptedPem,
      keyPassphrase: pki.clientKeyPassphrase,
    });
    await expect(transfer(PKIMESSAGE, {})).resolves.toEqual(RESPONSE);
  });

  it('is refused by that server without a client certificate', async () => {
    await expectCmpError(transferTo(clientAuthServer, { trusted: pki.caPem, host: 'cmp.test' })(PKIMESSAGE, {}), 'ERR_TLS');
    expect(peerNames).toEqual([]);
  });
});

describe('TLS options', () => {
  it('rejects a wrong pass phrase with ERR_BAD_PASSPHRASE, without echoing it', async () => {
    const err = await expectCmpError(
      () =>
        transferTo(clientAuthServer, {
          cert: pki.clientCertPem,
          key: pki.clientKeyEncryptedPem,
          keyPassphrase: 'not the pass phrase',
        }),
      'ERR_BAD_PASSPHRASE',
    );
    expect(err.message).not.toContain('not the pass phrase');
  });

  it('reports a wrong pass phrase as ERR_BAD_PASSPHRASE even when the CBC padding happens to check out', async () => {
    // Encrypted with pass phrase "right"; "wrong-509" decrypts to garbage with valid padding (found by search).
    const key = [
      '-----BEGIN ENCRYPTED PRIVATE KEY-----',
      'MIHrMFYGCSqGSIb3DQEFDTBJMCgGCSqGSIb3DQEFDDAbBAiL8szR97afUQIBATAM',
      'BggqhkiG9w0CCQUAMB0GCWCGSAFlAwQBKgQQOKqYgV0wKFmAXRhQ07i/+ASBkPXz',
      'Y5OS73OkEn88iQ2z/DB8iFWJWQ3aU2h9UbvwOGjAEN/psdoLBtEI3ObViXbxh1FI',
      '4bSQnjEeswZ2edevRvGJZU/V73uuwENjF/Rd321Mt+4xR4ZoNO2Tx+9V/Z51ltuQ',
      'f73NjsNHFmK4yqWNvhTYNqkWMyNZBcWDfnu234CdYzvdrVUIBu+s8uj+3DH/6g==',
      '-----END ENCRYPTED PRIVATE KEY-----',
    ].join('\n');
    await expectCmpError(() => transferTo(clientAuthServer, { cert: pki.clientCertPem, key, keyPassphrase: 'wrong-509' }), 'ERR_BAD_PASSPHRASE');
  });

  it('rejects a key that does not belong to the certificate with ERR_CREDENTIALS', async () => {
    await expectCmpError(() => transferTo(clientAuthServer, { cert: pki.clientCertPem, key: pki.serverKeyPem }), 'ERR_CREDENTIALS');
  });

  it('rejects a certificate without its key with ERR_MISSING_OPTION', async () => {
    await expectCmpError(() => transferTo(clientAuthServer, { cert: pki.clientCertPem }), 'ERR_MISSING_OPTION');
  });

  it('rejects trusted input that holds no certificate with ERR_PEM', async () => {
    await expectCmpError(() => transferTo(server, { trusted: 'not a certificate' }), 'ERR_PEM');
  });

  it('rejects an https URL together with tls.used false with ERR_INVALID_OPTION', async () => {
    await expectCmpError(
      () => createHttpTransfer({ server: `https://127.0.0.1:${server.port}`, env: {}, tls: { used: false } }),
      'ERR_INVALID_OPTION',
    );
  });
});
