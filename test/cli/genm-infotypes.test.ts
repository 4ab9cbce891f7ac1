/**
 * OpenSSL 3.4's genm commands with files of their own, against cmpflow's embedded mock server
 * (-use_mock_srv, the same server `cmpflow -port` runs): -infotype caCerts saves to -cacertsout,
 * certReqTemplate to -template and -keyspec, crlStatusList (named by -oldcrl or -crlcert) to
 * -crlout in -crlform. Each file is compared byte for byte with what the genp carried.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import { webcrypto } from 'crypto';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CertificateList,
  DistributionPointName,
  GeneralName,
  id_ce_issuingDistributionPoint,
  IssuingDistributionPoint,
  Name,
} from '@peculiar/asn1-x509';
import { Extension, X509Certificate, X509CrlGenerator } from '@peculiar/x509';
import { CaCertsValue, CertReqTemplateContent, CmpOids, CRLsValue, CRLStatusListValue, PKIMessage } from '../../src/asn1';
import { encodePem, parsePem } from '../../src/credentials/pem';
import { makeTestPki, type TestPki } from '../support/pki';
import { startMockServer } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'genm-infotype-secret';
let pki: TestPki;
let dir: string;
const file = (name: string) => path.join(dir, name);
let olderCrl: Uint8Array;
let newerCrl: Uint8Array;

/** A CRL of the test intermediate CA, issued at `thisUpdate`. */
async function intermediateCrl(thisUpdate: Date, extensions: Extension[] = []): Promise<Uint8Array> {
  const keyDer = parsePem(pki.intermediate.keyPem)[0]!.der;
  const alg = { name: 'ECDSA', namedCurve: 'P-256' };
  const signingKey = await webcrypto.subtle.importKey('pkcs8', new Uint8Array(keyDer), alg, false, ['sign']);
  const crl = await X509CrlGenerator.create(
    {
      issuer: new X509Certificate(new Uint8Array(pki.intermediate.certDer)).subject,
      thisUpdate,
      nextUpdate: new Date(thisUpdate.getTime() + 86_400_000),
      signingKey: signingKey as CryptoKey,
      signingAlgorithm: { name: 'ECDSA', hash: 'SHA-256' },
      extensions,
    },
    webcrypto as Crypto,
  );
  return new Uint8Array(crl.rawData);
}

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
  olderCrl = await intermediateCrl(new Date(Date.now() - 7 * 86_400_000));
  newerCrl = await intermediateCrl(new Date(Date.now() - 60_000));
  writeFileSync(file('older.crl.pem'), encodePem('X509 CRL', olderCrl));
  writeFileSync(file('newer.crl.der'), newerCrl);
});
afterAll(async () => pki?.cleanup());

/** The mock server enrolling with -rsp_cert (issued by the intermediate), MAC-protected both ways. */
const mock = () => [
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
  '-cmd',
  'genm',
];

/** The value of the one ITAV in the genm saved with -reqout. */
function genmValue(reqout: string, infoType: string): Uint8Array {
  const itavs = AsnConvert.parse(readFileSync(reqout), PKIMessage).body.genm!;
  expect(itavs.map((i) => i.infoType)).toEqual([infoType]);
  return new Uint8Array(itavs[0]!.infoValue!);
}

/** The value of the one ITAV in the genp saved with -rspout. */
function genpValue(rspout: string, infoType: string): Uint8Array {
  const msg = AsnConvert.parse(readFileSync(rspout), PKIMessage);
  const itavs = msg.body.genp!;
  expect(itavs.map((i) => i.infoType)).toEqual([infoType]);
  return new Uint8Array(itavs[0]!.infoValue!);
}

