import type * as http from 'node:http';
import type * as https from 'node:https';
import type * as tls from 'node:tls';
import { CmpError, ErrorCodes } from '../errors';
import type { ProxyAddress } from './address';
import type * as tunnel from './connect-tunnel-agent';
import type { ResponseSink } from './plain-http-exchange';
import { certificatesToPem, privateKeyToPem, type CertificateSource, type PrivateKeySource } from './tls-material';

/**
 * HTTPS exchanges through node:https and its agents (directly, or through a proxy's CONNECT
 * tunnel), reporting to the same ResponseSink as plain-http-exchange.ts does over node:net, and
 * the TLS options those agents are made of. The transfer (http.ts) decides which one a message takes.
 */

export interface HttpTlsOptions {
  /**
   * Use TLS (`-tls_used`). An https:// server URL implies it; true makes even an http:// URL use
   * TLS (on port 80 unless it gives one), as `openssl cmp` 3.0 does; false contradicts https://.
   * The credentials below are loaded material (PEM text, DER bytes): CmpClient loads file paths,
   * PKCS#12 and key objects through src/credentials before they come here.
   */
  used: boolean;
  /** Client certificate for TLS client authentication (`-tls_cert`). */
  cert?: CertificateSource;
  /** Its private key (`-tls_key`). */
  key?: PrivateKeySource;
  /**
   * Instead of `key`, a key that OpenSSL opens through an engine (a PKCS#11 token key, which
   * never leaves the token). `identifier` may carry a PIN: it is called only to make the context.
   */
  engineKey?: { engine: string; identifier(): string };
  /** Pass phrase of an encrypted `key` (`-tls_keypass`). */
  keyPassphrase?: string;
  /**
   * CA certificates that may issue the server's certificate (`-tls_trusted`). Unlike
   * `openssl cmp`, which skips server authentication without them, the default is
   * Node's bundled root CAs: a TLS connection here is always authenticated.
   */
  trusted?: CertificateSource | CertificateSource[];
  /** DNS name or IP address to expect in the server certificate (`-tls_host`); default: the server's host. */
  host?: string;
  /** Intermediate certificates sent along with `cert` (`-tls_extra`). */
  extra?: CertificateSource[];
}

/*
 * node:https (and with it node:http), node:tls and the proxy tunnel agent load when a transfer
 * uses TLS: CPU that every plain-HTTP command (a CLI run is mostly start-up) would pay otherwise.
 */
/* eslint-disable @typescript-eslint/no-require-imports -- loaded on first use, see above */
const loadHttps = () => require('node:https') as typeof https;
const loadTls = () => require('node:tls') as typeof tls;
const loadTunnelAgent = () => (require('./connect-tunnel-agent') as typeof tunnel).ConnectTunnelAgent;
/* eslint-enable @typescript-eslint/no-require-imports */

const engineOptions = (o: https.AgentOptions) =>
  o.privateKeyEngine !== undefined ? { privateKeyEngine: o.privateKeyEngine, privateKeyIdentifier: o.privateKeyIdentifier! } : {};

