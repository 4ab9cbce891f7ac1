/**
 * A throw-away TLS PKI made with the `openssl` CLI at test time, for HTTPS with client
 * authentication: root CA -> intermediate CA -> client certificate, and a server certificate for
 * 127.0.0.1 and localhost straight from the root. The client key comes in the forms `-tls_key`
 * accepts: plain PEM, encrypted PEM (`-tls_keypass`), and PKCS#12 together with its certificate.
 */
import { execFileSync } from 'child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { onTeardown } from './lifecycle';

export interface TlsPki {
  dir: string;
  /** Root CA certificate: what `-tls_trusted` names, and what the server trusts for clients. */
  rootPath: string;
  /** An unrelated CA, for a wrong `-tls_trusted`. */
  otherRootPath: string;
  /** The intermediate CA that issued the client certificate; the server needs it sent along. */
  intermediatePath: string;
  /** Server certificate (SAN IP:127.0.0.1, DNS:localhost) and key, PEM, for node:https. */
  serverCertPem: string;
  serverKeyPem: string;
  /** Root PEM, as node:https `ca` for verifying clients. */
  rootPem: string;
  /** The client certificate alone, and with the intermediate after it. */
  clientCertPath: string;
  clientChainPath: string;
  clientKeyPath: string;
  /** The client key as encrypted PKCS#8 PEM, and as PKCS#12 with certificate and intermediate. */
  clientKeyEncryptedPath: string;
  clientP12Path: string;
  /** Pass phrase of both the encrypted key and the PKCS#12 file. */
  clientKeyPass: string;
  /** Common name of the client certificate, as the server sees it. */
  clientName: string;
  /** A key no certificate here belongs to: to be enrolled, or a wrong `-tls_key`. */
  spareKeyPath: string;
  /** Every secret in the files above (pass phrase, key PEM bodies), for "never leaked" checks. */
  secrets: string[];
  cleanup(): void;
}

const CONFIG = `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ server ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = serverAuth
subjectAltName = IP:127.0.0.1,DNS:localhost
[ client ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature
extendedKeyUsage = clientAuth
`;

function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe', env: { ...process.env, OPENSSL_CONF: path.join(dir, 'openssl.cnf') } });
}

function newKey(dir: string, name: string): void {
  openssl(dir, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', `${name}.key`]);
}

function selfSigned(dir: string, name: string, cn: string): void {
  newKey(dir, name);
  openssl(dir, [
    'req',
    '-config',
    'openssl.cnf',
    '-x509',
    '-key',
    `${name}.key`,
    '-out',
    `${name}.crt`,
    '-subj',
    `/O=cmpflow TLS test/CN=${cn}`,
    '-days',
    '2',
    '-extensions',
    'ca',
  ]);
}

function issued(dir: string, name: string, cn: string, issuer: string, section: string): void {
  newKey(dir, name);
  openssl(dir, ['req', '-config', 'openssl.cnf', '-new', '-key', `${name}.key`, '-out', `${name}.csr`, '-subj', `/O=cmpflow TLS test/CN=${cn}`]);
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${issuer}.crt`,
    '-CAkey',
    `${issuer}.key`,
    '-set_serial',
    String(Date.now()),
    '-out',
    `${name}.crt`,
    '-days',
    '2',
    '-extfile',
    'openssl.cnf',
    '-extensions',
    section,
  ]);
}

export function makeTlsPki(): TlsPki {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-tls-pki-'));
  const unregister = onTeardown(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(path.join(dir, 'openssl.cnf'), CONFIG);
  selfSigned(dir, 'root', 'cmpflow TLS Root CA');
  selfSigned(dir, 'other-root', 'cmpflow Other TLS Root CA');
  issued(dir, 'intermediate', 'cmpflow TLS Intermediate CA', 'root', 'ca');
  issued(dir, 'server', 'cmpflow TLS server', 'root', 'server');
  const clientName = 'cmpflow TLS client';
  issued(dir, 'client', clientName, 'intermediate', 'client');
  newKey(dir, 'spare');
  const file = (name: string) => path.join(dir, name);
  const read = (name: string) => readFileSync(file(name), 'utf8');
  writeFileSync(file('client-chain.crt'), read('client.crt') + read('intermediate.crt'));
  const clientKeyPass = 'tls client key pass';
  openssl(dir, ['pkcs8', '-topk8', '-in', 'client.key', '-out', 'client-enc.key', '-v2', 'aes-256-cbc', '-passout', `pass:${clientKeyPass}`]);
  openssl(dir, [
    'pkcs12',
    '-export',
    '-in',
    'client.crt',
    '-inkey',
    'client.key',
    '-certfile',
    'intermediate.crt',
    '-out',
    'client.p12',
    '-passout',
    `pass:${clientKeyPass}`,
  ]);
  const pemBody = (pem: string) => pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, '');
  return {
    dir,
    rootPath: file('root.crt'),
    otherRootPath: file('other-root.crt'),
    intermediatePath: file('intermediate.crt'),
    serverCertPem: read('server.crt'),
    serverKeyPem: read('server.key'),
    rootPem: read('root.crt'),
    clientCertPath: file('client.crt'),
    clientChainPath: file('client-chain.crt'),
    clientKeyPath: file('client.key'),
    clientKeyEncryptedPath: file('client-enc.key'),
    clientP12Path: file('client.p12'),
    clientKeyPass,
    clientName,
    spareKeyPath: file('spare.key'),
    secrets: [clientKeyPass, pemBody(read('client.key')), pemBody(read('client-enc.key'))],
    cleanup: () => {
      unregister();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
