/**
 * The client options OpenSSL 3.3 and 3.5 added, run through `cmpflow` end to end: -reqout_only
 * (write the first request for an offline or air-gapped hand-over, send nothing, succeed),
 * -profile and -geninfo lists in the request header, -no_cache_extracerts (-extracertsout is
 * written all the same; the new certificate's -out_trusted path is built without the answer's extraCerts), and -provparam accepted with a warning. Peers: nothing at all, the embedded CA, and OpenSSL 3.0's mock server.
 */
import { existsSync, readFileSync } from 'fs';
import { AsnConvert } from '@peculiar/asn1-schema';
import { X509Certificate } from '@peculiar/x509';
import * as path from 'path';
import { decodePkiMessage } from '../../src/asn1/codec';
import { dumpPkiMessage } from '../../src/asn1/dump';
import { extraCertsBytes } from '../../src/asn1/message-certs';
import { CmpOids } from '../../src/asn1/oids';
import { makeTestPki, type TestPki } from '../support/pki';
import { runOpenSsl, startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'cli-33-secret';
let pki: TestPki;
let server: MockServer;
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
  server = await startMockServer([
    '-srv_ref',
    'mock',
    '-srv_secret',
    `pass:${SECRET}`,
    '-rsp_cert',
    pki.enrolled.certPath,
    '-rsp_extracerts',
    pki.untrustedPath,
  ]);
});
afterAll(async () => {
  await server?.stop();
  await pki?.cleanup();
});

const enroll = (certout: string) => [
  '-config',
  '',
  '-ref',
  'client-ref',
  '-secret',
  `pass:${SECRET}`,
  '-cmd',
  'ir',
  '-newkey',
  pki.newKeyPath,
  '-subject',
  '/CN=offline',
  '-certout',
  file(certout),
];

type Itav = { infoType: string; infoValue?: unknown };
type Dumped = { bodyType: string; header: Record<string, unknown> & { generalInfo?: Itav[] } };
const messageIn = (name: string) => decodePkiMessage(new Uint8Array(readFileSync(file(name))));
const dumpOf = (name: string) => dumpPkiMessage(messageIn(name)) as Dumped;
/** The DER of each generalInfo ITAV value, hex, by infoType. */
const generalInfoHex = (name: string) =>
  (messageIn(name).header.generalInfo ?? []).map((i) => [i.infoType, i.infoValue ? Buffer.from(i.infoValue).toString('hex') : undefined]);
const hex = (text: string) => Buffer.from(text, 'utf8').toString('hex');
/** DER of a short TLV, hex: tag, one length byte, contents. */
const tlv = (tag: string, contentHex: string) => `${tag}${(contentHex.length / 2).toString(16).padStart(2, '0')}${contentHex}`;
const utf8 = (text: string) => tlv('0c', hex(text));

