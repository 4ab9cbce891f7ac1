/**
 * The rows harness itself: rows expand into the argument vectors OpenSSL's replay hands its client,
 * and written files are compared by what they hold, not by their fresh nonces and signatures.
 */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import * as path from 'path';
import { encodeTlv } from '../../src/asn1/der';
import { ASPECTS, describeCommand, loadRows, MOCK_DIR, readSection, replayQuote, shellWord } from './rows';
import { compareWritten, messageOutline, outputFiles, type OutputFile, type WrittenFile } from './written-files';

const target = { host: '127.0.0.1', port: 4711, resultDir: '/tmp/rows-result' };

describe('row expansion', () => {
  test('the four aspects hold the 171 rows (65 that must succeed) that run.sh replays', () => {
    const counts = ASPECTS.map((a) => loadRows(a, target).length);
    const positive = ASPECTS.flatMap((a) => loadRows(a, target)).filter((r) => r.expectSuccess).length;
    expect(counts).toEqual([39, 39, 38, 55]);
    expect(positive).toBe(65);
  });

  test('rows OpenSSL does not run (TBD) are left out, as replay.py leaves them out', () => {
    const titles = loadRows('connection', target).map((r) => r.title);
    expect(titles).not.toContain('server IP address with TLS port');
    expect(titles).toContain('disabled as not supported by some host IP configurations: server domain name');
  });

  test('the [Mock] section gives the placeholder values, an empty one as an empty CSV cell', () => {
    const mock = readSection('Mock');
    expect(mock.get('ca_dn')).toBe('/CN=Root CA');
    expect(mock.get('server_host')).toBe('127.0.0.1');
    expect(mock.get('server_path')).toBe('pkix/');
    expect(mock.get('pbm_ref')).toBe('""""');
  });

  test('every row gets the options 80-test_cmp_http.t adds, right after -section', () => {
    const [first] = loadRows('commands', target);
    expect(first!.argv).toEqual([
      '-server',
      '127.0.0.1:4711',
      '-config',
      '../Mock/test.cnf',
      '-section',
      'Mock commands',
      '-certout',
      '/tmp/rows-result/test.cert.pem',
      '-proxy',
      '',
      '-no_proxy',
      '127.0.0.1',
      '-cmd',
      'ir',
    ]);
  });

  test('a row with its own -server and -proxy keeps them', () => {
    const row = loadRows('connection', target).find((r) => r.title === 'proxy default port')!;
    expect(row.argv.filter((a) => a === '-server' || a === '-proxy')).toEqual(['-server', '-proxy']);
    expect(row.argv.slice(row.argv.indexOf('-proxy'), row.argv.indexOf('-proxy') + 4)).toEqual(['-proxy', '127.0.0.1', '-no_proxy', 'nonmatch.com']);
  });

  test.each(ASPECTS)('each %s row becomes the arguments /bin/sh gives the client in replay.py', (aspect) => {
    for (const row of loadRows(aspect, target)) {
      const script = `printf '%s\\0' ${row.words.map(replayQuote).join(' ')}`;
      const fromShell = execFileSync('/bin/sh', ['-c', script]).toString('latin1').split('\0').slice(0, -1);
      expect({ n: row.n, argv: row.argv }).toEqual({ n: row.n, argv: fromShell });
    }
  });

  test('words sh would treat in ways the expansion does not model are refused', () => {
    expect(shellWord('""')).toBe('');
    expect(shellWord('a"b"c')).toBe('abc');
    expect(shellWord('/CN=a b')).toBe('/CN=a b');
    expect(() => shellWord('~/x')).toThrow(/not modelled/);
    expect(() => shellWord("it's")).toThrow(/not modelled/);
    expect(() => shellWord("a b'c")).toThrow(/one word/);
  });

  test('commands in messages show no pass phrase', () => {
    const row = loadRows('credentials', target).find((r) => r.title === 'valid secret - wrong cert/key ignored')!;
    const shown = describeCommand('cmpflow', row.argv);
    expect(shown).toContain('-secret *** -cert root.crt -key signer.p12 -keypass ***');
    expect(shown).not.toMatch(/pass:/);
  });
});

