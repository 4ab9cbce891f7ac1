/**
 * -popo 3 (keyAgreement) with X25519 and X448 keys against the embedded CA: keys made by OpenSSL, the CA
 * certifies them for keyAgreement only (RFC 8410) and returns the certificate in EnvelopedData with a
 * KeyAgreeRecipientInfo whose ephemeral originator key is id-X25519/id-X448 (RFC 8418); cmpflow opens it
 * with the new key and confirms it. Such a key cannot sign, so -popo 3 is its default and -popo 1 is refused.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate, KeyUsage, KeyUsageFlags } from '@peculiar/asn1-x509';
import { decodePkiMessage } from '../../src/asn1';
import { Oids } from '../../src/crypto';
import { runOpenSsl } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'x25519-popo-secret';
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(() => {
  dir = scratchDir();
});

const embeddedMac = (ref: string) => [
  '-config',
  '',
  '-use_mock_srv',
  '-srv_ref',
  'srv',
  '-srv_secret',
  `pass:${SECRET}`,
  '-ref',
  ref,
  '-secret',
  `pass:${SECRET}`,
  '-recipient',
  '/CN=CA',
];

async function openssl(args: string[]): Promise<string> {
  const run = await runOpenSsl(args);
  if (run.code !== 0) throw new Error(run.stderr);
  return run.stdout;
}

const pemDer = (name: string) => Buffer.from(readFileSync(file(name), 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');

describe.each([
  ['X25519', Oids.x25519],
  ['X448', Oids.x448],
])('an %s -newkey', (algorithm, oid) => {
  const name = algorithm.toLowerCase();

  it('is enrolled with keyAgreement proof of possession: the certificate comes back encrypted to it (KARI, RFC 8418) and is confirmed', async () => {
    await openssl(['genpkey', '-algorithm', algorithm, '-out', file(`${name}.key`)]);
    const run = await cmpflow(
      [
        ...embeddedMac(name),
        '-cmd',
        'ir',
        '-newkey',
        file(`${name}.key`),
        '-subject',
        `/CN=${name} device`,
        '-certout',
        file(`${name}.crt`),
        '-reqout',
        `${name}-ir.der,${name}-conf.der`,
        '-rspout',
        `${name}-ip.der,${name}-pkiconf.der`,
      ],
      { cwd: dir },
    );
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);

    const ir = decodePkiMessage(new Uint8Array(readFileSync(file(`${name}-ir.der`))));
    expect(ir.body.ir![0]!.popo!.keyAgreement!.subsequentMessage).toBeDefined();
    const ip = decodePkiMessage(new Uint8Array(readFileSync(file(`${name}-ip.der`))));
    const encrypted = ip.body.ip!.response[0]!.certifiedKeyPair!.certOrEncCert.encryptedCert!.envelopedData!;
    const kari = encrypted.recipientInfos[0]!.kari!;
    expect(kari.originator.originatorKey!.algorithm.algorithm).toBe(oid);
    expect(kari.originator.originatorKey!.algorithm.parameters).toBeUndefined();
    expect(decodePkiMessage(new Uint8Array(readFileSync(file(`${name}-conf.der`)))).body.certConf).toHaveLength(1);
    expect(decodePkiMessage(new Uint8Array(readFileSync(file(`${name}-pkiconf.der`)))).body.pkiconf).toBeDefined();

    // The certificate is of the new key (as OpenSSL reads both) and for key agreement only.
    expect(await openssl(['x509', '-in', file(`${name}.crt`), '-noout', '-pubkey'])).toBe(
      await openssl(['pkey', '-in', file(`${name}.key`), '-pubout']),
    );
    const cert = AsnConvert.parse(pemDer(`${name}.crt`), Certificate);
    const keyUsage = cert.tbsCertificate.extensions!.find((e) => e.extnID === '2.5.29.15')!;
    expect(AsnConvert.parse(keyUsage.extnValue.buffer, KeyUsage).toNumber()).toBe(KeyUsageFlags.keyAgreement);
  });

  it('is refused with -popo 1 before anything is sent: it cannot sign', async () => {
    const run = await cmpflow(
      [
        ...embeddedMac(`${name}-1`),
        '-cmd',
        'ir',
        '-newkey',
        file(`${name}.key`),
        '-popo',
        '1',
        '-subject',
        '/CN=never',
        '-certout',
        file('never.crt'),
      ],
      { cwd: dir },
    );
    expect(run.code).not.toBe(0);
    expect(run.errors.join('\n')).toContain(`an ${algorithm} key cannot sign; use 3 (keyAgreement)`);
  });
});
