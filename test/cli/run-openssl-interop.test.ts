/**
 * The `cmpflow` command against the real `openssl cmp -port 0` mock server: every transaction of
 * test/interop/client-openssl.test.ts again, now through the command line, with its output files
 * (PEM and DER), its protocol lines and its exit statuses; and configuration files with sections
 * driving both the mock server and a cmpflow enrollment.
 */
import { readFileSync, writeFileSync, existsSync } from 'fs';
import { execFileSync } from 'child_process';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { parsePem } from '../../src/credentials/pem';
import { makeTestPki, type TestPki } from '../support/pki';
import { startMockServer, type MockServer } from '../support/openssl';
import { cmpflow, scratchDir, type CliRun } from './run-support';

const SECRET = 'cli-interop-secret';
let pki: TestPki;
let dir: string;

beforeAll(async () => {
  pki = await makeTestPki();
  dir = scratchDir();
});
afterAll(async () => {
  await pki?.cleanup();
});

const mockArgs = () => [
  '-srv_ref',
  'mock-server',
  '-srv_secret',
  `pass:${SECRET}`,
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
  '-rsp_extracerts',
  pki.chainPath,
  '-rsp_capubs',
  pki.trustedPath,
];

async function withServer<T>(extra: string[], run: (server: MockServer) => Promise<T>): Promise<T> {
  const server = await startMockServer([...mockArgs(), ...extra]);
  try {
    return await run(server);
  } finally {
    await server.stop();
  }
}

