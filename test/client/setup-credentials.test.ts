/**
 * How the client turns its credential options into what it signs and sends, as `openssl cmp` 3.0
 * does: cert's further certificates are untrusted and follow the signer in extraCerts, a PKCS#12
 * file serves as cert and key, a secret wins over cert and key, and every failure is one CmpError
 * naming the CmpClientOptions option (the CLI translates it) and the file, with nothing sent.
 */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { CmpClient, type CmpClientOptions } from '../../src';
import { setupClient } from '../../src/client/setup';
import { CmpError, isCmpError } from '../../src/errors';
import type { Transfer } from '../../src/transport/types';

const MOCK = path.join(__dirname, '../openssl-rows/data/Mock');
const mock = (name: string) => path.join(MOCK, name);
const cn = (subject: string) => /CN=([^,]+)/.exec(subject)?.[1];

/** Records what would be sent; setup failures must leave it empty. */
function recordingTransfer(): { transfer: Transfer; sent: Uint8Array[] } {
  const sent: Uint8Array[] = [];
  return {
    sent,
    transfer: async (request) => {
      sent.push(request);
      throw new Error('this test sends nothing');
    },
  };
}

const signer = (): CmpClientOptions => ({
  transfer: recordingTransfer().transfer,
  cert: mock('signer.crt'),
  key: mock('signer.p12'),
  keyPass: '12345',
  recipient: '/CN=CA',
});

async function setupError(options: CmpClientOptions): Promise<CmpError> {
  const e = await setupClient(options).then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  if (!isCmpError(e)) throw new Error(`expected a CmpError, got ${String(e)}`);
  return e;
}

describe('the signer certificate and its chain', () => {
  it('signs with the first certificate of a chain file; the others become untrusted and follow it in extraCerts', async () => {
    const setup = await setupClient(signer());
    expect(setup.protection.kind).toBe('signature');
    expect(cn(setup.cert!.subject)).toBe('leaf');
    expect(setup.untrusted.map((c) => cn(c.subject))).toEqual(['subinterCA', 'interCA']);
    expect(setup.extraCertsOut.map((c) => cn(c.subject))).toEqual(['leaf', 'subinterCA', 'interCA']);
  });

  it('takes cert and key from one PKCS#12 file: its key, its certificate, its other certificates as untrusted; the self-signed root is not sent', async () => {
    const setup = await setupClient({ ...signer(), cert: mock('signer.p12') });
    expect(cn(setup.cert!.subject)).toBe('leaf');
    expect(setup.untrusted.map((c) => cn(c.subject)).sort()).toEqual(['interCA', 'rootCA', 'subinterCA']);
    expect(setup.extraCertsOut.map((c) => cn(c.subject))).toEqual(['leaf', 'subinterCA', 'interCA']);
  });

  it('takes the same credentials as bytes: PKCS#12 for cert and key, PEM text for untrusted', async () => {
    const p12 = new Uint8Array(readFileSync(mock('signer.p12')));
    const setup = await setupClient({ ...signer(), cert: p12, key: p12, untrusted: readFileSync(mock('signer_issuing.crt'), 'utf8') });
    expect(setup.protection.kind).toBe('signature');
    expect(setup.extraCertsOut.map((c) => cn(c.subject))).toEqual(['leaf', 'subinterCA', 'interCA']);
  });

  it('keeps -extracerts after the signer and its chain, without repeating a certificate', async () => {
    const setup = await setupClient({ ...signer(), extraCerts: [mock('signer_issuing.crt'), mock('root.crt')] });
    const names = setup.extraCertsOut.map((c) => cn(c.subject));
    expect(names.slice(0, 3)).toEqual(['leaf', 'subinterCA', 'interCA']);
    expect(new Set(names).size).toBe(names.length);
  });
});

describe('options that take one certificate', () => {
  it("take the first of a chain file and the key's certificate of a PKCS#12 file, as OpenSSL's load_cert does", async () => {
    const fromChain = await setupClient({ ...signer(), oldCert: mock('signer.crt'), srvCert: mock('signer.p12'), otherPass: '12345' });
    expect(cn(fromChain.oldCert!.subject)).toBe('leaf');
    expect(cn(fromChain.srvCert!.subject)).toBe('leaf');
  });
});

describe('a secret wins over cert and key, as in OpenSSL', () => {
  it('protects with PBM even when cert and key do not belong together, after loading both', async () => {
    const setup = await setupClient({ ...signer(), cert: mock('root.crt'), secret: 'pbm-secret', ref: 'ref' });
    expect(setup.protection.kind).toBe('pbm');
    expect(setup.extraCertsOut).toEqual([]);
    expect(cn(setup.cert!.subject)).toBe('rootCA');
  });

  it('still reports a cert that cannot be loaded', async () => {
    const e = await setupError({ ...signer(), cert: mock('random.bin'), secret: 'pbm-secret' });
    expect(e.code).toBe('ERR_CREDENTIALS');
    expect(e.message).toMatch(/^cert: no certificate in a known format .*random\.bin$/);
  });
});

