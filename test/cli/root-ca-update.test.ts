/**
 * OpenSSL 3.2's `-cmd genm -infotype rootCaCert` with -oldwithold, -newwithnew, -newwithold and
 * -oldwithnew, against cmpflow's embedded mock server given -rsp_newwithnew, -rsp_newwithold and
 * -rsp_oldwithnew (the command lines of OpenSSL's test_commands.csv). An update is saved only when
 * RFC 9480 section 4.3's checks pass, each file holds exactly the certificate the genp carried,
 * and a part the server did not send leaves no file behind.
 */
import { existsSync, readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CmpOids, PKIMessage, RootCaKeyUpdateContent } from '../../src/asn1';
import { encodePem, parsePem } from '../../src/credentials/pem';
import { generateKey, issueCa, type Issued } from '../pki/certificate-factory';
import { main } from '../../src/cli/main';
import { runCmp, startMockServer } from '../support/openssl';
import { makeTestPki, type TestPki } from '../support/pki';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'root-ca-update-secret';
const ROOT = 'CN=Update Root, O=cmpflow';
let pki: TestPki;
let dir: string;
const file = (name: string) => path.join(dir, name);
const certFile = (name: string, issued: Issued) => {
  writeFileSync(file(name), encodePem('CERTIFICATE', new Uint8Array(issued.cert.rawData)));
  return file(name);
};
const derOf = (pemFile: string) => Buffer.from(parsePem(readFileSync(pemFile, 'utf8'))[0]!.der);

const files: Record<string, string> = {};

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
  const oldKey = await generateKey();
  const newKey = await generateKey();
  // A root CA keeps its name across a key update; OpenSSL's mock answers only for a root of that name.
  const oldRoot = await issueCa({ subject: ROOT, key: oldKey });
  const newRoot = await issueCa({ subject: ROOT, key: newKey });
  const stranger = await issueCa({ subject: 'CN=Stranger Root, O=cmpflow', key: await generateKey() });
  files.oldWithOld = certFile('oldWithOld.pem', oldRoot);
  files.newWithNew = certFile('newWithNew.pem', newRoot);
  files.newWithOld = certFile('newWithOld.pem', await issueCa({ subject: ROOT, key: newKey, issuer: oldRoot }));
  files.oldWithNew = certFile('oldWithNew.pem', await issueCa({ subject: ROOT, key: oldKey, issuer: newRoot }));
  // The new key certified by a root the client does not know: nothing links it to the old root.
  files.forgedNewWithOld = certFile('forged.pem', await issueCa({ subject: ROOT, key: newKey, issuer: stranger }));
  files.stranger = certFile('stranger.pem', stranger);
  // The root's name on another key: the server answers, and the client's checks refuse the update.
  files.impostor = certFile('impostor.pem', await issueCa({ subject: ROOT, key: await generateKey() }));
});
afterAll(async () => pki?.cleanup());

/** The embedded mock server with the given -rsp_* update, MAC-protected both ways, and a genm rootCaCert. */
const genm = (server: string[]) => [
  '-config',
  '',
  '-use_mock_srv',
  '-srv_ref',
  'srv',
  '-srv_secret',
  `pass:${SECRET}`,
  '-rsp_cert',
  pki.enrolled.certPath,
  ...server,
  '-ref',
  'client',
  '-secret',
  `pass:${SECRET}`,
  '-recipient',
  '/CN=CA',
  '-cmd',
  'genm',
  '-infotype',
  'rootCaCert',
];
const fullUpdate = () => ['-rsp_newwithnew', files.newWithNew!, '-rsp_newwithold', files.newWithOld!, '-rsp_oldwithnew', files.oldWithNew!];

/** The rootCaKeyUpdate the genp saved with -rspout carried. */
function sentUpdate(rspout: string): RootCaKeyUpdateContent {
  const itavs = AsnConvert.parse(readFileSync(rspout), PKIMessage).body.genp!;
  expect(itavs.map((i) => i.infoType)).toEqual([CmpOids.idItRootCaKeyUpdate]);
  return AsnConvert.parse(itavs[0]!.infoValue!, RootCaKeyUpdateContent);
}
const der = (v: object) => Buffer.from(AsnConvert.serialize(v));

