/**
 * The certification authority behind the server: it signs the certificates the issuance policy
 * planned, remembers every certificate it issued (serial, confirmation, revocation, the reference
 * it went to) and signs CRLs of what it revoked. Every change of its records goes through the
 * record store first, so what an answer reports survives a crash; certificates past their notAfter
 * are forgotten (they leave the CRL too), which keeps the records bounded.
 */
import { createHash } from 'node:crypto';
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificateList, type Extension, type Name } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import { nodeBytes, readDer, type CMPCertificate } from '../asn1';
import { getCryptoProvider, signatureAlgorithmFromId, type PrivateKeyHandle, type SignatureAlgorithm } from '../crypto';
import { publicKeyMatches } from '../credentials/keys';
import { CmpError, ErrorCodes } from '../errors';
import { unsignedInteger, viewOf } from '../pki/certificate-view';
import { nameKey } from '../pki/name-matching';
import { isSelfSigned } from '../pki/path';
import {
  authorityKeyIdentifierExtension,
  constantExtension,
  keyIdentifier,
  randomSerial,
  signCmpCertificate,
  signCrl,
  subjectKeyIdentifierExtension,
  type Signer,
} from './certificate-builder';
import { createKeyGenerationAuthority } from './key-generation';
import type { KeyGenerationAuthority } from '../cms';
import { refuse } from './refusal';
import { MemoryRecordStore, RecordState, type NameBinding, type RecordChange, type RecordStore, type StoredCertificate } from './records';

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
  /** Default: a memory store, lost with the process. */
  store?: RecordStore;
  /** Most certificates remembered at once; issuing beyond it is refused until some expire. Default 1000000. */
  maxRecords?: number;
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

export type { RevocationRecord as Revocation } from './records';

export interface IssuedRecord extends Readonly<StoredCertificate> {
  cert: X509Certificate;
  /** The certificate as the messages carry it, in the record `issue` returns: made while signing, never decoded. */
  certificate?: CMPCertificate;
}

/** The record key of a serial number given as INTEGER content octets or as X509Certificate.serialNumber hex. */
export function serialKey(serial: Uint8Array | ArrayBuffer | string): string {
  const bytes = typeof serial === 'string' ? new Uint8Array(Buffer.from(serial.length % 2 ? `0${serial}` : serial, 'hex')) : new Uint8Array(serial);
  return Buffer.from(unsignedInteger(bytes)).toString('hex');
}

