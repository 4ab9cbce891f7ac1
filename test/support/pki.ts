/**
 * A small test PKI made with the `openssl` CLI: root CA -> intermediate CA -> server/client certs.
 * Generating keys (RSA especially) is the slow part, so one master set is made per process and key
 * type; each `makeTestPki()` call gets its own copy of the files, which `cleanup()` removes without
 * disturbing other callers.
 */
import { promises as fs, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { runOpenSsl } from './openssl';
import { onTeardown } from './lifecycle';

export interface TestEntity {
  certPem: string;
  keyPem: string;
  certPath: string;
  keyPath: string;
  certDer: Uint8Array;
}

export interface TestPki {
  dir: string;
  root: TestEntity;
  intermediate: TestEntity;
  /** Issued by the intermediate, keyUsage digitalSignature: a CMP server (CA/RA) signer. */
  server: TestEntity;
  /** Issued by the intermediate, keyUsage digitalSignature: a CMP client signer. */
  client: TestEntity;
  /** Like `client` but RSA-2048. */
  rsaClient: TestEntity;
  /** An EC key that no certificate above uses, for enrollment. */
  newKeyPath: string;
  /** A certificate (issued by the intermediate) for the key at `newKeyPath`: what a CA would return. */
  enrolled: TestEntity;
  /** intermediate + root PEM. */
  chainPath: string;
  /** intermediate PEM only (for `-untrusted` / extraCerts). */
  untrustedPath: string;
  /** root PEM. */
  trustedPath: string;
  cleanup(): Promise<void>;
}

export type TestKeyType = 'ec' | 'rsa';

export const TEST_DN = {
  root: '/O=cmpflow test/CN=cmpflow Test Root CA',
  intermediate: '/O=cmpflow test/CN=cmpflow Test Intermediate CA',
  server: '/O=cmpflow test/CN=cmpflow Test CMP Server',
  client: '/O=cmpflow test/CN=cmpflow Test Client',
  rsaClient: '/O=cmpflow test/CN=cmpflow Test RSA Client',
  enrolled: '/O=cmpflow test/CN=cmpflow Test Enrolled',
} as const;

// Our own config so the system openssl.cnf cannot add or change extensions.
const CONFIG = `
[ req ]
distinguished_name = dn
prompt = no
[ dn ]
CN = unused
[ v3_root ]
basicConstraints = critical, CA:true
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_intermediate ]
basicConstraints = critical, CA:true, pathlen:0
keyUsage = critical, keyCertSign, cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_signer ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
[ v3_enrolled ]
basicConstraints = critical, CA:false
keyUsage = critical, digitalSignature, keyAgreement
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid:always
`;

type Name = keyof typeof TEST_DN;

async function openssl(args: string[], cwd: string): Promise<void> {
  const r = await runOpenSsl(args, { cwd });
  if (r.code !== 0) throw new Error(`openssl ${args.join(' ')} failed (${r.code}):\n${r.stderr}`);
}

function genKeyArgs(type: TestKeyType, out: string): string[] {
  return type === 'rsa'
    ? ['genpkey', '-algorithm', 'RSA', '-pkeyopt', 'rsa_keygen_bits:2048', '-out', out]
    : ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', out];
}

async function issue(dir: string, name: Name, issuer: Name, ext: string, days: number): Promise<void> {
  await openssl(['req', '-new', '-config', 'openssl.cnf', '-key', `${name}.key`, '-subj', TEST_DN[name], '-out', `${name}.csr`], dir);
  await openssl(
    [
      'x509',
      '-req',
      '-in',
      `${name}.csr`,
      '-CA',
      `${issuer}.crt`,
      '-CAkey',
      `${issuer}.key`,
      '-set_serial',
      `0x${randomBytes(16).toString('hex')}`,
      '-days',
      String(days),
      '-sha256',
      '-extfile',
      'openssl.cnf',
      '-extensions',
      ext,
      '-out',
      `${name}.crt`,
    ],
    dir,
  );
  await fs.unlink(path.join(dir, `${name}.csr`));
}

async function buildMaster(keyType: TestKeyType): Promise<string> {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), `cmpflow-pki-${keyType}-`));
  masterDirs.push(dir);
  await fs.writeFile(path.join(dir, 'openssl.cnf'), CONFIG);
  const names: Name[] = ['root', 'intermediate', 'server', 'client', 'enrolled'];
  await Promise.all([
    ...names.map((n) => openssl(genKeyArgs(n === 'enrolled' ? 'ec' : keyType, `${n}.key`), dir)),
    openssl(genKeyArgs('rsa', 'rsaClient.key'), dir),
  ]);
  await openssl(
    [
      'req',
      '-new',
      '-x509',
      '-config',
      'openssl.cnf',
      '-key',
      'root.key',
      '-subj',
      TEST_DN.root,
      '-days',
      '3650',
      '-sha256',
      '-extensions',
      'v3_root',
      '-set_serial',
      '1',
      '-out',
      'root.crt',
    ],
    dir,
  );
  await issue(dir, 'intermediate', 'root', 'v3_intermediate', 3650);
  await Promise.all([
    issue(dir, 'server', 'intermediate', 'v3_signer', 825),
    issue(dir, 'client', 'intermediate', 'v3_signer', 825),
    issue(dir, 'rsaClient', 'intermediate', 'v3_signer', 825),
    issue(dir, 'enrolled', 'intermediate', 'v3_enrolled', 825),
  ]);
  const [inter, root] = await Promise.all([fs.readFile(path.join(dir, 'intermediate.crt'), 'utf8'), fs.readFile(path.join(dir, 'root.crt'), 'utf8')]);
  await fs.writeFile(path.join(dir, 'chain.pem'), inter + root);
  return dir;
}