describe('-cmd genm -infotype rootCaCert', () => {
  it('saves newWithNew, newWithOld and oldWithNew exactly as the genp carried them when the old root authenticates them', async () => {
    const out = { nwn: file('a.nwn.pem'), nwo: file('a.nwo.pem'), own: file('a.own.pem'), rsp: file('a.genp.der'), req: file('a.genm.der') };
    const run = await cmpflow([
      ...genm(fullUpdate()),
      '-oldwithold',
      files.oldWithOld!,
      '-newwithnew',
      out.nwn,
      '-newwithold',
      out.nwo,
      '-oldwithnew',
      out.own,
      '-reqout',
      out.req,
      '-rspout',
      out.rsp,
    ]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    const sent = sentUpdate(out.rsp);
    expect(derOf(out.nwn).equals(der(sent.newWithNew))).toBe(true);
    expect(derOf(out.nwo).equals(der(sent.newWithOld!))).toBe(true);
    expect(derOf(out.own).equals(der(sent.oldWithNew!))).toBe(true);
    expect(derOf(out.nwn).equals(derOf(files.newWithNew!))).toBe(true);
    expect(run.stderrLines).toContain(`CMP info: received 1 NewWithNew cert from genp certificate(s), saving to file '${out.nwn}'`);
    // The genm names the old root by value, as OSSL_CMP_ITAV_new_rootCaCert does.
    const asked = AsnConvert.parse(readFileSync(out.req), PKIMessage).body.genm!;
    expect(asked.map((i) => i.infoType)).toEqual([CmpOids.idItRootCaCert]);
    expect(Buffer.from(asked[0]!.infoValue!).equals(derOf(files.oldWithOld!))).toBe(true);
  });

  it('without -oldwithold sends no root, warns, and checks newWithOld against -trusted', async () => {
    const nwn = file('b.nwn.pem');
    const req = file('b.genm.der');
    const run = await cmpflow([...genm(fullUpdate()), '-trusted', files.oldWithOld!, '-newwithnew', nwn, '-reqout', req]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stderrLines).toContain(
      'CMP warning: No -oldwithold given, will use all certs given with -trusted as trust anchors for verifying the newWithNew cert',
    );
    expect(run.stderrLines).toContain(
      'CMP warning: oldWithNew certificate received in genp for verifying oldWithOld, but oldWithOld was not provided',
    );
    expect(derOf(nwn).equals(derOf(files.newWithNew!))).toBe(true);
    const asked = AsnConvert.parse(readFileSync(req), PKIMessage).body.genm!;
    expect(asked[0]!.infoValue).toBeUndefined();
  });

  it('refuses an update whose newWithOld the old root did not sign, and writes nothing', async () => {
    const nwn = file('c.nwn.pem');
    const run = await cmpflow([
      ...genm(['-rsp_newwithnew', files.newWithNew!, '-rsp_newwithold', files.forgedNewWithOld!]),
      '-oldwithold',
      files.oldWithOld!,
      '-newwithnew',
      nwn,
    ]);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringContaining('root CA key update refused: newWithOld does not validate under the old root')]);
    expect(existsSync(nwn)).toBe(false);
  });

  it('refuses an update without newWithOld, and one whose oldWithNew carries another key (OpenSSL row "oldwithold wrong" too)', async () => {
    const noLink = await cmpflow([...genm(['-rsp_newwithnew', files.newWithNew!]), '-oldwithold', files.oldWithOld!, '-newwithnew', file('d.pem')]);
    expect(noLink.code).toBe(1);
    expect(noLink.errors).toEqual([expect.stringContaining('newWithOld is missing')]);

    const wrongOld = await cmpflow([
      ...genm(['-rsp_newwithnew', files.newWithNew!, '-rsp_newwithold', files.newWithOld!, '-rsp_oldwithnew', files.forgedNewWithOld!]),
      '-oldwithold',
      files.oldWithOld!,
      '-newwithnew',
      file('e.pem'),
    ]);
    expect(wrongOld.code).toBe(1);
    expect(wrongOld.errors).toEqual([expect.stringContaining('oldWithNew does not carry the old root key')]);

    const wrongRoot = await cmpflow([...genm(fullUpdate()), '-oldwithold', files.impostor!, '-newwithnew', file('f.pem')]);
    expect(wrongRoot.code).toBe(1);
    expect(wrongRoot.errors).toEqual([expect.stringContaining('root CA key update refused')]);
    for (const name of ['d.pem', 'e.pem', 'f.pem']) expect(existsSync(file(name))).toBe(false);
  });

  it("has no update for a root of another name, as OpenSSL's mock: success, nothing written, stale files removed", async () => {
    const stale = file('k.nwn.pem');
    writeFileSync(stale, 'left from an earlier run');
    const run = await cmpflow([...genm(fullUpdate()), '-oldwithold', files.stranger!, '-newwithnew', stale, '-rspout', file('k.genp.der')]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stderrLines).toContain('CMP info: no root CA certificate update available');
    const itavs = AsnConvert.parse(readFileSync(file('k.genp.der')), PKIMessage).body.genp!;
    expect(itavs.map((i) => [i.infoType, i.infoValue])).toEqual([[CmpOids.idItRootCaKeyUpdate, undefined]]);
    expect(existsSync(stale)).toBe(false);
  });

  it('reports no update when the server has none, and removes files left from an earlier answer', async () => {
    const stale = { nwn: file('g.nwn.pem'), own: file('g.own.pem') };
    writeFileSync(stale.nwn, 'left from an earlier run');
    writeFileSync(stale.own, 'left from an earlier run');
    const run = await cmpflow([...genm([]), '-oldwithold', files.oldWithOld!, '-newwithnew', stale.nwn, '-oldwithnew', stale.own]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(run.stderrLines).toContain('CMP info: no root CA certificate update available');
    expect(existsSync(stale.nwn)).toBe(false);
    expect(existsSync(stale.own)).toBe(false);
  });

  it('needs -newwithnew, and says the update options are ignored for other commands', async () => {
    const missing = await cmpflow([...genm(fullUpdate()), '-oldwithold', files.oldWithOld!]);
    expect(missing.code).toBe(1);
    expect(missing.errors).toEqual([expect.stringContaining('missing -newwithnew option for -infotype rootCaCert')]);

    const other = await cmpflow([...genm(fullUpdate()).slice(0, -2), '-infotype', 'signKeyPairTypes', '-oldwithold', files.oldWithOld!]);
    expect(other.code).toBe(0);
    expect(other.stderrLines).toContain("CMP warning: -oldwithold option is ignored unless -cmd 'genm' and -infotype rootCaCert is given");
  });

  it("refuses OpenSSL 3.0's mock answer, which echoes the rootCaCert ITAV instead of a rootCaKeyUpdate, and writes nothing", async () => {
    const server = await startMockServer(['-srv_ref', 'srv', '-srv_secret', `pass:${SECRET}`, '-rsp_cert', pki.enrolled.certPath]);
    try {
      const nwn = file('i.nwn.pem');
      const run = await cmpflow([
        ...['-config', '', '-server', server.url, '-ref', 'client', '-secret', `pass:${SECRET}`],
        ...['-cmd', 'genm', '-infotype', 'rootCaCert', '-oldwithold', files.oldWithOld!, '-newwithnew', nwn],
      ]);
      expect(run.code).toBe(1);
      expect(run.errors).toEqual([expect.stringContaining(`instead of ${CmpOids.idItRootCaKeyUpdate}`)]);
      expect(existsSync(nwn)).toBe(false);
    } finally {
      await server.stop();
    }
  });

  it('is served by `cmpflow -port` over HTTP: to cmpflow, and to OpenSSL 3.0 asking for rootCaKeyUpdate, byte for byte', async () => {
    const controller = new AbortController();
    let stdout = '';
    let announced!: (port: string) => void;
    const accepted = new Promise<string>((resolve) => (announced = resolve));
    const args = [
      '-config',
      '',
      '-port',
      '0',
      '-srv_ref',
      'srv',
      '-srv_secret',
      `pass:${SECRET}`,
      '-rsp_cert',
      pki.enrolled.certPath,
      ...fullUpdate(),
    ];
    const exit = main(args, {
      stdout: {
        write(chunk) {
          stdout += chunk.toString();
          const port = /^ACCEPT 127\.0\.0\.1:(\d+) /m.exec(stdout)?.[1];
          if (port) announced(port);
          return true;
        },
      },
      stderr: { write: () => true },
      env: {},
      cwd: dir,
      stopSignal: () => controller.signal,
    });
    try {
      const url = `http://127.0.0.1:${await accepted}/pkix/`;
      const client = ['-config', '', '-server', url, '-ref', 'client', '-secret', `pass:${SECRET}`, '-recipient', '/CN=CA', '-cmd', 'genm'];
      const nwn = file('j.nwn.pem');
      const ours = await cmpflow([...client, '-infotype', 'rootCaCert', '-oldwithold', files.oldWithOld!, '-newwithnew', nwn]);
      expect(ours.errors).toEqual([]);
      expect(derOf(nwn).equals(derOf(files.newWithNew!))).toBe(true);

      const rspout = file('j.genp.der');
      const openssl = await runCmp([...client, '-infotype', 'rootCaKeyUpdate', '-rspout', rspout]);
      expect(openssl.code).toBe(0);
      expect(openssl.stdout + openssl.stderr).toContain('genp contains ITAV of type: id-it-rootCaKeyUpdate');
      const sent = sentUpdate(rspout);
      expect(der(sent.newWithNew).equals(derOf(files.newWithNew!))).toBe(true);
      expect(der(sent.newWithOld!).equals(derOf(files.newWithOld!))).toBe(true);
      expect(der(sent.oldWithNew!).equals(derOf(files.oldWithNew!))).toBe(true);
    } finally {
      controller.abort();
      expect(await exit).toBe(0);
    }
  });

  it('refuses transition certificates for the server without the new root they lead to', async () => {
    const run = await cmpflow([...genm(['-rsp_newwithold', files.newWithOld!]), '-newwithnew', file('h.pem')]);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringContaining('-rsp_newwithold and -rsp_oldwithnew need the new root CA certificate')]);
  });
});
