/**
 * Server mode (`cmpflow -port N` with the mock server options): it announces itself as
 * `openssl cmp -port` does, serves the real `openssl cmp` client and cmpflow's own, issues from a
 * throwaway CA when no -rsp_cert is given, and stops on its stop signal or after -max_msgs.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { runCmp } from '../support/openssl';
import { macClientArgs, mockServerArgs } from '../support/cli-args';
import { certIn, serveCli, usePkiAndScratch } from '../support/cli-server';
import { cmpflow } from './run-support';

const SECRET = 'cli-server-secret';
const fixture = usePkiAndScratch();
const file = fixture.file;

/** `cmpflow -port 0` with the MAC secret and `extra` server options. */
const serve = (extra: string[] = []) => serveCli(['-port', '0', '-srv_ref', 'srv', '-srv_secret', `pass:${SECRET}`, ...extra], fixture.dir);

describe('cmpflow -port', () => {
  it('announces itself like openssl cmp -port, serves both clients from a throwaway CA, and stops when told', async () => {
    const server = await serve();
    try {
      expect(server.acceptLine).toMatch(/^ACCEPT 127\.0\.0\.1:\d+ PID=4242$/);

      const openssl = await runCmp([
        '-server',
        server.url,
        '-ref',
        'client',
        '-secret',
        `pass:${SECRET}`,
        '-cmd',
        'ir',
        '-newkey',
        fixture.pki.newKeyPath,
        '-subject',
        '/CN=enrolled by openssl',
        '-certout',
        file('openssl.pem'),
        '-cacertsout',
        file('openssl-ca.pem'),
      ]);
      expect(openssl.code).toBe(0);
      const issued = certIn(file('openssl.pem'));
      expect(issued.subject).toBe('CN=enrolled by openssl');
      expect(issued.issuer).toBe(certIn(file('openssl-ca.pem')).subject);

      const ours = await cmpflow([
        '-config',
        '',
        '-server',
        server.url,
        ...macClientArgs(SECRET, 'cmpflow-client'),
        '-cmd',
        'cr',
        '-newkey',
        fixture.pki.newKeyPath,
        '-subject',
        '/CN=enrolled by cmpflow',
        '-certout',
        file('ours.pem'),
      ]);
      expect({ code: ours.code, errors: ours.errors }).toEqual({ code: 0, errors: [] });
      expect(certIn(file('ours.pem')).subject).toBe('CN=enrolled by cmpflow');
    } finally {
      server.stop();
    }
    expect(await server.exit).toBe(0);
    expect(server.stderr()).toMatch(/CMP info: server stopping after 4 request\(s\)/);
  });

  it("logs each request it receives at -verbosity 7 as OpenSSL's mock does, so requests can be counted by type", async () => {
    const server = await serve(['-verbosity', '7', '-poll_count', '1', '-check_after', '0']);
    try {
      const run = await cmpflow([
        '-config',
        '',
        '-server',
        server.url,
        ...macClientArgs(SECRET),
        '-cmd',
        'ir',
        '-newkey',
        fixture.pki.newKeyPath,
        '-subject',
        '/CN=counted',
        '-certout',
        file('counted.pem'),
      ]);
      expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    } finally {
      server.stop();
    }
    expect(await server.exit).toBe(0);
    const received = server.stderr().match(/^CMP DEBUG: received [A-Z0-9]+$/gm);
    expect(received).toEqual(['CMP DEBUG: received IR', 'CMP DEBUG: received POLLREQ', 'CMP DEBUG: received CERTCONF']);
  });

  it('answers with -rsp_cert and ends by itself after -max_msgs requests', async () => {
    const server = await serve(['-rsp_cert', fixture.pki.enrolled.certPath, '-max_msgs', '2']);
    try {
      const run = await cmpflow([
        '-config',
        '',
        '-server',
        server.url,
        ...macClientArgs(SECRET),
        '-cmd',
        'ir',
        '-newkey',
        fixture.pki.newKeyPath,
        '-subject',
        '/CN=fixed answer',
        '-certout',
        file('fixed.pem'),
      ]);
      expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
      expect(certIn(file('fixed.pem')).equal(new X509Certificate(new Uint8Array(fixture.pki.enrolled.certDer)))).toBe(true);
      expect(await server.exit).toBe(0);
    } finally {
      server.stop();
    }
  });

  it('sends error messages with -send_error, which the openssl client reports', async () => {
    const server = await serve(['-send_error']);
    try {
      const run = await runCmp(['-server', server.url, '-ref', 'client', '-secret', `pass:${SECRET}`, '-cmd', 'genm']);
      expect(run.code).toBe(1);
      expect(run.stdout + run.stderr).toMatch(/received ERROR|rejection/);
    } finally {
      server.stop();
    }
    expect(await server.exit).toBe(0);
  });

  it('answers genm with delayed delivery given -delayed_delivery, and cmpflow -cmd genm polls for the genp', async () => {
    const server = await serve(['-delayed_delivery', 'genm=2', '-check_after', '1']);
    try {
      const run = await cmpflow(['-config', '', '-server', server.url, ...macClientArgs(SECRET), '-cmd', 'genm']);
      expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
      expect(run.stderrLines).toEqual(expect.arrayContaining(['CMP info: sending GENM', 'CMP info: received GENP']));
    } finally {
      server.stop();
    }
    expect(await server.exit).toBe(0);
  });

  it('runs the same server in-process with -use_mock_srv', async () => {
    const run = await cmpflow([
      ...mockServerArgs(SECRET),
      '-pkistatus',
      '1',
      ...macClientArgs(SECRET),
      '-cmd',
      'ir',
      '-newkey',
      fixture.pki.newKeyPath,
      '-subject',
      '/CN=in process',
      '-certout',
      file('in-process.pem'),
    ]);
    expect({ code: run.code, errors: run.errors }).toEqual({ code: 0, errors: [] });
    expect(run.stderrLines).toEqual(expect.arrayContaining(['CMP info: sending IR', 'CMP info: received IP', 'CMP info: received PKICONF']));
    expect(certIn(file('in-process.pem')).subject).toBe('CN=in process');
  });

  it('-srv_store keeps the CA and its records in a folder: after a restart the same CA still knows what it revoked', async () => {
    const store = file('ca-store');
    const start = () => serve(['-srv_store', store]);
    const first = await start();
    let serial: string;
    try {
      const enrolled = await runCmp([
        '-server',
        first.url,
        '-ref',
        'stored',
        '-secret',
        `pass:${SECRET}`,
        '-cmd',
        'ir',
        '-newkey',
        fixture.pki.newKeyPath,
        '-subject',
        '/CN=stored',
        '-certout',
        file('stored.pem'),
        '-cacertsout',
        file('stored-ca.pem'),
      ]);
      expect(enrolled.code).toBe(0);
      serial = certIn(file('stored.pem')).serialNumber;
      const revoked = await runCmp([
        '-server',
        first.url,
        '-cert',
        file('stored.pem'),
        '-key',
        fixture.pki.newKeyPath,
        '-trusted',
        file('stored-ca.pem'),
        '-cmd',
        'rr',
        '-oldcert',
        file('stored.pem'),
      ]);
      expect(revoked.code).toBe(0);
    } finally {
      first.stop();
    }
    expect(await first.exit).toBe(0);

    const second = await start();
    try {
      expect(second.stderr()).toContain(`kept in ${store}`);
      const again = await runCmp([
        '-server',
        second.url,
        '-cert',
        file('stored.pem'),
        '-key',
        fixture.pki.newKeyPath,
        '-trusted',
        file('stored-ca.pem'),
        '-cmd',
        'rr',
        '-oldcert',
        file('stored.pem'),
      ]);
      expect(again.code).toBe(1);
      expect(again.stdout + again.stderr).toContain('certRevoked');
      const crl = readFileSync(path.join(store, 'records.jsonl'), 'utf8');
      // The records keep whole bytes of hex (a leading 0 nibble stays); the serial printed may drop it.
      expect(crl).toMatch(new RegExp(`"serial":"0*${serial.replace(/^0+/, '')}"`, 'i'));
    } finally {
      second.stop();
    }
    expect(await second.exit).toBe(0);
  });

  it('refuses a missing credential file in one line, before listening', async () => {
    const run = await cmpflow(['-config', '', '-port', '0', '-srv_cert', file('none.pem'), '-srv_key', file('none.key')]);
    expect(run.code).toBe(1);
    expect(run.stdout).toBe('');
    expect(run.errors).toEqual([expect.stringMatching(/^cmpflow: error: -srv_cert: .*none\.pem.*\(ERR_FILE\)$/)]);
  });
});
