/**
 * What revocation checking refuses before it checks anything: options that are not options, and
 * CRL sources that hold no CRL. Each gives one typed error naming the source, never its content.
 */
import { isCmpError, type ErrorCode } from '../../src/errors';
import { validatePath, type PathValidationOptions } from '../../src/pki/path';
import { makeChain, type TestChain } from './certificate-factory';

let chain: TestChain;

beforeAll(async () => {
  chain = await makeChain('p256', 'CRL Input');
});

async function failure(options: Partial<PathValidationOptions>): Promise<{ code: ErrorCode; message: string }> {
  try {
    await validatePath(chain.leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert], ...options });
  } catch (e) {
    if (isCmpError(e)) return { code: e.code, message: e.message };
    throw e;
  }
  throw new Error('expected validatePath to fail');
}

describe('revocation checking input', () => {
  it('refuses a crlCheck other than leaf or all', async () => {
    expect(await failure({ crlCheck: 'chain' as never })).toEqual({
      code: 'ERR_INVALID_OPTION',
      message: "crlCheck must be 'leaf' or 'all', got chain",
    });
  });

  it('refuses PEM text that holds certificates but no CRL', async () => {
    expect(await failure({ crlCheck: 'leaf', crls: chain.root.cert.toString('pem') })).toEqual({
      code: 'ERR_CREDENTIALS',
      message: 'no CRL in CRL PEM text',
    });
  });

  it('refuses bytes that are not a CRL, naming them without showing them', async () => {
    const { code, message } = await failure({ crlCheck: 'leaf', crls: [new Uint8Array(chain.leaf.cert.rawData)] });
    expect(code).toBe('ERR_CREDENTIALS');
    expect(message).toBe('cannot parse CRL bytes as an X.509 CRL');
  });

  it('refuses a CRL file that cannot be read', async () => {
    expect(await failure({ crlCheck: 'all', crls: ['/nonexistent/cmpflow.crl'] })).toEqual({
      code: 'ERR_FILE',
      message: 'cannot read CRL file /nonexistent/cmpflow.crl: ENOENT',
    });
  });

  it('does not read CRLs it is not asked to check with', async () => {
    await expect(
      validatePath(chain.leaf.cert, { trusted: [chain.root.cert], untrusted: [chain.intermediate.cert], crls: ['/nonexistent/cmpflow.crl'] }),
    ).resolves.toHaveLength(3);
  });
});
