/**
 * The options of `cmpflow`: every option of `openssl cmp` 3.5 (apps/cmp.c `cmp_options[]` with the
 * provider, random-state and verification options it includes), in its order and groups, plus
 * cmpflow's own. One table
 * drives the argv parser, the config file lookup and `-help`, so the three cannot drift apart.
 */

/**
 * OpenSSL's value type letter: '-' flag, 's' string, 'n' int, 'N' non-negative int, 'p' positive
 * int, 'M' intmax, '>' output file. It decides how a value is read and what `-help` shows.
 */
export type ValueType = '-' | 's' | 'n' | 'N' | 'p' | 'M' | '>';

/**
 * What a string value means to cmpflow: a pass phrase source (`pass:`, `env:`, `file:`, `fd:`,
 * `stdin`) that must never be echoed, one path, a comma/space-separated list of paths or items,
 * a distinguished name, or plain text.
 */
export type ValueMeaning = 'text' | 'passphrase' | 'path' | 'paths' | 'list' | 'dn';

export type OptionGroup =
  | 'general'
  | 'Generic message'
  | 'Certificate enrollment'
  | 'Certificate enrollment and revocation'
  | 'Message transfer'
  | 'Server authentication'
  | 'Client authentication'
  | 'Credentials format'
  | 'Provider'
  | 'Random state'
  | 'TLS connection'
  | 'Client-side debugging'
  | 'Mock server'
  | 'Validation'
  | 'cmpflow';

export interface OptionSpec {
  name: string;
  type: ValueType;
  meaning: ValueMeaning;
  group: OptionGroup;
  help: string[];
  /** Inclusive bounds checked after the type's own check (CLI and config file alike). */
  min?: number;
  max?: number;
  /** Every occurrence adds a value instead of replacing the previous one (-policy, -provider). */
  repeatable?: boolean;
  /** False for -help, -config and -section, which the config file cannot set. */
  inConfig: boolean;
  origin: 'openssl' | 'cmpflow';
}

type Row = [name: string, type: ValueType, meaning: ValueMeaning, help: string | string[], extra?: Partial<OptionSpec>];

function group(name: OptionGroup, rows: Row[], origin: OptionSpec['origin'] = 'openssl'): OptionSpec[] {
  return rows.map(([optName, type, meaning, help, extra]) => ({
    name: optName,
    type,
    meaning,
    group: name,
    help: Array.isArray(help) ? help : [help],
    inConfig: true,
    origin,
    ...extra,
  }));
}

const notInConfig = { inConfig: false };

