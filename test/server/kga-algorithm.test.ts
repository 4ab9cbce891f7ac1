/**
 * The embedded CA's key generation authority signs with the algorithm of the CA that certifies it, so a
 * relying party that trusts the CA for that algorithm gets the key package signed the same way: ECDSA
 * with SHA-384 on P-384 for a P-384 CA, RSA for an RSA CA (both checked by `openssl cms -verify` against
 * the CA), ML-DSA for an ML-DSA CA (checked by cmpflow, OpenSSL 3.0 has no ML-DSA; test/cli/ml-dsa-central-keygen
 * runs it on the command line). The KGA's certificate names id-kp-cmKGA.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { Certificate } from '@peculiar/asn1-x509';
import { PKIBody } from '../../src/asn1';
import { CmsOids, isKeyGenerationAuthority, openEnvelope, verifySignedContent } from '../../src/cms';
import { encodePem } from '../../src/credentials';
import { Oids, type KeySpec } from '../../src/crypto';
import { buildCertReqMessages } from '../../src/message/cert-request';
import { parseName } from '../../src/pki/names';
import { createCmpServer, createThrowawayCa } from '../../src/server';
import { runOpenSsl } from '../support/openssl';
import { exchange } from './client-messages';
import { PBM, SECRET } from './fixtures';

let dir: string;
beforeAll(async () => {
  dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-kga-'));
});
afterAll(() => fs.rm(dir, { recursive: true, force: true }));

/** The SignedData of a key package the CA of `keySpec` sends to a MAC-protected request, and the CA. */
async function keyPackageOf(keySpec: KeySpec) {
  const ca = await createThrowawayCa({ keySpec });
  const server = await createCmpServer({ ...ca.serverConfig(), srvSecret: SECRET });
  const messages = await buildCertReqMessages({ certReqId: 0n, subject: parseName('/CN=central'), popo: 1, centralKeyGeneration: true });
  const answer = await exchange(server, new PKIBody({ ir: messages }), { auth: PBM });
  expect(answer.statusText).toBe('');
  const enveloped = answer.msg.body.ip!.response[0]!.certifiedKeyPair!.privateKey!.envelopedData!;
  const opened = openEnvelope(enveloped, { kind: 'password', password: Buffer.from(SECRET) });
  expect(opened.contentType).toBe(CmsOids.signedData);
  return { signed: opened.content, caCert: new Uint8Array(ca.ca.cert.rawData) };
}

const signerInfoOf = (signed: Uint8Array) => AsnConvert.parse(signed, SignedData).signerInfos[0]!;
const kgaCertificate = (signed: Uint8Array) => AsnConvert.parse(Buffer.from(verifySignedContent(signed).signer), Certificate);

it.each([
  ['EC P-384', { type: 'ec', curve: 'P-384' } as KeySpec, '1.2.840.10045.4.3.3', '2.16.840.1.101.3.4.2.2'],
  ['RSA', { type: 'rsa', modulusLength: 2048 } as KeySpec, Oids.sha256WithRSAEncryption, Oids.sha256],
])('a %s CA: the KGA signs as the CA does, and openssl cms -verify accepts it against the CA', async (name, keySpec, signatureOid, digestOid) => {
  const { signed, caCert } = await keyPackageOf(keySpec);
  const info = signerInfoOf(signed);
  expect([info.signatureAlgorithm.algorithm, info.digestAlgorithm.algorithm]).toEqual([signatureOid, digestOid]);
  const kga = kgaCertificate(signed);
  expect(isKeyGenerationAuthority(new Uint8Array(AsnConvert.serialize(kga)))).toBe(true);
  const tag = name.replace(/\W/g, '');
  await fs.writeFile(path.join(dir, `${tag}-ca.pem`), encodePem('CERTIFICATE', caCert));
  const contentInfo = new ContentInfo({ contentType: CmsOids.signedData, content: new Uint8Array(signed).buffer });
  await fs.writeFile(path.join(dir, `${tag}.sd`), Buffer.from(AsnConvert.serialize(contentInfo)));
  const run = await runOpenSsl(
    ['cms', '-verify', '-binary', '-inform', 'DER', '-in', `${tag}.sd`, '-CAfile', `${tag}-ca.pem`, '-purpose', 'any', '-out', `${tag}.akp`],
    { cwd: dir },
  );
  expect(run.stderr).toContain('Verification successful');
  expect(run.code).toBe(0);
});

it('an ML-DSA-87 CA: the KGA has an ML-DSA-87 key and signs with it (RFC 9882: SHA-512 digest, no parameters)', async () => {
  const { signed } = await keyPackageOf({ type: 'ml-dsa-87' });
  const info = signerInfoOf(signed);
  expect(info.signatureAlgorithm.algorithm).toBe(Oids.mlDsa87);
  expect(info.signatureAlgorithm.parameters).toBeUndefined();
  expect(info.digestAlgorithm.algorithm).toBe(Oids.sha512);
  const kga = kgaCertificate(signed);
  expect(kga.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(Oids.mlDsa87);
  expect(kga.signatureAlgorithm.algorithm).toBe(Oids.mlDsa87);
});