describe('-reqout_only', () => {
  it('writes the first request and exits 0 without any server: the file is one DER PKIMessage that dump and openssl asn1parse read', async () => {
    const run = await cmpflow([...enroll('never.pem'), '-reqout_only', file('offline-ir.der')]);
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    expect(dumpOf('offline-ir.der').bodyType).toBe('ir');
    expect(existsSync(file('never.pem'))).toBe(false);

    const parsed = await runOpenSsl(['asn1parse', '-inform', 'DER', '-in', file('offline-ir.der')]);
    expect(parsed.code).toBe(0);
    expect(parsed.stdout).toContain('SEQUENCE');
    const dumped = await cmpflow(['dump', file('offline-ir.der')]);
    expect(dumped.code).toBe(0);
    expect(JSON.parse(dumped.stdout).bodyType).toBe('ir');
  });

  it('needs no -certout, as nothing is enrolled then; the request written offline later enrolls at the embedded CA through -reqin', async () => {
    const offline = enroll('unused.pem').slice(0, -2);
    const written = await cmpflow([...offline, '-reqout_only', file('carried-ir.der')]);
    expect({ code: written.code, errors: written.errors }).toEqual({ code: 0, errors: [] });

    const carried = await cmpflow([
      ...enroll('carried.pem'),
      ...['-use_mock_srv', '-srv_ref', 'mock', '-srv_secret', `pass:${SECRET}`],
      ...['-reqin', file('carried-ir.der'), '-reqin_new_tid', '-rspout', `${file('carried-ip.der')},${file('carried-conf.der')}`],
    ]);
    expect({ code: carried.code, errors: carried.errors }).toEqual({ code: 0, errors: [] });
    const sentIr = messageIn('carried-ir.der').body.ir![0]!.certReq.certTemplate.publicKey;
    const issued = new X509Certificate(readFileSync(file('carried.pem'), 'utf8'));
    expect(Buffer.from(issued.publicKey.rawData)).toEqual(Buffer.from(AsnConvert.serialize(sentIr!)));
    const ip = messageIn('carried-ip.der').body.ip!.response[0]!.certifiedKeyPair!.certOrEncCert.certificate!;
    expect(Buffer.from(issued.rawData)).toEqual(Buffer.from(AsnConvert.serialize(ip)));
  });

  it('does not contact -server, and says which options it leaves unused', async () => {
    const run = await cmpflow([
      ...enroll('never2.pem'),
      '-server',
      server.url,
      '-reqout',
      file('unused-reqout.der'),
      '-reqout_only',
      file('offline-ir2.der'),
    ]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('-server option is ignored since -reqout_only option is given');
    expect(run.stderr).toContain('-reqout option is ignored since -reqout_only option is given');
    expect(existsSync(file('unused-reqout.der'))).toBe(false);
    expect(existsSync(file('never2.pem'))).toBe(false);
    expect(dumpOf('offline-ir2.der').bodyType).toBe('ir');
  });

  it('writes an rr and a genm as well', async () => {
    const rr = await cmpflow([
      '-config',
      '',
      '-ref',
      'r',
      '-secret',
      `pass:${SECRET}`,
      '-cmd',
      'rr',
      '-oldcert',
      pki.enrolled.certPath,
      '-reqout_only',
      file('rr.der'),
    ]);
    expect(rr.code).toBe(0);
    expect(dumpOf('rr.der').bodyType).toBe('rr');
    const genm = await cmpflow(['-config', '', '-ref', 'r', '-secret', `pass:${SECRET}`, '-cmd', 'genm', '-reqout_only', file('genm.der')]);
    expect(genm.code).toBe(0);
    expect(dumpOf('genm.der').bodyType).toBe('genm');
  });

  it('fails with one error naming the option when the file cannot be written', async () => {
    const run = await cmpflow([...enroll('never3.pem'), '-reqout_only', path.join(dir, 'no-such-dir', 'ir.der')]);
    expect(run.code).toBe(1);
    expect(run.errors).toHaveLength(1);
    expect(run.errors[0]).toContain('-reqout_only: cannot write request PKIMessage');
  });

  it('is refused with -port and with -session, whose work it cannot do', async () => {
    const port = await cmpflow(['-config', '', '-port', '0', '-srv_secret', 'pass:x', '-reqout_only', file('x.der')]);
    expect(port.code).toBe(1);
    expect(port.errors[0]).toContain('-reqout_only: cannot be used with -port');
    const session = await cmpflow([...enroll('x.pem'), '-session', file('s.json'), '-reqout_only', file('x.der')]);
    expect(session.code).toBe(1);
    expect(session.errors[0]).toContain('-reqout_only: cannot be combined with -session or -resume');
  });
});

describe('-profile and -geninfo in the request header', () => {
  it('put id-it-certProfile (SEQUENCE OF one UTF8String) after the -geninfo list, strings keeping their spaces', async () => {
    const run = await cmpflow([
      ...enroll('never4.pem'),
      '-geninfo',
      '1.2.3.4:int:56789, id-kp:str:name with spaces,1.2.3.5:STR:',
      '-profile',
      'tls server',
      '-reqout_only',
      file('profiled.der'),
    ]);
    expect(run.code).toBe(0);
    expect(generalInfoHex('profiled.der')).toEqual([
      ['1.2.3.4', '020300ddd5'],
      ['1.3.6.1.5.5.7.3', utf8('name with spaces')],
      ['1.2.3.5', utf8('')],
      [CmpOids.idItCertProfile, tlv('30', utf8('tls server'))],
    ]);
  });

  it('reach the embedded CA, which issues the certificate', async () => {
    const run = await cmpflow([
      ...enroll('embedded.pem'),
      '-use_mock_srv',
      '-srv_ref',
      'mock',
      '-srv_secret',
      `pass:${SECRET}`,
      '-profile',
      'device',
      '-reqout',
      file('embedded-ir.der'),
    ]);
    expect(run.code).toBe(0);
    expect(readFileSync(file('embedded.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
    expect(generalInfoHex('embedded-ir.der')).toContainEqual([CmpOids.idItCertProfile, tlv('30', utf8('device'))]);
  });

  it("are accepted by OpenSSL 3.0's mock server, which ignores what it does not know", async () => {
    const run = await cmpflow([...enroll('openssl.pem'), '-server', server.url, '-profile', 'device', '-geninfo', '1.2.3.4:int:1, 1.2.3.4:str:x']);
    expect(run.code).toBe(0);
    expect(readFileSync(file('openssl.pem'), 'utf8')).toContain('BEGIN CERTIFICATE');
  });

  it('refuse a malformed -geninfo with one error naming the option', async () => {
    for (const [value, reason] of [
      ['1.2.3.4', "missing ':'"],
      ['1.2.3.4:int:12x', "missing ',' or end of value after int"],
      ['1.2.3.4:int:', 'cannot parse int'],
      ['no-such-name:int:1', "invalid OID 'no-such-name'"],
      ['1.2.3.4:bool:1', "missing 'int:' or 'str:'"],
    ]) {
      const run = await cmpflow([...enroll('never5.pem'), '-geninfo', value!, '-reqout_only', file('never5.der')]);
      expect({ value, code: run.code, errors: run.errors.length }).toEqual({ value, code: 1, errors: 1 });
      expect(run.errors[0]).toContain(`-geninfo: ${reason}`);
    }
  });
});

describe('-no_cache_extracerts', () => {
  it("still saves the extraCerts of the answer to -extracertsout, byte for byte as OpenSSL 3.0's mock sent them (apps/cmp.c writes extraCertsIn either way)", async () => {
    const run = await cmpflow([
      ...enroll('uncached.pem'),
      '-server',
      server.url,
      '-no_cache_extracerts',
      '-rspout',
      `${file('uncached-ip.der')},${file('uncached-pkiconf.der')}`,
      '-extracertsout',
      file('extra-uncached.der'),
      '-certform',
      'DER',
    ]);
    expect(run.code).toBe(0);
    expect(run.errors).toEqual([]);
    const sent = extraCertsBytes(messageIn('uncached-ip.der'));
    expect(sent.length).toBeGreaterThan(0);
    expect(readFileSync(file('extra-uncached.der'))).toEqual(Buffer.concat(sent));
    expect(readFileSync(file('uncached.pem'), 'latin1')).not.toContain('BEGIN');
  });

  // The mock sends the intermediate only in extraCerts; -out_trusted names the root alone.
  const outTrusted = (certout: string) => [...enroll(certout), '-server', server.url, '-out_trusted', pki.trustedPath];

  it("builds the new certificate's -out_trusted path with the answer's extraCerts when they are cached (the default)", async () => {
    const run = await cmpflow([...outTrusted('cached-path.pem'), '-chainout', file('cached-chain.pem')]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(new X509Certificate(readFileSync(file('cached-path.pem'))).issuer).toBe(new X509Certificate(readFileSync(pki.untrustedPath)).subject);
    expect(readFileSync(file('cached-chain.pem'), 'latin1')).toContain('BEGIN CERTIFICATE');
  });

  it("leaves the answer's extraCerts out of that path, as OpenSSL 3.3+ does, so the new certificate is refused without -untrusted", async () => {
    const run = await cmpflow([...outTrusted('uncached-path.pem'), '-no_cache_extracerts']);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('does not validate against the out-trusted anchors');
    expect(existsSync(file('uncached-path.pem'))).toBe(false);
  });

  it('validates that path again when -untrusted supplies what the uncached extraCerts held', async () => {
    const run = await cmpflow([...outTrusted('untrusted-path.pem'), '-no_cache_extracerts', '-untrusted', pki.untrustedPath]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(existsSync(file('untrusted-path.pem'))).toBe(true);
  });
});

describe('-provparam', () => {
  it('is accepted and ignored with a warning, as the other provider options', async () => {
    const run = await cmpflow([...enroll('never6.pem'), '-provparam', 'fips:security-checks=0', '-reqout_only', file('provparam.der')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toContain('-provparam is ignored by cmpflow');
  });
});
