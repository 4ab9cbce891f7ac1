/**
 * Turns `CmpClientOptions` into what the services need, once per client: certificates and keys
 * loaded, names parsed, the protection chosen, the transfer created. Everything here may hold
 * secrets and stays inside the services' closures; nothing of it enters a machine's context.
 */
import { AsnConvert } from '@peculiar/asn1-schema';
import { CertificationRequest } from '@peculiar/asn1-csr';
import { GeneralName, Name } from '@peculiar/asn1-x509';
import { SubjectKeyIdentifierExtension, X509Certificate } from '@peculiar/x509';
import { isPem, loadCertificateSet, loadCertificationRequest, loadPrivateKey, publicKeyMatches } from '../credentials';
import { importPrivateKeyInfo } from '../credentials/keys';
import { digestByName, type HashName, type PrivateKeyHandle } from '../crypto';
import { CmpError, ErrorCodes } from '../errors';
import { integerContent } from '../message/cert-identity';
import { parseName } from '../pki/names';
import type { CertificateInput, CertificatesInput, CmpClientOptions, KeyInput } from '../options';
import type { ProtectionConfig } from '../protection/protect';
import { createFileTransfer, httpTransferFactory, type HttpTlsOptions, type HttpTransferOptions, type Transfer } from '../transport';
import { loadTlsCredentials, tlsInEffect } from './tls-credentials';
import { readKeySource } from '../credentials/ml-kem-key';
import type { MlKemPrivateKey } from '../crypto/ml-kem';

export interface ClientSetup {
  options: CmpClientOptions;
  protection: ProtectionConfig;
  /** Our protection certificate and key, when signing. */
  cert?: X509Certificate;
  key?: PrivateKeyHandle;
  /** The key of `cert` when it is an ML-KEM key: requests are then protected with KemBasedMac (RFC 9810 section 5.1.3.4). */
  kemKey?: MlKemPrivateKey;
  /** extraCerts of every request: our cert and its chain when signing, then -extracerts. */
  extraCertsOut: X509Certificate[];
  senderKID?: Uint8Array;
  sender: GeneralName;
  recipient: GeneralName;
  newKey?: PrivateKeyHandle;
  /** newKey when it is an ML-KEM key: it cannot sign, so it is enrolled with indirect proof of possession. */
  newKemKey?: MlKemPrivateKey;
  oldCert?: X509Certificate;
  csr?: Uint8Array;
  subject?: Name;
  issuer?: Name;
  /** The INTEGER content of `options.serialNumber`, for an rr by issuer and serial number. */
  serialNumber?: ArrayBuffer;
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

/**
 * Errors of the credential loaders name the file; this prefixes the option it came from, by its
 * CmpClientOptions name (front ends with other option names translate `options`).
 */
function optionError(e: unknown, option: string): unknown {
  if (e instanceof CmpError) return new CmpError(e.code, `${option}: ${e.message}`, { cause: e, options: [option] });
  return e;
}

async function labelled<T>(option: string, load: () => T | Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    throw optionError(e, option);
  }
}

/** All certificates of an option that takes several: each source in PEM, DER or PKCS#12. */
export async function certificatesOf(input: CertificatesInput | undefined, option: string, passphrase?: string): Promise<X509Certificate[]> {
  if (input === undefined) return [];
  const list = Array.isArray(input) ? input : [input];
  const loaded: X509Certificate[][] = [];
  for (const item of list) {
    if (item instanceof X509Certificate) loaded.push([item]);
    else loaded.push(await labelled(option, () => loadCertificateSet(item, passphrase !== undefined ? { passphrase } : {})));
  }
  return loaded.flat();
}

/**
 * The certificate of an option that takes one: the first of its source (for PKCS#12, the key's
 * certificate). Further certificates are ignored, as OpenSSL's load_cert does.
 */
export async function certificateOf(input: CertificateInput, option: string, passphrase?: string): Promise<X509Certificate> {
  return (await certificatesOf(input, option, passphrase))[0]!;
}