function tlsAgentOptions(opts: HttpTlsOptions | undefined): https.AgentOptions {
  const result: https.AgentOptions = { minVersion: 'TLSv1.2', rejectUnauthorized: true };
  if (opts === undefined) return result;
  if (opts.trusted !== undefined) {
    const sources = Array.isArray(opts.trusted) ? opts.trusted : [opts.trusted];
    result.ca = sources.flatMap((s) => certificatesToPem(s, 'tls.trusted'));
    if (result.ca.length === 0) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'tls.trusted holds no certificate');
  }
  const hasKey = opts.key !== undefined || opts.engineKey !== undefined;
  if ((opts.cert === undefined) !== !hasKey) {
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'tls.cert and tls.key must be given together');
  }
  if (opts.extra !== undefined && opts.extra.length > 0 && opts.cert === undefined) {
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'tls.extra needs tls.cert');
  }
  if (opts.cert !== undefined && hasKey) {
    const chain = [...certificatesToPem(opts.cert, 'tls.cert'), ...(opts.extra ?? []).flatMap((s) => certificatesToPem(s, 'tls.extra'))];
    result.cert = chain.join('');
    if (opts.engineKey !== undefined) {
      result.privateKeyEngine = opts.engineKey.engine;
      result.privateKeyIdentifier = opts.engineKey.identifier();
    } else result.key = privateKeyToPem(opts.key!, opts.keyPassphrase, 'tls.key');
    try {
      loadTls().createSecureContext({ cert: result.cert, ...(result.key !== undefined ? { key: result.key } : {}), ...engineOptions(result) });
    } catch (e) {
      if (opts.engineKey !== undefined)
        // OpenSSL's messages here name the engine or the token, never the identifier's PIN.
        throw new CmpError(
          ErrorCodes.ERR_CREDENTIALS,
          `tls.key: OpenSSL's ${opts.engineKey.engine} engine cannot use the token key (is libengine-pkcs11-openssl installed and OPENSSL_ENGINES its folder?): ${(e as Error).message}`,
        );
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'tls.key does not belong to tls.cert');
    }
  }
  if (opts.host !== undefined) {
    const expected = opts.host.trim();
    if (expected === '') throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'tls.host is empty');
    result.checkServerIdentity = (_host, cert) => loadTls().checkServerIdentity(expected, cert);
  }
  return result;
}

/** The options of the agents a transfer makes, checked once: `keepAlive` as the transfer's, `tlsOptions` loaded material. */
export function tlsAgentOptionsFor(keepAlive: boolean, tlsOptions: HttpTlsOptions | undefined): https.AgentOptions {
  // Nagle's algorithm would hold back the small request until the previous segment is
  // acknowledged, adding a delayed-ACK round trip (~40 ms) to each message.
  const base: http.AgentOptions = { keepAlive, noDelay: true, scheduling: 'lifo' };
  return { ...base, ...tlsAgentOptions(tlsOptions) };
}

/** An agent of its own for one transfer: through the proxy's CONNECT tunnel when there is one. */
export function newTlsAgent(options: https.AgentOptions, proxy: ProxyAddress | undefined, timeoutMs: number): http.Agent {
  if (proxy !== undefined) return new (loadTunnelAgent())(proxy, options, timeoutMs);
  return new (loadHttps().Agent)(options);
}

/** The bytes of `chunks` in one fresh array: a chunk may be a view into a larger socket or pool buffer. */
function joinChunks(chunks: Buffer[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/**
 * Sends one request through node:http(s) and its agent (TLS, and TLS through a proxy's CONNECT
 * tunnel), reporting to `sink` as PlainHttpConnections does. Returns a cancel function.
 */
export function sendOverHttps(options: https.RequestOptions & { headers: string[] }, body: Uint8Array, sink: ResponseSink): () => void {
  let req: http.ClientRequest | undefined;
  const cancel = () => req?.destroy();
  try {
    // The spread last: spread first, V8 11 gives each request's options a map of its own (ninth session).
    req = loadHttps().request({ method: 'POST', ...options });
  } catch (e) {
    sink.fail(e);
    return cancel;
  }
  req.on('error', (e) => sink.fail(e));
  req.on('response', (res: http.IncomingMessage) => {
    res.on('error', (e) => sink.fail(e));
    const refusal = sink.head(res);
    if (refusal !== undefined) return sink.fail(refusal);
    const chunks: Buffer[] = [];
    let total = 0;
    res.on('data', (chunk: Buffer) => {
      total += chunk.length;
      // Checked per chunk so an endless or oversized body is cut off, not buffered.
      const tooLarge = sink.progress(total);
      if (tooLarge !== undefined) return sink.fail(tooLarge);
      chunks.push(chunk);
    });
    res.on('end', () => sink.done(joinChunks(chunks, total)));
    // Node reports a connection lost mid-body as an 'error'; this covers a silent close.
    res.on('close', () => {
      if (res.complete) return;
      sink.fail(Object.assign(new Error('connection closed during the response'), { code: 'ECONNRESET' }));
    });
  });
  req.end(body);
  return cancel;
}