const masters = new Map<TestKeyType, Promise<string>>();
const masterDirs: string[] = [];
onTeardown(() => {
  masters.clear();
  for (const d of masterDirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function pemToDer(pem: string): Uint8Array {
  const m = /-----BEGIN CERTIFICATE-----([\s\S]*?)-----END CERTIFICATE-----/.exec(pem);
  if (!m) throw new Error('no certificate in PEM');
  return new Uint8Array(Buffer.from(m[1].replace(/\s+/g, ''), 'base64'));
}

async function entity(dir: string, name: Name): Promise<TestEntity> {
  const certPath = path.join(dir, `${name}.crt`);
  const keyPath = path.join(dir, `${name}.key`);
  const [certPem, keyPem] = await Promise.all([fs.readFile(certPath, 'utf8'), fs.readFile(keyPath, 'utf8')]);
  return { certPem, keyPem, certPath, keyPath, certDer: pemToDer(certPem) };
}

/**
 * Returns a private copy of the per-process test PKI. With `keyType: 'rsa'` every key is RSA-2048
 * (slow the first time); the default is EC P-256. `rsaClient` is RSA-2048 and the enrollment
 * key (`newKeyPath`) EC P-256 either way.
 */
export async function makeTestPki(opts: { keyType?: TestKeyType } = {}): Promise<TestPki> {
  const keyType = opts.keyType ?? 'ec';
  let master = masters.get(keyType);
  if (!master) {
    master = buildMaster(keyType);
    masters.set(keyType, master);
    master.catch(() => masters.delete(keyType));
  }
  const src = await master;
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-pki-'));
  await fs.cp(src, dir, { recursive: true });
  const [root, intermediate, server, client, rsaClient, enrolled] = await Promise.all(
    (['root', 'intermediate', 'server', 'client', 'rsaClient', 'enrolled'] as const).map((n) => entity(dir, n)),
  );
  return {
    dir,
    root,
    intermediate,
    server,
    client,
    rsaClient,
    enrolled,
    newKeyPath: enrolled.keyPath,
    chainPath: path.join(dir, 'chain.pem'),
    untrustedPath: intermediate.certPath,
    trustedPath: root.certPath,
    cleanup: () => fs.rm(dir, { recursive: true, force: true }),
  };
}
