/**
 * Two OpenSSL 3.2 client options. -srvcertout saves the server certificate that signed the last
 * response once its signature was validated, and removes the file when the response was
 * MAC-protected, as save_cert_or_delete() does. -serial with -issuer revokes a certificate the
 * client does not have: the rr names it by issuer and serial number alone, with apps/cmp.c's
 * checks and warnings. Both run against OpenSSL 3.0's own mock server and cmpflow's embedded one.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { PKIMessage } from '../../src/asn1';
import { parsePem } from '../../src/credentials/pem';
import { startMockServer, type MockServer } from '../support/openssl';
import { makeTestPki, TEST_DN, type TestPki } from '../support/pki';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'srvcertout-serial-secret';
let pki: TestPki;
let dir: string;
const file = (name: string) => path.join(dir, name);
const derOf = (pemFile: string) => Buffer.from(parsePem(readFileSync(pemFile, 'utf8'))[0]!.der);

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
});
afterAll(async () => pki?.cleanup());

/** The enrolled certificate's serial number in OpenSSL's 0x form. */
const enrolledSerial = () => '0x' + Buffer.from(AsnConvert.parse(pki.enrolled.certDer, Certificate).tbsCertificate.serialNumber).toString('hex');

async function withOpenSslMock<T>(args: string[], run: (server: MockServer) => Promise<T>): Promise<T> {
  const server = await startMockServer(args);
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

/** OpenSSL's mock signing its responses with -srv_cert (no -srv_secret, so no MAC). */
const signingMock = () => [
  '-srv_cert',
  pki.server.certPath,
  '-srv_key',
  pki.server.keyPath,
  '-srv_untrusted',
  pki.untrustedPath,
  '-srv_trusted',
  pki.trustedPath,
  '-rsp_cert',
  pki.enrolled.certPath,
];
/** The client's signing credentials and the trust it places in the server's. */
const signedCredentials = () => [
  '-cert',
  pki.client.certPath,
  '-key',
  pki.client.keyPath,
  '-untrusted',
  pki.untrustedPath,
  '-trusted',
  pki.trustedPath,
  '-msg_timeout',
  '10',
];
const signedClient = (server: MockServer) => ['-config', '', '-server', server.url, ...signedCredentials()];

/** cmpflow's embedded mock with -rsp_cert, MAC-protected both ways. */
const embeddedMac = () => [
  '-config',
  '',
  '-use_mock_srv',
  '-srv_ref',
  'srv',
  '-srv_secret',
  `pass:${SECRET}`,
  '-rsp_cert',
  pki.enrolled.certPath,
  '-ref',
  'client',
  '-secret',
  `pass:${SECRET}`,
  '-recipient',
  '/CN=CA',
];

describe('-srvcertout', () => {
  it("saves the certificate that signed OpenSSL's responses, byte for byte", async () => {
    await withOpenSslMock(signingMock(), async (server) => {
      const srvcert = file('validated-server.pem');
      const run = await cmpflow([...signedClient(server), '-cmd', 'genm', '-srvcertout', srvcert]);
      expect(run.errors).toEqual([]);
      expect(run.code).toBe(0);
      expect(derOf(srvcert).equals(Buffer.from(pki.server.certDer))).toBe(true);
      expect(run.stderrLines).toContain(`CMP info: received 1 validated server certificate(s), saving to file '${srvcert}'`);

      const afterCr = file('validated-server-cr.pem');
      const cr = await cmpflow([
        ...signedClient(server),
        '-cmd',
        'cr',
        '-newkey',
        pki.newKeyPath,
        '-certout',
        file('cr.pem'),
        '-srvcertout',
        afterCr,
      ]);
      expect(cr.errors).toEqual([]);
      expect(derOf(afterCr).equals(Buffer.from(pki.server.certDer))).toBe(true);
    });
  });

  it('is written when a -session run finishes the transaction, too', async () => {
    await withOpenSslMock(signingMock(), async (server) => {
      const srvcert = file('validated-server-session.pem');
      const run = await cmpflow([
        ...signedClient(server),
        '-cmd',
        'rr',
        '-oldcert',
        pki.enrolled.certPath,
        '-session',
        file('rr.session'),
        '-srvcertout',
        srvcert,
      ]);
      expect(run.errors).toEqual([]);
      expect(run.code).toBe(0);
      expect(derOf(srvcert).equals(Buffer.from(pki.server.certDer))).toBe(true);
    });
  });

  it("saves the certificate that signed the embedded CA's last answer (an rr), byte for byte as its extraCerts carried it", async () => {
    const srvcert = file('embedded-server.pem');
    const rp = file('embedded-rp.der');
    const run = await cmpflow([
      ...['-config', '', '-use_mock_srv', '-srv_cert', pki.server.certPath, '-srv_key', pki.server.keyPath, '-srv_trusted', pki.trustedPath],
      ...['-srv_untrusted', pki.untrustedPath, '-rsp_cert', pki.enrolled.certPath],
      ...signedCredentials(),
      ...['-cmd', 'rr', '-oldcert', pki.enrolled.certPath, '-rspout', rp, '-srvcertout', srvcert],
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    const signer = AsnConvert.parse(readFileSync(rp), PKIMessage).extraCerts![0]!;
    expect(derOf(srvcert)).toEqual(Buffer.from(AsnConvert.serialize(signer)));
    expect(derOf(srvcert)).toEqual(Buffer.from(pki.server.certDer));
  });

  it('removes the file after a MAC-protected transaction, where no server certificate was validated', async () => {
    const srvcert = file('no-server-cert.pem');
    writeFileSync(srvcert, 'left from an earlier run');
    const run = await cmpflow([...embeddedMac(), '-cmd', 'genm', '-srvcertout', srvcert]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(existsSync(srvcert)).toBe(false);
  });
});

describe('-serial', () => {
  it('revokes by -issuer and -serial at the embedded CA: the rr names exactly that issuer and serial number', async () => {
    const req = file('rr.der');
    const run = await cmpflow([...embeddedMac(), '-cmd', 'rr', '-issuer', TEST_DN.intermediate, '-serial', enrolledSerial(), '-reqout', req]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stderrLines).toContain('CMP info: revocation accepted (PKIStatus=accepted)');
    const details = AsnConvert.parse(readFileSync(req), PKIMessage).body.rr![0]!.certDetails;
    const enrolled = AsnConvert.parse(pki.enrolled.certDer, Certificate).tbsCertificate;
    expect(Buffer.from(details.serialNumber!).equals(Buffer.from(enrolled.serialNumber))).toBe(true);
    expect(Buffer.from(AsnConvert.serialize(details.issuer!)).equals(Buffer.from(AsnConvert.serialize(enrolled.issuer)))).toBe(true);
    expect(details.subject).toBeUndefined();
    expect(details.publicKey).toBeUndefined();
  });

  it("is accepted by OpenSSL 3.0's mock for its -rsp_cert, in decimal too, and refused for another serial number", async () => {
    const mock = ['-srv_ref', 'srv', '-srv_secret', `pass:${SECRET}`, '-rsp_cert', pki.enrolled.certPath];
    await withOpenSslMock(mock, async (server) => {
      const client = [
        '-config',
        '',
        '-server',
        server.url,
        '-ref',
        'client',
        '-secret',
        `pass:${SECRET}`,
        '-cmd',
        'rr',
        '-issuer',
        TEST_DN.intermediate,
      ];
      const hex = await cmpflow([...client, '-serial', enrolledSerial()]);
      expect(hex.errors).toEqual([]);
      expect(hex.code).toBe(0);
      const decimal = await cmpflow([...client, '-serial', BigInt(enrolledSerial()).toString()]);
      expect(decimal.code).toBe(0);
      const other = await cmpflow([...client, '-serial', '0x0a']);
      expect(other.code).toBe(1);
    });
  });

  it('gives apps/cmp.c its checks and warnings', async () => {
    const rr = [...embeddedMac(), '-cmd', 'rr'];
    const issuerOnly = await cmpflow([...rr, '-issuer', TEST_DN.intermediate]);
    expect(issuerOnly.code).toBe(1);
    expect(issuerOnly.errors).toEqual([expect.stringContaining('Must give both -issuer and -serial options or neither')]);
    const serialOnly = await cmpflow([...rr, '-serial', enrolledSerial()]);
    expect(serialOnly.code).toBe(1);
    expect(serialOnly.errors).toEqual([expect.stringContaining('Must give both -issuer and -serial options or neither')]);

    const bad = await cmpflow([...rr, '-issuer', TEST_DN.intermediate, '-serial', 'xyz']);
    expect(bad.code).toBe(1);
    expect(bad.errors).toEqual([expect.stringContaining("cannot read serial number: 'xyz'")]);

    const both = await cmpflow([...rr, '-issuer', TEST_DN.intermediate, '-serial', enrolledSerial(), '-oldcert', pki.client.certPath]);
    expect(both.code).toBe(0);
    expect(both.stderrLines).toContain("CMP warning: Ignoring -oldcert since -issuer and -serial is given for command 'rr'");

    const genm = await cmpflow([...embeddedMac(), '-cmd', 'genm', '-serial', '1']);
    expect(genm.code).toBe(0);
    expect(genm.stderrLines).toContain("CMP warning: Ignoring -serial for command other than 'rr'");
  });
});