/**
 * The key of `key` or `newKey`: an ML-KEM key (it cannot sign: KEM-based protection, indirect POP)
 * or a signing key. The source is opened once for both questions.
 */
async function eitherKeyOf(
  input: KeyInput,
  passphrase: string | undefined,
  option: string,
): Promise<{ kem: MlKemPrivateKey; signing?: undefined } | { kem?: undefined; signing: PrivateKeyHandle }> {
  if (typeof input === 'object' && !(input instanceof Uint8Array)) return { signing: input };
  return labelled(option, async () => {
    const content = await readKeySource(input, 'private key', passphrase);
    if (content.kind === 'mlKem') return { kem: content.key };
    if (content.kind === 'decrypted') return { signing: await importPrivateKeyInfo(content.pkcs8, content.name) };
    return { signing: await loadPrivateKey(input, passphrase) };
  });
}

export async function keyOf(input: KeyInput, passphrase: string | undefined, option: string): Promise<PrivateKeyHandle> {
  if (typeof input === 'object' && !(input instanceof Uint8Array)) return input;
  return labelled(option, () => loadPrivateKey(input, passphrase));
}

/** How messages refer to a credential source: its file name, never its content. */
function sourceName(input: CertificateInput | KeyInput): string {
  if (typeof input === 'string') return isPem(input) ? 'the PEM text given' : input;
  return input instanceof Uint8Array ? 'the bytes given' : 'the object given';
}

/** A distinguished name option; its errors name the option. */
function nameOption(value: string, option: string): Name {
  try {
    return parseName(value);
  } catch (e) {
    throw optionError(e, option);
  }
}

/** s2i_ASN1_INTEGER's syntax: decimal, or hexadecimal after 0x, with an optional leading minus. */
function serialNumberOption(value: string | bigint): ArrayBuffer {
  if (typeof value === 'bigint') return integerContent(value);
  const m = /^\s*(-?)(0x[0-9a-f]+|[0-9]+)\s*$/i.exec(value);
  if (!m) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `serialNumber: cannot read serial number: '${value}'`, { options: ['serialNumber'] });
  const magnitude = BigInt(m[2]);
  return integerContent(m[1] ? -magnitude : magnitude);
}

const textBytes = (s: string | Uint8Array) => (typeof s === 'string' ? new TextEncoder().encode(s) : s);

const nameOf = (c: X509Certificate, which: 'subject' | 'issuer'): Name =>
  AsnConvert.parse((which === 'subject' ? c.subjectName : c.issuerName).toArrayBuffer(), Name);

const dn = (name: Name | undefined) => new GeneralName({ directoryName: name ?? new Name([]) });

function subjectKeyId(cert: X509Certificate): Uint8Array | undefined {
  const ext = cert.getExtension(SubjectKeyIdentifierExtension);
  return ext ? new Uint8Array(Buffer.from(ext.keyId, 'hex')) : undefined;
}

const missingServer = () =>
  new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'server: missing, and no custom transfer or response files are given', { options: ['server'] });

function withoutDuplicates(certificates: X509Certificate[]): X509Certificate[] {
  return certificates.filter((c, i) => certificates.findIndex((d) => d.equal(c)) === i);
}

/**
 * Our own chain for extraCerts: issuers of `cert` found among the given certificates, nearest
 * first, without a self-signed root (the receiver has its trust anchor), as OpenSSL 3.0 builds it
 * (X509_build_chain without self-signed certificates).
 */