/** Whether `cert` is the certificate named by issuer and serial number (a CertId, an rr's template). */
export function identifies(cert: X509Certificate, issuer: Name, serial: Uint8Array | ArrayBuffer): boolean {
  const view = viewOf(cert);
  return view.issuerKey === nameKey(issuer) && serialKey(cert.serialNumber) === serialKey(serial);
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

/** A view of a stored record whose X509Certificate is made when first asked for: issuing and delivering need only the DER. */
function issuedRecord(stored: StoredCertificate, certificate?: CMPCertificate): IssuedRecord {
  let cert: X509Certificate | undefined;
  return {
    ...(certificate ? { certificate } : {}),
    get serial() {
      return stored.serial;
    },
    get der() {
      return stored.der;
    },
    get issuedAt() {
      return stored.issuedAt;
    },
    get notAfter() {
      return stored.notAfter;
    },
    get ref() {
      return stored.ref;
    },
    get confirmed() {
      return stored.confirmed;
    },
    get revocation() {
      return stored.revocation;
    },
    get cert(): X509Certificate {
      cert ??= new X509Certificate(Uint8Array.from(stored.der));
      return cert;
    },
  };
}

/** How often expired records are looked for; a sweep is a scan of all records. */
const SWEEP_INTERVAL_MS = 3600_000;

export class CertificateAuthority {
  readonly cert: X509Certificate;
  readonly chain: readonly X509Certificate[];
  private readonly signer: Signer;
  private readonly now: () => Date;
  private readonly crlValidityMs: number;
  private readonly store: RecordStore;
  private readonly state = new RecordState();
  /** Which reference holds each bound name (keys from issuance-authorization.ts). */
  private readonly owners = new Map<string, string>();
  private readonly maxRecords: number;
  private readonly opened: Promise<void>;
  private lastSweep = 0;
  private keyIdPromise?: Promise<Uint8Array>;
  private akiPromise?: Promise<Extension>;
  private kgaPromise?: Promise<KeyGenerationAuthority>;
  private anchors?: X509Certificate[];
  /** The CA's subject exactly as encoded in its certificate: the issuer of everything it signs. */
  private readonly subjectDer: Uint8Array;
  private crlCache?: { der: Uint8Array<ArrayBuffer>; validUntil: number };

  constructor(credentials: CaCredentials, options: CaOptions = {}) {
    if (!publicKeyMatches(credentials.key, credentials.cert)) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `the CA key does not belong to the CA certificate "${credentials.cert.subject}"`);
    }
    const basic = viewOf(credentials.cert).extensions?.basicConstraints;
    if (viewOf(credentials.cert).version === 3 && basic?.cA !== true) {
      throw new CmpError(
        ErrorCodes.ERR_CREDENTIALS,
        `the CA certificate "${credentials.cert.subject}" is not a CA certificate (basicConstraints cA is not set)`,
      );
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
    this.maxRecords = options.maxRecords ?? 1_000_000;
    this.store = options.store ?? new MemoryRecordStore();
    this.store.subscribe?.((change) => this.apply(change));
    this.opened = this.open();
    // Requests wait for `ready()`, which reports the failure; this only keeps it from going unhandled.
    this.opened.catch(() => undefined);
  }

  private async open(): Promise<void> {
    const snapshot = await this.store.open();
    const key = createHash('sha256').update(viewOf(this.cert).spki).digest('hex');
    if (snapshot.ca !== undefined && snapshot.ca !== key) {
      throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `the record store belongs to another CA than "${this.cert.subject}"`);
    }
    for (const c of snapshot.certificates) this.state.apply({ type: 'issued', certificate: c });
    for (const b of snapshot.bindings) this.apply({ type: 'bound', binding: b });
    this.state.crlNumber = snapshot.crlNumber;
    if (snapshot.ca === undefined) await this.change({ type: 'ca', key });
    await this.sweep();
  }

  /** Resolves once the records are loaded; rejects when the store cannot be used. */
  ready(): Promise<void> {
    return this.opened;
  }

  async close(): Promise<void> {
    await this.opened.catch(() => undefined);
    await this.store.close();
  }

  private apply(change: RecordChange): void {
    if (change.type === 'bound') {
      const previous = this.state.bindings.get(change.binding.ref);
      if (previous) for (const name of namesOf(previous)) this.owners.delete(name);
      for (const name of namesOf(change.binding)) this.owners.set(name, change.binding.ref);
    } else if (change.type === 'dropped') {
      for (const ref of change.refs) {
        const previous = this.state.bindings.get(ref);
        if (previous) for (const name of namesOf(previous)) if (this.owners.get(name) === ref) this.owners.delete(name);
      }
    }
    this.state.apply(change);
    if (change.type === 'revoked' || change.type === 'dropped') this.crlCache = undefined;
  }

  /** Stores a change, then applies it: nothing is believed before it is durable. */
  private async change(change: RecordChange): Promise<void> {
    await this.store.write(change);
    this.apply(change);
  }

  /** Forgets certificates and bindings past their notAfter, at most once an hour. */
  private async sweep(): Promise<void> {
    const now = this.now().getTime();
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    const serials = [...this.state.certificates.values()].filter((c) => c.notAfter.getTime() < now).map((c) => c.serial);
    const refs = [...this.state.bindings.values()].filter((b) => b.until.getTime() < now).map((b) => b.ref);
    if (serials.length || refs.length) await this.change({ type: 'dropped', serials, refs });
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
    this.akiPromise ??= this.keyId().then((id) => constantExtension(authorityKeyIdentifierExtension(id)));
    return this.akiPromise;
  }

  /**
   * Signs a certificate for `plan` and records it (to `ref`, the reference it is issued to) before
   * returning; refuses (systemUnavail) when the records are full of unexpired certificates.
   */
  /** Signs the keys this CA generates centrally (key-generation.ts): made on first use, kept in memory. */
  keyGenerationAuthority(): Promise<KeyGenerationAuthority> {
    this.kgaPromise ??= this.authorityKeyIdExtension().then((authorityKeyId) =>
      createKeyGenerationAuthority({
        signer: this.signer,
        issuer: this.subjectDer,
        caCert: this.cert,
        chain: this.chain,
        now: this.now(),
        authorityKeyId,
      }),
    );
    return this.kgaPromise;
  }

  async issue(plan: CertificatePlan, ref?: string): Promise<IssuedRecord> {
    await this.opened;
    await this.sweep();
    if (this.state.certificates.size >= this.maxRecords) {
      this.lastSweep = 0;
      await this.sweep();
      if (this.state.certificates.size >= this.maxRecords)
        refuse('systemUnavail', 'this CA remembers as many certificates as it can; try again when some have expired');
    }
    const [subjectKeyId, authorityKeyId] = await Promise.all([keyIdentifier(plan.spki), this.authorityKeyIdExtension()]);
    let serial = randomSerial();
    while (this.state.certificates.has(serialKey(serial))) serial = randomSerial();
    // The CMPCertificate for the answer is made from what the certificate was written from, and
    // handed out with the record: no decoding of its bytes.
    const { der, certificate: built } = await signCmpCertificate(
      {
        serialNumber: serial,
        issuer: this.subjectDer,
        subject: plan.subject,
        notBefore: plan.notBefore,
        notAfter: plan.notAfter,
        spki: plan.spki,
        extensions: [...plan.extensions, constantExtension(subjectKeyIdentifierExtension(subjectKeyId)), authorityKeyId],
      },
      this.signer,
    );
    const certificate: StoredCertificate = {
      serial: serialKey(serial),
      der,
      issuedAt: this.now(),
      notAfter: plan.notAfter,
      ...(ref !== undefined ? { ref } : {}),
      confirmed: false,
    };
    await this.change({ type: 'issued', certificate });
    return issuedRecord(this.state.certificates.get(certificate.serial)!, built);
  }

  /** The record of a certificate this CA issued, by serial number. */
  record(serial: Uint8Array | ArrayBuffer | string): IssuedRecord | undefined {
    const stored = this.state.certificates.get(serialKey(serial));
    return stored && issuedRecord(stored);
  }

  get issued(): IssuedRecord[] {
    return [...this.state.certificates.values()].map((stored) => issuedRecord(stored));
  }

  /** Marks an issued certificate as accepted by its holder (certConf or implicit confirmation). */
  async confirm(serial: string): Promise<void> {
    const record = this.state.certificates.get(serial);
    if (record && !record.confirmed) await this.change({ type: 'confirmed', serial });
  }

  /** The names first issued to a reference; absent when nothing was issued to it (or it expired). */
  binding(ref: string): NameBinding | undefined {
    return this.state.bindings.get(ref);
  }

  /** The reference a name (subject or subjectAltName key) is bound to. */
  ownerOf(name: string): string | undefined {
    return this.owners.get(name);
  }

  /** Binds names to a reference on its first certificate, and keeps the binding as long as its latest certificate. */
  async bind(ref: string, names: { subject?: string; altNames: string[] }, until: Date): Promise<void> {
    const existing = this.state.bindings.get(ref);
    if (existing && existing.until.getTime() >= until.getTime()) return;
    const binding: NameBinding = existing
      ? { ...existing, until }
      : { ref, ...(names.subject !== undefined ? { subject: names.subject } : {}), altNames: [...names.altNames], until };
    await this.change({ type: 'bound', binding });
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

  /** Marks an issued certificate revoked, durably; false when it is unknown or already revoked. */
  async revoke(serial: Uint8Array | ArrayBuffer | string, reason: number, invalidityDate?: Date): Promise<boolean> {
    await this.opened;
    const record = this.state.certificates.get(serialKey(serial));
    if (!record || record.revocation) return false;
    await this.change({
      type: 'revoked',
      serial: record.serial,
      revocation: { date: this.now(), reason, ...(invalidityDate ? { invalidityDate } : {}) },
    });
    return true;
  }

  /** DER of a CRL signed now (or the cached one while nothing changed and half its validity remains). */
  async crl(): Promise<Uint8Array<ArrayBuffer>> {
    await this.opened;
    await this.sweep();
    const now = this.now();
    if (this.crlCache && now.getTime() < this.crlCache.validUntil) return this.crlCache.der.slice();
    // RFC 5280 3.3: an entry may leave the CRL once the certificate has expired.
    const revoked = [...this.state.certificates.values()]
      .filter(
        (r): r is StoredCertificate & { revocation: NonNullable<StoredCertificate['revocation']> } =>
          r.revocation !== undefined && r.notAfter.getTime() >= now.getTime(),
      )
      .map((r) => ({
        serialNumber: new Uint8Array(Buffer.from(r.serial.length % 2 ? `0${r.serial}` : r.serial, 'hex')),
        revocationDate: r.revocation.date,
        reason: r.revocation.reason,
        ...(r.revocation.invalidityDate ? { invalidityDate: r.revocation.invalidityDate } : {}),
      }));
    // The number is stored before the CRL exists, so no two CRLs ever carry the same one.
    const crlNumber = this.state.crlNumber + 1;
    await this.change({ type: 'crlNumber', value: crlNumber });
    const der = await signCrl(
      {
        issuer: this.subject,
        thisUpdate: now,
        nextUpdate: new Date(now.getTime() + this.crlValidityMs),
        crlNumber,
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

function namesOf(binding: NameBinding): string[] {
  return [...(binding.subject !== undefined ? [binding.subject] : []), ...binding.altNames];
}
