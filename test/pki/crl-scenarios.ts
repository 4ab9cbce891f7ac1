/**
 * Revocation scenarios beyond what `openssl ca -gencrl` can make (delta CRLs with chosen numbers,
 * indirect CRLs whose entries name their certificateIssuer, CRLs for some reasons only), built with
 * @peculiar/x509 and WebCrypto keys, and judged twice: by validatePath and by the real
 * `openssl verify` with the same certificates and CRLs.
 */
import { promises as fs } from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  BaseCRLNumber,
  CertificateIssuer,
  CRLDistributionPoints,
  CRLNumber,
  DistributionPoint,
  DistributionPointName,
  FreshestCRL,
  GeneralName,
  IssuingDistributionPoint,
  Name as AsnName,
  Reason,
} from '@peculiar/asn1-x509';
import { isCmpError, type ErrorCode } from '../../src/errors';
import { validatePath, type CrlCheck } from '../../src/pki/path';
import { runOpenSsl } from '../support/openssl';
import { DAY, type Issued } from './certificate-factory';

/** OpenSSL X509_V_ERR_* numbers that mean what each of our codes means. */
export const opensslCrlErrors: Partial<Record<ErrorCode, number[]>> = {
  // unable to get certificate CRL, unable to get CRL issuer certificate, different CRL scope, CRL path validation error
  ERR_PATH_CRL_MISSING: [3, 33, 44, 54],
  // unable to decrypt CRL's signature, CRL signature failure
  ERR_PATH_CRL_SIGNATURE: [4, 8],
  ERR_PATH_CRL_NOT_YET_VALID: [11],
  ERR_PATH_CRL_EXPIRED: [12],
  ERR_PATH_REVOKED: [23],
  // key usage does not include CRL signing
  ERR_PATH_KEY_USAGE: [35],
  // unhandled critical CRL extension
  ERR_PATH_CRITICAL_EXTENSION: [36],
};

const signing = { name: 'ECDSA', hash: 'SHA-256' } as EcdsaParams;

function directoryName(name: x509.Name): GeneralName {
  return new GeneralName({ directoryName: AsnConvert.parse(name.toArrayBuffer(), AsnName) });
}

function uri(value: string): DistributionPointName {
  return new DistributionPointName({ fullName: [new GeneralName({ uniformResourceIdentifier: value })] });
}

/** cRLDistributionPoints with one point: a URI, optionally the reasons it serves and the CRL issuer it names (cRLIssuer). */
export function crlDistributionPoint(spec: { uri: string; reasons?: number; crlIssuer?: x509.X509Certificate }): x509.Extension {
  const dp = new DistributionPoint({
    distributionPoint: uri(spec.uri),
    ...(spec.reasons !== undefined ? { reasons: new Reason(spec.reasons) } : {}),
    ...(spec.crlIssuer ? { cRLIssuer: [directoryName(spec.crlIssuer.subjectName)] } : {}),
  });
  return new x509.Extension('2.5.29.31', false, AsnConvert.serialize(new CRLDistributionPoints([dp])));
}

/** freshestCRL (RFC 5280 4.2.1.15, 5.2.6): where delta CRLs are; always non-critical. */
export function freshestCrl(at = 'http://crl.example/delta.crl'): x509.Extension {
  return new x509.Extension('2.5.29.46', false, AsnConvert.serialize(new FreshestCRL([new DistributionPoint({ distributionPoint: uri(at) })])));
}

export interface CrlEntrySpec {
  cert: x509.X509Certificate;
  /** CRLReason code; 6 certificateHold, 8 removeFromCRL. */
  reason?: number;
  /** certificateIssuer (critical, RFC 5280 5.3.3): the name of the CA that issued `cert`, for an indirect CRL. */
  certificateIssuer?: x509.Name;
}

export interface CrlSpec {
  /** The issuer: its name and key sign the CRL. */
  issuer: Issued;
  /** A key to sign with instead of the issuer's, to forge a signature. */
  signingKey?: CryptoKey;
  /** cRLNumber; none when undefined. */
  number?: number;
  /** deltaCRLIndicator's BaseCRLNumber: a delta CRL. */
  deltaOf?: number;
  entries?: CrlEntrySpec[];
  freshest?: boolean;
  /** authorityKeyIdentifier from the issuer's subjectKeyIdentifier (default true). */
  akid?: boolean;
  /** issuingDistributionPoint (critical). */
  idp?: { uri?: string; indirect?: boolean; onlySomeReasons?: number };
  /** Days from now (default -1 and 7). */
  thisUpdateDays?: number;
  nextUpdateDays?: number;
}

