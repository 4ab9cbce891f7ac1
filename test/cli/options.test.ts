import * as fs from 'fs';
import * as path from 'path';
import { CmpError } from '../../src/errors';
import { parseCommandLine, resolveSecrets, RunCommandLine } from '../../src/cli/options';
import { findOption } from '../../src/cli/option-table';
import { decodeExtensions, tempDir } from './openssl-request';

let dir: string;
beforeAll(() => {
  dir = tempDir();
  fs.writeFileSync(
    path.join(dir, 'cmp.cnf'),
    `[cmp]
server = ca.example:8080
path = pkix/
recipient = /CN=CA
ref = file-ref
secret = pass:from-file
days = 30
batch = 1
[exts]
subjectAltName = DNS:file.example
[pols]
certificatePolicies = 1.2.3
`,
  );
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

function run(argv: string[]): RunCommandLine {
  const parsed = parseCommandLine(argv, { cwd: dir, env: {} });
  if (parsed.kind !== 'run') throw new Error('expected a run');
  return parsed;
}

function errorOf(argv: string[]): CmpError {
  try {
    parseCommandLine(argv, { cwd: dir, env: {} });
  } catch (e) {
    return e as CmpError;
  }
  throw new Error(`no error for ${argv.join(' ')}`);
}

/** A minimal valid genm/ir client invocation without a config file. */
const genm = ['-config', '', '-cmd', 'genm', '-server', 'localhost:1', '-secret', 'pass:hunter2', '-ref', 'kid'];
const ir = [
  '-config',
  '',
  '-cmd',
  'ir',
  '-server',
  'localhost:1',
  '-secret',
  'pass:hunter2',
  '-ref',
  'kid',
  '-newkey',
  'new.pem',
  '-certout',
  'out.pem',
];

describe('building CmpClientOptions', () => {
  it('maps the OpenSSL options to their camelCase fields', () => {
    const parsed = run([
      ...['-config', '', '-cmd', 'kur', '-server', 'https://ca.example/pkix/', '-tls_used', '-tls_trusted', 'tls-root.pem'],
      ...[
        '-proxy',
        'proxy.example:3128',
        '-no_proxy',
        'localhost',
        '-path',
        'alias',
        '-keep_alive',
        '0',
        '-msg_timeout',
        '10',
        '-total_timeout',
        '60',
      ],
      ...['-srvcert', 'srv.pem', '-untrusted', 'a.pem, b.pem', '-expect_sender', '/CN=Server', '-ignore_keyusage', '-unprotected_errors'],
      ...['-cert', 'me.pem', '-key', 'me.key', '-keypass', 'env:KEYPASS', '-own_trusted', 'root.pem', '-extracerts', 'x1.pem x2.pem'],
      ...['-digest', 'sha384', '-mac', 'hmac-sha256', '-newkey', 'new.key', '-newkeypass', 'file:pw.txt', '-subject', '/CN=me'],
      ...['-issuer', '/CN=CA', '-days', '365', '-popo', '0', '-oldcert', 'old.pem', '-implicit_confirm', '-out_trusted', 'out-root.pem'],
      ...['-certout', 'cert.pem', '-sans', 'critical www.example 192.0.2.7 https://x.example', '-policy_oids', '1.2.3, 1.2.4'],
      ...['-policy_oids_critical', '-attime', '1700000000', '-partial_chain', '-no_check_time'],
    ]);
    expect(parsed.mode).toBe('client');
    expect(parsed.client).toEqual({
      server: 'https://ca.example/pkix/',
      proxy: 'proxy.example:3128',
      noProxy: 'localhost',
      path: 'alias',
      keepAlive: 0,
      msgTimeout: 10,
      totalTimeout: 60,
      tls: { used: true, trusted: ['tls-root.pem'] },
      srvCert: 'srv.pem',
      untrusted: ['a.pem', 'b.pem'],
      expectSender: '/CN=Server',
      ignoreKeyUsage: true,
      unprotectedErrors: true,
      outTrusted: ['out-root.pem'],
      implicitConfirm: true,
      verification: { at: new Date(1700000000 * 1000), noCheckTime: true, partialChain: true },
      cert: 'me.pem',
      key: 'me.key',
      ownTrusted: ['root.pem'],
      extraCerts: ['x1.pem', 'x2.pem'],
      digest: 'SHA-384',
      mac: 'hmac-sha256',
      newKey: 'new.key',
      subject: '/CN=me',
      issuer: '/CN=CA',
      days: 365,
      popo: 0,
      oldCert: 'old.pem',
      sans: [
        { type: 'dns', value: 'www.example' },
        { type: 'ip', value: '192.0.2.7' },
        { type: 'uri', value: 'https://x.example' },
      ],
      policyOids: ['1.2.3', '1.2.4'],
      policyOidsCritical: true,
    });
    expect(parsed.cli.sansCritical).toBe(true);
    expect(parsed.passphrases).toEqual({ keyPass: 'env:KEYPASS', newKeyPass: 'file:pw.txt' });
  });

  it('fills in CLI-only settings with OpenSSL defaults', () => {
    const parsed = run([...ir, '-reqout', 'r1.der,r2.der', '-chainout', 'chain.pem', '-certform', 'der', '-keyform', 'P12']);
    expect(parsed.cli).toEqual({
      cmd: 'ir',
      verbosity: 6,
      batch: false,
      repeat: 1,
      certOut: 'out.pem',
      chainOut: 'chain.pem',
      certForm: 'DER',
      crlForm: 'DER',
      keyForm: 'P12',
      reqOut: ['r1.der', 'r2.der'],
      reqInNewTid: false,
      useMockServer: false,
      sansCritical: false,
      noWait: false,
      inspect: false,
      sections: ['cmp'],
    });
  });

  it('ignore -keyform ENGINE with a warning, as -engine (OpenSSL 3.5 ignores -keyform except for ENGINE)', () => {
    const parsed = run([...ir, '-keyform', 'engine']);
    expect(parsed.cli.keyForm).toBeUndefined();
    expect(parsed.warnings).toContain('-keyform ENGINE is ignored by cmpflow, which has no crypto engines; keys are read from files or pkcs11: URIs');
  });

  it('read -certform and -crlform as opt_format does: D... is DER, P or PEM in any case is PEM, P12 is refused', () => {
    for (const [text, form] of [
      ['d', 'DER'],
      ['Der', 'DER'],
      ['p', 'PEM'],
      ['pem', 'PEM'],
    ] as const) {
      const parsed = run([...ir, '-certform', text, '-crlform', text]);
      expect({ text, certForm: parsed.cli.certForm, crlForm: parsed.cli.crlForm }).toEqual({ text, certForm: form, crlForm: form });
    }
    expect(errorOf([...ir, '-crlform', 'P12']).message).toContain("-crlform: unknown option given for CRL storing format: 'P12' is not PEM or DER");
  });

  it('keeps pass phrase sources out of the client options until resolveSecrets', async () => {
    const parsed = run([...ir, '-keypass', 'env:KP', '-tls_used', '-tls_cert', 'c.pem', '-tls_key', 'k.pem', '-tls_keypass', 'pass:tls']);
    expect(parsed.client.secret).toBeUndefined();
    expect(parsed.passphrases).toEqual({ secret: 'pass:hunter2', keyPass: 'env:KP', tlsKeyPass: 'pass:tls' });
    const seen: string[] = [];
    const client = await resolveSecrets(parsed, async (source) => {
      seen.push(source);
      return `resolved(${source})`;
    });
    expect(seen).toEqual(['pass:hunter2', 'env:KP', 'pass:tls']);
    expect(client.secret).toBe('resolved(pass:hunter2)');
    expect(client.keyPass).toBe('resolved(env:KP)');
    expect(client.tls).toEqual({ used: true, cert: 'c.pem', key: 'k.pem', keyPass: 'resolved(pass:tls)' });
    expect(parsed.client.secret).toBeUndefined();
  });

  it('never puts a pass phrase source into an error message', () => {
    const failing = [
      ['-cmd', 'bad'],
      ['-tls_used', '-tls_keypass', 'pass:hunter2'],
      ['-srv_secret', 'pass:hunter2', '-use_mock_srv'],
      ['-sans', 'a,,b'],
      ['-geninfo', 'bad'],
      ['-port', 'x'],
    ];
    for (const extra of failing) expect(errorOf([...genm, ...extra]).message).not.toContain('hunter2');
  });

  it('selects PBMAC1 with -pbmac1 or -mac pbmac1', () => {
    expect(run([...genm, '-pbmac1', '-mac', 'hmac-sha256']).client).toMatchObject({ macProtection: 'pbmac1', mac: 'hmac-sha256' });
    const short = run([...genm, '-mac', 'PBMAC1']).client;
    expect(short.macProtection).toBe('pbmac1');
    expect(short.mac).toBeUndefined();
  });

  it('encodes -reqexts and -policies sections into reqExtensions', () => {
    const parsed = run(['-config', 'cmp.cnf', '-cmd', 'ir', '-newkey', 'k.pem', '-certout', 'c.pem', '-reqexts', 'exts', '-policies', 'pols']);
    expect(parsed.requestExtensions.map((e) => e.name)).toEqual(['subjectAltName', 'certificatePolicies']);
    expect(decodeExtensions(parsed.client.reqExtensions!).map((e) => e.type)).toEqual(['2.5.29.17', '2.5.29.32']);
  });

  it('encodes -geninfo values as DER INTEGER or UTF8String', () => {
    const parsed = run([...genm, '-geninfo', '1.2.3:int:-129, 1.2.4:str:hi']);
    expect(parsed.client.generalInfo!.map((g) => [g.infoType, Buffer.from(g.value!).toString('hex')])).toEqual([
      ['1.2.3', '0202ff7f'],
      ['1.2.4', '0c026869'],
    ]);
  });

  it('resolves -infotype names to id-it OIDs', () => {
    expect(run([...genm, '-infotype', 'signKeyPairTypes']).cli.infoType).toEqual({ name: 'signKeyPairTypes', oid: '1.3.6.1.5.5.7.4.2' });
    expect(errorOf([...genm, '-infotype', 'nonsense']).message).toBe("-infotype: unknown InfoType name 'nonsense'");
  });
});

describe('config file and command line together', () => {
  it('takes values from the file and lets the command line override or reset them', () => {
    const parsed = run(['-config', 'cmp.cnf', '-cmd', 'genm', '-ref', 'cli-ref', '-recipient', '', '-days', '7']);
    expect(parsed.client).toMatchObject({ server: 'ca.example:8080', path: 'pkix/', ref: 'cli-ref', days: 7 });
    expect(parsed.client.recipient).toBeUndefined();
    expect(parsed.passphrases.secret).toBe('pass:from-file');
    expect(parsed.cli.batch).toBe(true);
    expect(parsed.cli.configFile).toBe('cmp.cnf');
  });

  it('needs a config file for -reqexts', () => {
    expect(errorOf([...ir, '-reqexts', 'exts']).message).toBe('-reqexts: names a config file section, but no config file is used (-config)');
  });
});

describe('revocation checking options', () => {
  it('map -crl_check to the leaf, -crl_check_all to the whole path, with the CRL files of -crls', () => {
    expect(run([...genm, '-crl_check', '-crls', 'a.crl, b.crl']).client.verification).toEqual({ crlCheck: 'leaf', crls: ['a.crl', 'b.crl'] });
    expect(run([...genm, '-crl_check', '-crl_check_all', '-crls', 'a.crl']).client.verification).toEqual({ crlCheck: 'all', crls: ['a.crl'] });
  });

  it('warn that without -crls every check fails, as in openssl cmp 3.0, whose -trusted files give no CRLs', () => {
    const parsed = run([...genm, '-crl_check_all']);
    expect(parsed.client.verification).toEqual({ crlCheck: 'all' });
    expect(parsed.warnings).toContain(
      '-crl_check_all without -crls: no CRL is available, so any certificate checked fails with "unable to get certificate CRL"',
    );
  });

  it('warn that -crls alone is ignored', () => {
    const parsed = run([...genm, '-crls', 'a.crl']);
    expect(parsed.client.verification).toBeUndefined();
    expect(parsed.warnings).toContain('-crls is ignored without -crl_check or -crl_check_all');
  });

  it('map -use_deltas and -extended_crl to useDeltas and extendedCrl beside -crl_check or -crl_check_all, and warn that alone they are ignored', () => {
    expect(run([...genm, '-crl_check', '-use_deltas', '-extended_crl', '-crls', 'a.crl']).client.verification).toEqual({
      crlCheck: 'leaf',
      crls: ['a.crl'],
      useDeltas: true,
      extendedCrl: true,
    });
    expect(run([...genm, '-crl_check_all', '-use_deltas', '-crls', 'a.crl']).client.verification).toEqual({
      crlCheck: 'all',
      crls: ['a.crl'],
      useDeltas: true,
    });
    const alone = run([...genm, '-use_deltas', '-extended_crl']);
    expect(alone.client.verification).toBeUndefined();
    expect(alone.warnings.filter((w) => w.includes('crl'))).toEqual([
      '-use_deltas is ignored without -crl_check or -crl_check_all',
      '-extended_crl is ignored without -crl_check or -crl_check_all',
    ]);
  });
});

describe('path validation parameters', () => {
  it('map -verify_depth, -ignore_critical and the policy options to CmpClientOptions.verification', () => {
    const argv = [...genm, '-verify_depth', '3', '-ignore_critical', '-policy', '1.2.3.4', '-policy', 'anyPolicy', '-explicit_policy'];
    expect(run([...argv, '-inhibit_map', '-inhibit_any']).client.verification).toEqual({
      maxDepth: 3,
      ignoreCritical: true,
      policies: ['1.2.3.4', '2.5.29.32.0'],
      explicitPolicy: true,
      inhibitPolicyMapping: true,
      inhibitAnyPolicy: true,
    });
  });

  it('start policy checks without -policy from an empty set, as OpenSSL does', () => {
    expect(run([...genm, '-policy_check']).client.verification).toEqual({ policies: [] });
    expect(run([...genm, '-explicit_policy']).client.verification).toEqual({ policies: [], explicitPolicy: true });
  });

  it('ignore a negative -verify_depth with a warning, as OpenSSL sets no depth then', () => {
    const parsed = run([...genm, '-verify_depth', '-1']);
    expect(parsed.client.verification).toBeUndefined();
    expect(parsed.warnings).toContain('-verify_depth -1 is ignored: the depth must not be negative');
  });

  it('map -purpose, -verify_hostname, -verify_email and -verify_ip', () => {
    const argv = [...genm, '-purpose', 'sslserver', '-verify_hostname', 'ca.example.com', '-verify_email', 'ca@example.com', '-verify_ip', '::1'];
    expect(run(argv).client.verification).toEqual({
      purpose: 'sslserver',
      verifyHostname: 'ca.example.com',
      verifyEmail: 'ca@example.com',
      verifyIp: '::1',
    });
  });

  it('refuse an unknown -purpose, an -verify_email without @ and a -verify_ip that is no address', () => {
    expect(errorOf([...genm, '-purpose', 'codesign']).message).toMatch(/^-purpose: unknown purpose 'codesign' \(one of sslclient, sslserver, /);
    expect(errorOf([...genm, '-verify_email', 'ca']).message).toBe("-verify_email: not an email address: 'ca'");
    expect(errorOf([...genm, '-verify_ip', '1.2.3']).message).toBe("-verify_ip: not an IPv4 or IPv6 address: '1.2.3'");
  });

  it('map -check_ss_sig, -x509_strict, -allow_proxy_certs, -auth_level and -verify_name (its purpose, unless -purpose is given)', () => {
    const argv = [...genm, '-check_ss_sig', '-x509_strict', '-allow_proxy_certs', '-auth_level', '2', '-verify_name', 'ssl_server'];
    expect(run(argv).client.verification).toEqual({
      checkSelfSignature: true,
      x509Strict: true,
      allowProxyCertificates: true,
      authLevel: 2,
      purpose: 'sslserver',
    });
    expect(run([...genm, '-verify_name', 'pkcs7', '-purpose', 'any']).client.verification).toEqual({ purpose: 'any' });
  });

  it('map the Suite B flags as the bits OpenSSL ORs together', () => {
    const suiteB = (...flags: string[]) => run([...genm, ...flags]).client.verification?.suiteB;
    expect(suiteB('-suiteB_128_only')).toBe('128only');
    expect(suiteB('-suiteB_128')).toBe('128');
    expect(suiteB('-suiteB_192')).toBe('192');
    expect(suiteB('-suiteB_128_only', '-suiteB_192')).toBe('128');
    expect(suiteB('-suiteB_192', '-suiteB_128')).toBe('128');
    expect(run([...genm, '-verify_name', 'default']).client.verification).toBeUndefined();
    expect(errorOf([...genm, '-verify_name', 'tls']).message).toBe(
      "-verify_name: unknown name 'tls' (one of default, pkcs7, smime_sign, ssl_client, ssl_server)",
    );
  });

  it('accept -policy_print with a warning that it prints nothing, as openssl cmp prints nothing for it', () => {
    const parsed = run([...genm, '-policy_print']);
    expect(parsed.warnings).toContain('-policy_print prints nothing, as in openssl cmp, whose verification callback ignores the policy tree');
  });

  it('refuse a -policy that is not an OID', () => {
    expect(errorOf([...genm, '-policy', 'gold']).message).toBe("-policy: invalid policy OID 'gold' (a dotted OID or anyPolicy)");
  });
});

describe('validation errors name the option', () => {
  const cases: [string, string[], string, string][] = [
    [
      'an unknown -cmd',
      [...genm.slice(0, 2), '-cmd', 'xr', ...genm.slice(4)],
      'ERR_INVALID_OPTION',
      "-cmd: unknown cmp command 'xr' (expected ir, cr, kur, p10cr, rr or genm)",
    ],
    [
      'no -cmd',
      ['-config', '', '-server', 'h:1', '-secret', 'pass:x', '-ref', 'r'],
      'ERR_MISSING_OPTION',
      '-cmd: no cmp command to execute (ir, cr, kur, p10cr, rr or genm)',
    ],
    ['revocation reason 7', [...genm, '-revreason', '7'], 'ERR_INVALID_OPTION', '-revreason: invalid reason 7; valid values are -1 .. 6, 8 .. 10'],
    [
      'a bad -certform',
      [...genm, '-certform', 'TXT'],
      'ERR_INVALID_OPTION',
      "-certform: unknown option given for certificate storing format: 'TXT' is not PEM or DER",
    ],
    ['an unknown digest', [...genm, '-digest', 'md4x'], 'ERR_INVALID_OPTION', "-digest: digest algorithm name not recognized: 'md4x'"],
    [
      'no server',
      ['-config', '', '-cmd', 'genm', '-secret', 'pass:x', '-ref', 'r'],
      'ERR_MISSING_OPTION',
      '-server: missing -server or -use_mock_srv or -rspin option',
    ],
    [
      'https without -tls_used',
      [...genm, '-server', 'https://h/'],
      'ERR_MISSING_OPTION',
      '-tls_used: missing -tls_used option since -server URL indicates https',
    ],
    ['a bad server address', [...genm, '-server', 'ftp://h/'], 'ERR_INVALID_OPTION', "-server: server address must use http or https, not 'ftp'"],
    [
      'no protection',
      ['-config', '', '-cmd', 'genm', '-server', 'h:1', '-ref', 'r'],
      'ERR_MISSING_OPTION',
      '-key or -secret: must be given unless -unprotected_requests is used',
    ],
    [
      'no sender',
      ['-config', '', '-cmd', 'genm', '-server', 'h:1', '-secret', 'pass:x'],
      'ERR_MISSING_OPTION',
      '-ref: must be given if no -cert and no -subject is given',
    ],
    [
      '-cert without -key',
      ['-config', '', '-cmd', 'genm', '-server', 'h:1', '-cert', 'c.pem', '-unprotected_requests'],
      'ERR_MISSING_OPTION',
      '-key: must give both -cert and -key options or neither',
    ],
    [
      'no key to certify',
      ['-config', '', '-cmd', 'cr', '-server', 'h:1', '-secret', 'pass:x', '-ref', 'r', '-certout', 'c'],
      'ERR_MISSING_OPTION',
      '-newkey: missing -newkey (or -key) to be certified and no -csr given',
    ],
    [
      'no -certout',
      ['-config', '', '-cmd', 'ir', '-server', 'h:1', '-secret', 'pass:x', '-ref', 'r', '-newkey', 'k'],
      'ERR_MISSING_OPTION',
      '-certout: not given, nowhere to save newly enrolled certificate',
    ],
    [
      'kur without a certificate',
      [...ir.slice(0, 2), '-cmd', 'kur', ...ir.slice(4)],
      'ERR_MISSING_OPTION',
      '-oldcert: missing -oldcert for certificate to be updated and no -csr given',
    ],
    [
      'rr without a certificate',
      [...genm.slice(0, 2), '-cmd', 'rr', ...genm.slice(4)],
      'ERR_MISSING_OPTION',
      '-oldcert: missing -oldcert or -issuer and -serial for certificate to be revoked and no -csr given',
    ],
    ['p10cr without a CSR', [...genm.slice(0, 2), '-cmd', 'p10cr', ...genm.slice(4)], 'ERR_MISSING_OPTION', '-csr: missing PKCS#10 CSR for p10cr'],
    [
      'timeouts out of order',
      [...genm, '-msg_timeout', '30', '-total_timeout', '10'],
      'ERR_INVALID_OPTION',
      '-total_timeout: argument 10 must not be < 30 (-msg_timeout)',
    ],
    [
      'both -policies and -policy_oids',
      ['-config', 'cmp.cnf', '-cmd', 'ir', '-newkey', 'k', '-certout', 'c', '-policies', 'pols', '-policy_oids', '1.2'],
      'ERR_INVALID_OPTION',
      '-policies: cannot have policies both via -policies and via -policy_oids',
    ],
    [
      'SANs twice',
      ['-config', 'cmp.cnf', '-cmd', 'ir', '-newkey', 'k', '-certout', 'c', '-reqexts', 'exts', '-sans', 'x.example'],
      'ERR_INVALID_OPTION',
      '-sans: cannot have Subject Alternative Names both via -reqexts and via -sans',
    ],
    ['a bad policy OID', [...ir, '-policy_oids', 'anyPolicy'], 'ERR_INVALID_OPTION', "-policy_oids: unknown policy OID 'anyPolicy'"],
    [
      'an empty list item',
      [...genm, '-untrusted', 'a.pem,,b.pem'],
      'ERR_INVALID_OPTION',
      '-untrusted: empty item in the list (items are separated by commas or spaces)',
    ],
    ['bad -geninfo', [...genm, '-geninfo', '1.2.3:float:1'], 'ERR_INVALID_OPTION', "-geninfo: missing 'int:' or 'str:' after OID '1.2.3'"],
    ['-nowait without -session', [...genm, '-nowait'], 'ERR_MISSING_OPTION', '-nowait: needs -session FILE to save the waiting transaction in'],
    ['-server with -use_mock_srv', [...genm, '-use_mock_srv'], 'ERR_INVALID_OPTION', '-use_mock_srv: cannot be used with -server'],
    ['TLS key without cert', [...genm, '-tls_used', '-tls_key', 'k.pem'], 'ERR_MISSING_OPTION', '-tls_cert: missing -tls_cert option'],
  ];
  it.each(cases)('rejects %s', (_what, argv, code, message) => {
    const e = errorOf(argv);
    expect(e).toBeInstanceOf(CmpError);
    expect({ code: e.code, message: e.message }).toEqual({ code, message });
    expect(message).not.toContain('\n');
  });
});

describe('warnings openssl cmp also gives', () => {
  it('accepts -engine with a warning, as the provider options: cmpflow has no engines to load', () => {
    const parsed = run([...genm, '-engine', 'pkcs11']);
    expect(parsed.warnings).toContain('-engine is ignored by cmpflow, which has no crypto engines');
  });

  it('drops -trusted and -recipient when -srvcert is given', () => {
    const parsed = run([...genm, '-srvcert', 's.pem', '-trusted', 't.pem', '-recipient', '/CN=x']);
    expect(parsed.client.trusted).toBeUndefined();
    expect(parsed.client.recipient).toBeUndefined();
    expect(parsed.warnings).toEqual(
      expect.arrayContaining([
        '-trusted option is ignored since -srvcert option is present',
        '-recipient option is ignored since -srvcert option is present',
      ]),
    );
  });

  it('mentions request options that the command ignores', () => {
    const parsed = run([...genm, '-sans', 'a.example', '-issuer', '/CN=i']);
    expect(parsed.warnings).toEqual(
      expect.arrayContaining([
        "-issuer option is ignored for commands other than 'ir', 'cr', and 'kur'",
        "-sans option is ignored for commands other than 'ir', 'cr', and 'kur'",
      ]),
    );
  });

  it('prefers -rspin over -server, and notes ignored provider options', () => {
    const parsed = run([...genm, '-rspin', 'a.der b.der', '-provider', 'default', '-provider', 'legacy']);
    expect(parsed.client.server).toBeUndefined();
    expect(parsed.cli.rspIn).toEqual(['a.der', 'b.der']);
    expect(parsed.warnings).toEqual(expect.arrayContaining(['ignoring -server option since -rspin is given', '-provider is ignored by cmpflow']));
  });

  it('ignores -tls_used when responses come from -rspin files', () => {
    const parsed = run([...genm, '-rspin', 'a.der', '-tls_used', '-tls_trusted', 'root.pem']);
    expect(parsed.client.server).toBeUndefined();
    expect(parsed.warnings).toEqual(expect.arrayContaining(['ignoring -tls_used option since -server is not given']));
  });
});

describe('sessions', () => {
  it('accepts -resume without -cmd and request options', () => {
    const parsed = run([
      '-config',
      '',
      '-resume',
      'tx.json',
      '-session',
      'tx.json',
      '-server',
      'h:1',
      '-secret',
      'pass:x',
      '-ref',
      'r',
      '-certout',
      'c.pem',
    ]);
    expect(parsed.cli).toMatchObject({ resume: 'tx.json', session: 'tx.json', certOut: 'c.pem' });
    expect(parsed.cli.cmd).toBeUndefined();
  });

  it('accepts -nowait with -session and -inspect', () => {
    expect(run([...ir, '-nowait', '-session', 's.json', '-inspect']).cli).toMatchObject({ noWait: true, session: 's.json', inspect: true });
  });
});

describe('mock server options', () => {
  it('switch to server mode with -port and collect the -srv_ and -rsp_ settings', () => {
    const parsed = run([
      ...['-config', '', '-port', '0', '-srv_ref', 'srv', '-srv_secret', 'pass:s', '-srv_trusted', 't1.pem,t2.pem'],
      ...['-rsp_cert', 'issued.pem', '-rsp_capubs', 'root.pem', '-poll_count', '2', '-check_after', '0', '-failure', '2', '-statusstring', 'hi'],
      ...['-send_unprotected', '-accept_raverified', '-grant_implicitconf', '-max_msgs', '5', '-pkistatus', '2'],
    ]);
    expect(parsed.mode).toBe('server');
    expect(parsed.server).toEqual({
      port: 0,
      maxMsgs: 5,
      srvRef: 'srv',
      srvTrusted: ['t1.pem', 't2.pem'],
      rspCert: 'issued.pem',
      rspCaPubs: ['root.pem'],
      pollCount: 2,
      checkAfter: 0,
      grantImplicitConf: true,
      pkiStatus: 2,
      failureBits: 4,
      statusString: 'hi',
      sendError: false,
      sendUnprotected: true,
      sendUnprotErr: false,
      acceptUnprotected: false,
      acceptUnprotErr: false,
      acceptRaVerified: true,
    });
    expect(parsed.passphrases).toEqual({ srvSecret: 'pass:s' });
    expect(parsed.client).toEqual({});
  });

  it('take the verification parameters for -srv_trusted, as the client takes them for -trusted', () => {
    const server = ['-config', '', '-port', '0', '-srv_ref', 'srv', '-srv_secret', 'pass:s', '-verify_depth', '2', '-policy', '1.2.3'];
    expect(run(server).server?.srvVerification).toEqual({ maxDepth: 2, policies: ['1.2.3'] });
    const mock = run([
      '-config',
      '',
      '-cmd',
      'genm',
      '-use_mock_srv',
      '-secret',
      'pass:x',
      '-ref',
      'r',
      '-srv_ref',
      's',
      '-srv_secret',
      'pass:y',
      '-verify_depth',
      '-1',
    ]);
    expect(mock.server?.srvVerification).toBeUndefined();
    expect(mock.warnings.filter((w) => w.startsWith('-verify_depth'))).toHaveLength(1);
  });

  it('come with -use_mock_srv for the in-process server of a client', () => {
    const parsed = run(['-config', '', '-cmd', 'genm', '-use_mock_srv', '-secret', 'pass:x', '-ref', 'r', '-srv_ref', 's', '-srv_secret', 'pass:y']);
    expect(parsed.mode).toBe('client');
    expect(parsed.server).toMatchObject({ checkAfter: 1, pkiStatus: 0, failureBits: 0 });
    expect(parsed.cli.useMockServer).toBe(true);
  });

  it('need credentials and a valid port', () => {
    expect(errorOf(['-config', '', '-port', '80']).message).toBe('-srv_ref: must be given for the mock server if no -srv_cert is given');
    expect(errorOf(['-config', '', '-port', '80', '-srv_ref', 'r']).message).toBe(
      '-srv_secret or -srv_cert: mock server credentials must be given with -use_mock_srv or -port',
    );
    expect(errorOf(['-config', '', '-port', '80', '-srv_cert', 'c.pem']).message).toBe(
      '-srv_key: must give both -srv_cert and -srv_key options or neither',
    );
    expect(errorOf(['-config', '', '-port', '70000', '-srv_ref', 'r', '-srv_secret', 'pass:x']).message).toBe(
      "-port: '70000' is not a port number 0..65535",
    );
    expect(errorOf(['-config', '', '-port', '80', '-server', 'h:1']).message).toBe('-port: cannot be used with -use_mock_srv, -server or -rspin');
  });
});

describe('-help', () => {
  it('needs nothing else to be valid', () => {
    expect(parseCommandLine(['-cmd', 'nonsense', '-help'], { cwd: dir, env: {} })).toEqual({ kind: 'help', warnings: [] });
  });
});

describe("OpenSSL 3.5's flags", () => {
  /** The option names of test/cli/data/openssl-3.5-cmp-options.txt. */
  const openssl35 = fs
    .readFileSync(path.join(__dirname, 'data', 'openssl-3.5-cmp-options.txt'), 'utf8')
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('['));

  it('are each accepted on a genm command line (some with a warning)', () => {
    // -help answers instead of running; -use_mock_srv and -server exclude each other.
    const flags = openssl35.filter((name) => findOption(name)?.type === '-' && name !== 'help' && name !== 'use_mock_srv');
    expect(flags).toHaveLength(40);
    const refused = flags.filter((name) => {
      try {
        run([...genm, `-${name}`]);
        return false;
      } catch {
        return true;
      }
    });
    expect(refused).toEqual([]);
    expect(errorOf([...genm, '-use_mock_srv']).message).toBe('-use_mock_srv: cannot be used with -server');
  });
});
