/**
 * The CMS that carries a centrally generated key (RFC 9483 section 4.1.6), cross-checked with an
 * independent implementation: what cmpflow seals, `openssl cms -decrypt` opens and `openssl cms -verify`
 * verifies; what `openssl cms -encrypt` seals, cmpflow opens. One case per key-delivery kind: key
 * transport (RSA-OAEP), ephemeral-static ECDH key agreement, and password (PWRI).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { createPrivateKey, generateKeyPairSync, type KeyObject } from 'crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo, SignedData } from '@peculiar/asn1-cms';
import { EnvelopedData } from '../../src/asn1';
import { AsymmetricKeyPackage } from '@peculiar/asn1-asym-key';
import {
  CmsOids,
  envelope,
  idCtKpAKeyPackage,
  openEnvelope,
  openGeneratedKey,
  sealGeneratedKey,
  signContent,
  type EnvelopeRecipient,
} from '../../src/cms';
import { isCmpError } from '../../src/errors';
import { makeTestPki, type TestEntity, type TestPki } from '../support/pki';
import { runOpenSsl } from '../support/openssl';

let pki: TestPki;
let kga: { key: KeyObject; certificate: Uint8Array; certPath: string };
const password = new TextEncoder().encode('central key password');

function keyOf(entity: TestEntity): KeyObject {
  return createPrivateKey(entity.keyPem);
}

async function openssl(args: string[]): Promise<void> {
  const result = await runOpenSsl(args, { cwd: pki.dir });
  if (result.code !== 0) throw new Error(`openssl ${args.join(' ')} failed:\n${result.stderr}`);
}

/** A ContentInfo around `content` of `contentType`, the form `openssl cms` reads. */
function contentInfo(contentType: string, content: Uint8Array): Buffer {
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType, content: content.slice().buffer })));
}

beforeAll(async () => {
  pki = await makeTestPki();
  // A key generation authority: a certificate of the test intermediate CA with id-kp-cmKGA.
  await fs.writeFile(path.join(pki.dir, 'kga.ext'), 'extendedKeyUsage = 1.3.6.1.5.5.7.3.32\nkeyUsage = digitalSignature\n');
  await openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', 'kga.key']);
  await openssl(['req', '-new', '-key', 'kga.key', '-subj', '/O=cmpflow test/CN=cmpflow Test KGA', '-out', 'kga.csr', '-config', '/dev/null']);
  await openssl([
    'x509',
    '-req',
    '-in',
    'kga.csr',
    '-CA',
    pki.intermediate.certPath,
    '-CAkey',
    pki.intermediate.keyPath,
    '-set_serial',
    '77',
    '-days',
    '30',
    '-extfile',
    'kga.ext',
    '-out',
    'kga.crt',
  ]);
  const pem = await fs.readFile(path.join(pki.dir, 'kga.crt'), 'utf8');
  kga = {
    key: createPrivateKey(await fs.readFile(path.join(pki.dir, 'kga.key'), 'utf8')),
    certificate: new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ''), 'base64')),
    certPath: path.join(pki.dir, 'kga.crt'),
  };
}, 120_000);

afterAll(() => pki?.cleanup());

const kinds: { name: string; recipient: () => EnvelopeRecipient; decryptArgs: () => string[] }[] = [
  {
    name: 'key transport to an RSA certificate (RSA-OAEP)',
    recipient: () => ({ kind: 'certificate', certificate: pki.rsaClient.certDer }),
    decryptArgs: () => ['-recip', pki.rsaClient.certPath, '-inkey', pki.rsaClient.keyPath],
  },
  {
    name: 'ECDH key agreement with an EC certificate',
    recipient: () => ({ kind: 'certificate', certificate: pki.client.certDer }),
    decryptArgs: () => ['-recip', pki.client.certPath, '-inkey', pki.client.keyPath],
  },
  {
    name: 'a password (PWRI)',
    recipient: () => ({ kind: 'password', password }),
    decryptArgs: () => ['-pwri_password', 'central key password'],
  },
];

describe.each(kinds)('a generated key delivered by $name', ({ recipient, decryptArgs }) => {
  const generated = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;
  const pkcs8 = new Uint8Array(generated.export({ format: 'der', type: 'pkcs8' }));

  it('is opened by openssl cms -decrypt and its key package verified by openssl cms -verify as signed by the KGA', async () => {
    const sealed = sealGeneratedKey(generated, { key: kga.key, certificate: kga.certificate }, recipient());
    const name = `sealed-${Math.random().toString(36).slice(2)}`;
    await fs.writeFile(path.join(pki.dir, `${name}.der`), contentInfo(CmsOids.envelopedData, sealed));
    await openssl(['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', `${name}.der`, ...decryptArgs(), '-out', `${name}.signed`]);
    const signedData = await fs.readFile(path.join(pki.dir, `${name}.signed`));
    expect(() => AsnConvert.parse(signedData, SignedData)).not.toThrow();
    await fs.writeFile(path.join(pki.dir, `${name}.ci`), contentInfo(CmsOids.signedData, new Uint8Array(signedData)));
    await openssl([
      'cms',
      '-verify',
      '-binary',
      '-inform',
      'DER',
      '-in',
      `${name}.ci`,
      '-CAfile',
      pki.chainPath,
      '-purpose',
      'any',
      '-out',
      `${name}.pkg`,
    ]);
    const keys = AsnConvert.parse(await fs.readFile(path.join(pki.dir, `${name}.pkg`)), AsymmetricKeyPackage);
    expect(keys).toHaveLength(1);
    expect(Buffer.from(AsnConvert.serialize(keys[0]!))).toEqual(Buffer.from(pkcs8));
  });

  it('is opened by cmpflow, which returns the same key and the KGA as signer', () => {
    const sealed = sealGeneratedKey(generated, { key: kga.key, certificate: kga.certificate }, recipient());
    const r = recipient();
    const key =
      r.kind === 'password'
        ? r
        : {
            kind: 'privateKey' as const,
            privateKey: keyOf(r.certificate === pki.client.certDer ? pki.client : pki.rsaClient),
            certificate: r.certificate,
          };
    const opened = openGeneratedKey(sealed, key);
    expect(Buffer.from(opened.pkcs8)).toEqual(Buffer.from(pkcs8));
    expect(Buffer.from(opened.signer)).toEqual(Buffer.from(kga.certificate));
  });
});

