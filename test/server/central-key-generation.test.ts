/**
 * What the embedded CA answers to a request for central key generation (RFC 9483 section 4.1.6), read
 * by an independent implementation: `openssl cms -decrypt` opens the CertifiedKeyPair's privateKey for
 * each key-delivery kind (PWRI under the MAC secret, ECDH and RSA-OAEP to the request's signer),
 * `openssl cms -verify` checks its SignedData against the CA, `openssl x509` names the signer's extended
 * key usage as id-kp-cmKGA; the key inside is the certificate's.
 * Requests that mix central key generation with a proof of possession are refused as OpenSSL refuses them.
 */
import { promises as fs } from 'fs';
import { createPrivateKey, createPublicKey } from 'crypto';
import * as os from 'os';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { PKIBody } from '../../src/asn1';
import { encodePem } from '../../src/credentials';
import { getCryptoProvider, type KeySpec, type PrivateKeyHandle } from '../../src/crypto';
import { buildCertReqMessages } from '../../src/message/cert-request';
import { parseName } from '../../src/pki/names';
import { CM_KGA_NAME, opensslKeyPackage } from '../support/openssl-key-package';
import { enroll, exchange, newKey, type Auth } from './client-messages';
import { makeServer, PBM, SECRET, throwawayCa } from './fixtures';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-central-'));
  const ca = await throwawayCa();
  await fs.writeFile(path.join(dir, 'ca.pem'), encodePem('CERTIFICATE', new Uint8Array(ca.ca.cert.rawData)));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

async function centralRequest(subject: string): Promise<PKIBody> {
  const messages = await buildCertReqMessages({ certReqId: 0n, subject: parseName(subject), popo: 1, centralKeyGeneration: true });
  return new PKIBody({ cr: messages });
}

/** A signer enrolled with the shared secret, its key also as a PEM file for openssl. */
async function signer(spec: KeySpec, name: string): Promise<{ auth: Auth; keyFile: string; certFile: string }> {
  const server = await makeServer();
  const key: PrivateKeyHandle = await getCryptoProvider().generateKey(spec);
  const cert = await enroll(server, { key, subject: `/CN=${name}` }, PBM);
  const keyFile = path.join(dir, `${name}.key`);
  const certFile = path.join(dir, `${name}.crt`);
  await fs.writeFile(keyFile, encodePem('PRIVATE KEY', await getCryptoProvider().exportPrivateKey(key)));
  await fs.writeFile(certFile, encodePem('CERTIFICATE', new Uint8Array(cert.rawData)));
  return { auth: { kind: 'signature', key, cert }, keyFile, certFile };
}

const kinds: [string, () => Promise<{ auth: Auth; decrypt: string[] }>][] = [
  ['the MAC secret (PWRI)', async () => ({ auth: PBM, decrypt: ['-pwri_password', SECRET] })],
  [
    "the signer's EC key (ECDH)",
    async () => {
      const s = await signer({ type: 'ec', curve: 'P-256' }, 'ec-signer');
      return { auth: s.auth, decrypt: ['-recip', s.certFile, '-inkey', s.keyFile] };
    },
  ],
  [
    "the signer's RSA key (RSA-OAEP)",
    async () => {
      const s = await signer({ type: 'rsa', modulusLength: 2048 }, 'rsa-signer');
      return { auth: s.auth, decrypt: ['-recip', s.certFile, '-inkey', s.keyFile] };
    },
  ],
];

describe.each(kinds)('a key the CA generates, encrypted for %s', (name, setup) => {
  it('is opened by openssl cms -decrypt, signed by a KGA (id-kp-cmKGA) as openssl cms -verify checks, and is the key of the certificate', async () => {
    const { auth, decrypt } = await setup();
    // The signers enroll a name other than their own, which the CA's policy allows only when told to.
    const server = await makeServer({ policy: { signersMayRequestOtherNames: true } });
    const answer = await exchange(server, await centralRequest(`/CN=central ${name.length}`), { auth });
    expect({ type: answer.type, text: answer.statusText }).toEqual({ type: 'cp', text: '' });
    const enveloped = answer.msg.body.cp!.response[0]!.certifiedKeyPair!.privateKey!.envelopedData!;
    const { keys, signerExtKeyUsage } = await opensslKeyPackage(dir, `k${name.length}`, enveloped, decrypt, path.join(dir, 'ca.pem'));
    expect(signerExtKeyUsage).toContain(CM_KGA_NAME);
    expect(keys).toHaveLength(1);
    const key = createPrivateKey({ key: Buffer.from(AsnConvert.serialize(keys[0]!)), format: 'der', type: 'pkcs8' });
    expect(Buffer.from(createPublicKey(key).export({ format: 'der', type: 'spki' }))).toEqual(Buffer.from(answer.cert!.publicKey.rawData));
  });
});

it('refuses a request without a public key that carries a proof of possession (badPOP)', async () => {
  const server = await makeServer();
  const popoKey = await newKey();
  const messages = await buildCertReqMessages({ certReqId: 0n, subject: parseName('/CN=inconsistent'), popo: 1, popoKey });
  const answer = await exchange(server, new PKIBody({ ir: messages }), { auth: PBM });
  expect(answer.failInfo).toContain('badPOP');
});
