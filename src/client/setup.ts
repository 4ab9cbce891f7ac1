/**
 * Turns `CmpClientOptions` into what the services need, once per client: certificates and keys
 * loaded, names parsed, the protection chosen, the transfer created. Everything here may hold
 * secrets and stays inside the services' closures; nothing of it enters a machine's context.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { GeneralName, Name } from '@peculiar/asn1-x509';
import { SubjectKeyIdentifierExtension, X509Certificate } from '@peculiar/x509';
import { loadCertificate, loadCertificates, loadPrivateKey, parsePem } from '../credentials';
import { digestByName, type HashName, type PrivateKeyHandle } from '../crypto';
import { CmpError } from '../errors';
import { parseName } from '../message/names';
import type { CertificateInput, CertificatesInput, CmpClientOptions, KeyInput } from '../options';
import type { ProtectionConfig } from '../protection/protect';
import { createFileTransfer, createHttpTransfer, type HttpTlsOptions, type HttpTransferOptions, type Transfer } from '../transport';
import { loadTlsCredentials, tlsInEffect } from './tls-credentials';

export interface ClientSetup {
  options: CmpClientOptions;
  protection: ProtectionConfig;
  /** Our protection certificate and key, when signing. */
  cert?: X509Certificate;
  key?: PrivateKeyHandle;
  /** extraCerts of every request: our cert and its chain when signing, then -extracerts. */
  extraCertsOut: X509Certificate[];
  senderKID?: Uint8Array;
  sender: GeneralName;
  recipient: GeneralName;
  newKey?: PrivateKeyHandle;
  oldCert?: X509Certificate;
  csr?: Uint8Array;
  subject?: Name;
  issuer?: Name;
  digest: HashName;
  srvCert?: X509Certificate;
  trusted: X509Certificate[];
  untrusted: X509Certificate[];
  outTrusted?: X509Certificate[];
  expectedSender?: Name;
  /** A transfer for one session, and how to end its connections. */
  openTransfer(): SessionTransfer;
  /** The clock (epoch ms); Date.now unless the options give one. */
  now: () => number;
}

export interface SessionTransfer {
  transfer: Transfer;
  close(): void;
}

function httpOptions(o: CmpClientOptions, tls: HttpTlsOptions | undefined): HttpTransferOptions {
  return {
    server: o.server!,
    ...(o.path !== undefined ? { path: o.path } : {}),
    ...(o.proxy !== undefined ? { proxy: o.proxy } : {}),
    ...(o.noProxy !== undefined ? { noProxy: o.noProxy } : {}),
    ...(o.keepAlive !== undefined ? { keepAlive: o.keepAlive } : {}),
    ...(o.msgTimeout !== undefined ? { msgTimeout: o.msgTimeout } : {}),
    ...(o.maxResponseBytes !== undefined ? { maxResponseBytes: o.maxResponseBytes } : {}),
    ...(tls !== undefined ? { tls } : {}),
  };
}

export function certificateOf(input: CertificateInput, what: string): X509Certificate {
  if (input instanceof X509Certificate) return input;
  try {
    return loadCertificate(input);
  } catch (e) {
    throw relabel(e, what);
  }
}

export function certificatesOf(input: CertificatesInput | undefined, what: string): X509Certificate[] {
  if (input === undefined) return [];
  const list = Array.isArray(input) ? input : [input];
  return list.flatMap((item) => {
    if (item instanceof X509Certificate) return [item];
    try {
      return loadCertificates(item);
    } catch (e) {
      throw relabel(e, what);
    }
  });
}

export async function keyOf(input: KeyInput, pass: string | undefined, what: string): Promise<PrivateKeyHandle> {
  if (typeof input === 'object' && !(input instanceof Uint8Array)) return input;
  try {
    return await loadPrivateKey(input, pass);
  } catch (e) {
    throw relabel(e, what);
  }
}

/** A distinguished name option; its errors name the option. */
function nameOption(value: string, what: string): Name {
  try {
    return parseName(value);
  } catch (e) {
    throw relabel(e, what);
  }
}

