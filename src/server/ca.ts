/**
 * The certification authority behind the server: it signs the certificates the issuance policy
 * planned, remembers every certificate it issued (serial, confirmation, revocation) and signs CRLs
 * of what it revoked. Records live in memory for the lifetime of the object.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, type Extension, type Name } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { frozenCmpCertificate, nodeBytes, readDer } from '../asn1';
import { getCryptoProvider, signatureAlgorithmFromId, type PrivateKeyHandle, type SignatureAlgorithm } from '../crypto';
import { publicKeyMatches } from '../credentials/keys';
import { CmpError, ErrorCodes } from '../errors';
import { unsignedInteger, viewOf } from '../pki/certificate-view';
import { canonicalName, canonicalNameKey } from '../pki/name-matching';
import { isSelfSigned } from '../pki/path';
import {
  authorityKeyIdentifierExtension,
  keyIdentifier,
  randomSerial,
  signCertificate,
  signCrl,
  subjectKeyIdentifierExtension,
  type Signer,
} from './certificate-builder';

export interface CaCredentials {
  cert: X509Certificate;
  key: PrivateKeyHandle;
  /** The certificates above the CA, up to and including its root (empty or absent for a root CA). */
  chain?: X509Certificate[];
  /** Default: the usual algorithm for the key. */
  signatureAlgorithm?: SignatureAlgorithm;
}

export interface CaOptions {
  now?: () => Date;
  /** Time from one CRL to the next (nextUpdate - thisUpdate); default 24 hours. */
  crlValidityMs?: number;
}

/** What the issuance policy decided a certificate holds; key identifiers are added by the CA. */
export interface CertificatePlan {
  subject: Name;
  /** DER SubjectPublicKeyInfo. */
  spki: Uint8Array;
  notBefore: Date;
  notAfter: Date;
  extensions: Extension[];
}

export interface Revocation {
  date: Date;
  /** CRLReason code (RFC 5280 5.3.1). */
  reason: number;
  invalidityDate?: Date;
}

export interface IssuedRecord {
  /** Lower-case hex of the serial number without sign padding: the key of the record. */
  serial: string;
  cert: X509Certificate;
  der: Uint8Array;
  issuedAt: Date;
  /** Set by certConf or implicit confirmation. */
  confirmed: boolean;
  revocation?: Revocation;
}

/** The record key of a serial number given as INTEGER content octets or as X509Certificate.serialNumber hex. */
export function serialKey(serial: Uint8Array | ArrayBuffer | string): string {
  const bytes = typeof serial === 'string' ? new Uint8Array(Buffer.from(serial.length % 2 ? `0${serial}` : serial, 'hex')) : new Uint8Array(serial);
  return Buffer.from(unsignedInteger(bytes)).toString('hex');
}

/** Whether `cert` is the certificate named by issuer and serial number (a CertId, an rr's template). */
export function identifies(cert: X509Certificate, issuer: Name, serial: Uint8Array | ArrayBuffer): boolean {
  const view = viewOf(cert);
  return view.issuerKey === canonicalNameKey(canonicalName(issuer)) && serialKey(cert.serialNumber) === serialKey(serial);
}

const defaultCrlValidityMs = 24 * 3600_000;

/** The DER of a certificate's subject, taken from its TBSCertificate as it is. */
function subjectDerOf(cert: X509Certificate): Uint8Array {
  const view = viewOf(cert);
  const fields = readDer(view.tbs).children ?? [];
  // TBSCertificate: [0] version (absent for v1), serialNumber, signature, issuer, validity, subject, ...
  const first = fields[0]?.tagClass === 2 && fields[0].tagNumber === 0 ? 1 : 0;
  const subject = fields[first + 4];
  if (!subject) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `the CA certificate "${cert.subject}" has no readable subject`);
  return nodeBytes(view.tbs, subject).slice();
}

/** A record whose X509Certificate is made when first asked for: issuing and delivering need only the DER. */
function issuedRecord(serial: string, der: Uint8Array, issuedAt: Date): IssuedRecord {
  let cert: X509Certificate | undefined;
  return {
    serial,
    der,
    issuedAt,
    confirmed: false,
    get cert(): X509Certificate {
      cert ??= new X509Certificate(Uint8Array.from(der));
      return cert;
    },
  };
}

export class CertificateAuthority {
  readonly cert: X509Certificate;
  readonly chain: readonly X509Certificate[];
  private readonly signer: Signer;
  private readonly now: () => Date;
  private readonly crlValidityMs: number;
  private readonly records = new Map<string, IssuedRecord>();
  private keyIdPromise?: Promise<Uint8Array>;
  private akiPromise?: Promise<Extension>;
  private anchors?: X509Certificate[];
  /** The CA's subject exactly as encoded in its certificate: the issuer of everything it signs. */
  private readonly subjectDer: Uint8Array;
  private crlNumber = 0;
  private crlCache?: { der: Uint8Array<ArrayBuffer>; validUntil: number };

