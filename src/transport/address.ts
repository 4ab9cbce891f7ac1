import { CmpError, ErrorCodes } from '../errors';

/**
 * Parsing of the `openssl cmp` address options: -server and -proxy take
 * `[http[s]://][userinfo@]host[:port][/path][?query][#fragment]`, -no_proxy a host list.
 * Userinfo is ignored, as OpenSSL does, and never shown: `display` strings are safe for messages.
 */

export interface ServerAddress {
  useTls: boolean;
  /** Host name or IP address, IPv6 without brackets. */
  host: string;
  port: number;
  /** Request target: path plus any query, always starting with '/'. */
  path: string;
  /** http(s)://host:port/path without userinfo, for messages. */
  display: string;
  /** http(s)://host:port without path, for the request URL. */
  origin: string;
}

export interface ProxyAddress {
  host: string;
  port: number;
  /** http://host:port, for messages. */
  display: string;
}

const SCHEME = /^([A-Za-z][A-Za-z0-9+.-]*):\/\//;

interface ParsedUrl {
  scheme: 'http' | 'https' | undefined;
  url: URL;
}

function parseHttpUrl(input: string, what: string): ParsedUrl {
  const trimmed = input.trim();
  if (trimmed === '') throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what} address is empty`);
  const m = SCHEME.exec(trimmed);
  // As OpenSSL's OSSL_HTTP_parse_url: the scheme is spelled in lower case, and a ':' promises a port.
  const scheme = m?.[1];
  if (scheme !== undefined && scheme !== 'http' && scheme !== 'https') {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what} address must use http or https, not '${scheme}'`);
  }
  const authority = trimmed.slice(m?.[0].length ?? 0).split(/[/?#]/, 1)[0]!;
  if (authority.endsWith(':')) throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what} address has an empty port`);
  let url: URL;
  try {
    // The scheme only steers WHATWG parsing here; TLS is decided by the caller.
    url = new URL(scheme === undefined ? `http://${trimmed}` : trimmed);
  } catch {
    // The input may carry userinfo, so it is not echoed.
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what} address is not of the form [http[s]://]host[:port][/path]`);
  }
  if (url.hostname === '') throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what} address has no host`);
  if (url.port === '0') throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, `${what} port must not be 0`);
  return { scheme: scheme as ParsedUrl['scheme'], url };
}

function bareHost(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/**
 * Parses -server. `tlsUsed` is the caller's tls.used (undefined when no TLS options were given):
 * an https URL needs TLS (false contradicts it); true makes even an http URL use TLS.
 * `path`, when given, replaces the URL's path (as -path does).
 */
export function parseServerAddress(server: string, tlsUsed: boolean | undefined, path?: string): ServerAddress {
  const { scheme, url } = parseHttpUrl(server, 'server');
  if (scheme === 'https' && tlsUsed === false) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'server URL says https but tls.used is false');
  }
  // tls.used wins over an http:// scheme, as -tls_used does in openssl cmp 3.0, whose URL scheme
  // then only sets the default port (80); without a scheme the default port follows TLS.
  const useTls = scheme === 'https' || tlsUsed === true;
  const port = url.port !== '' ? Number(url.port) : scheme === 'https' || (scheme === undefined && useTls) ? 443 : 80;
  const target = path !== undefined ? normalizePath(path) : `${url.pathname}${url.search}`;
  const origin = `${useTls ? 'https' : 'http'}://${url.hostname}:${port}`;
  return { useTls, host: bareHost(url.hostname), port, path: target, origin, display: `${origin}${target}` };
}

function normalizePath(path: string): string {
  // Whitespace or control characters would let a path split the request line.
  if (/[\s\u0000-\u001f\u007f]/.test(path)) {
    throw new CmpError(ErrorCodes.ERR_INVALID_OPTION, 'path must not contain whitespace or control characters');
  }
  return path.startsWith('/') ? path : `/${path}`;
}

/**
 * Parses -proxy. As in OpenSSL the scheme only sets the default port (80, or 443 for https):
 * the proxy itself is always spoken to in plain HTTP; path, query and userinfo are ignored.
 */
export function parseProxyAddress(proxy: string): ProxyAddress {
  const { scheme, url } = parseHttpUrl(proxy, 'proxy');
  const port = url.port !== '' ? Number(url.port) : scheme === 'https' ? 443 : 80;
  return { host: bareHost(url.hostname), port, display: `http://${url.hostname}:${port}` };
}

/**
 * True when `host` is listed in `noProxy` (entries separated by commas and/or whitespace).
 * Entries match the whole host name, case-insensitively, as in OpenSSL; beyond OpenSSL,
 * '*' matches every host and an entry with a leading dot matches any subdomain, as the
 * no_proxy convention of curl and wget has it (neither form can be a host name, so no
 * OpenSSL list changes meaning).
 */
export function isProxyBypassed(host: string, noProxy: string | undefined): boolean {
  if (noProxy === undefined) return false;
  const target = bareHost(host).toLowerCase();
  return noProxy
    .split(/[\s,]+/)
    .filter((e) => e !== '')
    .some((raw) => {
      const entry = bareHost(raw.toLowerCase());
      if (entry === '*') return true;
      if (entry.startsWith('.')) return target.endsWith(entry);
      return entry === target;
    });
}

/** Environment variables as `openssl cmp` reads them; the lower-case name wins. */
function fromEnv(env: Record<string, string | undefined>, name: string): string | undefined {
  return env[name] ?? env[name.toUpperCase()];
}

/**
 * The proxy to use for `server`, or undefined for a direct connection. Without an explicit
 * `proxy` it comes from http_proxy/HTTP_PROXY (plain HTTP) or https_proxy/HTTPS_PROXY (TLS),
 * and without an explicit `noProxy` the bypass list from no_proxy/NO_PROXY, as `openssl cmp`
 * does. An empty proxy string means no proxy, which lets a caller override the environment.
 */
export function selectProxy(
  server: ServerAddress,
  proxy: string | undefined,
  noProxy: string | undefined,
  env: Record<string, string | undefined>,
): ProxyAddress | undefined {
  const chosen = proxy ?? fromEnv(env, server.useTls ? 'https_proxy' : 'http_proxy');
  if (chosen === undefined || chosen.trim() === '') return undefined;
  if (isProxyBypassed(server.host, noProxy ?? fromEnv(env, 'no_proxy'))) return undefined;
  return parseProxyAddress(chosen);
}
