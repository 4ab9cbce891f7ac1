/**
 * The TLS credentials of `CmpClientOptions.tls` (`-tls_cert`, `-tls_key`, `-tls_keypass`,
 * `-tls_extra`, `-tls_trusted`, `-tls_host`), loaded once per client through the credentials layer,
 * so they come in every form the other credential options take: file paths, PEM text, DER or
 * PKCS#12 bytes, loaded objects. The transport then receives only loaded material.
 */
import type { X509Certificate } from '@peculiar/x509';
import { encodePem, loadCertificateSet, loadPrivateKey, publicKeyMatches } from '../credentials';
import { getCryptoProvider, type PrivateKeyHandle } from '../crypto';
import { CmpError, ErrorCodes } from '../errors';
import type { CertificatesInput, CmpClientOptions, KeyInput } from '../options';
import type { HttpTlsOptions } from '../transport';
import { Pkcs11PrivateKey } from '../crypto/pkcs11';

type TlsInput = NonNullable<CmpClientOptions['tls']>;
type TlsOption = 'tls.cert' | 'tls.key' | 'tls.extra' | 'tls.trusted';

/**
 * Runs a loader; its errors name the file, this prefixes the option by its CmpClientOptions name
 * (the CLI turns `tls.cert` into `-tls_cert`).
 */
async function labelled<T>(option: TlsOption, load: () => Promise<T>): Promise<T> {
  try {
    return await load();
  } catch (e) {
    if (e instanceof CmpError) throw new CmpError(e.code, `${option}: ${e.message}`, { cause: e, options: [option] });
    throw e;
  }
}

/** A loaded certificate (an X509Certificate of @peculiar/x509, told by shape: it may come from another copy of the package). */
function isLoaded(input: unknown): input is X509Certificate {
  return typeof input === 'object' && input !== null && !(input instanceof Uint8Array) && 'rawData' in input;
}

/** Each source in PEM, DER or PKCS#12 (opened with `passphrase`), or already loaded. */
async function certificatesOf(input: CertificatesInput | undefined, option: TlsOption, passphrase: string | undefined): Promise<X509Certificate[]> {
  if (input === undefined) return [];
  const loaded: X509Certificate[] = [];
  for (const item of Array.isArray(input) ? input : [input]) {
    if (isLoaded(item)) loaded.push(item);
    else loaded.push(...(await labelled(option, () => loadCertificateSet(item, passphrase !== undefined ? { passphrase } : {}))));
  }
  return loaded;
}

async function keyOf(input: KeyInput, passphrase: string | undefined): Promise<PrivateKeyHandle> {
  if (typeof input === 'object' && !(input instanceof Uint8Array)) return input;
  return labelled('tls.key', () => loadPrivateKey(input, passphrase));
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
 * Loads the TLS options as `openssl cmp` 3.0 does (apps/cmp.c setup_ssl_ctx): tls.keyPass opens
 * the key and a PKCS#12 tls.cert, `otherPass` PKCS#12 tls.extra files. `untrusted` (-untrusted)
 * also serves to complete the client certificate's chain; tls.extra certificates are sent in
 * addition, whatever they are. Errors name the option and the file, never key material.
 */
export async function loadTlsCredentials(tls: TlsInput, untrusted: X509Certificate[], otherPass?: string): Promise<HttpTlsOptions> {
  const out: HttpTlsOptions = { used: true };
  if (tls.trusted !== undefined) {
    const trusted = await certificatesOf(tls.trusted, 'tls.trusted', undefined);
    if (trusted.length === 0) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'tls.trusted: no certificate given', { options: ['tls.trusted'] });
    out.trusted = trusted.map(pemOf);
  }
  if (tls.host !== undefined) out.host = tls.host;
  const hasExtra = tls.extra !== undefined && (!Array.isArray(tls.extra) || tls.extra.length > 0);
  if (tls.cert === undefined && tls.key === undefined) {
    if (hasExtra)
      throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'tls.extra: needs tls.cert and tls.key', { options: ['tls.extra', 'tls.cert', 'tls.key'] });
    return out;
  }
  if (tls.key === undefined) {
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'tls.key: missing; the TLS client certificate given as tls.cert needs its private key', {
      options: ['tls.key', 'tls.cert'],
    });
  }
  if (tls.cert === undefined) {
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'tls.cert: missing; the TLS client key given as tls.key needs its certificate', {
      options: ['tls.cert', 'tls.key'],
    });
  }

  // The first certificate is ours; any further ones in the same source are its chain (OpenSSL load_cert_certs).
  const [leaf, ...bundled] = await certificatesOf(tls.cert, 'tls.cert', tls.keyPass);
  if (leaf === undefined) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'tls.cert: no certificate given', { options: ['tls.cert'] });
  const key = await keyOf(tls.key, tls.keyPass);
  if (!publicKeyMatches(key, leaf)) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'tls.key: does not match the TLS client certificate given as tls.cert', {
      options: ['tls.key', 'tls.cert'],
    });
  }
  const extra = await certificatesOf(tls.extra, 'tls.extra', otherPass);
  const chain = issuerChain(leaf, [...bundled, ...untrusted]);
  out.cert = [leaf, ...chain].map(pemOf).join('');
  if (extra.length > 0) out.extra = extra.map(pemOf);
  if (key instanceof Pkcs11PrivateKey) {
    // A token key never leaves its token, and Node's TLS has no signing hook: OpenSSL opens it.
    out.engineKey = key.openSslEngineKey();
    return out;
  }
  // Node's TLS layer needs the key itself in its secure context (there is no signing hook), so it
  // is exported, as PKCS#8 PEM that lives only in the connection agent's memory.
  const pkcs8 = await getCryptoProvider().exportPrivateKey(key);
  out.key = encodePem('PRIVATE KEY', pkcs8);
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