/** Errors of the credential loaders name the file; this prefixes the option it came from. */
function relabel(e: unknown, what: string): unknown {
  if (e instanceof CmpError) return new CmpError(e.code, `${what}: ${e.message}`, { cause: e });
  return e;
}

const textBytes = (s: string | Uint8Array) => (typeof s === 'string' ? new TextEncoder().encode(s) : s);

function csrOf(input: string | Uint8Array): Uint8Array {
  let der: Uint8Array;
  if (typeof input === 'string' && !input.includes('-----BEGIN')) {
    // A file path.
    const fs = require('fs') as typeof import('fs');
    try {
      input = new Uint8Array(fs.readFileSync(input));
    } catch (e) {
      throw new CmpError('ERR_FILE', `-csr: cannot read ${input}`, { cause: e });
    }
  }
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  if (text.includes('-----BEGIN')) {
    const block = parsePem(text).find((b) => /CERTIFICATE REQUEST/.test(b.label));
    if (!block) throw new CmpError('ERR_CREDENTIALS', '-csr: no CERTIFICATE REQUEST block');
    der = block.der;
  } else der = input as Uint8Array;
  try {
    AsnConvert.parse(der, CertificationRequest);
  } catch (e) {
    throw new CmpError('ERR_CREDENTIALS', '-csr: not a PKCS#10 certificate request', { cause: e });
  }
  return der;
}

const nameOf = (c: X509Certificate, which: 'subject' | 'issuer'): Name =>
  AsnConvert.parse((which === 'subject' ? c.subjectName : c.issuerName).toArrayBuffer(), Name);

const dn = (name: Name | undefined) => new GeneralName({ directoryName: name ?? new Name([]) });

function subjectKeyId(cert: X509Certificate): Uint8Array | undefined {
  const ext = cert.getExtension(SubjectKeyIdentifierExtension);
  return ext ? new Uint8Array(Buffer.from(ext.keyId, 'hex')) : undefined;
}