describe('written files', () => {
  const vector = (name: string): Buffer => readFileSync(path.join(__dirname, '../vectors/rustcrypto-cmpv2', name));
  const mock = (name: string): Buffer => readFileSync(path.join(MOCK_DIR, name));
  const file = (option: string, key: string, bytes: Buffer): WrittenFile => ({
    option,
    file: key,
    key,
    bytes,
    kind: option === '-reqout' || option === '-rspout' ? 'message' : 'certificates',
  });

  test('the output options of a row name the files it writes, -reqout and -rspout as lists', () => {
    const files = outputFiles(['-certout', 'c.pem', '-reqout', 'ir.der certConf.der', '-rspout', 'a.der,b.der', '-cmd', 'ir']);
    expect(files.map((f: OutputFile) => [f.option, f.file, f.kind])).toEqual([
      ['-certout', 'c.pem', 'certificates'],
      ['-reqout', 'ir.der', 'message'],
      ['-reqout', 'certConf.der', 'message'],
      ['-rspout', 'a.der', 'message'],
      ['-rspout', 'b.der', 'message'],
    ]);
  });

  test('certificate files agree only with the same certificates, in order, as the same PEM text', () => {
    const chain = mock('signer_issuing.crt');
    const blocks = chain.toString('latin1').match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----\n/g)!;
    expect(blocks).toHaveLength(2);
    const reversed = Buffer.from(blocks[1]! + blocks[0]!, 'latin1');
    const crlf = Buffer.from(chain.toString('latin1').replace(/\n/g, '\r\n'), 'latin1');

    expect(compareWritten([file('-extracertsout', 'x.pem', chain)], [file('-extracertsout', 'x.pem', chain)])).toEqual([]);
    expect(compareWritten([file('-extracertsout', 'x.pem', reversed)], [file('-extracertsout', 'x.pem', chain)])).toEqual([
      expect.stringMatching(/^-extracertsout x\.pem: holds \[CERTIFICATE \w+, CERTIFICATE \w+\], openssl cmp wrote/),
    ]);
    expect(compareWritten([file('-extracertsout', 'x.pem', crlf)], [file('-extracertsout', 'x.pem', chain)])).toEqual([
      '-extracertsout x.pem: holds the same certificates as openssl cmp wrote, but not the same PEM text',
    ]);
  });

  test('a file only one of the clients wrote is a difference', () => {
    const cert = mock('signer_only.crt');
    expect(compareWritten([], [file('-certout', 'test.cert.pem', cert)])).toEqual(['-certout test.cert.pem: openssl cmp wrote it, cmpflow did not']);
    expect(compareWritten([file('-certout', 'test.cert.pem', cert)], [])).toEqual(['-certout test.cert.pem: cmpflow wrote it, openssl cmp did not']);
  });

  test('a message outline keeps tags, numbers, OIDs and names, not nonces, times or signatures', () => {
    const ir = messageOutline(vector('ir_req_01.bin'));
    expect(ir.body).toBe('ir');
    expect(ir.protected).toBe(true);
    expect(ir.lines[0]).toBe('SEQUENCE');
    expect(ir.lines).toContain('  INTEGER 02');
    expect(ir.lines.filter((l) => l.trim() === 'OCTET STRING').length).toBeGreaterThan(0);
    expect(ir.lines.some((l) => /GeneralizedTime \S/.test(l) || /OCTET STRING \S/.test(l) || /BIT STRING \S/.test(l))).toBe(false);
  });

  test('messages of different types or structure differ; the same message with other nonces does not', () => {
    const ir = vector('ir_req_01.bin');
    const cr = vector('cr_req_01.bin');
    expect(compareWritten([file('-reqout', 'r.der', ir)], [file('-reqout', 'r.der', ir)])).toEqual([]);
    expect(compareWritten([file('-reqout', 'r.der', cr)], [file('-reqout', 'r.der', ir)])).toEqual([
      '-reqout r.der: holds a cr message, openssl cmp wrote ir',
    ]);

    // The transactionID is the header's [4] OCTET STRING: another value is not a difference.
    const otherTid = Buffer.from(ir);
    const tid = otherTid.indexOf(Buffer.from([0xa4, 0x12, 0x04, 0x10]));
    expect(tid).toBeGreaterThan(0);
    otherTid[tid + 4] ^= 0xff;
    expect(compareWritten([file('-reqout', 'r.der', otherTid)], [file('-reqout', 'r.der', ir)])).toEqual([]);
    expect(compareWritten([file('-reqout', 'r.der', Buffer.from('not DER'))], [file('-reqout', 'r.der', ir)])).toEqual([
      expect.stringMatching(/^-reqout r\.der: does not decode as a PKIMessage/),
    ]);
  });

  test('an algorithm with NULL parameters is the same as one without; another algorithm is a difference', () => {
    const tlv = (id: number, ...parts: Uint8Array[]): Buffer => Buffer.from(encodeTlv(id, ...parts));
    const hex = (h: string): Buffer => Buffer.from(h, 'hex');
    const sha256WithRsa = hex('06092a864886f70d01010b');
    const sha512WithRsa = hex('06092a864886f70d01010d');
    const anyone = tlv(0xa4, tlv(0x30));
    // PKIMessage { header { pvno 2, sender, recipient, [1] protectionAlg }, body [19] pkiconf NULL }
    const pkiconf = (protectionAlg: Buffer): Buffer =>
      tlv(0x30, tlv(0x30, hex('020102'), anyone, anyone, tlv(0xa1, protectionAlg)), tlv(0xb3, hex('0500')));

    const withNull = pkiconf(tlv(0x30, sha256WithRsa, hex('0500')));
    const without = pkiconf(tlv(0x30, sha256WithRsa));
    const other = pkiconf(tlv(0x30, sha512WithRsa));
    expect(messageOutline(withNull).body).toBe('pkiconf');
    expect(compareWritten([file('-rspout', 'c.der', withNull)], [file('-rspout', 'c.der', without)])).toEqual([]);
    expect(compareWritten([file('-rspout', 'c.der', other)], [file('-rspout', 'c.der', without)])).toEqual([
      "-rspout c.der: pkiconf differs from openssl cmp's at element 9: SEQUENCE > [1] > SEQUENCE > OID 1.2.840.113549.1.1.13 " +
        'where openssl cmp has SEQUENCE > [1] > SEQUENCE > OID 1.2.840.113549.1.1.11',
    ]);
  });
});
