/**
 * The CLI reports library errors in its own option names: exactly the options an error lists are
 * translated (its `option: ` prefix and its other mentions), never file names or other words.
 */
import { CmpError } from '../../src/errors';
import { cliOptionName, inCliTerms } from '../../src/cli/library-option-names';

const translated = (message: string, options?: string[]) =>
  (inCliTerms(new CmpError('ERR_CREDENTIALS', message, options ? { options } : {})) as CmpError).message;

describe('library option names in CLI terms', () => {
  it('maps camelCase and nested library options to the openssl cmp options', () => {
    expect([
      cliOptionName('newKey'),
      cliOptionName('oldCert'),
      cliOptionName('outTrusted'),
      cliOptionName('tls.cert'),
      cliOptionName('expectSender'),
    ]).toEqual(['-newkey', '-oldcert', '-out_trusted', '-tls_cert', '-expect_sender']);
    expect(cliOptionName('noSuchOption')).toBeUndefined();
  });

  it('translates the prefix, leaving the file name and the rest of the message alone', () => {
    expect(translated('key: cannot read private key file /tmp/key/key.pem: ENOENT', ['key'])).toBe(
      '-key: cannot read private key file /tmp/key/key.pem: ENOENT',
    );
    expect(translated('newKey: cannot read private key file newKey.pem: ENOENT', ['newKey'])).toBe(
      '-newkey: cannot read private key file newKey.pem: ENOENT',
    );
  });

  it('translates the other options the error lists wherever they stand as words', () => {
    expect(translated('key: missing; the protection certificate given as cert needs its private key', ['key', 'cert'])).toBe(
      '-key: missing; the protection certificate given as -cert needs its private key',
    );
    expect(
      translated('no protection credentials: give secret (with ref) or cert and key, or set unprotectedRequests', [
        'secret',
        'ref',
        'cert',
        'key',
        'unprotectedRequests',
      ]),
    ).toBe('no protection credentials: give -secret (with -ref) or -cert and -key, or set -unprotected_requests');
  });

  it('leaves errors that list no options, and anything that is not a CmpError, as they are', () => {
    expect(translated('cert: looks like an option but is not listed')).toBe('cert: looks like an option but is not listed');
    const other = new Error('cert: x');
    expect(inCliTerms(other)).toBe(other);
  });
});
