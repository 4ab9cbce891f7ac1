/**
 * ML-DSA on the command line, against the embedded CA (-use_mock_srv) whose ML-DSA-65 CA is kept
 * in a -srv_store folder: an ML-DSA -newkey file is enrolled, and the certificate and key it got
 * then protect an ir and a kur with ML-DSA signatures (-cert/-key), answered with ML-DSA-65
 * protection; the kur's new key is made by the script docs/cli.md shows (OpenSSL 3.0 cannot make
 * one). The messages saved with -reqout/-rspout show the algorithms on the wire.
 */
import { readFileSync, statSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { decodePkiMessage } from '../../src/asn1';
import { encodePem } from '../../src/credentials';
import { getCryptoProvider, Oids, type MlDsaName } from '../../src/crypto';
import { createThrowawayCa } from '../../src/server';
import { macClientArgs, mockServerArgs } from '../support/cli-args';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'ml-dsa-cli-secret';
let dir: string;
let store: string;
const file = (name: string) => path.join(dir, name);

/** An ML-DSA key file made with the library (the kur below uses one made by the docs' own snippet). */
async function makeMlDsaKeyFile(out: string, type: MlDsaName): Promise<Uint8Array> {
  const provider = getCryptoProvider();
  const key = await provider.generateKey({ type });
  writeFileSync(out, encodePem('PRIVATE KEY', await provider.exportPrivateKey(key)), { mode: 0o600 });
  return key.spki;
}

/**
 * The `node -e` script of docs/cli.md that makes an ML-DSA key file, run here as written except
 * that 'cmpflow' is this repository's source and the file goes to `out`.
 */
async function runDocsKeySnippet(out: string): Promise<void> {
  const cliDoc = readFileSync(path.join(__dirname, '..', '..', 'docs', 'cli.md'), 'utf8');
  const script = /<!-- ml-dsa-key-snippet -->\n```sh\nnode -e "\n([\s\S]*?)\n"\n```/.exec(cliDoc)?.[1];
  if (script === undefined) throw new Error('docs/cli.md has no ML-DSA key snippet');
  const runnable = script
    .replace("require('cmpflow')", `require(${JSON.stringify(path.join(__dirname, '..', '..', 'src'))})`)
    .replace("'device.key'", JSON.stringify(out))
    .replace('(async () =>', 'return (async () =>');
  await (new Function('require', runnable) as (r: NodeRequire) => Promise<void>)(require);
}

beforeAll(async () => {
  dir = scratchDir();
  store = file('ca');
  // The mock server reuses a CA found in its -srv_store folder: this one has ML-DSA-65 keys.
  await createThrowawayCa({ folder: store, keySpec: { type: 'ml-dsa-65' } });
});

const mockServer = () => mockServerArgs(SECRET, store);
const messages = (names: string) => names.split(',').map((name) => decodePkiMessage(new Uint8Array(readFileSync(file(name)))));
const certificateOf = (name: string) =>
  AsnConvert.parse(Buffer.from(readFileSync(file(name), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64'), Certificate);

describe('ML-DSA with the command line client and the embedded CA', () => {
  it('enrolls an ML-DSA-44 -newkey (POPO signed with it), then an ir and a kur protected by it (-cert/-key), the kur to a key made by the docs snippet', async () => {
    const spki = await makeMlDsaKeyFile(file('device.key'), 'ml-dsa-44');
    const first = await cmpflow(
      [
        ...mockServer(),
        ...macClientArgs(SECRET),
        '-cmd',
        'ir',
        '-newkey',
        file('device.key'),
        '-subject',
        '/CN=pq device',
        '-certout',
        file('device.crt'),
        '-reqout',
        'ir.der,conf1.der',
      ],
      { cwd: dir },
    );
    expect(first.errors).toEqual([]);
    expect(first.code).toBe(0);
    const cert = certificateOf('device.crt');
    expect(Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo))).toEqual(Buffer.from(spki));
    expect(cert.signatureAlgorithm.algorithm).toBe(Oids.mlDsa65);
    const [ir, conf1] = messages('ir.der,conf1.der');
    expect(ir!.body.ir![0]!.popo!.signature!.algorithmIdentifier.algorithm).toBe(Oids.mlDsa44);
    expect(conf1!.body.certConf![0]!.hashAlg?.algorithm).toBe(Oids.sha512);

    // An ir signed with the ML-DSA certificate and key, for another ML-DSA key (the CA lets a signer request only its own subject).
    const spki87 = await makeMlDsaKeyFile(file('other.key'), 'ml-dsa-87');
    const signedIr = await cmpflow(
      [
        ...mockServer(),
        '-cert',
        file('device.crt'),
        '-key',
        file('device.key'),
        '-trusted',
        path.join(store, 'ca.crt'),
        '-cmd',
        'ir',
        '-newkey',
        file('other.key'),
        '-subject',
        '/CN=pq device',
        '-certout',
        file('other.crt'),
        '-reqout',
        'signed-ir.der',
        '-rspout',
        'signed-ip.der',
      ],
      { cwd: dir },
    );
    expect(signedIr.errors).toEqual([]);
    expect(signedIr.code).toBe(0);
    expect(messages('signed-ir.der')[0]!.header.protectionAlg?.algorithm).toBe(Oids.mlDsa44);
    expect(messages('signed-ip.der')[0]!.header.protectionAlg?.algorithm).toBe(Oids.mlDsa65);
    expect(Buffer.from(AsnConvert.serialize(certificateOf('other.crt').tbsCertificate.subjectPublicKeyInfo))).toEqual(Buffer.from(spki87));

    await runDocsKeySnippet(file('second.key'));
    expect(statSync(file('second.key')).mode & 0o777).toBe(0o600);
    const second = await cmpflow(
      [
        ...mockServer(),
        '-cert',
        file('device.crt'),
        '-key',
        file('device.key'),
        '-trusted',
        path.join(store, 'ca.crt'),
        '-cmd',
        'kur',
        '-newkey',
        file('second.key'),
        '-certout',
        file('second.crt'),
        '-reqout',
        'kur.der,conf2.der',
        '-rspout',
        'kup.der,pkiconf.der',
      ],
      { cwd: dir },
    );
    expect(second.errors).toEqual([]);
    expect(second.code).toBe(0);
    const [kur, conf2] = messages('kur.der,conf2.der');
    expect(kur!.body.kur).toBeDefined();
    expect([kur, conf2].map((m) => m!.header.protectionAlg?.algorithm)).toEqual([Oids.mlDsa44, Oids.mlDsa44]);
    expect(messages('kup.der,pkiconf.der').map((m) => m.header.protectionAlg?.algorithm)).toEqual([Oids.mlDsa65, Oids.mlDsa65]);
    const updated = certificateOf('second.crt');
    expect(updated.tbsCertificate.subjectPublicKeyInfo.algorithm.algorithm).toBe(Oids.mlDsa65);
    expect(AsnConvert.serialize(updated.tbsCertificate.subject)).toEqual(AsnConvert.serialize(cert.tbsCertificate.subject));
  });

  it('refuses an ML-DSA key file whose seed and expanded key disagree (RFC 9881 example), naming the file', async () => {
    const bad = path.join(__dirname, '..', 'vectors', 'ml-dsa', 'rfc9881', 'bad-ML-DSA-44-1.priv');
    const run = await cmpflow(
      [...mockServer(), ...macClientArgs(SECRET), '-cmd', 'ir', '-newkey', bad, '-subject', '/CN=bad', '-certout', file('bad.crt')],
      {
        cwd: dir,
      },
    );
    expect(run.code).not.toBe(0);
    expect(run.errors.join('\n')).toContain('bad-ML-DSA-44-1.priv');
  });
});
