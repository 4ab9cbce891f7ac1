/**
 * A small PKI run by the real `openssl ca` in a temporary directory, for revocation tests: CAs
 * keep their index, serial and CRL number files there, so revoking and generating CRLs is what an
 * OpenSSL-based CA operator would do.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { runOpenSsl } from '../support/openssl';

const config = `
[ca]
default_ca = CA_default
[CA_default]
database = $ENV::CADIR/index.txt
serial = $ENV::CADIR/serial
crlnumber = $ENV::CADIR/crlnumber
new_certs_dir = $ENV::CADIR
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[policy_any]
commonName = supplied
[v3_ca]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_ca_no_crlsign]
basicConstraints = critical,CA:true
keyUsage = critical,keyCertSign
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[v3_ee]
basicConstraints = CA:false
keyUsage = critical,digitalSignature
subjectKeyIdentifier = hash
authorityKeyIdentifier = keyid
[crl_akid]
authorityKeyIdentifier = keyid
[crl_unknown_critical]
1.3.6.1.4.1.99999.7 = critical,ASN1:NULL
[crl_only_user]
issuingDistributionPoint = critical,@idp_only_user
[idp_only_user]
onlyuser = TRUE
[crl_indirect]
issuingDistributionPoint = critical,@idp_indirect
[crl_delta]
authorityKeyIdentifier = keyid
2.5.29.27 = critical,ASN1:INTEGER:1
[crl_base_freshest]
authorityKeyIdentifier = keyid
freshestCRL = URI:http://crl.example/delta.crl
[idp_indirect]
indirectCRL = TRUE
`;

/** Long enough that -attime can move days either way without leaving the certificates' validity. */
const START = '20200101000000Z';
const END = '20400101000000Z';

export type CertificateProfile = 'v3_ca' | 'v3_ca_no_crlsign' | 'v3_ee';
/** crl_delta: a delta CRL whose BaseCRLNumber is 1; crl_base_freshest: a complete CRL announcing deltas (freshestCRL). */
export type CrlProfile = 'crl_plain' | 'crl_akid' | 'crl_unknown_critical' | 'crl_only_user' | 'crl_indirect' | 'crl_delta' | 'crl_base_freshest';

export class OpensslPki {
  private count = 0;

  private constructor(readonly dir: string) {}

  static async create(): Promise<OpensslPki> {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-crl-'));
    await fs.writeFile(path.join(dir, 'ca.cnf'), config);
    return new OpensslPki(dir);
  }

  async dispose(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  /** A self-signed root CA. */
  async root(subject: string): Promise<OpensslCa> {
    const ca = await this.newCa();
    const req = await this.request(ca.key, subject);
    await this.run(ca, [
      'ca',
      '-batch',
      '-selfsign',
      '-keyfile',
      ca.key,
      '-in',
      req,
      '-out',
      ca.certFile,
      ...this.validity(),
      '-extensions',
      'v3_ca',
    ]);
    return ca.loaded();
  }

  /** A CA certified by `issuer`. */
  async intermediate(issuer: OpensslCa, subject: string, profile: CertificateProfile = 'v3_ca'): Promise<OpensslCa> {
    const ca = await this.newCa();
    await issuer.issueTo(ca.key, subject, profile, ca.certFile);
    return ca.loaded();
  }

  private async newCa(): Promise<OpensslCa> {
    const home = path.join(this.dir, `ca${this.count++}`);
    await fs.mkdir(home);
    await fs.writeFile(path.join(home, 'index.txt'), '');
    await fs.writeFile(path.join(home, 'serial'), '01\n');
    await fs.writeFile(path.join(home, 'crlnumber'), '01\n');
    const key = await this.key();
    return new OpensslCa(this, home, key, path.join(home, 'cert.pem'));
  }

  async key(): Promise<string> {
    const file = path.join(this.dir, `key${this.count++}.pem`);
    await this.run(undefined, ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256', '-out', file]);
    return file;
  }

  async request(key: string, subject: string): Promise<string> {
    const file = path.join(this.dir, `req${this.count++}.pem`);
    await this.run(undefined, ['req', '-new', '-key', key, '-subj', subject, '-out', file]);
    return file;
  }

  validity(): string[] {
    return ['-startdate', START, '-enddate', END, '-notext'];
  }

  file(name: string): string {
    return path.join(this.dir, name);
  }

  /** One PEM file holding all `files` (openssl verify reads its CRLs from one -CRLfile). */
  async bundle(files: readonly string[]): Promise<string> {
    const file = path.join(this.dir, `bundle${this.count++}.pem`);
    const parts = await Promise.all(files.map((f) => fs.readFile(f, 'utf8')));
    await fs.writeFile(file, parts.join(''));
    return file;
  }

  async run(ca: OpensslCa | undefined, args: string[]): Promise<void> {
    const env = { ...process.env, ...(ca ? { CADIR: ca.home } : { CADIR: this.dir }) };
    const withConfig = args[0] === 'ca' ? [args[0], '-config', path.join(this.dir, 'ca.cnf'), ...args.slice(1)] : args;
    const result = await runOpenSsl(withConfig, { env });
    if (result.code !== 0) throw new Error(`openssl ${withConfig.join(' ')} failed: ${result.stderr}`);
  }
}

export class OpensslCa {
  cert!: X509Certificate;
  private crlCount = 0;

  constructor(
    private readonly pki: OpensslPki,
    readonly home: string,
    readonly key: string,
    readonly certFile: string,
  ) {}

  async loaded(): Promise<this> {
    this.cert = await readCertificate(this.certFile);
    return this;
  }

  /** Certifies `key` as `subject`; returns the certificate. */
  async issueTo(key: string, subject: string, profile: CertificateProfile, out?: string): Promise<X509Certificate> {
    const req = await this.pki.request(key, subject);
    const file = out ?? this.pki.file(`${path.basename(this.home)}-issued-${Date.now()}-${Math.random().toString(36).slice(2)}.pem`);
    await this.pki.run(this, [
      'ca',
      '-batch',
      '-cert',
      this.certFile,
      '-keyfile',
      this.key,
      '-in',
      req,
      '-out',
      file,
      ...this.pki.validity(),
      '-extensions',
      profile,
    ]);
    return readCertificate(file);
  }

  async issue(subject: string, profile: CertificateProfile = 'v3_ee'): Promise<X509Certificate> {
    return this.issueTo(await this.pki.key(), subject, profile);
  }

  /** Records `cert` as revoked in this CA's database (the next CRL lists it). */
  async revoke(cert: X509Certificate, reason = 'keyCompromise'): Promise<void> {
    const file = this.pki.file(`revoke-${this.crlCount++}-${path.basename(this.home)}.pem`);
    await fs.writeFile(file, cert.toString('pem'));
    await this.pki.run(this, ['ca', '-revoke', file, '-cert', this.certFile, '-keyfile', this.key, '-crl_reason', reason]);
  }

  /** A CRL of the database as it is now, valid for `days`; returns its PEM file. */
  async crl(profile: CrlProfile = 'crl_akid', days = 1): Promise<string> {
    const file = this.pki.file(`${path.basename(this.home)}-crl${this.crlCount++}.pem`);
    await this.pki.run(this, [
      'ca',
      '-gencrl',
      '-cert',
      this.certFile,
      '-keyfile',
      this.key,
      '-crldays',
      String(days),
      ...(profile === 'crl_plain' ? [] : ['-crlexts', profile]),
      '-out',
      file,
    ]);
    return file;
  }
}

async function readCertificate(file: string): Promise<X509Certificate> {
  return new X509Certificate(await fs.readFile(file, 'utf8'));
}