/** In the order of `openssl cmp -help`, which `-help` reproduces. */
export const OPTIONS: readonly OptionSpec[] = [
  ...group('general', [
    ['help', '-', 'text', 'Display this summary', notInConfig],
    ['config', 's', 'path', 'Configuration file to use. "" = none. Default from env variable OPENSSL_CONF', notInConfig],
    ['section', 's', 'list', "Section(s) in config file to get options from. \"\" = 'default'. Default 'cmp'", notInConfig],
    ['verbosity', 'N', 'text', 'Log level; 3=ERR, 4=WARN, 6=INFO, 7=DEBUG, 8=TRACE. Default 6 = INFO', { max: 8 }],
  ]),
  ...group('Generic message', [
    ['cmd', 's', 'text', 'CMP request to send: ir/cr/kur/p10cr/rr/genm'],
    ['infotype', 's', 'text', "InfoType name for requesting specific info in genm, e.g. 'signKeyPairTypes'"],
    ['profile', 's', 'text', 'Certificate profile name to place in generalInfo field of request PKIHeader'],
    [
      'geninfo',
      's',
      'text',
      [
        'Comma-separated list of OID and value to place in generalInfo PKIHeader',
        "of form <OID>:int:<n> or <OID>:str:<s>, e.g. '1.2.3.4:int:56789, id-kp:str:name'",
      ],
    ],
    ['template', 's', 'path', 'File to save certTemplate received in genp of type certReqTemplate'],
    ['keyspec', 's', 'path', 'Optional file to save Key specification received in genp of type certReqTemplate'],
  ]),
  ...group('Certificate enrollment', [
    ['newkey', 's', 'path', 'Private or public key for the requested cert. Default: CSR key or client key'],
    ['newkeypass', 's', 'passphrase', 'New private key pass phrase source'],
    ['centralkeygen', '-', 'text', 'Request central (server-side) key generation. Default is local generation'],
    ['newkeyout', 's', 'path', 'File to save centrally generated key, in PEM format'],
    [
      'subject',
      's',
      'dn',
      [
        'Distinguished Name (DN) of subject to use in the requested cert template',
        'For kur, default is subject of -csr arg or reference cert (see -oldcert)',
        'this default is used for ir and cr only if no Subject Alt Names are set',
      ],
    ],
    ['days', 'N', 'text', 'Requested validity time of the new certificate in number of days'],
    [
      'reqexts',
      's',
      'text',
      ['Name of config file section defining certificate request extensions.', 'Augments or replaces any extensions contained CSR given with -csr'],
    ],
    ['sans', 's', 'list', 'Subject Alt Names (IPADDR/DNS/URI) to add as (critical) cert req extension'],
    ['san_nodefault', '-', 'text', 'Do not take default SANs from reference certificate (see -oldcert)'],
    ['policies', 's', 'text', 'Name of config file section defining policies certificate request extension'],
    ['policy_oids', 's', 'list', 'Policy OID(s) to add as policies certificate request extension'],
    ['policy_oids_critical', '-', 'text', 'Flag the policy OID(s) given with -policy_oids as critical'],
    [
      'popo',
      'n',
      'text',
      [
        'Proof-of-Possession (POPO) method to use for ir/cr/kur where',
        '-1 = NONE, 0 = RAVERIFIED, 1 = SIGNATURE (default), 2 = KEYENC, 3 = KEYAGREE',
      ],
      { min: -1, max: 3 },
    ],
    ['csr', 's', 'path', 'PKCS#10 CSR file in PEM or DER format to convert or to use in p10cr'],
    ['out_trusted', 's', 'paths', 'Certificates to trust when verifying newly enrolled certificates'],
    ['implicit_confirm', '-', 'text', 'Request implicit confirmation of newly enrolled certificates'],
    [
      'disable_confirm',
      '-',
      'text',
      ['Do not confirm newly enrolled certificate w/o requesting implicit', 'confirmation. WARNING: This leads to behavior violating RFC 4210'],
    ],
    ['certout', 's', 'path', 'File to save newly enrolled certificate'],
    ['chainout', 's', 'path', 'File to save the chain of newly enrolled certificate'],
  ]),
  ...group('Certificate enrollment and revocation', [
    [
      'oldcert',
      's',
      'path',
      [
        'Certificate to be updated (defaulting to -cert) or to be revoked in rr;',
        'also used as reference (defaulting to -cert) for subject DN and SANs.',
        'Issuer is used as recipient unless -recipient, -srvcert, or -issuer given',
      ],
    ],
    [
      'issuer',
      's',
      'dn',
      [
        'DN of the issuer to place in the certificate template of ir/cr/kur/rr;',
        'also used as recipient if neither -recipient nor -srvcert are given',
      ],
    ],
    ['serial', 's', 'text', 'Serial number of certificate to be revoked in revocation request (rr)'],
    [
      'revreason',
      'n',
      'text',
      ['Reason code to include in revocation request (rr); possible values:', '0..6, 8..10 (see RFC5280, 5.3.1) or -1. Default -1 = none included'],
      { min: -1, max: 10 },
    ],
  ]),
  ...group('Message transfer', [
    [
      'server',
      's',
      'text',
      [
        '[http[s]://]address[:port][/path] of CMP server. Default port 80 or 443.',
        'address may be a DNS name or an IP address; path can be overridden by -path',
      ],
    ],
    ['proxy', 's', 'text', '[http[s]://]address[:port][/path] of HTTP(S) proxy to use; path is ignored'],
    [
      'no_proxy',
      's',
      'text',
      ['List of addresses of servers not to use HTTP(S) proxy for', "Default from environment variable 'no_proxy', else 'NO_PROXY', else none"],
    ],
    ['recipient', 's', 'dn', 'DN of CA. Default: subject of -srvcert, -issuer, issuer of -oldcert or -cert'],
    ['path', 's', 'text', 'HTTP path (aka CMP alias) at the CMP server. Default from -server, else "/"'],
    ['keep_alive', 'N', 'text', 'Persistent HTTP connections. 0: no, 1 (the default): request, 2: require', { max: 2 }],
    ['msg_timeout', 'N', 'text', 'Number of seconds allowed per CMP message round trip, or 0 for infinite'],
    ['total_timeout', 'N', 'text', 'Overall time an enrollment incl. polling may take. Default 0 = infinite'],
  ]),
  ...group('Server authentication', [
    ['trusted', 's', 'paths', ['Certificates to use as trust anchors when verifying signed CMP responses', 'unless -srvcert is given']],
    ['untrusted', 's', 'paths', 'Intermediate CA certs for chain construction for CMP/TLS/enrolled certs'],
    ['srvcert', 's', 'path', 'Server cert to pin and trust directly when verifying signed CMP responses'],
    ['expect_sender', 's', 'dn', 'DN of expected sender of responses. Defaults to subject of -srvcert, if any'],
    ['ignore_keyusage', '-', 'text', "Ignore CMP signer cert key usage, else 'digitalSignature' must be allowed"],
    [
      'unprotected_errors',
      '-',
      'text',
      [
        'Accept missing or invalid protection of regular error messages and negative',
        'certificate responses (ip/cp/kup), revocation responses (rp), and PKIConf',
        'WARNING: This setting leads to behavior allowing violation of RFC 4210',
      ],
    ],
    ['no_cache_extracerts', '-', 'text', 'Do not keep certificates received in the extraCerts CMP message field'],
    ['srvcertout', 's', 'path', 'File to save the server cert used and validated for CMP response protection'],
    ['extracertsout', 's', 'path', 'File to save extra certificates received in the extraCerts field'],
    ['cacertsout', 's', 'path', 'File to save CA certs received in caPubs field or genp with id-it-caCerts'],
    ['oldwithold', 's', 'path', 'Root CA certificate to request update for in genm of type rootCaCert'],
    ['newwithnew', 's', 'path', 'File to save NewWithNew cert received in genp of type rootCaKeyUpdate'],
    ['newwithold', 's', 'path', 'File to save NewWithOld cert received in genp of type rootCaKeyUpdate'],
    ['oldwithnew', 's', 'path', 'File to save OldWithNew cert received in genp of type rootCaKeyUpdate'],
    ['crlcert', 's', 'path', 'certificate to request a CRL for in genm of type crlStatusList'],
    ['oldcrl', 's', 'path', 'CRL to request update for in genm of type crlStatusList'],
    ['crlout', 's', 'path', "File to save new CRL received in genp of type 'crls'"],
  ]),
  ...group('Client authentication', [
    ['ref', 's', 'text', 'Reference value to use as senderKID in case no -cert is given'],
    ['secret', 's', 'passphrase', 'Prefer PBM (over signatures) for protecting msgs with given password source'],
    [
      'cert',
      's',
      'path',
      [
        "Client's CMP signer certificate; its public key must match the -key argument",
        'This also used as default reference for subject DN and SANs.',
        'Any further certs included are appended to the untrusted certs',
      ],
    ],
    ['own_trusted', 's', 'paths', 'Optional certs to verify chain building for own CMP signer cert'],
    ['key', 's', 'path', 'CMP signer private key, not used when -secret given'],
    ['keypass', 's', 'passphrase', 'Client private key (and cert and old cert) pass phrase source'],
    ['digest', 's', 'text', 'Digest to use in message protection and POPO signatures. Default "sha256"'],
    [
      'mac',
      's',
      'text',
      ['MAC algorithm to use in PBM-based message protection. Default "hmac-sha1"', '"pbmac1" is short for -pbmac1 with the default MAC'],
    ],
    [
      'extracerts',
      's',
      'paths',
      ['Certificates to append in extraCerts field of outgoing messages.', 'This can be used as the default CMP signer cert chain to include'],
    ],
    ['unprotected_requests', '-', 'text', 'Send request messages without CMP-level protection'],
  ]),
  ...group('Credentials format', [
    ['certform', 's', 'text', 'Format (PEM or DER) to use when saving a certificate to a file. Default PEM'],
    ['crlform', 's', 'text', 'Format (PEM or DER) to use when saving a CRL to a file. Default DER'],
    ['keyform', 's', 'text', 'Format of the key input (PEM, DER or P12; ENGINE is ignored with a warning)'],
    ['otherpass', 's', 'passphrase', 'Pass phrase source potentially needed for loading certificates of others'],
    ['engine', 's', 'text', ['Use crypto engine with given identifier, possibly a hardware device.', 'Ignored by cmpflow, with a warning']],
  ]),
  ...group('Provider', [
    ['provider-path', 's', 'text', 'Provider load path (ignored by cmpflow)'],
    ['provider', 's', 'text', 'Provider to load (ignored by cmpflow)', { repeatable: true }],
    ['provparam', 's', 'text', 'Set a provider key-value parameter (ignored by cmpflow)', { repeatable: true }],
    ['propquery', 's', 'text', ['Property query used when fetching algorithms', '(ignored by cmpflow)']],
  ]),
  ...group('Random state', [
    ['rand', 's', 'paths', ['Load the given file(s) into the random number generator', '(ignored by cmpflow)']],
    ['writerand', '>', 'path', ['Write random data to the specified file', '(ignored by cmpflow)']],
  ]),
  ...group('TLS connection', [
    ['tls_used', '-', 'text', 'Enable using TLS (also when other TLS options are not set)'],
    ['tls_cert', 's', 'path', "Client's TLS certificate. May include chain to be provided to TLS server"],
    ['tls_key', 's', 'path', "Private key for the client's TLS certificate"],
    ['tls_keypass', 's', 'passphrase', "Pass phrase source for the client's private TLS key (and TLS cert)"],
    ['tls_extra', 's', 'paths', 'Extra certificates to provide to TLS server during TLS handshake'],
    ['tls_trusted', 's', 'paths', ['Trusted certificates to use for verifying the TLS server certificate;', 'this implies host name validation']],
    ['tls_host', 's', 'text', 'Address to be checked (rather than -server) during TLS host name validation'],
  ]),
  ...group('Client-side debugging', [
    ['batch', '-', 'text', 'Do not interactively prompt for input when a password is required etc.'],
    ['repeat', 'p', 'text', 'Invoke the transaction the given positive number of times. Default 1'],
    ['reqin', 's', 'paths', 'Take sequence of CMP requests to send to server from file(s)'],
    ['reqin_new_tid', '-', 'text', 'Use fresh transactionID for CMP requests read from -reqin'],
    ['reqout', 's', 'paths', 'Save sequence of CMP requests created by the client to file(s)'],
    ['reqout_only', 's', 'path', 'Save first CMP request created by the client to file and exit'],
    ['rspin', 's', 'paths', 'Process sequence of CMP responses provided in file(s), skipping server'],
    ['rspout', 's', 'paths', 'Save sequence of actually used CMP responses to file(s)'],
    ['use_mock_srv', '-', 'text', 'Use internal mock server at API level, bypassing socket-based HTTP'],
  ]),
  ...group('Mock server', [
    ['port', 's', 'text', 'Act as HTTP-based mock server listening on given port'],
    ['max_msgs', 'N', 'text', 'max number of messages handled by HTTP mock server. Default: 0 = unlimited'],
    ['srv_ref', 's', 'text', 'Reference value to use as senderKID of server in case no -srv_cert is given'],
    ['srv_secret', 's', 'passphrase', 'Password source for server authentication with a pre-shared key (secret)'],
    ['srv_cert', 's', 'path', 'Certificate of the server'],
    ['srv_key', 's', 'path', 'Private key used by the server for signing messages'],
    ['srv_keypass', 's', 'passphrase', 'Server private key (and cert) pass phrase source'],
    ['srv_trusted', 's', 'paths', 'Trusted certificates for client authentication'],
    ['srv_untrusted', 's', 'paths', 'Intermediate certs that may be useful for verifying CMP protection'],
    ['ref_cert', 's', 'path', 'Certificate to be expected for rr and any oldCertID in kur messages'],
    ['rsp_cert', 's', 'path', 'Certificate to be returned as mock enrollment result'],
    [
      'rsp_key',
      's',
      'path',
      ['Private key for the certificate to be returned as mock enrollment result', 'Key to be returned for central key pair generation'],
    ],
    ['rsp_keypass', 's', 'passphrase', 'Response private key (and cert) pass phrase source'],
    ['rsp_crl', 's', 'path', 'CRL to be returned in genp of type crls'],
    ['rsp_extracerts', 's', 'paths', 'Extra certificates to be included in mock certification responses'],
    ['rsp_capubs', 's', 'paths', 'CA certificates to be included in mock ip response'],
    ['rsp_newwithnew', 's', 'path', 'New root CA certificate to include in genp of type rootCaKeyUpdate'],
    ['rsp_newwithold', 's', 'path', 'NewWithOld transition cert to include in genp of type rootCaKeyUpdate'],
    ['rsp_oldwithnew', 's', 'path', 'OldWithNew transition cert to include in genp of type rootCaKeyUpdate'],
    ['poll_count', 'N', 'text', 'Number of times the client must poll before receiving a certificate'],
    ['check_after', 'N', 'text', 'The check_after value (time to wait) to include in poll response'],
    ['grant_implicitconf', '-', 'text', 'Grant implicit confirmation of newly enrolled certificate'],
    ['pkistatus', 'N', 'text', 'PKIStatus to be included in server response. Possible values: 0..6', { max: 6 }],
    ['failure', 'N', 'text', 'A single failure info bit number to include in server response, 0..26', { max: 26 }],
    ['failurebits', 'N', 'text', 'Number representing failure bits to include in server response, 0..2^27 - 1', { max: 2 ** 27 - 1 }],
    ['statusstring', 's', 'text', 'Status string to be included in server response'],
    ['send_error', '-', 'text', 'Force server to reply with error message'],
    ['send_unprotected', '-', 'text', 'Send response messages without CMP-level protection'],
    [
      'send_unprot_err',
      '-',
      'text',
      [
        'In case of negative responses, server shall send unprotected error messages,',
        'certificate responses (ip/cp/kup), and revocation responses (rp).',
        'WARNING: This setting leads to behavior violating RFC 4210',
      ],
    ],
    ['accept_unprotected', '-', 'text', 'Accept missing or invalid protection of requests'],
    ['accept_unprot_err', '-', 'text', 'Accept unprotected error messages from client'],
    ['accept_raverified', '-', 'text', 'Accept RAVERIFIED as proof-of-possession (POPO)'],
  ]),
  ...group('Validation', [
    ['policy', 's', 'text', 'adds policy to the acceptable policy set', { repeatable: true }],
    ['purpose', 's', 'text', 'certificate chain purpose'],
    ['verify_name', 's', 'text', 'verification policy name'],
    ['verify_depth', 'n', 'text', 'chain depth limit'],
    ['auth_level', 'n', 'text', 'chain authentication security level'],
    ['attime', 'M', 'text', 'verification epoch time'],
    ['verify_hostname', 's', 'text', 'expected peer hostname (for -out_trusted, as openssl cmp)'],
    ['verify_email', 's', 'text', 'expected peer email (for -out_trusted, as openssl cmp)'],
    ['verify_ip', 's', 'text', 'expected peer IP address (for -out_trusted, as openssl cmp)'],
    ['ignore_critical', '-', 'text', 'permit unhandled critical extensions'],
    ['issuer_checks', '-', 'text', '(deprecated)'],
    ['crl_check', '-', 'text', 'check leaf certificate revocation'],
    ['crl_check_all', '-', 'text', 'check full chain revocation'],
    ['policy_check', '-', 'text', 'perform rfc5280 policy checks (cmpflow always does; without -policy it starts from an empty set)'],
    ['explicit_policy', '-', 'text', 'set policy variable require-explicit-policy'],
    ['inhibit_any', '-', 'text', 'set policy variable inhibit-any-policy'],
    ['inhibit_map', '-', 'text', 'set policy variable inhibit-policy-mapping'],
    ['x509_strict', '-', 'text', 'disable certificate compatibility work-arounds'],
    ['extended_crl', '-', 'text', 'enable extended CRL features'],
    ['use_deltas', '-', 'text', 'use delta CRLs'],
    ['policy_print', '-', 'text', 'print policy processing diagnostics (nothing is printed, as in openssl cmp)'],
    ['check_ss_sig', '-', 'text', 'check root CA self-signatures'],
    ['trusted_first', '-', 'text', 'search trust store first (default)'],
    ['suiteB_128_only', '-', 'text', 'Suite B 128-bit-only mode'],
    ['suiteB_128', '-', 'text', 'Suite B 128-bit mode allowing 192-bit algorithms'],
    ['suiteB_192', '-', 'text', 'Suite B 192-bit-only mode'],
    ['partial_chain', '-', 'text', 'accept chains anchored by intermediate trust-store CAs'],
    ['no_alt_chains', '-', 'text', '(deprecated)'],
    ['no_check_time', '-', 'text', 'ignore certificate validity time'],
    ['allow_proxy_certs', '-', 'text', 'allow the use of proxy certificates'],
  ]),
  ...group(
    'cmpflow',
    [
      ['session', 's', 'path', ['File to save the state of a transaction that is waiting', 'for the server (polling), to continue it with -resume']],
      ['resume', 's', 'path', ['Continue the transaction saved in the given session file;', '-cmd and the request options are not needed then']],
      ['nowait', '-', 'text', 'Do not poll: save the waiting transaction to -session, exit'],
      ['inspect', '-', 'text', ['Print the state machine events (secrets removed);', '-inspect html:FILE writes an offline page of the flow']],
      [
        'crls',
        's',
        'path',
        [
          'CRLs (PEM or DER files) for -crl_check and -crl_check_all, which',
          'in OpenSSL 3.0 find no CRL: -trusted files are read for certificates only',
        ],
      ],
      ['require_cmc_eku', '-', 'text', ['A CMP signer cert with extendedKeyUsage must have id-kp-cmcCA', 'or id-kp-cmcRA in it']],
      ['pbmac1', '-', 'text', ['Use RFC 9481 PBMAC1 instead of PBM for MAC protection;', '-mac then names the PBKDF2 PRF/HMAC, e.g. hmac-sha256']],
      [
        'srv_store',
        's',
        'path',
        ["Folder of the -port server's CA and its records (issued, revoked,", 'CRL number), kept across restarts. Default: all in memory'],
      ],
      [
        'srv_workers',
        'p',
        'text',
        [
          'Worker threads of the -port server, each answering its share of',
          'the transactions for one CA and its records. Default: none (one thread)',
        ],
      ],
      [
        'delayed_delivery',
        's',
        'text',
        [
          'Requests the -port server answers with delayed delivery: kind=N,...',
          'for rr, genm, certConf; N answers are waiting (default 1), -check_after',
        ],
      ],
      ['version', '-', 'text', 'Print the cmpflow version and exit', notInConfig],
    ],
    'cmpflow',
  ),
];

const byName = new Map(OPTIONS.map((o) => [o.name, o]));

/** The option called `name` (without leading dashes), or undefined. */
export function findOption(name: string): OptionSpec | undefined {
  return byName.get(name);
}