function ownChain(cert: X509Certificate, pool: X509Certificate[]): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current = cert;
  for (let depth = 0; depth < 10; depth++) {
    if (current.subject === current.issuer) break;
    const issuer = pool.find((c) => c.subject === current.issuer && c.subject !== c.issuer && !chain.includes(c) && c !== cert);
    if (!issuer) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

/**
 * A secret wins over cert and key, as in OpenSSL (ossl_cmp_msg_protect tries the secret first):
 * cert and key are then loaded, so that a bad file is still reported, but not used.
 */
function protectionOf(
  o: CmpClientOptions,
  cert: X509Certificate | undefined,
  key: PrivateKeyHandle | undefined,
  kemKey: MlKemPrivateKey | undefined,
  digest: HashName,
): ProtectionConfig {
  if (o.unprotectedRequests) return { kind: 'none' };
  if (o.secret !== undefined) {
    const secret = textBytes(o.secret);
    const pbmac1 = o.macProtection === 'pbmac1' || o.mac?.toLowerCase() === 'pbmac1';
    const macHash = o.mac && !pbmac1 ? digestByName(o.mac.replace(/^hmac-?(with)?-?/i, '')) : undefined;
    const iterations = o.macIterations !== undefined ? { iterations: o.macIterations } : {};
    if (pbmac1) return { kind: 'pbmac1', secret, ...iterations };
    return { kind: 'pbm', secret, owf: digest, ...(macHash ? { mac: macHash } : {}), ...iterations };
  }
  if (cert && kemKey) {
    if (!Buffer.from(kemKey.spki()).equals(Buffer.from(cert.publicKey.rawData))) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `cert: the certificate in ${sourceName(o.cert!)} does not match the ML-KEM key`, {
        options: ['cert', 'key'],
      });
    }
    // The shared secret comes from each transaction's KEM exchange (services.ts).
    return { kind: 'kemMac' };
  }
  if (cert && key) {
    if (!publicKeyMatches(key, cert)) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `cert: the certificate in ${sourceName(o.cert!)} does not match key`, {
        options: ['cert', 'key'],
      });
    }
    return { kind: 'signature', key, cert, digest };
  }
  if (cert)
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'key: missing; the protection certificate given as cert needs its private key', {
      options: ['key', 'cert'],
    });
  throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'no protection credentials: give secret (with ref) or cert and key, or set unprotectedRequests', {
    options: ['secret', 'ref', 'cert', 'key', 'unprotectedRequests'],
  });
}