describe('bad credentials: one CmpError naming the library option and the file, nothing sent', () => {
  it.each<[string, Partial<CmpClientOptions>, string, RegExp, string[]]>([
    [
      'a cert file in no known format',
      { cert: mock('random.bin') },
      'ERR_CREDENTIALS',
      /^cert: no certificate in a known format \(PEM, DER, PKCS#12\) in .*random\.bin$/,
      ['cert'],
    ],
    [
      'a key file in no known format',
      { key: mock('random.bin') },
      'ERR_CREDENTIALS',
      /^key: no private key in a known format .*random\.bin$/,
      ['key'],
    ],
    [
      'a PKCS#12 key with a wrong pass phrase',
      { keyPass: '123456' },
      'ERR_BAD_PASSPHRASE',
      /^key: .*signer\.p12: PKCS#12 MAC does not verify: wrong pass phrase/,
      ['key'],
    ],
    [
      "a chain whose first certificate is not the key's",
      { cert: mock('trusted.crt') },
      'ERR_CREDENTIALS',
      /^cert: the certificate in .*trusted\.crt does not match key$/,
      ['cert', 'key'],
    ],
    [
      'a missing newKey file',
      { newKey: mock('no-such.key') },
      'ERR_FILE',
      /^newKey: cannot read private key file .*no-such\.key: ENOENT$/,
      ['newKey'],
    ],
    ['a CSR that is a certificate', { csr: mock('signer.crt') }, 'ERR_CREDENTIALS', /^csr: no CERTIFICATE REQUEST in .*signer\.crt$/, ['csr']],
    [
      'a cert without key',
      { key: undefined },
      'ERR_MISSING_OPTION',
      /^key: missing; the protection certificate given as cert needs its private key$/,
      ['key', 'cert'],
    ],
  ])('%s', async (_what, bad, code, message, options) => {
    const recorder = recordingTransfer();
    const client = new CmpClient({ ...signer(), transfer: recorder.transfer, newKey: mock('new.key'), subject: '/CN=x', ...bad });
    const e = await client.ir().then(
      () => undefined,
      (thrown: unknown) => thrown,
    );
    expect(isCmpError(e)).toBe(true);
    const error = e as CmpError;
    expect(error.code).toBe(code);
    expect(error.message).toMatch(message);
    expect(error.options).toEqual(options);
    expect(error.message).not.toContain('12345');
    expect(recorder.sent).toHaveLength(0);
  });
});

describe('an encrypted PKCS#8 key that is not ML-KEM', () => {
  it('is decrypted once, whether it turns out to be ML-KEM or a signing key, and signs', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { encryptPrivateKeyInfo } = await import('../../src/credentials/pkcs8-encryption');
    const { encodePem } = await import('../../src/credentials');
    const pbe = await import('../../src/credentials/pbe');
    const der = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    const newKey = encodePem('ENCRYPTED PRIVATE KEY', encryptPrivateKeyInfo(new Uint8Array(der), 'key-pass'));
    const decrypt = jest.spyOn(pbe, 'decryptPrivateKeyInfo');
    try {
      const setup = await setupClient({ transfer: recordingTransfer().transfer, secret: 'pbm-secret', ref: 'r', newKey, newKeyPass: 'key-pass' });
      expect(decrypt).toHaveBeenCalledTimes(1);
      expect(setup.newKey).toBeDefined();
      expect(setup.newKemKey).toBeUndefined();
    } finally {
      decrypt.mockRestore();
    }
  });

  it('with a wrong pass phrase is one ERR_BAD_PASSPHRASE naming the option', async () => {
    const { generateKeyPairSync } = await import('node:crypto');
    const { encryptPrivateKeyInfo } = await import('../../src/credentials/pkcs8-encryption');
    const { encodePem } = await import('../../src/credentials');
    const der = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'der' });
    const newKey = encodePem('ENCRYPTED PRIVATE KEY', encryptPrivateKeyInfo(new Uint8Array(der), 'key-pass'));
    const e = await setupError({ transfer: recordingTransfer().transfer, secret: 'pbm-secret', ref: 'r', newKey, newKeyPass: 'wrong' });
    expect(e.code).toBe('ERR_BAD_PASSPHRASE');
    expect(e.message).toMatch(/^newKey: /);
  });
});