/** Our own chain for extraCerts: issuers of `cert` found among the given certificates, leaf first. */
function ownChain(cert: X509Certificate, pool: X509Certificate[]): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current = cert;
  for (let depth = 0; depth < 10; depth++) {
    if (current.subject === current.issuer) break;
    const issuer = pool.find((c) => c.subject === current.issuer && !chain.includes(c) && c !== cert);
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

function protectionOf(o: CmpClientOptions, cert: X509Certificate | undefined, key: PrivateKeyHandle | undefined, digest: HashName): ProtectionConfig {
  if (o.unprotectedRequests) return { kind: 'none' };
  if (cert && key) return { kind: 'signature', key, cert, digest };
  if (o.secret !== undefined) {
    const secret = textBytes(o.secret);
    const pbmac1 = o.macProtection === 'pbmac1' || o.mac?.toLowerCase() === 'pbmac1';
    const macHash = o.mac && !pbmac1 ? digestByName(o.mac.replace(/^hmac-?(with)?-?/i, '')) : undefined;
    const iterations = o.macIterations !== undefined ? { iterations: o.macIterations } : {};
    if (pbmac1) return { kind: 'pbmac1', secret, ...iterations };
    return { kind: 'pbm', secret, owf: digest, ...(macHash ? { mac: macHash } : {}), ...iterations };
  }
  if (cert && !key) throw new CmpError('ERR_MISSING_OPTION', 'missing -key for the protection certificate -cert');
  throw new CmpError('ERR_MISSING_OPTION', 'no protection credentials: give -secret (with -ref) or -cert and -key, or -unprotected_requests');
}

export async function setupClient(o: CmpClientOptions): Promise<ClientSetup> {
  const digest = o.digest ? digestByName(o.digest) : 'SHA-256';
  const cert = o.cert !== undefined ? certificateOf(o.cert, '-cert') : undefined;
  const key = o.key !== undefined ? await keyOf(o.key, o.keyPass, '-key') : undefined;
  const newKey = o.newKey !== undefined ? await keyOf(o.newKey, o.newKeyPass, '-newkey') : undefined;
  const oldCert = o.oldCert !== undefined ? certificateOf(o.oldCert, '-oldcert') : undefined;
  const srvCert = o.srvCert !== undefined ? certificateOf(o.srvCert, '-srvcert') : undefined;
  const trusted = certificatesOf(o.trusted, '-trusted');
  const untrusted = certificatesOf(o.untrusted, '-untrusted');
  const ownTrusted = certificatesOf(o.ownTrusted, '-own_trusted');
  const extraCerts = certificatesOf(o.extraCerts, '-extracerts');
  const outTrusted = o.outTrusted !== undefined ? certificatesOf(o.outTrusted, '-out_trusted') : undefined;
  const tls = tlsInEffect(o) ? await loadTlsCredentials(o.tls ?? {}, untrusted) : undefined;
  const csr = o.csr !== undefined ? csrOf(o.csr) : undefined;
  const subject = o.subject !== undefined ? nameOption(o.subject, '-subject') : undefined;
  const issuer = o.issuer !== undefined ? nameOption(o.issuer, '-issuer') : undefined;
  const protection = protectionOf(o, cert, key, digest);
  const signing = protection.kind === 'signature';

  // OpenSSL ossl_cmp_hdr_init: sender from our cert, else the cert to update, else -subject.
  const csrSubject = csr ? AsnConvert.parse(csr, CertificationRequest).certificationRequestInfo.subject : undefined;
  const senderName = cert ? nameOf(cert, 'subject') : oldCert ? nameOf(oldCert, 'subject') : (subject ?? csrSubject);
  const recipientName = o.recipient !== undefined
    ? nameOption(o.recipient, '-recipient')
    : srvCert ? nameOf(srvCert, 'subject')
      : issuer ?? (oldCert ? nameOf(oldCert, 'issuer') : cert ? nameOf(cert, 'issuer') : undefined);

  const extraCertsOut: X509Certificate[] = [];
  if (signing && cert) extraCertsOut.push(cert, ...ownChain(cert, [...untrusted, ...ownTrusted]));
  for (const c of extraCerts) if (!extraCertsOut.some((e) => e.equal(c))) extraCertsOut.push(c);

  const senderKID = signing ? (cert ? subjectKeyId(cert) : undefined) : o.ref !== undefined ? textBytes(o.ref) : undefined;

  // One connection pool per session: a transaction keeps its connection alive between messages,
  // and ends it with the transaction (as OpenSSL does), whatever way the transaction ends.
  const openTransfer = (): SessionTransfer => {
    let inner: Transfer | undefined = o.transfer;
    let close = (): void => undefined;
    if (!inner && o.server) {
      const http = createHttpTransfer(httpOptions(o, tls));
      inner = http;
      close = () => http.close();
    }
    const files = o.files;
    if (files && (files.reqout || files.rspin || files.reqin || files.rspout)) {
      // With -rspin alone, responses come from files only (OpenSSL: -rspin without -server).
      return { transfer: createFileTransfer(files, inner), close };
    }
    if (!inner) throw new CmpError('ERR_MISSING_OPTION', 'missing -server (or a custom transfer)');
    return { transfer: inner, close };
  };
  if (!o.transfer && !o.server && !o.files?.rspin) throw new CmpError('ERR_MISSING_OPTION', 'missing -server (or a custom transfer)');

  return {
    options: o,
    protection,
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    extraCertsOut,
    ...(senderKID ? { senderKID } : {}),
    sender: dn(senderName),
    recipient: dn(recipientName),
    ...(newKey ? { newKey } : {}),
    ...(oldCert ? { oldCert } : {}),
    ...(csr ? { csr } : {}),
    ...(subject ? { subject } : {}),
    ...(issuer ? { issuer } : {}),
    digest,
    ...(srvCert ? { srvCert } : {}),
    trusted,
    untrusted,
    ...(outTrusted ? { outTrusted } : {}),
    ...(o.expectSender !== undefined ? { expectedSender: nameOption(o.expectSender, '-expect_sender') } : srvCert ? { expectedSender: nameOf(srvCert, 'subject') } : {}),
    openTransfer,
    now: o.now ?? Date.now,
  };
}
