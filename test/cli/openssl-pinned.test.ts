/**
 * Config file semantics pinned against the real `openssl cmp` 3.0: for each file, what openssl
 * put into the request it wrote (-reqout) must be what cmpflow's parser resolves.
 */
import * as fs from 'fs';
import * as path from 'path';
import { parseCommandLine, RunCommandLine } from '../../src/cli/options';
import { opensslAvailable, runOpenSsl } from '../support/openssl';
import { decodeExtensions, requestOpenSslWrites, tempDir } from './openssl-request';

let dir: string;

beforeAll(async () => {
  expect(await opensslAvailable()).toBe(true);
  dir = tempDir();
  const key = await runOpenSsl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', 'key.pem'], { cwd: dir });
  expect(key.code).toBe(0);
});

afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function writeConfig(name: string, text: string): string {
  fs.writeFileSync(path.join(dir, name), text);
  return name;
}

const genm = ['-cmd', 'genm', '-unprotected_requests'];

function ours(args: string[], env: Record<string, string> = {}): RunCommandLine {
  const parsed = parseCommandLine([...args, '-rspin', 'no-such-response.der'], { cwd: dir, env });
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return parsed;
}

/** Our DN strings are OpenSSL's "/CN=x" form; openssl's request shows them as RFC 4514. */
const rfc4514 = (dn: string | undefined): string => (dn ?? '').replace(/^\//, '').split('/').reverse().join(', ');

async function theirs(args: string[], env?: NodeJS.ProcessEnv) {
  const { request, run } = await requestOpenSslWrites(dir, args, env);
  if (!request) throw new Error(`openssl wrote no request:\n${run.stderr}`);
  return request;
}

const sectionsFile = `recipient = /CN=from default
ref = default-ref
[a]
recipient = /CN=from a
ref = a-ref
[b]
ref = b-ref
`;

describe('section precedence, as openssl cmp resolves it', () => {
  it('searches later-named sections first, each falling back to [default] before an earlier section', async () => {
    const file = writeConfig('sections.cnf', sectionsFile);
    const args = ['-config', file, '-section', 'a,b', ...genm];
    const request = await theirs(args);
    const parsed = ours(args);

    // [b] has no recipient, so its [default] fallback wins over [a]: [default] shadows [a].
    expect(request.recipient).toBe('CN=from default');
    expect(rfc4514(parsed.client.recipient)).toBe(request.recipient);
    expect(request.senderKID).toBe('b-ref');
    expect(parsed.client.ref).toBe(request.senderKID);
  });

  it('gives the named section precedence over [default] when it is the later one', async () => {
    const file = writeConfig('sections.cnf', sectionsFile);
    const args = ['-config', file, '-section', 'b a', ...genm];
    const request = await theirs(args);
    const parsed = ours(args);

    expect(request.recipient).toBe('CN=from a');
    expect(rfc4514(parsed.client.recipient)).toBe(request.recipient);
    expect(request.senderKID).toBe('a-ref');
    expect(parsed.client.ref).toBe(request.senderKID);
  });
});

describe('resetting and overriding, as openssl cmp does', () => {
  const file = 'reset.cnf';
  beforeAll(() => {
    writeConfig(file, `[a]\nrecipient = /CN=from a\nref = a-ref\n[b]\nrecipient =\n`);
  });

  it('lets an empty value in a later section reset the option', async () => {
    const args = ['-config', file, '-section', 'a,b', ...genm];
    const request = await theirs(args);
    const parsed = ours(args);

    expect(request.recipient).toBe(''); // the NULL-DN
    expect(parsed.client.recipient).toBeUndefined();
  });

  it('lets the command line override the file, and an empty argument reset it', async () => {
    const overridden = ['-config', file, '-section', 'a', ...genm, '-recipient', '/CN=from the command line'];
    expect((await theirs(overridden)).recipient).toBe('CN=from the command line');
    expect(rfc4514(ours(overridden).client.recipient)).toBe('CN=from the command line');

    const reset = ['-config', file, '-section', 'a', ...genm, '-recipient', ''];
    expect((await theirs(reset)).recipient).toBe('');
    const parsed = ours(reset);
    expect(parsed.client.recipient).toBeUndefined();
    expect(parsed.warnings).toContain('-recipient option argument is empty string, resetting option');
  });
});

describe('variable expansion, as openssl cmp reads it', () => {
  it('expands $var, ${var}, $section::name and ${ENV::NAME} the same way', async () => {
    const file = writeConfig(
      'vars.cnf',
      `name = dflt
[other]
part = other-part
[cmp]
ref = \${ENV::CMPFLOW_PINNED}+$name+$other::part
`,
    );
    const env = { CMPFLOW_PINNED: 'from-env' };
    const args = ['-config', file, ...genm];
    const request = await theirs(args, env);
    expect(request.senderKID).toBe('from-env+dflt+other-part');
    expect(ours(args, env).client.ref).toBe(request.senderKID);
  });
});

describe('request extensions from -reqexts and -policies', () => {
  it('encodes the sections to the same DER that openssl puts into the certificate template', async () => {
    const file = writeConfig(
      'exts.cnf',
      `[cmp]
[exts]
subjectAltName = DNS:a.example, IP:10.0.0.1, email:x@y.example, URI:http://u.example/p, IP:2001:db8::1, RID:1.2.3, dirName:dn
keyUsage = critical, digitalSignature, keyEncipherment, Decipher Only
extendedKeyUsage = clientAuth, 1.2.3.4.5, TLS Web Server Authentication, cmKGA
basicConstraints = critical,CA:FALSE
1.2.3.4.5.6 = DER:05:00
[pols]
certificatePolicies = 1.2.3.4, @pol
[pol]
policyIdentifier = 1.3.6.1.4.1.99
CPS.1 = "http://cps.example/"
userNotice.1 = @notice
[notice]
explicitText = "Hello"
organization = "Org"
noticeNumbers = 1, 2
[dn]
C = DE
O = Org
CN = Test
`,
    );
    const args = [
      '-config',
      file,
      '-cmd',
      'ir',
      '-unprotected_requests',
      '-newkey',
      'key.pem',
      '-certout',
      'cert.pem',
      '-subject',
      '/CN=x',
      '-reqexts',
      'exts',
      '-policies',
      'pols',
    ];
    const request = await theirs(args);
    const parsed = ours(args);

    expect(request.templateExtensions).toBeDefined();
    expect(Buffer.from(parsed.client.reqExtensions!).toString('hex')).toBe(Buffer.from(request.templateExtensions!).toString('hex'));
    // and the structured view agrees with the DER
    const san = parsed.requestExtensions.find((e) => e.name === 'subjectAltName')!;
    expect(san.value).toMatchObject({ kind: 'generalNames' });
    const decoded = decodeExtensions(parsed.client.reqExtensions!);
    expect(decoded.map((e) => e.type)).toEqual(['2.5.29.17', '2.5.29.15', '2.5.29.37', '2.5.29.19', '1.2.3.4.5.6', '2.5.29.32']);
  });

  it('writes the same -geninfo INTEGER into the header', async () => {
    const args = ['-config', '', ...genm, '-ref', 'r', '-geninfo', '1.2.3.4:int:56789'];
    const request = await theirs(args);
    const parsed = ours(args);
    expect(request.generalInfo).toEqual([{ oid: '1.2.3.4', valueHex: '020300ddd5' }]);
    expect(parsed.client.generalInfo!.map((i) => ({ oid: i.infoType, valueHex: Buffer.from(i.value!).toString('hex') }))).toEqual(
      request.generalInfo,
    );
  });
});

describe('documented differences from openssl cmp 3.0', () => {
  it('rejects a non-numeric flag value, which openssl silently ignores', async () => {
    const file = writeConfig('flag.cnf', `[cmp]\nunprotected_requests = yes\nref = r\n`);
    const { request, run } = await requestOpenSslWrites(dir, ['-config', file, '-cmd', 'genm']);
    expect(request).toBeUndefined();
    expect(run.stderr).toContain('must give -key or -secret unless -unprotected_requests is used');

    expect(() => ours(['-config', file, '-cmd', 'genm'])).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining('unprotected_requests in config file section [cmp]') }),
    );
  });

  it('honours --config and -config=FILE, which openssl 3.0 ignores (it only scans for "-config FILE")', async () => {
    const file = writeConfig('dashes.cnf', `[cmp]\nref = from-file\n`);
    const { request, run } = await requestOpenSslWrites(dir, [`--config`, file, ...genm], { OPENSSL_CONF: '/dev/null' });
    expect(request).toBeUndefined();
    expect(run.stderr).toContain('must give -ref if no -cert and no -subject given');

    expect(ours(['--config', file, ...genm]).client.ref).toBe('from-file');
    expect(ours([`-config=${file}`, ...genm]).client.ref).toBe('from-file');
    expect(() => ours([...genm])).toThrow(expect.objectContaining({ code: 'ERR_MISSING_OPTION' }));
  });
});