describe('EnvelopedData made by openssl cms -encrypt', () => {
  const content = 'content sealed by openssl';

  async function encrypted(args: string[]): Promise<EnvelopedData> {
    const name = `enc-${Math.random().toString(36).slice(2)}`;
    await fs.writeFile(path.join(pki.dir, `${name}.txt`), content);
    await openssl(['cms', '-encrypt', '-binary', '-aes256', '-in', `${name}.txt`, '-outform', 'DER', '-out', `${name}.der`, ...args]);
    const info = AsnConvert.parse(await fs.readFile(path.join(pki.dir, `${name}.der`)), ContentInfo);
    expect(info.contentType).toBe(CmsOids.envelopedData);
    return AsnConvert.parse(info.content, EnvelopedData);
  }

  it('opens with the RSA key when sealed with RSA-OAEP', async () => {
    const env = await encrypted(['-recip', pki.rsaClient.certPath, '-keyopt', 'rsa_padding_mode:oaep']);
    const opened = openEnvelope(env, { kind: 'privateKey', privateKey: keyOf(pki.rsaClient), certificate: pki.rsaClient.certDer });
    expect(Buffer.from(opened.content).toString()).toBe(content);
  });

  it('opens with the EC key when sealed by ECDH with the default (SHA-1) and a SHA-256 KDF', async () => {
    for (const extra of [[], ['-keyopt', 'ecdh_kdf_md:sha256']]) {
      const env = await encrypted(['-recip', pki.client.certPath, ...extra]);
      const opened = openEnvelope(env, { kind: 'privateKey', privateKey: keyOf(pki.client), certificate: pki.client.certDer });
      expect(Buffer.from(opened.content).toString()).toBe(content);
    }
  });

  it('opens with the password when sealed with -pwri_password, and refuses a wrong one with ERR_CMS_DECRYPT', async () => {
    const env = await encrypted(['-pwri_password', 'central key password']);
    expect(Buffer.from(openEnvelope(env, { kind: 'password', password }).content).toString()).toBe(content);
    expect(() => openEnvelope(env, { kind: 'password', password: new TextEncoder().encode('wrong') })).toThrow(
      expect.objectContaining({ code: 'ERR_CMS_DECRYPT' }),
    );
  });
});

describe('what a client refuses', () => {
  const generated = generateKeyPairSync('ec', { namedCurve: 'prime256v1' }).privateKey;

  it('a key package signed by a certificate without id-kp-cmKGA', () => {
    const sealed = sealGeneratedKey(generated, { key: keyOf(pki.server), certificate: pki.server.certDer }, { kind: 'password', password });
    expect(() => openGeneratedKey(sealed, { kind: 'password', password })).toThrow(expect.objectContaining({ code: 'ERR_CMS_SIGNATURE' }));
  });

  it('a key package whose signature does not match its signer', () => {
    const pkg = AsnConvert.serialize(new AsymmetricKeyPackage([]));
    // Signed with another key than the KGA certificate's.
    const forged = signContent({
      contentType: idCtKpAKeyPackage,
      content: new Uint8Array(pkg),
      signerKey: keyOf(pki.client),
      signerCertificate: kga.certificate,
    });
    const sealed = envelope(forged, CmsOids.signedData, { kind: 'password', password });
    let error: unknown;
    try {
      openGeneratedKey(sealed, { kind: 'password', password });
    } catch (e) {
      error = e;
    }
    expect(isCmpError(error, 'ERR_CMS_SIGNATURE')).toBe(true);
    expect(String((error as Error).message)).toMatch(/signature does not verify/);
  });

  it('an envelope for another certificate, with ERR_CMS_DECRYPT', () => {
    const sealed = sealGeneratedKey(
      generated,
      { key: kga.key, certificate: kga.certificate },
      { kind: 'certificate', certificate: pki.server.certDer },
    );
    expect(() => openGeneratedKey(sealed, { kind: 'privateKey', privateKey: keyOf(pki.client), certificate: pki.client.certDer })).toThrow(
      expect.objectContaining({ code: 'ERR_CMS_DECRYPT' }),
    );
  });
});
