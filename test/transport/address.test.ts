import { isProxyBypassed, parseProxyAddress, parseServerAddress } from '../../src/transport';
import { expectCmpError } from './helpers/cmp-error';

describe('parseServerAddress, for -server [http[s]://][userinfo@]host[:port][/path][?query][#fragment]', () => {
  it.each([
    ['ca.example.org', undefined, { useTls: false, host: 'ca.example.org', port: 80, path: '/' }],
    ['ca.example.org:8080/pkix/', undefined, { useTls: false, host: 'ca.example.org', port: 8080, path: '/pkix/' }],
    ['ca.example.org', true, { useTls: true, host: 'ca.example.org', port: 443, path: '/' }],
    ['https://ca.example.org/.well-known/cmp', undefined, { useTls: true, host: 'ca.example.org', port: 443, path: '/.well-known/cmp' }],
    ['http://user:pw@ca.example.org:80/p?x=1#frag', false, { useTls: false, host: 'ca.example.org', port: 80, path: '/p?x=1' }],
    ['[::1]:8080', undefined, { useTls: false, host: '::1', port: 8080, path: '/' }],
    ['http://CA.Example.ORG', undefined, { useTls: false, host: 'ca.example.org', port: 80, path: '/' }],
    // openssl cmp 3.0: -tls_used makes an http:// URL speak TLS, on the scheme's default port.
    ['http://ca.example.org', true, { useTls: true, host: 'ca.example.org', port: 80, path: '/', origin: 'https://ca.example.org:80' }],
  ] as const)('parses %s (tls.used %s)', (server, tlsUsed, expected) => {
    expect(parseServerAddress(server, tlsUsed)).toMatchObject(expected);
  });

  it('shows the address without userinfo', () => {
    const a = parseServerAddress('https://alice:secret@ca.example.org:8443/pkix', true);
    expect(a.display).toBe('https://ca.example.org:8443/pkix');
    expect(JSON.stringify(a)).not.toContain('secret');
  });

  it('lets an explicit path replace the one in the address, adding the leading slash', () => {
    expect(parseServerAddress('ca.example.org/one', undefined, 'two/x').path).toBe('/two/x');
  });

  it.each([
    ['', undefined],
    ['ftp://ca.example.org', undefined],
    ['http://', undefined],
    ['ca.example.org:0', undefined],
    ['ca.example.org:99999', undefined],
    // As openssl cmp 3.0 (OSSL_HTTP_parse_url): the scheme in lower case, no ':' without a port.
    ['HTTP://ca.example.org', undefined],
    ['Https://ca.example.org', undefined],
    ['127.0.0.1:', undefined],
    ['[::1]:/pkix', undefined],
    ['https://ca.example.org', false],
  ] as const)('rejects %j (tls.used %s) with ERR_INVALID_OPTION', async (server, tlsUsed) => {
    await expectCmpError(() => parseServerAddress(server, tlsUsed), 'ERR_INVALID_OPTION');
  });

  it('does not echo an address it cannot parse, which may hold a password', async () => {
    const err = await expectCmpError(() => parseServerAddress('http://u:topsecret@[bad', undefined), 'ERR_INVALID_OPTION');
    expect(err.message).not.toContain('topsecret');
  });
});

describe('parseProxyAddress, for -proxy', () => {
  it('defaults the port to 80, or 443 for an https scheme, and always speaks plain HTTP to the proxy', () => {
    expect(parseProxyAddress('proxy.example.org')).toEqual({ host: 'proxy.example.org', port: 80, display: 'http://proxy.example.org:80' });
    expect(parseProxyAddress('https://proxy.example.org')).toMatchObject({ port: 443, display: 'http://proxy.example.org:443' });
    expect(parseProxyAddress('http://u:p@proxy.example.org:3128/ignored')).toEqual({
      host: 'proxy.example.org',
      port: 3128,
      display: 'http://proxy.example.org:3128',
    });
  });
});

describe('isProxyBypassed, for -no_proxy and no_proxy', () => {
  it.each([
    ['ca.example.org', 'ca.example.org', true],
    ['ca.example.org', 'other.org,ca.example.org', true],
    ['ca.example.org', 'other.org   CA.EXAMPLE.ORG', true],
    ['ca.example.org', ' ,other.org, ', false],
    ['ca.example.org', 'example.org', false],
    ['ca.example.org', 'a.example.org', false],
    ['ca.example.org', '.example.org', true],
    ['example.org', '.example.org', false],
    ['ca.example.org', '*', true],
    ['::1', '[::1]', true],
    ['127.0.0.1', '127.0.0.10', false],
  ])('host %s with list %j: %s', (host, list, bypassed) => {
    expect(isProxyBypassed(host, list)).toBe(bypassed);
  });

  it('bypasses nothing without a list', () => {
    expect(isProxyBypassed('ca.example.org', undefined)).toBe(false);
  });
});
