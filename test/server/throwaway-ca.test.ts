/** The throwaway CA: a usable root and CMP server certificate, in memory and as files. */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as x509 from '@peculiar/x509';
import { CmpOids } from '../../src/asn1';
import { createThrowawayCa } from '../../src/server';
import { runOpenSsl } from '../support/openssl';

describe('createThrowawayCa', () => {
  it('makes a self-signed CA root and a server certificate for signing CMP messages', async () => {
    const made = await createThrowawayCa({ caName: '/CN=demo CA', serverName: '/CN=demo server', days: 3 });
    expect(made.ca.cert.subject).toBe('CN=demo CA');
    await expect(made.ca.cert.isSelfSigned()).resolves.toBe(true);
    expect(made.ca.cert.getExtension(x509.BasicConstraintsExtension)!.ca).toBe(true);
    expect(made.ca.cert.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign);

    expect(made.server.cert.issuer).toBe('CN=demo CA');
    await expect(made.server.cert.verify({ publicKey: made.ca.cert.publicKey, signatureOnly: true })).resolves.toBe(true);
    expect(made.server.cert.getExtension(x509.KeyUsagesExtension)!.usages).toBe(x509.KeyUsageFlags.digitalSignature);
    expect(made.server.cert.getExtension(x509.ExtendedKeyUsageExtension)!.usages).toEqual([CmpOids.idKpCmcCA]);
    expect(made.server.cert.notAfter.getTime() - made.server.cert.notBefore.getTime()).toBeLessThanOrEqual(3 * 86_400_000 + 60_000);
    expect(made.files).toBeUndefined();
  });

  it('writes PEM files that OpenSSL accepts, keys readable by the owner only, and removes its temporary folder', async () => {
    const made = await createThrowawayCa({ folder: true });
    const files = made.files!;
    const verified = await runOpenSsl(['verify', '-CAfile', files.caCert, files.serverCert]);
    expect(verified.stdout.trim()).toBe(`${files.serverCert}: OK`);
    const keyCheck = await runOpenSsl(['pkey', '-in', files.serverKey, '-pubout']);
    const certKey = await runOpenSsl(['x509', '-in', files.serverCert, '-noout', '-pubkey']);
    expect(keyCheck.stdout).toBe(certKey.stdout);
    expect((await fs.stat(files.caKey)).mode & 0o777).toBe(0o600);
    expect((await fs.stat(files.serverKey)).mode & 0o777).toBe(0o600);
    await made.cleanup();
    await expect(fs.stat(path.dirname(files.caCert))).rejects.toThrow();
  });
});