export async function setupClient(o: CmpClientOptions): Promise<ClientSetup> {
  const digest = o.digest ? digestByName(o.digest) : 'SHA-256';
  // OpenSSL reads -cert with -keypass, since it may be a PKCS#12 file; the certificates after the
  // first are the signer's chain and join the untrusted certificates (OSSL_CMP_CTX_build_cert_chain).
  const signerFile = o.cert !== undefined ? await certificatesOf(o.cert, 'cert', o.keyPass) : [];
  const cert = signerFile[0];
  const { kem: kemKey, signing: key } = o.key !== undefined ? await eitherKeyOf(o.key, o.keyPass, 'key') : {};
  const { kem: newKemKey, signing: newKey } = o.newKey !== undefined ? await eitherKeyOf(o.newKey, o.newKeyPass, 'newKey') : {};
  const oldCert = o.oldCert !== undefined ? await certificateOf(o.oldCert, 'oldCert', o.keyPass) : undefined;
  const srvCert = o.srvCert !== undefined ? await certificateOf(o.srvCert, 'srvCert', o.otherPass) : undefined;
  const trusted = await certificatesOf(o.trusted, 'trusted', o.otherPass);
  const untrusted = withoutDuplicates([...(await certificatesOf(o.untrusted, 'untrusted', o.otherPass)), ...signerFile.slice(1)]);
  const ownTrusted = await certificatesOf(o.ownTrusted, 'ownTrusted', o.otherPass);
  const extraCerts = await certificatesOf(o.extraCerts, 'extraCerts', o.otherPass);
  const outTrusted = o.outTrusted !== undefined ? await certificatesOf(o.outTrusted, 'outTrusted', o.otherPass) : undefined;
  const tls = tlsInEffect(o) ? await loadTlsCredentials(o.tls ?? {}, untrusted, o.otherPass) : undefined;
  const csr = o.csr !== undefined ? await labelled('csr', () => loadCertificationRequest(o.csr!)) : undefined;
  const subject = o.subject !== undefined ? nameOption(o.subject, 'subject') : undefined;
  const issuer = o.issuer !== undefined ? nameOption(o.issuer, 'issuer') : undefined;
  const serialNumber = o.serialNumber !== undefined ? serialNumberOption(o.serialNumber) : undefined;
  const protection = protectionOf(o, cert, key, kemKey, digest);
  // A KEM certificate identifies us as a signer's does: in extraCerts and by its key identifier.
  const signing = protection.kind === 'signature' || protection.kind === 'kemMac';

  // OpenSSL ossl_cmp_hdr_init: sender from our cert, else the cert to update, else -subject.
  const csrSubject = csr ? AsnConvert.parse(csr, CertificationRequest).certificationRequestInfo.subject : undefined;
  const senderName = cert ? nameOf(cert, 'subject') : oldCert ? nameOf(oldCert, 'subject') : (subject ?? csrSubject);
  const recipientName =
    o.recipient !== undefined
      ? nameOption(o.recipient, 'recipient')
      : srvCert
        ? nameOf(srvCert, 'subject')
        : (issuer ?? (oldCert ? nameOf(oldCert, 'issuer') : cert ? nameOf(cert, 'issuer') : undefined));

  const extraCertsOut: X509Certificate[] = [];
  if (signing && cert) extraCertsOut.push(cert, ...ownChain(cert, [...untrusted, ...ownTrusted]));
  for (const c of extraCerts) if (!extraCertsOut.some((e) => e.equal(c))) extraCertsOut.push(c);

  const senderKID = signing ? (cert ? subjectKeyId(cert) : undefined) : o.ref !== undefined ? textBytes(o.ref) : undefined;

  // One connection pool per session: a transaction keeps its connection alive between messages,
  // and ends it with the transaction (as OpenSSL does), whatever way the transaction ends. The
  // options are resolved once, here.
  const newHttpTransfer = !o.transfer && o.server ? httpTransferFactory(httpOptions(o, tls)) : undefined;
  const openTransfer = (): SessionTransfer => {
    let inner: Transfer | undefined = o.transfer;
    let close = (): void => undefined;
    if (newHttpTransfer !== undefined) {
      const http = newHttpTransfer();
      inner = http;
      close = () => http.close();
    }
    const files = o.files;
    const wrap = o.interceptTransfer ?? ((send: Transfer) => send);
    if (files && (files.reqout || files.rspin || files.reqin || files.rspout)) {
      // With -rspin alone, responses come from files only (OpenSSL: -rspin without -server).
      return { transfer: wrap(createFileTransfer(files, inner)), close };
    }
    if (!inner) throw missingServer();
    return { transfer: wrap(inner), close };
  };
  if (!o.transfer && !o.server && !o.files?.rspin) throw missingServer();

  return {
    options: o,
    protection,
    ...(cert ? { cert } : {}),
    ...(key ? { key } : {}),
    ...(kemKey ? { kemKey } : {}),
    extraCertsOut,
    ...(senderKID ? { senderKID } : {}),
    sender: dn(senderName),
    recipient: dn(recipientName),
    ...(newKey ? { newKey } : {}),
    ...(newKemKey ? { newKemKey } : {}),
    ...(oldCert ? { oldCert } : {}),
    ...(csr ? { csr } : {}),
    ...(subject ? { subject } : {}),
    ...(issuer ? { issuer } : {}),
    ...(serialNumber ? { serialNumber } : {}),
    digest,
    ...(srvCert ? { srvCert } : {}),
    trusted,
    untrusted,
    ...(outTrusted ? { outTrusted } : {}),
    ...(o.expectSender !== undefined
      ? { expectedSender: nameOption(o.expectSender, 'expectSender') }
      : srvCert
        ? { expectedSender: nameOf(srvCert, 'subject') }
        : {}),
    openTransfer,
    now: o.now ?? Date.now,
  };
}