describe('-infotype caCerts', () => {
  it('saves the CA certificates of the genp to -cacertsout, as sent', async () => {
    const run = await cmpflow([
      ...mock(),
      '-rsp_capubs',
      pki.chainPath,
      '-infotype',
      'caCerts',
      '-cacertsout',
      file('ca.pem'),
      '-rspout',
      file('ca-genp.der'),
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.stderrLines).toContain(`CMP info: received 2 CA certificate(s), saving to file '${file('ca.pem')}'`);
    const sent = [...AsnConvert.parse(genpValue(file('ca-genp.der'), CmpOids.idItCaCerts), CaCertsValue)].map(
      (c) => new Uint8Array(AsnConvert.serialize(c)),
    );
    const saved = parsePem(readFileSync(file('ca.pem'), 'utf8')).map((b) => b.der);
    expect(saved).toEqual(sent);
    expect(saved).toEqual([pki.intermediate.certDer, pki.root.certDer]);
  });

  it('needs -cacertsout, and says so before sending anything', async () => {
    const run = await cmpflow([...mock(), '-infotype', 'caCerts', '-rspout', file('never.der')]);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/Missing -cacertsout option for -infotype caCerts \(ERR_MISSING_OPTION\)$/)]);
    expect(existsSync(file('never.der'))).toBe(false);
  });
});