  constructor(credentials: CaCredentials, options: CaOptions = {}) {
    if (!publicKeyMatches(credentials.key, credentials.cert)) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `the CA key does not belong to the CA certificate "${credentials.cert.subject}"`);
    }
    const basic = viewOf(credentials.cert).extensions?.basicConstraints;
    if (viewOf(credentials.cert).version === 3 && basic?.cA !== true) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `the CA certificate "${credentials.cert.subject}" is not a CA certificate (basicConstraints cA is not set)`);
    }
    this.cert = credentials.cert;
    this.subjectDer = subjectDerOf(credentials.cert);
    this.chain = [...(credentials.chain ?? [])];
    this.signer = { key: credentials.key, ...(credentials.signatureAlgorithm ? { algorithm: credentials.signatureAlgorithm } : {}) };
    this.now = options.now ?? (() => new Date());
    this.crlValidityMs = options.crlValidityMs ?? defaultCrlValidityMs;
    if (!Number.isSafeInteger(this.crlValidityMs) || this.crlValidityMs < 1000) {
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'the CRL validity must be at least one second');
    }
  }

  get subject(): Name {
    return viewOf(this.cert).subjectName;
  }

  /** The CA certificate and its chain: what caCerts, extraCerts and the signature checks use. */
  get certificates(): X509Certificate[] {
    return [this.cert, ...this.chain];
  }

  /** Self-signed certificates among the CA and its chain: the anchors below which it issues. */
  get trustAnchors(): X509Certificate[] {
    this.anchors ??= this.certificates.filter((c) => isSelfSigned(c));
    return [...this.anchors];
  }

  /** The CA's key identifier: its subjectKeyIdentifier, or one computed as RFC 5280 4.2.1.2 (1). */
  keyId(): Promise<Uint8Array> {
    this.keyIdPromise ??= (async () => viewOf(this.cert).extensions?.subjectKeyIdentifier ?? keyIdentifier(viewOf(this.cert).spki))();
    return this.keyIdPromise;
  }

  /** authorityKeyIdentifier of everything this CA signs; built once. */
  private authorityKeyIdExtension(): Promise<Extension> {
    this.akiPromise ??= this.keyId().then(authorityKeyIdentifierExtension);
    return this.akiPromise;
  }

  async issue(plan: CertificatePlan): Promise<IssuedRecord> {
    const [subjectKeyId, authorityKeyId] = await Promise.all([keyIdentifier(plan.spki), this.authorityKeyIdExtension()]);
    let serial = randomSerial();
    while (this.records.has(serialKey(serial))) serial = randomSerial();
    const der = await signCertificate(
      {
        serialNumber: serial,
        issuer: this.subjectDer,
        subject: plan.subject,
        notBefore: plan.notBefore,
        notAfter: plan.notAfter,
        spki: plan.spki,
        extensions: [...plan.extensions, subjectKeyIdentifierExtension(subjectKeyId), authorityKeyId],
      },
      this.signer,
    );
    // Read back through the strict decoder before it is recorded; the response uses that very
    // CMPCertificate (cached by its bytes), so the check costs nothing extra.
    try {
      frozenCmpCertificate(der);
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_INTERNAL, 'the certificate just built cannot be read back', { cause: e });
    }
    const record = issuedRecord(serialKey(serial), der, this.now());
    this.records.set(record.serial, record);
    return record;
  }

  /** The record of a certificate this CA issued, by serial number. */
  record(serial: Uint8Array | ArrayBuffer | string): IssuedRecord | undefined {
    return this.records.get(serialKey(serial));
  }

  get issued(): IssuedRecord[] {
    return [...this.records.values()];
  }

  /**
   * Whether `cert` carries this CA's name as issuer and this CA's signature. A certificate can be
   * ours without a record (issued before a restart), so the signature decides, not the records.
   */
  async isIssuer(cert: X509Certificate): Promise<boolean> {
    const view = viewOf(cert);
    const ca = viewOf(this.cert);
    if (view.issuerKey !== ca.subjectKey) return false;
    let algorithm: SignatureAlgorithm;
    try {
      algorithm = signatureAlgorithmFromId(view.asn.signatureAlgorithm);
    } catch {
      return false;
    }
    return getCryptoProvider().verify(algorithm, ca.spki, new Uint8Array(view.asn.signatureValue), view.tbs);
  }

  /** Marks an issued certificate revoked; false when it is unknown or already revoked. */
  revoke(serial: Uint8Array | ArrayBuffer | string, reason: number, invalidityDate?: Date): boolean {
    const record = this.record(serial);
    if (!record || record.revocation) return false;
    record.revocation = { date: this.now(), reason, ...(invalidityDate ? { invalidityDate } : {}) };
    this.crlCache = undefined;
    return true;
  }

  /** DER of a CRL signed now (or the cached one while nothing changed and half its validity remains). */
  async crl(): Promise<Uint8Array<ArrayBuffer>> {
    const now = this.now();
    if (this.crlCache && now.getTime() < this.crlCache.validUntil) return this.crlCache.der.slice();
    const revoked = this.issued
      .filter((r): r is IssuedRecord & { revocation: Revocation } => r.revocation !== undefined)
      .map((r) => ({
        serialNumber: new Uint8Array(Buffer.from(r.cert.serialNumber, 'hex')),
        revocationDate: r.revocation.date,
        reason: r.revocation.reason,
        ...(r.revocation.invalidityDate ? { invalidityDate: r.revocation.invalidityDate } : {}),
      }));
    const der = await signCrl(
      {
        issuer: this.subject,
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + this.crlValidityMs),
        crlNumber: ++this.crlNumber,
        authorityKeyId: await this.keyId(),
        revoked,
      },
      this.signer,
    );
    this.crlCache = { der, validUntil: now.getTime() + this.crlValidityMs / 2 };
    return der.slice();
  }

  /** thisUpdate of the CRL `crl()` would return now, for crlStatusList comparisons. */
  async crlThisUpdate(): Promise<Date> {
    return AsnConvert.parse(await this.crl(), CertificateList).tbsCertList.thisUpdate.getTime();
  }
}
