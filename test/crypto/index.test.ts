import { X509Certificate } from '@peculiar/x509';
import { getCryptoProvider, NodeCryptoProvider, setCryptoProvider, WebCryptoProvider } from '../../src/crypto';
import { generateOpenSslKey, openssl, TempDir } from './openssl-cli';

describe('crypto provider selection', () => {
  afterEach(() => setCryptoProvider(new NodeCryptoProvider()));

  test('the default provider is the Node one, and the same instance each time', () => {
    expect(getCryptoProvider()).toBeInstanceOf(NodeCryptoProvider);
    expect(getCryptoProvider()).toBe(getCryptoProvider());
  });

  test('setCryptoProvider replaces the provider everything gets', () => {
    const web = new WebCryptoProvider();
    setCryptoProvider(web);
    expect(getCryptoProvider()).toBe(web);
  });
});

describe('@peculiar/x509 configuration', () => {
  test('importing the crypto module lets @peculiar/x509 verify a certificate under jest', async () => {
    const dir = new TempDir();
    try {
      const key = generateOpenSslKey(dir, 'ca', 'EC:P-256');
      const pem = openssl(['req', '-new', '-x509', '-key', key.pemPath, '-subj', '/CN=x509 check', '-days', '1']).toString();
      const cert = new X509Certificate(pem);
      await expect(cert.verify({ signatureOnly: true })).resolves.toBe(true);
    } finally {
      dir.cleanup();
    }
  });
});