describe('-infotype certReqTemplate', () => {
  it('saves the certTemplate to -template and the keySpec to -keyspec as DER, and lists the key types', async () => {
    const run = await cmpflow([
      ...mock(),
      '-infotype',
      'certReqTemplate',
      '-template',
      file('template.der'),
      '-keyspec',
      file('keyspec.der'),
      '-rspout',
      file('template-genp.der'),
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    const sent = AsnConvert.parse(genpValue(file('template-genp.der'), CmpOids.idItCertReqTemplate), CertReqTemplateContent);
    expect(new Uint8Array(readFileSync(file('template.der')))).toEqual(new Uint8Array(AsnConvert.serialize(sent.certTemplate)));
    expect(new Uint8Array(readFileSync(file('keyspec.der')))).toEqual(new Uint8Array(AsnConvert.serialize(sent.keySpec!)));
    // As OpenSSL's mock: the issuer of the certificate it would return, an EC key or RSA 4096.
    expect(sent.certTemplate.issuer).toBeDefined();
    const keyLines = run.stderrLines.filter((l) => /[Kk]ey (specifications|algorithm)/.test(l));
    expect(keyLines).toEqual([
      'CMP info: Key specifications contained in keySpec from genp:',
      'CMP info: Key algorithm: id-ecPublicKey',
      'CMP info: Key algorithm: RSA 4096',
      'CMP info: End of key specifications contained in keySpec from genp',
    ]);
    expect(run.stderrLines).toContain(`CMP info: stored certTemplate from genp to file '${file('template.der')}'`);
  });

  it('needs -template; -template and -keyspec with another -infotype are ignored with a warning', async () => {
    const missing = await cmpflow([...mock(), '-infotype', 'certReqTemplate']);
    expect(missing.code).toBe(1);
    expect(missing.errors).toEqual([
      expect.stringMatching(/missing -template option for genm with infotype certReqTemplate \(ERR_MISSING_OPTION\)$/),
    ]);

    const ignored = await cmpflow([...mock(), '-infotype', 'signKeyPairTypes', '-template', file('unused.der')]);
    expect(ignored.code).toBe(0);
    expect(ignored.stderr).toContain("-template option is ignored unless -cmd 'genm' and -infotype 'certReqTemplate' is given");
    expect(existsSync(file('unused.der'))).toBe(false);
  });
});

describe('-infotype crlStatusList', () => {
  it('-oldcrl older than the server CRL: the new one goes to -crlout, DER by default, as sent', async () => {
    const run = await cmpflow([
      ...mock(),
      '-rsp_crl',
      file('newer.crl.der'),
      '-infotype',
      'crlStatusList',
      '-oldcrl',
      file('older.crl.pem'),
      '-crlout',
      file('got.crl'),
      '-rspout',
      file('crl-genp.der'),
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    const [sent] = [...AsnConvert.parse(genpValue(file('crl-genp.der'), CmpOids.idItCrls), CRLsValue)];
    expect(new Uint8Array(readFileSync(file('got.crl')))).toEqual(new Uint8Array(AsnConvert.serialize(sent!)));
    expect(new Uint8Array(readFileSync(file('got.crl')))).toEqual(newerCrl);
    expect(run.stderrLines).toContain(`CMP info: received CRL from genp of type 'crls', saving to file '${file('got.crl')}'`);
  });

  it('-crlcert names the CRL by its issuer; -crlform PEM writes a PEM X509 CRL', async () => {
    const run = await cmpflow([
      ...mock(),
      '-rsp_crl',
      file('newer.crl.der'),
      '-infotype',
      'crlStatusList',
      '-crlcert',
      pki.enrolled.certPath,
      '-crlout',
      file('got.crl.pem'),
      '-crlform',
      'PEM',
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(readFileSync(file('got.crl.pem'), 'utf8')).toBe(encodePem('X509 CRL', newerCrl));
  });

  it('names the CRL source as OSSL_CMP_CRLSTATUS_create does: the issuing distribution point of -oldcrl, else the issuer DN of -crlcert; thisUpdate as -oldcrl encodes it', async () => {
    const idp = new IssuingDistributionPoint({
      distributionPoint: new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: 'http://crl.example/ica.crl' })] }),
    });
    const withIdp = await intermediateCrl(new Date(Date.now() - 3 * 86_400_000), [
      new Extension(id_ce_issuingDistributionPoint, true, AsnConvert.serialize(idp)),
    ]);
    writeFileSync(file('idp.crl.der'), withIdp);
    const asked = (reqout: string) => [...AsnConvert.parse(genmValue(reqout, CmpOids.idItCrlStatusList), CRLStatusListValue)];

    const byIdp = await cmpflow([
      ...mock(),
      ...['-rsp_crl', file('newer.crl.der'), '-infotype', 'crlStatusList', '-oldcrl', file('idp.crl.der')],
      ...['-crlout', file('idp-got.crl'), '-reqout', file('idp-genm.der')],
    ]);
    expect({ code: byIdp.code, errors: byIdp.errors }).toEqual({ code: 0, errors: [] });
    const [status] = asked(file('idp-genm.der'));
    expect(status!.source.issuer).toBeUndefined();
    expect(Buffer.from(AsnConvert.serialize(status!.source.dpn!))).toEqual(Buffer.from(AsnConvert.serialize(idp.distributionPoint!)));
    const thisUpdate = Buffer.from(AsnConvert.serialize(AsnConvert.parse(withIdp, CertificateList).tbsCertList.thisUpdate));
    expect(Buffer.from(withIdp).includes(thisUpdate)).toBe(true);
    expect(Buffer.from(AsnConvert.serialize(status!.thisUpdate!))).toEqual(thisUpdate);
    // The embedded CA takes any distribution point for its -rsp_crl, as OpenSSL's mock does.
    expect(new Uint8Array(readFileSync(file('idp-got.crl')))).toEqual(newerCrl);

    const byCert = await cmpflow([
      ...mock(),
      ...['-rsp_crl', file('newer.crl.der'), '-infotype', 'crlStatusList', '-crlcert', pki.enrolled.certPath, '-oldcrl', file('idp.crl.der')],
      ...['-crlout', file('cert-got.crl'), '-reqout', file('cert-genm.der')],
    ]);
    expect({ code: byCert.code, errors: byCert.errors }).toEqual({ code: 0, errors: [] });
    const [fromCert] = asked(file('cert-genm.der'));
    expect(fromCert!.source.dpn).toBeUndefined();
    const issuer = new X509Certificate(readFileSync(pki.enrolled.certPath, 'utf8')).issuerName.toArrayBuffer();
    expect(fromCert!.source.issuer!.map((n) => Buffer.from(AsnConvert.serialize(n.directoryName!)))).toEqual([
      Buffer.from(AsnConvert.serialize(AsnConvert.parse(issuer, Name))),
    ]);
  });

  it("is refused, as by OpenSSL's mock, when the CRL source names another issuer than the -rsp_crl's: nothing written", async () => {
    writeFileSync(file('other.crl'), 'left from an earlier run');
    const run = await cmpflow([
      ...mock(),
      ...['-rsp_crl', file('newer.crl.der'), '-infotype', 'crlStatusList', '-crlcert', pki.intermediate.certPath, '-crlout', file('other.crl')],
    ]);
    expect(run.code).toBe(1);
    expect(run.errors.join('\n')).toContain('unknown CRL issuer');
    expect(readFileSync(file('other.crl'), 'utf8')).toBe('left from an earlier run');
  });

  it('no newer CRL: says so and removes what -crlout held, so no stale CRL passes for the answer', async () => {
    writeFileSync(file('stale.crl'), 'left from an earlier run');
    const run = await cmpflow([
      ...mock(),
      '-rsp_crl',
      file('newer.crl.der'),
      '-infotype',
      'crlStatusList',
      '-oldcrl',
      file('newer.crl.der'),
      '-crlout',
      file('stale.crl'),
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.stderrLines).toContain('CMP info: no CRL update available');
    expect(existsSync(file('stale.crl'))).toBe(false);
  });

  it('needs -oldcrl or -crlcert, and -crlout; -crlform must be PEM or DER', async () => {
    const noSource = await cmpflow([...mock(), '-infotype', 'crlStatusList', '-crlout', file('x.crl')]);
    expect(noSource.errors).toEqual([
      expect.stringMatching(/Missing -oldcrl and no -crlcert given for -infotype crlStatusList \(ERR_MISSING_OPTION\)$/),
    ]);
    const noOut = await cmpflow([...mock(), '-infotype', 'crlStatusList', '-oldcrl', file('older.crl.pem')]);
    expect(noOut.errors).toEqual([expect.stringMatching(/Missing -crlout for -infotype crlStatusList \(ERR_MISSING_OPTION\)$/)]);
    const badForm = await cmpflow([
      ...mock(),
      '-infotype',
      'crlStatusList',
      '-oldcrl',
      file('older.crl.pem'),
      '-crlout',
      file('x.crl'),
      '-crlform',
      'TXT',
    ]);
    expect(badForm.errors).toEqual([
      expect.stringMatching(/-crlform: unknown option given for CRL storing format: 'TXT' is not PEM or DER \(ERR_INVALID_OPTION\)$/),
    ]);
    const notCrl = await cmpflow([...mock(), '-infotype', 'crlStatusList', '-oldcrl', pki.enrolled.certPath, '-crlout', file('x.crl')]);
    expect(notCrl.errors).toEqual([expect.stringMatching(/-oldcrl: .* holds no X509 CRL PEM block \(ERR_PEM\)$/)]);
  });
});

describe("against OpenSSL 3.0's mock server, which echoes the genm", () => {
  it('an ITAV without value is "nothing available": no file is left; a reply of the wrong type is an error', async () => {
    const server = await startMockServer(['-srv_ref', 'srv', '-srv_secret', `pass:${SECRET}`, '-rsp_cert', pki.enrolled.certPath]);
    try {
      const client = ['-config', '', '-server', server.url, '-ref', 'client', '-secret', `pass:${SECRET}`, '-recipient', '/CN=CA', '-cmd', 'genm'];
      const ca = await cmpflow([...client, '-infotype', 'caCerts', '-cacertsout', file('echo-ca.pem')]);
      expect({ code: ca.code, errors: ca.errors }).toEqual({ code: 0, errors: [] });
      expect(ca.stderrLines).toContain('CMP warning: no CA certificates provided by server');
      expect(existsSync(file('echo-ca.pem'))).toBe(false);

      writeFileSync(file('echo-template.der'), 'from an earlier run');
      const template = await cmpflow([...client, '-infotype', 'certReqTemplate', '-template', file('echo-template.der')]);
      expect({ code: template.code, errors: template.errors }).toEqual({ code: 0, errors: [] });
      expect(template.stderrLines).toContain('CMP warning: no certificate request template available');
      expect(existsSync(file('echo-template.der'))).toBe(false);

      const crl = await cmpflow([...client, '-infotype', 'crlStatusList', '-oldcrl', file('older.crl.pem'), '-crlout', file('echo.crl')]);
      expect(crl.code).toBe(1);
      expect(crl.errors).toEqual([expect.stringMatching(/genp holds InfoType .* instead of .*\(ERR_UNEXPECTED_BODY\)$/)]);
      expect(existsSync(file('echo.crl'))).toBe(false);
    } finally {
      await server.stop();
    }
  }, 60_000);
});
