/**
 * OpenSSL's message file options through `cmpflow` (-reqout, -rspout, -rspin) and the `dump`
 * command that reads such files: a recorded exchange is exactly what went over the wire, a
 * replayed exchange is accepted as OpenSSL accepts it but only when its protection holds, and dump shows good
 * files and refuses bad ones with one line.
 */
import { readFileSync, writeFileSync } from 'fs';
import * as path from 'path';
import { decodePkiMessage } from '../../src/asn1/codec';
import { dumpPkiMessage } from '../../src/asn1/dump';
import { encodePem } from '../../src/credentials/pem';
import { makeTestPki, type TestPki } from '../support/pki';
import { startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir } from './run-support';

const SECRET = 'cli-files-secret';
let pki: TestPki;
let server: MockServer;
let dir: string;
const file = (name: string) => path.join(dir, name);

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
  server = await startMockServer(['-srv_ref', 'mock', '-srv_secret', `pass:${SECRET}`, '-rsp_cert', pki.enrolled.certPath]);
});
afterAll(async () => {
  await server?.stop();
  await pki?.cleanup();
});

const enroll = () => [
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
  '/CN=recorded',
  '-certout',
  file('recorded.pem'),
];

type Dumped = { bodyType: string; header: Record<string, unknown> & { generalInfo?: { infoType: string; infoValue?: unknown }[] } };
const dumpOf = (name: string) => dumpPkiMessage(decodePkiMessage(new Uint8Array(readFileSync(file(name))))) as Dumped;

describe('-reqout and -rspout', () => {
  let recording: Awaited<ReturnType<typeof cmpflow>>;
  beforeAll(async () => {
    recording = await cmpflow([
      ...enroll(),
      '-server',
      server.url,
      '-geninfo',
      '1.2.3.4:int:56789',
      '-reqout',
      `${file('req1.der')},${file('req2.der')}`,
      '-rspout',
      `${file('rsp1.der')} ${file('rsp2.der')}`,
    ]);
  });

  it('record every message of the transaction in order, one file each', () => {
    expect(recording.code).toBe(0);
    expect(['req1.der', 'rsp1.der', 'req2.der', 'rsp2.der'].map((n) => dumpOf(n).bodyType)).toEqual(['ir', 'ip', 'certConf', 'pkiconf']);
  });

  it('write the exact DER that was sent: the server answered its nonce, in its transaction', () => {
    const [req1, rsp1, req2, rsp2] = ['req1.der', 'rsp1.der', 'req2.der', 'rsp2.der'].map(dumpOf) as [Dumped, Dumped, Dumped, Dumped];
    expect(rsp1.header.recipNonce).toBe(req1.header.senderNonce);
    expect(rsp2.header.recipNonce).toBe(req2.header.senderNonce);
    for (const m of [rsp1, req2, rsp2]) expect(m.header.transactionID).toBe(req1.header.transactionID);
    // The bytes are one DER PKIMessage and nothing more (decodePkiMessage refuses trailing data).
    expect(() => decodePkiMessage(new Uint8Array(readFileSync(file('req1.der'))))).not.toThrow();
  });

  it('show the -geninfo ITAV in the request header', () => {
    const info = dumpOf('req1.der').header.generalInfo ?? [];
    expect(info.map((i) => i.infoType)).toContain('1.2.3.4');
  });
});

describe('-rspin', () => {
  it('replays a recorded exchange as OpenSSL does: the transaction and nonce are taken from the recorded answers', async () => {
    const run = await cmpflow([...enroll(), '-certout', file('replayed.pem'), '-rspin', `${file('rsp1.der')},${file('rsp2.der')}`]);
    expect(run.errors).toEqual([]);
    expect(run.code).toBe(0);
    expect(readFileSync(file('replayed.pem'), 'utf8')).toBe(readFileSync(file('recorded.pem'), 'utf8'));
  });

  it('still verifies the protection of a replayed answer: a recording under another secret is refused, no certificate', async () => {
    const args = enroll().map((a) => (a === `pass:${SECRET}` ? 'pass:another-secret' : a));
    const run = await cmpflow([...args, '-certout', file('forged.pem'), '-rspin', `${file('rsp1.der')},${file('rsp2.der')}`]);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/\(ERR_PROTECTION_INVALID\)$/)]);
    expect(() => readFileSync(file('forged.pem'))).toThrow();
  });

  it('names the missing response file, after -reqout has written the request', async () => {
    const run = await cmpflow([...enroll(), '-reqout', file('offline-req.der'), '-rspin', file('no-such-response.der')]);
    expect(run.code).toBe(1);
    expect(run.errors).toEqual([expect.stringMatching(/no-such-response\.der.*\(ERR_FILE\)$/)]);
    expect(dumpOf('offline-req.der').bodyType).toBe('ir');
  });
});

describe('cmpflow dump', () => {
  it('prints a DER message file as the JSON of dumpPkiMessage', async () => {
    const run = await cmpflow(['dump', file('req1.der')]);
    expect(run.code).toBe(0);
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual(JSON.parse(JSON.stringify(dumpOf('req1.der'))));
  });

  it('reads PEM with any label, relative to the working directory, and from stdin with -', async () => {
    writeFileSync(file('rsp1.pem'), encodePem('PKIMESSAGE', new Uint8Array(readFileSync(file('rsp1.der')))));
    const pem = await cmpflow(['dump', 'rsp1.pem'], { cwd: dir });
    expect(pem.code).toBe(0);
    expect(JSON.parse(pem.stdout).bodyType).toBe('ip');
    const fromStdin = await cmpflow(['-dump', '-'], { stdin: readFileSync(file('rsp1.pem'), 'utf8') });
    expect(JSON.parse(fromStdin.stdout)).toEqual(JSON.parse(pem.stdout));
  });

  it.each([
    ['a truncated message', () => readFileSync(file('req1.der')).subarray(0, 100), /\(ERR_ASN1_[A-Z_]+\)$/],
    ['trailing bytes', () => Buffer.concat([readFileSync(file('req1.der')), Buffer.from([0])]), /\(ERR_ASN1_TRAILING_DATA\)$/],
    ['a certificate instead of a message', () => Buffer.from(pki.enrolled.certDer), /\(ERR_ASN1_[A-Z_]+\)$/],
    ['PEM without an END line', () => Buffer.from('-----BEGIN PKIMESSAGE-----\nMIIB\n'), /\(ERR_PEM\)$/],
    ['text', () => Buffer.from('hello\n'), /\(ERR_ASN1_[A-Z_]+\)$/],
  ])('fails with one line naming the file and the code for %s', async (_what, bytes, code) => {
    writeFileSync(file('bad.der'), bytes());
    const run = await cmpflow(['dump', file('bad.der')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.stderrLines).toEqual([expect.stringMatching(code)]);
    expect(run.stderrLines[0]).toContain('bad.der');
  });

  it('fails with one line for a missing file or a missing argument', async () => {
    const missing = await cmpflow(['dump', file('nothing-here.der')]);
    expect({ code: missing.code, lines: missing.stderrLines }).toEqual({
      code: 1,
      lines: [expect.stringMatching(/nothing-here\.der.*ENOENT.*\(ERR_FILE\)$/)],
    });
    const none = await cmpflow(['dump']);
    expect({ code: none.code, lines: none.stderrLines }).toEqual({
      code: 1,
      lines: [expect.stringMatching(/^cmpflow: error: dump: needs exactly one FILE.*\(ERR_INVALID_OPTION\)$/)],
    });
  });
});