/** A CRL in PEM. */
export async function makeCrl(spec: CrlSpec): Promise<string> {
  const extensions: x509.Extension[] = [];
  if (spec.akid ?? true) {
    const ski = spec.issuer.cert.getExtension(x509.SubjectKeyIdentifierExtension);
    if (!ski) throw new Error('the CRL issuer has no subjectKeyIdentifier');
    extensions.push(new x509.AuthorityKeyIdentifierExtension(ski.keyId));
  }
  if (spec.number !== undefined) extensions.push(new x509.Extension('2.5.29.20', false, AsnConvert.serialize(new CRLNumber(spec.number))));
  if (spec.deltaOf !== undefined) extensions.push(new x509.Extension('2.5.29.27', true, AsnConvert.serialize(new BaseCRLNumber(spec.deltaOf))));
  if (spec.idp) {
    const idp = new IssuingDistributionPoint({
      ...(spec.idp.uri ? { distributionPoint: uri(spec.idp.uri) } : {}),
      ...(spec.idp.indirect ? { indirectCRL: true } : {}),
      ...(spec.idp.onlySomeReasons !== undefined ? { onlySomeReasons: new Reason(spec.idp.onlySomeReasons) } : {}),
    });
    extensions.push(new x509.Extension('2.5.29.28', true, AsnConvert.serialize(idp)));
  }
  if (spec.freshest) extensions.push(freshestCrl());
  const now = Date.now();
  const crl = await x509.X509CrlGenerator.create({
    issuer: spec.issuer.cert.subjectName,
    thisUpdate: new Date(now + (spec.thisUpdateDays ?? -1) * DAY),
    nextUpdate: new Date(now + (spec.nextUpdateDays ?? 7) * DAY),
    signingAlgorithm: signing,
    signingKey: spec.signingKey ?? spec.issuer.key.pair.privateKey,
    extensions,
    entries: (spec.entries ?? []).map((e) => ({
      serialNumber: e.cert.serialNumber,
      revocationDate: new Date(now - 2 * DAY),
      ...(e.reason !== undefined ? { reason: e.reason } : {}),
      ...(e.certificateIssuer
        ? { extensions: [new x509.Extension('2.5.29.29', true, AsnConvert.serialize(new CertificateIssuer([directoryName(e.certificateIssuer)])))] }
        : {}),
    })),
  });
  // OpenSSL reads CRLs under the label RFC 7468 gives them; @peculiar/x509 writes plain 'CRL'.
  return `${crl.toString('pem').replace(/-----(BEGIN|END) CRL-----/g, '-----$1 X509 CRL-----')}\n`;
}

export interface Scenario {
  target: x509.X509Certificate;
  trusted: x509.X509Certificate[];
  untrusted: x509.X509Certificate[];
  /** PEM CRLs, in the order given to both. */
  crls: string[];
  check: CrlCheck;
  useDeltas?: boolean;
  extendedCrl?: boolean;
  /** Validation time (-attime); default now. */
  at?: Date;
  ignoreCritical?: boolean;
}

/** Our error: undefined for a valid path. */
export async function ourError(s: Scenario): Promise<Error | undefined> {
  try {
    await validatePath(s.target, {
      trusted: s.trusted,
      untrusted: s.untrusted,
      crlCheck: s.check,
      crls: s.crls.join(''),
      ...(s.useDeltas ? { useDeltas: true } : {}),
      ...(s.extendedCrl ? { extendedCrl: true } : {}),
      ...(s.at ? { at: s.at } : {}),
      ...(s.ignoreCritical ? { ignoreCritical: true } : {}),
    });
    return undefined;
  } catch (e) {
    if (!isCmpError(e)) throw e;
    return e;
  }
}

/** Our verdict: undefined for a valid path, else the error code. */
export async function ourVerdict(s: Scenario): Promise<ErrorCode | undefined> {
  const error = await ourError(s);
  return error && isCmpError(error) ? error.code : undefined;
}

/** A temporary directory for the files openssl reads. */
export class Workspace {
  private count = 0;
  private constructor(readonly dir: string) {}

  static async create(): Promise<Workspace> {
    return new Workspace(await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-crl-scenario-')));
  }

  async dispose(): Promise<void> {
    await fs.rm(this.dir, { recursive: true, force: true });
  }

  async file(text: string): Promise<string> {
    const file = path.join(this.dir, `f${this.count++}.pem`);
    await fs.writeFile(file, text);
    return file;
  }

  /** `openssl verify`'s verdict: undefined when it verifies, else the first X509_V_ERR number it reports. */
  async opensslVerdict(s: Scenario): Promise<number | undefined> {
    const pem = (certs: x509.X509Certificate[]) => certs.map((c) => c.toString('pem')).join('\n');
    const args = ['verify', s.check === 'all' ? '-crl_check_all' : '-crl_check', '-CAfile', await this.file(pem(s.trusted))];
    if (s.useDeltas) args.push('-use_deltas');
    if (s.extendedCrl) args.push('-extended_crl');
    if (s.untrusted.length > 0) args.push('-untrusted', await this.file(pem(s.untrusted)));
    if (s.crls.length > 0) args.push('-CRLfile', await this.file(s.crls.join('')));
    if (s.at) args.push('-attime', String(Math.floor(s.at.getTime() / 1000)));
    if (s.ignoreCritical) args.push('-ignore_critical');
    args.push(await this.file(pem([s.target])));
    const result = await runOpenSsl(args);
    if (result.code === 0) return undefined;
    const match = /error (\d+) at/.exec(result.stdout + result.stderr);
    if (!match) throw new Error(`unexpected openssl verify output: ${result.stdout}${result.stderr}`);
    return Number(match[1]);
  }

  /** Both reach `expected`: ours as the code, openssl's as one of the X509_V_ERR numbers that code stands for. */
  async expectAgreement(s: Scenario, expected: ErrorCode | undefined): Promise<void> {
    expect(await ourVerdict(s)).toBe(expected);
    const theirs = await this.opensslVerdict(s);
    if (expected === undefined) expect(theirs).toBeUndefined();
    else expect(opensslCrlErrors[expected]).toContain(theirs);
  }
}
