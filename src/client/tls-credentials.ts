/**
 * The TLS credentials of `CmpClientOptions.tls` (`-tls_cert`, `-tls_key`, `-tls_keypass`,
 * `-tls_extra`, `-tls_trusted`, `-tls_host`), loaded once per client through the credentials layer,
 * so they come in every form the other credential options take: file paths, PEM text, DER or
 * PKCS#12 bytes, loaded objects. The transport then receives only loaded material.
 */
import type { X509Certificate } from '@peculiar/x509';
import { encodePem, loadCertificates, loadPrivateKey, publicKeyMatches } from '../credentials';
import { getCryptoProvider, type PrivateKeyHandle } from '../crypto';
import { CmpError, ErrorCodes } from '../errors';
import type { CertificateInput, CertificatesInput, CmpClientOptions, KeyInput } from '../options';
import type { HttpTlsOptions } from '../transport';

type TlsInput = NonNullable<CmpClientOptions['tls']>;

/** A loaded certificate: an X509Certificate of @peculiar/x509 (checked by shape, it may come from another copy of the package). */
function isLoaded(input: CertificateInput): input is X509Certificate {
  return typeof input === 'object' && !(input instanceof Uint8Array) && 'rawData' in input;
}

/** Prefixes the option, since the loaders name only the file. */
function labelled<T>(what: string, load: () => T): T {
  try {
    return load();
  } catch (e) {
    if (e instanceof CmpError) throw new CmpError(e.code, `${what}: ${e.message}`, { cause: e });
    throw e;
  }
}

function certificatesOf(input: CertificatesInput | undefined, what: string): X509Certificate[] {
  if (input === undefined) return [];
  const list = Array.isArray(input) ? input : [input];
  return list.flatMap((item) => (isLoaded(item) ? [item] : labelled(what, () => loadCertificates(item))));
}

async function keyOf(input: KeyInput, pass: string | undefined, what: string): Promise<PrivateKeyHandle> {
  if (typeof input === 'object' && !(input instanceof Uint8Array)) return input;
  try {
    return await loadPrivateKey(input, pass);
  } catch (e) {
    if (e instanceof CmpError) throw new CmpError(e.code, `${what}: ${e.message}`, { cause: e });
    throw e;
  }
}

const pemOf = (cert: X509Certificate) => encodePem('CERTIFICATE', new Uint8Array(cert.rawData));

/**
 * The chain sent after the client certificate: its issuers among `pool`, nearest first, up to but
 * without the self-signed root (the server has that), as OpenSSL's SSL_CTX_build_cert_chain
 * with SSL_BUILD_CHAIN_FLAG_NO_ROOT. Certificates in the pool that are no issuer are left out.
 */
function issuerChain(leaf: X509Certificate, pool: X509Certificate[]): X509Certificate[] {
  const chain: X509Certificate[] = [];
  let current = leaf;
  while (chain.length < 10 && current.subject !== current.issuer) {
    const issuer = pool.find((c) => c.subject === current.issuer && c.subject !== c.issuer && !chain.includes(c) && c !== leaf);
    if (issuer === undefined) break;
    chain.push(issuer);
    current = issuer;
  }
  return chain;
}

/**
 * Loads the TLS options. `untrusted` (-untrusted) also serves to complete the client certificate's
 * chain, as in `openssl cmp`; -tls_extra certificates are sent in addition, whatever they are.
 * Errors name the option and the file, never key material.
 */
export async function loadTlsCredentials(tls: TlsInput, untrusted: X509Certificate[]): Promise<HttpTlsOptions> {
  const out: HttpTlsOptions = { used: true };
  if (tls.trusted !== undefined) {
    const trusted = certificatesOf(tls.trusted, '-tls_trusted');
    if (trusted.length === 0) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, '-tls_trusted: no certificate given');
    out.trusted = trusted.map(pemOf);
  }
  if (tls.host !== undefined) out.host = tls.host;
  const hasExtra = tls.extra !== undefined && (!Array.isArray(tls.extra) || tls.extra.length > 0);
  if (tls.cert === undefined && tls.key === undefined) {
    if (hasExtra) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, '-tls_extra: needs -tls_cert and -tls_key');
    return out;
  }
  if (tls.key === undefined) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'missing -tls_key for the TLS client certificate -tls_cert');
  if (tls.cert === undefined) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'missing -tls_cert for the TLS client key -tls_key');

  // The first certificate is ours; any further ones in the same source are its chain (OpenSSL load_cert_certs).
  const [leaf, ...bundled] = certificatesOf(tls.cert, '-tls_cert');
  if (leaf === undefined) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, '-tls_cert: no certificate given');
  const key = await keyOf(tls.key, tls.keyPass, '-tls_key');
  if (!publicKeyMatches(key, leaf)) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, '-tls_key does not match the certificate in -tls_cert');
  }
  const extra = certificatesOf(tls.extra, '-tls_extra');
  const chain = issuerChain(leaf, [...bundled, ...untrusted]);
  // Node's TLS layer needs the key itself in its secure context (there is no signing hook), so it
  // is exported, as PKCS#8 PEM that lives only in the connection agent's memory.
  const pkcs8 = await getCryptoProvider().exportPrivateKey(key);
  out.cert = [leaf, ...chain].map(pemOf).join('');
  out.key = encodePem('PRIVATE KEY', pkcs8);
  if (extra.length > 0) out.extra = extra.map(pemOf);
  return out;
}

/**
 * Whether the client talks TLS to its HTTP server: with tls.used, or with an https:// server URL
 * unless tls.used is false. Without a server (message files only) or with a custom transfer, the
 * TLS options have nothing to act on and are not loaded, as `openssl cmp` ignores -tls_used then.
 */
export function tlsInEffect(o: CmpClientOptions): boolean {
  if (o.server === undefined || o.transfer !== undefined) return false;
  if (o.tls?.used !== undefined) return o.tls.used;
  return /^\s*https:\/\//i.test(o.server);
}
