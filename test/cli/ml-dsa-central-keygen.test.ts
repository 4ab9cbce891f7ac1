/**
 * Central key generation of ML-DSA keys against the embedded CA whose own key is ML-DSA-65 (kept in a
 * -srv_store folder): `-centralkeygen` with an ML-DSA `-newkey` (which names only the algorithm) gets an
 * ML-DSA key of that variant back, in RFC 9881's seed form, signed by the CA's key generation authority
 * with ML-DSA-65 (RFC 9882), and writes it with -newkeyout (0600, PBES2 with -newkeypass). The key
 * packages are opened by OpenSSL 3.0 (`openssl cms -decrypt`) as well as by cmpflow: PWRI under the
 * MAC secret, and ECDH key agreement to the EC key of a signed request.
 */
import { readFileSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { SignedData } from '@peculiar/asn1-cms';
import { decodePkiMessage } from '../../src/asn1';
import { idCtKpAKeyPackage, isKeyGenerationAuthority, verifySignedContent } from '../../src/cms';
import { encodePem, loadPrivateKey } from '../../src/credentials';
import { getCryptoProvider, Oids, type MlDsaName } from '../../src/crypto';
import { createThrowawayCa } from '../../src/server';
import { runOpenSsl } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';
import { certificateIn, deliveredKey, signedClientArgs, spkiOf } from './central-keygen-files';

const SECRET = 'ml-dsa-central-keygen-secret';
let dir: string;
let store: string;
const file = (name: string) => path.join(dir, name);

async function makeMlDsaKeyFile(out: string, type: MlDsaName): Promise<Uint8Array> {
  const provider = getCryptoProvider();
  const key = await provider.generateKey({ type });
  writeFileSync(out, encodePem('PRIVATE KEY', await provider.exportPrivateKey(key)), { mode: 0o600 });
  return key.spki;
}

beforeAll(async () => {
  dir = scratchDir();
  store = file('ca');
  await createThrowawayCa({ folder: store, keySpec: { type: 'ml-dsa-65' } });
});

const mockServer = () => ['-config', '', '-use_mock_srv', '-srv_store', store, '-srv_ref', 'srv', '-srv_secret', `pass:${SECRET}`];
const macClient = (ref = 'client') => ['-ref', ref, '-secret', `pass:${SECRET}`, '-recipient', '/CN=CA'];
const certificateOf = (name: string) => certificateIn(file(name));
const deliveredKeyIn = (rspout: string) => deliveredKey(file(rspout));

/** The key package of an answer saved with -rspout as a CMS ContentInfo DER, what `openssl cms` reads. */
function envelopedContentInfo(rspout: string): Buffer {
  const enveloped = deliveredKeyIn(rspout);
  const body = Buffer.from(AsnConvert.serialize(enveloped));
  // ContentInfo ::= SEQUENCE { id-envelopedData, [0] EXPLICIT EnvelopedData }
  const oid = Buffer.from('06092a864886f70d010703', 'hex');
  const explicit = Buffer.concat([Buffer.from([0xa0]), derLength(body.length), body]);
  const inner = Buffer.concat([oid, explicit]);
  return Buffer.concat([Buffer.from([0x30]), derLength(inner.length), inner]);
}

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** What OpenSSL 3.0's `cms -decrypt` makes of the key package: the SignedData DER inside. */
async function opensslDecrypt(contentInfo: Buffer, args: string[]): Promise<Buffer> {
  const input = file(`enveloped-${Math.random().toString(16).slice(2)}.der`);
  const output = `${input}.out`;
  writeFileSync(input, contentInfo);
  const run = await runOpenSsl(['cms', '-decrypt', '-inform', 'DER', '-in', input, '-out', output, ...args]);
  if (run.code !== 0) throw new Error(run.stderr);
  return readFileSync(output);
}

/** The signature algorithm of the one signer of a SignedData. */
function signerAlgorithm(signedData: Buffer): string {
  return AsnConvert.parse(signedData, SignedData).signerInfos[0]!.signatureAlgorithm.algorithm;
}

describe('-centralkeygen of ML-DSA keys by an ML-DSA-65 CA', () => {
  it('returns an ML-DSA-44 key (the variant -newkey names) under the MAC secret (PWRI), signed by the KGA with ML-DSA-65, saved encrypted', async () => {
    const named = await makeMlDsaKeyFile(file('names-the-type.key'), 'ml-dsa-44');
    const run = await cmpflow(
      [
        ...mockServer(),
        ...macClient(),
        '-cmd',
        'ir',
        '-centralkeygen',
        '-newkey',
        file('names-the-type.key'),
        '-subject',
        '/CN=central pq',
        '-certout',
        file('central.crt'),
        '-newkeyout',
        file('central.key'),
        '-newkeypass',
        'pass:kp-secret',
        '-reqout',
        'ir.der',
        '-rspout',
        'ip.der',
      ],
      { cwd: dir },
    );
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);

    // The request named the algorithm only; the certificate is of a new ML-DSA-44 key, not of -newkey's.
    const ir = decodePkiMessage(new Uint8Array(readFileSync(file('ir.der'))));
    const template = ir.body.ir![0]!.certReq.certTemplate.publicKey!;
    expect(template.algorithm.algorithm).toBe(Oids.mlDsa44);
    expect(template.subjectPublicKey.byteLength).toBe(0);
    const cert = certificateOf('central.crt');
    expect(cert.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(Oids.mlDsa44);
    expect(spkiOf(cert)).not.toEqual(Buffer.from(named));

    // The key file: 0600, encrypted, the certificate's key, and it signs what the certificate's key verifies.
    expect(statSync(file('central.key')).mode & 0o777).toBe(0o600);
    const text = readFileSync(file('central.key'), 'utf8');
    expect(text).toContain('-----BEGIN ENCRYPTED PRIVATE KEY-----');
    expect(run.stderr).not.toContain('kp-secret');
    const key = await loadPrivateKey(file('central.key'), 'kp-secret');
    expect(Buffer.from(key.spki)).toEqual(spkiOf(cert));
    const message = new TextEncoder().encode('signed with the centrally generated key');
    const provider = getCryptoProvider();
    const signature = await provider.sign({ scheme: 'ml-dsa-44' }, key, message);
    expect(await provider.verify({ scheme: 'ml-dsa-44' }, new Uint8Array(spkiOf(cert)), signature, message)).toBe(true);
    // RFC 9881's seed form: 32 bytes of seed after the algorithm, 54 bytes of PKCS#8 in all.
    expect((await provider.exportPrivateKey(key)).length).toBe(54);

    // OpenSSL 3.0 opens the PWRI envelope with the MAC secret; inside is the KGA's ML-DSA-65 SignedData.
    const signed = await opensslDecrypt(envelopedContentInfo('ip.der'), ['-pwri_password', SECRET]);
    expect(signerAlgorithm(signed)).toBe(Oids.mlDsa65);
    const verified = verifySignedContent(new Uint8Array(signed));
    expect(verified.contentType).toBe(idCtKpAKeyPackage);
    expect(isKeyGenerationAuthority(verified.signer)).toBe(true);
    const kga = AsnConvert.parse(Buffer.from(verified.signer), Certificate);
    expect(kga.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(Oids.mlDsa65);
    expect(kga.signatureAlgorithm.algorithm).toBe(Oids.mlDsa65);
  });

  it('delivers an ML-DSA-87 key by ECDH key agreement to the EC key of a signed request; OpenSSL 3.0 opens it with that key', async () => {
    // First an EC certificate from the ML-DSA CA, to sign the central key generation request with.
    const ecKey = await runOpenSsl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file('signer.key')]);
    expect(ecKey.code).toBe(0);
    const enrolled = await cmpflow(
      [
        ...mockServer(),
        ...macClient('signer'),
        '-cmd',
        'ir',
        '-newkey',
        file('signer.key'),
        '-subject',
        '/CN=signer',
        '-certout',
        file('signer.crt'),
      ],
      { cwd: dir },
    );
    expect(enrolled.errors).toEqual([]);
    await makeMlDsaKeyFile(file('names-87.key'), 'ml-dsa-87');
    const run = await cmpflow(
      [
        ...mockServer(),
        ...signedClientArgs(file('signer.crt'), file('signer.key'), path.join(store, 'ca.crt')),
        '-cmd',
        'cr',
        '-centralkeygen',
        '-newkey',
        file('names-87.key'),
        '-certout',
        file('central87.crt'),
        '-newkeyout',
        file('central87.key'),
        '-rspout',
        'cp.der',
      ],
      { cwd: dir },
    );
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const cert = certificateOf('central87.crt');
    expect(cert.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(Oids.mlDsa87);
    expect(readFileSync(file('central87.key'), 'utf8')).toContain('-----BEGIN PRIVATE KEY-----');
    const key = await loadPrivateKey(file('central87.key'));
    expect(Buffer.from(key.spki)).toEqual(spkiOf(cert));

    expect(deliveredKeyIn('cp.der').recipientInfos[0]!.kari).toBeDefined();
    const signed = await opensslDecrypt(envelopedContentInfo('cp.der'), ['-inkey', file('signer.key'), '-recip', file('signer.crt')]);
    expect(signerAlgorithm(signed)).toBe(Oids.mlDsa65);
    expect(verifySignedContent(new Uint8Array(signed)).contentType).toBe(idCtKpAKeyPackage);
  });
});
