import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throw-away PKI made with the openssl CLI: a CA, a server certificate and a client certificate. */
export interface TestPki {
  caPem: Buffer;
  caDer: Uint8Array;
  /** Server certificate for DNS:cmp.test only, so connecting to 127.0.0.1 needs tls.host. */
  serverCertPem: Buffer;
  serverKeyPem: Buffer;
  clientCertPem: Buffer;
  clientKeyPem: Buffer;
  /** The client key, PKCS#8 encrypted with `clientKeyPassphrase`. */
  clientKeyEncryptedPem: Buffer;
  clientKeyPassphrase: string;
  /** A second CA that issued nothing the server uses. */
  otherCaPem: Buffer;
  dispose(): void;
}

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-subj',
    `/CN=${name}`,
    '-days',
    '2',
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
}

function issue(dir: string, name: string, subject: string, extensions: string): void {
  openssl(dir, [
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.csr`,
    '-subj',
    subject,
  ]);
  writeFileSync(join(dir, `${name}.ext`), extensions);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ]);
}

export function makeTestPki(): TestPki {
  const dir = mkdtempSync(join(tmpdir(), 'cmpflow-pki-'));
  makeCa(dir, 'ca');
  makeCa(dir, 'other-ca');
  issue(dir, 'server', '/CN=cmp.test', 'subjectAltName=DNS:cmp.test\nextendedKeyUsage=serverAuth\n');
  issue(dir, 'client', '/CN=cmp-client', 'extendedKeyUsage=clientAuth\n');
  const passphrase = 'client key pass phrase';
  openssl(dir, ['pkcs8', '-topk8', '-in', 'client.key', '-out', 'client-enc.key', '-v2', 'aes-256-cbc', '-passout', `pass:${passphrase}`]);
  const read = (f: string) => readFileSync(join(dir, f));
  const caPem = read('ca.crt');
  return {
    caPem,
    caDer: new Uint8Array(new X509Certificate(caPem).raw),
    serverCertPem: read('server.crt'),
    serverKeyPem: read('server.key'),
    clientCertPem: read('client.crt'),
    clientKeyPem: read('client.key'),
    clientKeyEncryptedPem: read('client-enc.key'),
    clientKeyPassphrase: passphrase,
    otherCaPem: read('other-ca.crt'),
    dispose: () => rmSync(dir, { recursive: true, force: true }),
  };
}
