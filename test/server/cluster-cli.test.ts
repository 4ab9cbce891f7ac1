/**
 * `cmpflow -port 0 -srv_workers 2`: the CLI's CA on two worker threads serves the real
 * `openssl cmp` client as one server does: enrollments with polling and confirmation, then a
 * revocation that may reach the other worker than the one that issued the certificate.
 */
import { runCmp } from '../support/openssl';
import { certIn, serveCli, usePkiAndScratch } from '../support/cli-server';

jest.setTimeout(120_000);

const SECRET = 'cluster-cli-secret';
const fixture = usePkiAndScratch();
const file = fixture.file;

it('cmpflow -port -srv_workers 2 enrolls openssl clients with polling, confirms, and revokes what either worker issued', async () => {
  const server = await serveCli(
    [
      '-port',
      '0',
      '-srv_workers',
      '2',
      '-srv_ref',
      'srv',
      '-srv_secret',
      `pass:${SECRET}`,
      '-poll_count',
      '1',
      '-check_after',
      '0',
      '-verbosity',
      '7',
    ],
    fixture.dir,
  );
  const url = server.url;
  const devices = [0, 1, 2, 3];
  try {
    for (const i of devices) {
      const ir = await runCmp([
        '-server',
        url,
        '-ref',
        `device-${i}`,
        '-secret',
        `pass:${SECRET}`,
        '-cmd',
        'ir',
        '-newkey',
        fixture.pki.newKeyPath,
        '-subject',
        `/CN=device ${i}`,
        '-certout',
        file(`device-${i}.pem`),
        '-cacertsout',
        file('ca.pem'),
      ]);
      expect({ code: ir.code, stderr: ir.code ? ir.stderr : '' }).toEqual({ code: 0, stderr: '' });
      expect(certIn(file(`device-${i}.pem`)).subject).toBe(`CN=device ${i}`);
    }
    // Each device revokes its own certificate; the rr's random transactionID picks the worker.
    for (const i of devices) {
      const rr = await runCmp([
        '-server',
        url,
        '-cmd',
        'rr',
        '-cert',
        file(`device-${i}.pem`),
        '-key',
        fixture.pki.newKeyPath,
        '-oldcert',
        file(`device-${i}.pem`),
        '-trusted',
        file('ca.pem'),
        '-revreason',
        '1',
      ]);
      expect({ code: rr.code, stderr: rr.code ? rr.stderr : '' }).toEqual({ code: 0, stderr: '' });
    }
  } finally {
    server.stop();
  }
  expect(await server.exit).toBe(0);
  const stderr = server.stderr();
  expect(stderr).toMatch(/serving with 2 worker thread\(s\)/);
  // Every worker's requests are logged by the one CLI log: ir, a pollReq, certConf per device, then the rr.
  const count = (what: string) => stderr.split('\n').filter((l) => l.includes(`received ${what}`)).length;
  expect([count('IR'), count('POLLREQ'), count('CERTCONF'), count('RR')]).toEqual([4, 4, 4, 4]);
});
