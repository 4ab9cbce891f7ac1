/** Credential files made by the `openssl` binary for the credentials tests. */
import { openssl, TempDir } from '../crypto/openssl-cli';

export interface TestPki {
  dir: TempDir;
  caKey: string;
  caCert: string;
  subCaKey: string;
  subCaCert: string;
  /** PKCS#8 PEM, unencrypted. */
  eeKey: string;
  eeCert: string;
  /** EE, sub-CA and root certificate in one PEM file. */
  chainPem: string;
}

function issue(
  dir: TempDir,
  name: string,
  subject: string,
  issuer: { cert: string; key: string } | undefined,
  ca: boolean,
): { key: string; cert: string } {
  const key = dir.file(`${name}.key`);
  const cert = dir.file(`${name}.pem`);
  openssl(['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', key]);
  const ext = ca ? ['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'] : [];
  if (issuer === undefined) {
    openssl(['req', '-new', '-x509', '-key', key, '-subj', subject, '-days', '2', ...ext, '-out', cert]);
  } else {
    const csr = dir.file(`${name}.csr`);
    openssl(['req', '-new', '-key', key, '-subj', subject, ...ext, '-out', csr]);
    openssl(['x509', '-req', '-in', csr, '-CA', issuer.cert, '-CAkey', issuer.key, '-days', '1', '-copy_extensions', 'copy', '-out', cert]);
  }
  return { key, cert };
}

export function makeTestPki(): TestPki {
  const dir = new TempDir();
  const ca = issue(dir, 'root', '/CN=Test Root CA', undefined, true);
  const sub = issue(dir, 'sub', '/CN=Test Sub CA', ca, true);
  const ee = issue(dir, 'ee', '/CN=Test End Entity', sub, false);
  const chainPem = dir.file('chain.pem', Buffer.concat([dir.read('ee.pem'), dir.read('sub.pem'), dir.read('root.pem')]));
  return { dir, caKey: ca.key, caCert: ca.cert, subCaKey: sub.key, subCaCert: sub.cert, eeKey: ee.key, eeCert: ee.cert, chainPem };
}