const pbm = (server: MockServer) => ['-config', '', '-server', server.url, '-ref', 'client-ref', '-secret', `pass:${SECRET}`, '-msg_timeout', '10'];
const signed = (server: MockServer) => [
  '-config',
  '',
  '-server',
  server.url,
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

const out = (name: string) => path.join(dir, name);
const certsIn = (file: string) => parsePem(readFileSync(file, 'utf8')).map((b) => new X509Certificate(new Uint8Array(b.der)));
const enrolled = () => new X509Certificate(new Uint8Array(pki.enrolled.certDer));
const root = () => new X509Certificate(new Uint8Array(pki.root.certDer));

function expectSuccess(run: CliRun): void {
  expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
}

function expectOneError(run: CliRun, code: string): string {
  expect(run.code).toBe(1);
  expect(run.errors).toHaveLength(1);
  expect(run.errors[0]).toMatch(new RegExp(`\\(${code}\\)$`));
  expect(run.stderr).not.toMatch(/\n\s+at /);
  return run.errors[0]!;
}

describe('cmpflow against openssl cmp -port (mock server)', () => {
  describe.each([
    ['PBM', pbm],
    ['signature', signed],
  ] as const)('with %s protection', (name, protection) => {
    const tag = name.toLowerCase();

    it.each(['ir', 'cr'] as const)('enrolls with -cmd %s and writes -certout, -cacertsout, -extracertsout and -chainout', async (cmd) => {
      await withServer([], async (server) => {
        const files = {
          cert: out(`${tag}-${cmd}.pem`),
          ca: out(`${tag}-${cmd}-ca.pem`),
          extra: out(`${tag}-${cmd}-extra.pem`),
          chain: out(`${tag}-${cmd}-chain.pem`),
        };
        const run = await cmpflow([
          ...protection(server),
          '-cmd',
          cmd,
          '-newkey',
          pki.newKeyPath,
          '-subject',
          '/CN=interop device',
          '-certout',
          files.cert,
          '-cacertsout',
          files.ca,
          '-extracertsout',
          files.extra,
          '-chainout',
          files.chain,
        ]);
        expectSuccess(run);
        expect(certsIn(files.cert).map((c) => c.equal(enrolled()))).toEqual([true]);
        // The mock sends caPubs in every certificate response; RFC 9483 allows them in an ip only.
        expect(certsIn(files.ca).map((c) => c.subject)).toEqual(cmd === 'ir' ? [root().subject] : []);
        expect(certsIn(files.extra).length).toBeGreaterThan(0);
        // The chain is the one the client validated: up to -trusted when signing; with PBM only
        // as far as the caPubs of an ip reach.
        const chain = certsIn(files.chain).map((c) => c.subject);
        const full = [enrolled().subject, new X509Certificate(new Uint8Array(pki.intermediate.certDer)).subject, root().subject];
        expect(chain).toEqual(name === 'signature' || cmd === 'ir' ? full : []);
        const response = cmd === 'ir' ? 'IP' : 'CP';
        for (const line of [`sending ${cmd.toUpperCase()}`, `received ${response}`, 'sending CERTCONF', 'received PKICONF']) {
          expect(run.stderrLines).toContain(`CMP info: ${line}`);
        }
        expect(run.stderrLines).toContain(`CMP info: received 1 enrolled certificate(s), saving to file '${files.cert}'`);
      });
    });

    it('enrolls with -cmd p10cr from a -csr', async () => {
      await withServer([], async (server) => {
        const csr = out(`${tag}-p10cr.csr`);
        execFileSync('openssl', ['req', '-new', '-key', pki.newKeyPath, '-subj', '/CN=p10cr device', '-out', csr]);
        const run = await cmpflow([...protection(server), '-cmd', 'p10cr', '-csr', csr, '-certout', out(`${tag}-p10cr.pem`)]);
        expectSuccess(run);
        expect(certsIn(out(`${tag}-p10cr.pem`))[0]!.equal(enrolled())).toBe(true);
        expect(run.stderrLines).toContain('CMP info: received CP');
      });
    });

    it('updates a key with -cmd kur', async () => {
      await withServer([], async (server) => {
        const base = protection(server);
        // Signed kur is protected by the certificate being updated, as OpenSSL's kur defaults -oldcert to -cert.
        const args =
          name === 'signature'
            ? [
                ...base.filter((a, i, all) => !['-cert', '-key'].includes(a) && !['-cert', '-key'].includes(all[i - 1]!)),
                '-cert',
                pki.enrolled.certPath,
                '-key',
                pki.newKeyPath,
              ]
            : [...base, '-oldcert', pki.enrolled.certPath];
        const run = await cmpflow([...args, '-cmd', 'kur', '-newkey', pki.newKeyPath, '-certout', out(`${tag}-kur.pem`)]);
        expectSuccess(run);
        expect(certsIn(out(`${tag}-kur.pem`))[0]!.equal(enrolled())).toBe(true);
        expect(run.stderrLines).toContain('CMP info: received KUP');
      });
    });

    it('revokes with -cmd rr', async () => {
      await withServer([], async (server) => {
        const run = await cmpflow([...protection(server), '-cmd', 'rr', '-oldcert', pki.enrolled.certPath, '-revreason', '1']);
        expectSuccess(run);
        expect(run.stderrLines).toEqual(expect.arrayContaining(['CMP info: sending RR', 'CMP info: received RP']));
      });
    });

    it('prints the ITAVs of the genp for -cmd genm -infotype', async () => {
      await withServer([], async (server) => {
        const run = await cmpflow([...protection(server), '-cmd', 'genm', '-infotype', 'signKeyPairTypes']);
        expectSuccess(run);
        expect(run.stdout).toBe('genp contains ITAV of type: id-it-signKeyPairTypes\n');
      });
    });

    it('polls while the server answers waiting', async () => {
      await withServer(['-poll_count', '2', '-check_after', '0'], async (server) => {
        const run = await cmpflow([
          ...protection(server),
          '-cmd',
          'ir',
          '-newkey',
          pki.newKeyPath,
          '-subject',
          '/CN=polled',
          '-certout',
          out(`${tag}-poll.pem`),
        ]);
        expectSuccess(run);
        expect(run.stderrLines.filter((l) => l === 'CMP info: sending POLLREQ')).toHaveLength(2);
        expect(run.stderrLines).toContain('CMP info: received POLLREP');
        expect(certsIn(out(`${tag}-poll.pem`))[0]!.equal(enrolled())).toBe(true);
      });
    });

    it('skips certConf with -implicit_confirm when the server grants it', async () => {
      await withServer(['-grant_implicitconf'], async (server) => {
        const run = await cmpflow([
          ...protection(server),
          '-cmd',
          'ir',
          '-implicit_confirm',
          '-newkey',
          pki.newKeyPath,
          '-subject',
          '/CN=implicit',
          '-certout',
          out(`${tag}-implicit.pem`),
        ]);
        expectSuccess(run);
        expect(run.stderrLines).not.toContain('CMP info: sending CERTCONF');
        expect(existsSync(out(`${tag}-implicit.pem`))).toBe(true);
      });
    });

    it('fails with one line when the server sends an error message (-send_error)', async () => {
      await withServer(['-send_error'], async (server) => {
        const run = await cmpflow([
          ...protection(server),
          '-cmd',
          'ir',
          '-newkey',
          pki.newKeyPath,
          '-subject',
          '/CN=x',
          '-certout',
          out(`${tag}-never.pem`),
        ]);
        const line = expectOneError(run, 'ERR_ERROR_RESPONSE');
        expect(line).toContain('badRequest');
        expect(existsSync(out(`${tag}-never.pem`))).toBe(false);
      });
    });
  });

  it('accepts an unprotected error message only with -unprotected_errors', async () => {
    await withServer(['-send_error', '-send_unprot_err'], async (server) => {
      const args = [...pbm(server), '-cmd', 'ir', '-newkey', pki.newKeyPath, '-subject', '/CN=x', '-certout', out('unprot.pem')];
      expectOneError(await cmpflow(args), 'ERR_PROTECTION_MISSING');
      expectOneError(await cmpflow([...args, '-unprotected_errors']), 'ERR_ERROR_RESPONSE');
    });
  });

  it('reports a rejection with its failInfo and status string', async () => {
    await withServer(['-pkistatus', '2', '-failure', '5', '-statusstring', 'not today'], async (server) => {
      const run = await cmpflow([...pbm(server), '-cmd', 'ir', '-newkey', pki.newKeyPath, '-subject', '/CN=x', '-certout', out('rejected.pem')]);
      const line = expectOneError(run, 'ERR_REQUEST_REJECTED');
      expect(line).toContain('badDataFormat');
      expect(line).toContain('not today');
    });
  });

  it('writes DER with -certform DER, concatenating several certificates with a warning as OpenSSL does', async () => {
    await withServer([], async (server) => {
      const files = { cert: out('der-cert.der'), chain: out('der-chain.der'), extra: out('der-extra.der') };
      const run = await cmpflow([
        ...signed(server),
        '-cmd',
        'ir',
        '-newkey',
        pki.newKeyPath,
        '-subject',
        '/CN=der',
        '-certform',
        'DER',
        '-certout',
        files.cert,
        '-chainout',
        files.chain,
        '-extracertsout',
        files.extra,
      ]);
      expectSuccess(run);
      expect(new Uint8Array(readFileSync(files.cert))).toEqual(pki.enrolled.certDer);
      const chain = readFileSync(files.chain);
      // [enrolled, intermediate, root], each DER one after the other.
      const expected = Buffer.concat([pki.enrolled.certDer, pki.intermediate.certDer, pki.root.certDer]);
      expect(chain.equals(expected)).toBe(true);
      expect(run.stderrLines).toContain('CMP warning: saving more than one certificate in non-PEM format');
    });
  });

  it('runs from an OpenSSL configuration file: sections, the [default] fallback, and the same file for the mock server', async () => {
    const config = out('cmp.cnf');
    writeFileSync(
      config,
      [
        '[default]',
        `secret = pass:${SECRET}`,
        'ref = client-ref',
        `newkey = ${pki.newKeyPath}`,
        'msg_timeout = 10',
        '',
        '[mock]',
        'srv_ref = mock-server',
        `srv_secret = pass:${SECRET}`,
        `rsp_cert = ${pki.enrolled.certPath}`,
        `rsp_capubs = ${pki.trustedPath}`,
        '',
        '[enroll]',
        'cmd = ir',
        'subject = /CN=from the config file',
        `certout = ${out('from-config.pem')}`,
        '',
        '[override]',
        'cmd = cr',
        '',
      ].join('\n'),
    );
    const server = await startMockServer(['-config', config, '-section', 'mock']);
    try {
      const run = await cmpflow(['-config', config, '-section', 'enroll', '-server', server.url]);
      expectSuccess(run);
      expect(run.stderrLines).toContain(`CMP info: using section(s) 'enroll' of OpenSSL configuration file '${config}'`);
      expect(run.stderrLines).toContain('CMP info: sending IR');
      expect(certsIn(out('from-config.pem'))[0]!.equal(enrolled())).toBe(true);

      // A later section wins over an earlier one; the command line wins over both.
      const later = await cmpflow(['-config', config, '-section', 'enroll,override', '-server', server.url]);
      expectSuccess(later);
      expect(later.stderrLines).toContain('CMP info: sending CR');
      const cli = await cmpflow(['-config', config, '-section', 'enroll,override', '-server', server.url, '-cmd', 'ir', '-verbosity', '3']);
      expectSuccess(cli);
      expect(cli.stderr).toBe('');
    } finally {
      await server.stop();
    }
  });
});
