/**
 * The library names its options as CmpClientOptions does (`newKey`, `tls.cert`); the CLI names
 * them as `openssl cmp` does (`-newkey`, `-tls_cert`). Errors of the library list the options
 * they mention (CmpError.options), and this turns exactly those mentions into the CLI's names.
 */
import { CmpError } from '../errors';

const CLI_NAMES: Readonly<Record<string, string>> = {
  server: 'server',
  path: 'path',
  proxy: 'proxy',
  noProxy: 'no_proxy',
  recipient: 'recipient',
  keepAlive: 'keep_alive',
  msgTimeout: 'msg_timeout',
  totalTimeout: 'total_timeout',
  'tls.used': 'tls_used',
  'tls.cert': 'tls_cert',
  'tls.key': 'tls_key',
  'tls.keyPass': 'tls_keypass',
  'tls.extra': 'tls_extra',
  'tls.trusted': 'tls_trusted',
  'tls.host': 'tls_host',
  srvCert: 'srvcert',
  trusted: 'trusted',
  untrusted: 'untrusted',
  expectSender: 'expect_sender',
  ignoreKeyUsage: 'ignore_keyusage',
  requireCmcEku: 'require_cmc_eku',
  unprotectedErrors: 'unprotected_errors',
  outTrusted: 'out_trusted',
  noCacheExtraCerts: 'no_cache_extracerts',
  ref: 'ref',
  secret: 'secret',
  cert: 'cert',
  key: 'key',
  keyPass: 'keypass',
  otherPass: 'otherpass',
  ownTrusted: 'own_trusted',
  extraCerts: 'extracerts',
  digest: 'digest',
  mac: 'mac',
  unprotectedRequests: 'unprotected_requests',
  newKey: 'newkey',
  newKeyPass: 'newkeypass',
  centralKeyGeneration: 'centralkeygen',
  subject: 'subject',
  issuer: 'issuer',
  days: 'days',
  sans: 'sans',
  policyOids: 'policy_oids',
  popo: 'popo',
  csr: 'csr',
  implicitConfirm: 'implicit_confirm',
  disableConfirm: 'disable_confirm',
  oldCert: 'oldcert',
  serialNumber: 'serial',
  revReason: 'revreason',
  generalInfo: 'geninfo',
};

/** The `-option` the CLI has for a library option, if it has one. */
export function cliOptionName(libraryOption: string): string | undefined {
  const name = CLI_NAMES[libraryOption];
  return name === undefined ? undefined : `-${name}`;
}

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * The error as the CLI reports it: the `option: ` prefix and the other options the error lists
 * under their CLI names; everything else of the message (file names, reasons) as it is.
 */
export function inCliTerms(e: unknown): unknown {
  if (!(e instanceof CmpError) || e.options === undefined || e.options.length === 0) return e;
  let message = e.message;
  const [first, ...others] = e.options;
  const prefixed = first !== undefined && message.startsWith(`${first}: `);
  let head = '';
  if (prefixed) {
    head = `${cliOptionName(first) ?? first}: `;
    message = message.slice(first.length + 2);
  }
  for (const option of prefixed ? others : e.options) {
    const cli = cliOptionName(option);
    if (cli === undefined) continue;
    message = message.replace(new RegExp(`(?<![\\w./\\\\-])${escape(option)}(?![\\w./\\\\-])`, 'g'), cli);
  }
  return new CmpError(e.code, head + message, {
    cause: e,
    options: e.options,
    ...(e.status !== undefined ? { status: e.status } : {}),
    ...(e.failInfo !== undefined ? { failInfo: e.failInfo } : {}),
    ...(e.statusString !== undefined ? { statusString: e.statusString } : {}),
  });
}
