/**
 * -centralkeygen by a client that signs with a classic key (-cert/-key), against the embedded CA
 * kept in a -srv_store folder: the CA delivers the key it generated in an EnvelopedData for the
 * signer's certificate (RSA-OAEP to an RSA signer, ECDH to an EC one) instead of under a MAC secret,
 * and the CLI opens it with -key and saves it with -newkeyout.
 */
import { writeFileSync } from 'fs';
import * as path from 'path';
import { encodePem } from '../../src/credentials';
import { id_RSAES_OAEP } from '@peculiar/asn1-rsa';
import { createThrowawayCa } from '../../src/server';
import { macClientArgs, mockServerArgs } from '../support/cli-args';
import { runOpenSsl } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';
import { deliveredKey, signedClientArgs } from './central-keygen-files';

const SECRET = 'central-keygen-signed-secret';
let dir: string;
let store: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  dir = scratchDir();
  store = file('ca');
  const ca = await createThrowawayCa({ folder: store });
  writeFileSync(file('ca.pem'), encodePem('CERTIFICATE', new Uint8Array(ca.ca.cert.rawData)));
});

async function publicKeyOf(args: string[]): Promise<string> {
  const run = await runOpenSsl(args);
  if (run.code !== 0) throw new Error(run.stderr);
  return run.stdout;
}

describe.each([
  ['RSA-2048', ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048'], 'ktri', id_RSAES_OAEP],
  ['EC P-256', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], 'kari', undefined],
] as const)('a client signing with its %s certificate', (name, genpkey, recipientKind, keyEncryption) => {
  it(`gets the generated key in a ${recipientKind} for its certificate, opens it with -key and saves it with -newkeyout`, async () => {
    const tag = name.replace(/\W/g, '');
    const [signerKey, signerCert] = [file(`${tag}-signer.key`), file(`${tag}-signer.crt`)];
    expect((await runOpenSsl([...genpkey, '-out', signerKey])).code).toBe(0);
    const enrolled = await cmpflow([
      ...mockServerArgs(SECRET, store),
      ...macClientArgs(SECRET, `${tag} signer`),
      '-cmd',
      'ir',
      '-newkey',
      signerKey,
      '-subject',
      `/CN=${tag} signer`,
      '-certout',
      signerCert,
    ]);
    expect(enrolled.errors).toEqual([]);
    const [cert, key] = [file(`${tag}-central.crt`), file(`${tag}-central.key`)];
    const run = await cmpflow(
      [
        ...mockServerArgs(SECRET, store),
        ...signedClientArgs(signerCert, signerKey, file('ca.pem')),
        '-recipient',
        '/CN=CA',
        '-cmd',
        'cr',
        '-centralkeygen',
        '-subject',
        `/CN=${tag} signer`,
        '-certout',
        cert,
        '-newkeyout',
        key,
        '-rspout',
        `${tag}-cp.der,${tag}-pkiconf.der`,
      ],
      { cwd: dir },
    );
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const recipient = deliveredKey(file(`${tag}-cp.der`)).recipientInfos[0]!;
    expect(recipient[recipientKind]).toBeDefined();
    if (keyEncryption) expect(recipient.ktri!.keyEncryptionAlgorithm.algorithm).toBe(keyEncryption);
    expect(await publicKeyOf(['pkey', '-in', key, '-pubout'])).toBe(await publicKeyOf(['x509', '-in', cert, '-noout', '-pubkey']));
    expect(await publicKeyOf(['pkey', '-in', key, '-pubout'])).not.toBe(await publicKeyOf(['pkey', '-in', signerKey, '-pubout']));
  });
});
