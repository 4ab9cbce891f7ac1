/**
 * From argv (and the config file it names) to what cmpflow runs: the library's CmpClientOptions,
 * the CLI-only settings, and the mock server's settings. Option values come from the config file
 * first and the command line overrides them; an empty string resets an option either way. The
 * checks are those apps/cmp.c 3.0 makes before it sends anything, each failing with one line
 * that names the option (CmpError ERR_INVALID_OPTION or ERR_MISSING_OPTION), and its warnings.
 *
 * Nothing is loaded here: certificates, keys and CSRs stay file names, DNs stay strings, and pass
 * phrase sources (`pass:`, `env:`, `file:`, `fd:`, `stdin`) stay unresolved in `passphrases`
 * until `resolveSecrets` runs. Their values never appear in a message.
 */
import { isIP } from 'net';
import { digestByName } from '../crypto/algorithms';
import { encodeTlv } from '../asn1/der';
import { CmpOids } from '../asn1/oids';
import { CmpError, ErrorCodes } from '../errors';
import { CERT_REQUEST_KINDS } from '../protocol';
import type { CmpClientOptions, GeneralNameInput, InfoTypeAndValueInput } from '../options';
import type { VerificationParameters } from '../protection/sender-cert';
import { parseProxyAddress, parseServerAddress } from '../transport/address';
import { INSPECT_HTML_PREFIX, OptionValue, parseArgs } from './args';
import type { Environment } from './config';
import { openCmpConfig, readConfigOptions } from './config-options';
import { nameArgument } from './name-options';
import { splitItems } from './value-syntax';
import { recordOptions } from './session-options';
import type { SessionMeta } from '../session';
import { encodeExtensions, ExtensionSpec, readRequestExtensions } from './x509v3-config';
import { isPurposeName, PURPOSES } from '../pki/certificate-purpose';

const CMP_COMMANDS = [...CERT_REQUEST_KINDS, 'rr', 'genm'] as const;
export type CmpCommand = (typeof CMP_COMMANDS)[number];

/** Unresolved OpenSSL pass phrase sources, by the option that gave them. */
export interface PassphraseSources {
  secret?: string;
  keyPass?: string;
  newKeyPass?: string;
  tlsKeyPass?: string;
  otherPass?: string;
  srvSecret?: string;
  srvKeyPass?: string;
  rspKeyPass?: string;
}

export interface CliSettings {
  cmd?: CmpCommand;
  /** -infotype, e.g. { name: 'signKeyPairTypes', oid: '1.3.6.1.5.5.7.4.2' }. */
  infoType?: { name: string; oid: string };
  /** 0..8; 6 (INFO) by default. */
  verbosity: number;
  batch: boolean;
  /** Number of times the transaction runs (1 by default). */
  repeat: number;
  certOut?: string;
  /** -newkeyout: where the centrally generated key goes (PEM, 0600, encrypted with -newkeypass when given). */
  newKeyOut?: string;
  chainOut?: string;
  extraCertsOut?: string;
  caCertsOut?: string;
  /** -srvcertout: where the validated signer of the last response goes (emptied when there is none). */
  srvCertOut?: string;
  /** -oldwithold: the root a genm rootCaCert asks an update for; the other three: where its parts go. */
  oldWithOld?: string;
  newWithNew?: string;
  newWithOld?: string;
  oldWithNew?: string;
  certForm: 'PEM' | 'DER';
  /** -template and -keyspec: where genm certReqTemplate writes the template and key specification (DER). */
  template?: string;
  keySpec?: string;
  /** -crlcert, -oldcrl: what names the CRL a genm crlStatusList asks about; -crlout: where the new one goes. */
  crlCert?: string;
  oldCrl?: string;
  crlOut?: string;
  /** -crlform: DER by default, as in OpenSSL. */
  crlForm: 'PEM' | 'DER';
  /** -crlform was given: at -resume it then replaces the form a session file saved. */
  crlFormGiven?: boolean;
  keyForm?: 'PEM' | 'DER' | 'P12';
  reqIn?: string[];
  reqInNewTid: boolean;
  reqOut?: string[];
  rspIn?: string[];
  rspOut?: string[];
  /** -reqout_only: the first request is written to this file and nothing is sent. */
  reqOutOnly?: string;
  useMockServer: boolean;
  /** -sans contained the word "critical" (CmpClientOptions has no field for it yet). */
  sansCritical: boolean;
  session?: string;
  resume?: string;
  noWait: boolean;
  inspect: boolean;
  /** -inspect html:FILE: the file the offline flow viewer's page is written to. */
  inspectHtml?: string;
  /** The config file read, if any, and the sections used. */
  configFile?: string;
  sections: string[];
}

export interface MockServerSettings {
  /** Listening port (0 = any free port); undefined with -use_mock_srv. */
  port?: number;
  /** 0 = unlimited. */
  maxMsgs: number;
  srvRef?: string;
  srvCert?: string;
  srvKey?: string;
  srvTrusted?: string[];
  srvUntrusted?: string[];
  /** -verify_depth, -policy, -purpose ...: OpenSSL applies them to -srv_trusted too. */
  srvVerification?: VerificationParameters;
  rspCert?: string;
  /** -rsp_key: rspCert's key, returned for central key generation. */
  rspKey?: string;
  refCert?: string;
  rspExtraCerts?: string[];
  rspCaPubs?: string[];
  /** -rsp_newwithnew, -rsp_newwithold, -rsp_oldwithnew: the root CA key update a genm rootCaCert gets. */
  rspNewWithNew?: string;
  rspNewWithOld?: string;
  rspOldWithNew?: string;
  /** -rsp_crl: the CRL a genm crlStatusList is answered with. */
  rspCrl?: string;
  pollCount: number;
  /** -delayed_delivery: for rr, genm and certConf, how many answers are `waiting` before the real one. */
  delayedDelivery?: Partial<Record<'rr' | 'genm' | 'certConf', number>>;
  /** Seconds (1 by default). */
  checkAfter: number;
  grantImplicitConf: boolean;
  pkiStatus: number;
  /** PKIFailureInfo bits as a number (from -failurebits or 1 << -failure). */
  failureBits: number;
  statusString?: string;
  sendError: boolean;
  sendUnprotected: boolean;
  sendUnprotErr: boolean;
  acceptUnprotected: boolean;
  acceptUnprotErr: boolean;
  acceptRaVerified: boolean;
  /** -srv_store: the folder the CA and its record journal live in. */
  srvStore?: string;
  /** -srv_workers: worker threads of the -port server (a CA cluster); absent: one server, no threads. */
  srvWorkers?: number;
}

export interface RunCommandLine {
  kind: 'run';
  /** 'server' when -port is given: act as a CMP mock server, not as a client. */
  mode: 'client' | 'server';
  client: CmpClientOptions;
  cli: CliSettings;
  /** Present with -port or -use_mock_srv. */
  server?: MockServerSettings;
  /** -reqexts and -policies as read, before encoding into client.reqExtensions. */
  requestExtensions: ExtensionSpec[];
  passphrases: PassphraseSources;
  warnings: string[];
  /** The options a session file records (session-options.ts), from the merged values. */
  recorded?: SessionMeta;
}

export type ParsedCommandLine = { kind: 'help'; warnings: string[] } | RunCommandLine;

export interface ParseCommandLineOptions {
  /** For $ENV:: in the config file, OPENSSL_CONF and OPENSSL_CONF_INCLUDE (default process.env). */
  env?: Environment;
  cwd?: string;
}

function invalid(message: string): CmpError {
  return new CmpError(ErrorCodes.ERR_INVALID_OPTION, message);
}

const DELAYED_KINDS = ['rr', 'genm', 'certConf'] as const;

/** -delayed_delivery rr=2,genm,certConf: answer counts by request kind (a bare kind is one). */
function delayedDeliveryOf(text: string | undefined): MockServerSettings['delayedDelivery'] {
  if (text === undefined) return undefined;
  const counts: NonNullable<MockServerSettings['delayedDelivery']> = {};
  for (const item of text.split(',')) {
    const m = /^\s*([A-Za-z]+)\s*(?:=\s*([0-9]{1,4})\s*)?$/.exec(item);
    const kind = DELAYED_KINDS.find((k) => k === m?.[1]);
    if (!m || !kind) throw invalid(`-delayed_delivery: '${item}' is not kind or kind=N with kind one of ${DELAYED_KINDS.join(', ')}`);
    counts[kind] = m[2] === undefined ? 1 : Number(m[2]);
  }
  return counts;
}

function missing(message: string): CmpError {
  return new CmpError(ErrorCodes.ERR_MISSING_OPTION, message);
}

type Value = string | number | boolean | string[];

/** The merged option values: config file first, command line on top. */
class Values {
  constructor(private readonly map: Map<string, Value>) {}

  has(name: string): boolean {
    return this.map.has(name);
  }

  str(name: string): string | undefined {
    const v = this.map.get(name);
    return typeof v === 'string' ? v : undefined;
  }

  /** Given and not a flag set to 0 in the config file. */
  isSet(name: string): boolean {
    const v = this.map.get(name);
    return v !== undefined && v !== false;
  }

  flag(name: string): boolean {
    return this.map.get(name) === true;
  }

  num(name: string): number | undefined {
    const v = this.map.get(name);
    return typeof v === 'number' ? v : undefined;
  }

  /** A comma/space-separated list (-untrusted, -reqout, -sans ...); an empty item is an error. */
  list(name: string): string[] | undefined {
    const v = this.str(name);
    if (v === undefined) return undefined;
    const items = splitItems(v);
    if (items.some((i) => i === '')) throw invalid(`-${name}: empty item in the list (items are separated by commas or spaces)`);
    return items;
  }

  delete(name: string): void {
    this.map.delete(name);
  }

  /** The raw value: a repeatable option's are a list. */
  get(name: string): Value | undefined {
    return this.map.get(name);
  }
}

/** Parses argv (without the program name) and the config file into a validated command line. */
export function parseCommandLine(argv: readonly string[], options: ParseCommandLineOptions = {}): ParsedCommandLine {
  const args = parseArgs(argv);
  const warnings = [...args.warnings];
  if (args.help) return { kind: 'help', warnings };

  const last = (name: string): string | undefined => {
    const occ = args.occurrences.filter((o) => o.option.name === name);
    const v = occ[occ.length - 1]?.value;
    return typeof v === 'string' ? v : undefined;
  };
  const opened = openCmpConfig({
    ...(last('config') !== undefined ? { configPath: last('config') } : {}),
    ...(last('section') !== undefined ? { section: last('section') } : {}),
    ...(options.env ? { env: options.env } : {}),
    ...(options.cwd ? { cwd: options.cwd } : {}),
  });
  warnings.push(...opened.warnings);

  const merged = new Map<string, Value>();
  if (opened.config) {
    for (const [name, { value }] of readConfigOptions(opened.config, opened.sections)) {
      if (value !== null) merged.set(name, value);
    }
  }
  for (const { option, value, flag } of args.occurrences) {
    if (!option.inConfig) continue;
    if (value === '') {
      warnings.push(`${flag} option argument is empty string, resetting option`);
      merged.delete(option.name);
    } else if (option.repeatable) {
      const prev = merged.get(option.name);
      merged.set(option.name, [...(Array.isArray(prev) ? prev : typeof prev === 'string' ? [prev] : []), value as string]);
    } else {
      merged.set(option.name, value as OptionValue);
    }
  }

  const builder = new Builder(new Values(merged), warnings, opened);
  const parsed = builder.build();
  parsed.recorded = recordOptions((name) => merged.get(name), options.cwd ?? process.cwd(), {
    ...(opened.config ? { file: opened.config.fileName } : {}),
    ...(last('section') !== undefined ? { section: last('section')! } : {}),
  });
  return parsed;
}

const INFO_TYPES: Readonly<Record<string, string>> = {
  caProtEncCert: CmpOids.idItCaProtEncCert,
  signKeyPairTypes: CmpOids.idItSignKeyPairTypes,
  encKeyPairTypes: CmpOids.idItEncKeyPairTypes,
  preferredSymmAlg: CmpOids.idItPreferredSymmAlg,
  caKeyUpdateInfo: CmpOids.idItCaKeyUpdateInfo,
  currentCRL: CmpOids.idItCurrentCRL,
  unsupportedOIDs: CmpOids.idItUnsupportedOIDs,
  keyPairParamReq: CmpOids.idItKeyPairParamReq,
  keyPairParamRep: CmpOids.idItKeyPairParamRep,
  revPassphrase: CmpOids.idItRevPassphrase,
  implicitConfirm: CmpOids.idItImplicitConfirm,
  confirmWaitTime: CmpOids.idItConfirmWaitTime,
  origPKIMessage: CmpOids.idItOrigPKIMessage,
  suppLangTags: CmpOids.idItSuppLangTags,
  caCerts: CmpOids.idItCaCerts,
  rootCaKeyUpdate: CmpOids.idItRootCaKeyUpdate,
  certReqTemplate: CmpOids.idItCertReqTemplate,
  rootCaCert: CmpOids.idItRootCaCert,
  certProfile: CmpOids.idItCertProfile,
  crlStatusList: CmpOids.idItCrlStatusList,
  crls: CmpOids.idItCrls,
};

/**
 * OpenSSL's Suite B flags are bits: -suiteB_128_only allows P-256, -suiteB_192 P-384, -suiteB_128
 * both, and any combination is their union.
 */
function suiteBLevel(p256: boolean, p384: boolean): '128only' | '128' | '192' | undefined {
  if (p256 && p384) return '128';
  if (p256) return '128only';
  return p384 ? '192' : undefined;
}
const IGNORED = ['provider-path', 'provider', 'provparam', 'propquery', 'rand', 'writerand'];
/** What -reqout_only makes pointless, as apps/cmp.c warns: the request is written, never sent. */
const UNUSED_WITH_REQOUT_ONLY = ['server', 'use_mock_srv', 'reqout', 'rspin', 'rspout'];
/** Names -geninfo takes besides dotted OIDs (OBJ_txt2obj knows more; these are the CMP ones). */
const GENINFO_OID_NAMES: Record<string, string> = {
  'id-pkix': CmpOids.idPkix,
  'id-kp': `${CmpOids.idPkix}.3`,
  'id-it': CmpOids.idIt,
};
const TLS_DETAILS = ['tls_cert', 'tls_key', 'tls_keypass', 'tls_extra', 'tls_trusted', 'tls_host'];
const OID = /^[0-2](\.(0|[1-9][0-9]*))+$/;
const ANY_POLICY = '2.5.29.32.0';
/** OpenSSL 3.0's named verification parameter sets (x509_vpm.c): what they set besides the defaults is a purpose. */
const NAMED_VERIFICATION: Record<string, string | undefined> = {
  default: undefined,
  pkcs7: 'smimesign',
  smime_sign: 'smimesign',
  ssl_client: 'sslclient',
  ssl_server: 'sslserver',
};

class Builder {
  private readonly client: CmpClientOptions = {};
  private readonly passphrases: PassphraseSources = {};
  private requestExtensions: ExtensionSpec[] = [];
  private pathParams?: VerificationParameters;

  constructor(
    private readonly v: Values,
    private readonly warnings: string[],
    private readonly opened: ReturnType<typeof openCmpConfig>,
  ) {}

  private warn(message: string): void {
    this.warnings.push(message);
  }

  build(): RunCommandLine {
    this.rejectUnsupported();
    const mode = this.v.has('port') ? 'server' : 'client';
    this.checkModeConflicts();
    this.dropUnusedWithReqoutOnly();
    const cli = this.cliSettings();
    this.collectPassphrases();
    const server = mode === 'server' || cli.useMockServer ? this.serverSettings() : undefined;
    if (mode === 'client') {
      this.transfer();
      this.serverAuthentication();
      this.clientAuthentication();
      this.request(cli);
    }
    return {
      kind: 'run',
      mode,
      client: this.client,
      cli,
      ...(server ? { server } : {}),
      requestExtensions: this.requestExtensions,
      passphrases: this.passphrases,
      warnings: this.warnings,
    };
  }

  private rejectUnsupported(): void {
    // As the provider options: nothing to load here; keys come from files or pkcs11: URIs (-keyform ENGINE is ignored too).
    if (this.v.has('engine')) this.warn('-engine is ignored by cmpflow, which has no crypto engines');
    for (const name of IGNORED) {
      if (this.v.isSet(name)) this.warn(`-${name} is ignored by cmpflow`);
    }
  }

  private checkModeConflicts(): void {
    const v = this.v;
    if (v.has('port')) {
      if (v.flag('tls_used')) throw invalid('-tls_used: not supported with -port');
      if (v.flag('use_mock_srv') || v.has('server') || v.has('rspin')) {
        throw invalid('-port: cannot be used with -use_mock_srv, -server or -rspin');
      }
    }
    if (v.has('server') && v.flag('use_mock_srv')) throw invalid('-use_mock_srv: cannot be used with -server');
    if (v.has('rspin') && v.flag('use_mock_srv')) throw invalid('-use_mock_srv: cannot be used with -rspin');
    if (!v.flag('tls_used') && TLS_DETAILS.some((n) => v.has(n))) this.warn('ignoring TLS options since -tls_used is not given');
    if (v.has('reqout_only')) {
      if (v.has('port')) throw invalid('-reqout_only: cannot be used with -port');
      if (v.has('session') || v.has('resume')) throw invalid('-reqout_only: cannot be combined with -session or -resume');
    }
    // With -resume the session file read is the one updated (unless -session names another).
    if (v.flag('nowait') && !v.has('session') && !v.has('resume')) throw missing('-nowait: needs -session FILE to save the waiting transaction in');
  }

  private dropUnusedWithReqoutOnly(): void {
    if (!this.v.has('reqout_only')) return;
    for (const name of UNUSED_WITH_REQOUT_ONLY) {
      if (!this.v.isSet(name)) continue;
      this.warn(`-${name} option is ignored since -reqout_only option is given`);
      this.v.delete(name);
    }
  }

  private cliSettings(): CliSettings {
    const v = this.v;
    const cmd = v.str('cmd');
    if (cmd !== undefined && !(CMP_COMMANDS as readonly string[]).includes(cmd)) {
      throw invalid(`-cmd: unknown cmp command '${cmd}' (expected ir, cr, kur, p10cr, rr or genm)`);
    }
    const certForm = storingFormat('certform', v.str('certform'), 'PEM', 'certificate');
    const crlForm = storingFormat('crlform', v.str('crlform'), 'DER', 'CRL');
    let keyFormText = v.str('keyform')?.toUpperCase();
    // OpenSSL 3.5's manual: -keyform is ignored except for ENGINE; with no engines here, ENGINE is ignored too (as -engine).
    if (keyFormText === 'ENGINE') {
      this.warn('-keyform ENGINE is ignored by cmpflow, which has no crypto engines; keys are read from files or pkcs11: URIs');
      keyFormText = undefined;
    }
    if (keyFormText !== undefined && !['PEM', 'DER', 'P12'].includes(keyFormText)) {
      throw invalid(`-keyform: '${v.str('keyform')}' is not PEM, DER or P12`);
    }
    let infoType: CliSettings['infoType'];
    const infoName = v.str('infotype');
    if (infoName !== undefined) {
      const oid = INFO_TYPES[infoName] ?? (OID.test(infoName) ? infoName : undefined);
      if (oid === undefined) throw invalid(`-infotype: unknown InfoType name '${infoName}'`);
      infoType = { name: infoName, oid };
    }
    const sans = v.list('sans');
    const cli: CliSettings = {
      verbosity: v.num('verbosity') ?? 6,
      batch: v.flag('batch'),
      repeat: v.num('repeat') ?? 1,
      certForm,
      crlForm,
      ...(v.has('crlform') ? { crlFormGiven: true } : {}),
      reqInNewTid: v.flag('reqin_new_tid'),
      useMockServer: v.flag('use_mock_srv'),
      sansCritical: sans?.includes('critical') ?? false,
      noWait: v.flag('nowait'),
      inspect: v.isSet('inspect'),
      ...(v.str('inspect')?.startsWith(INSPECT_HTML_PREFIX) ? { inspectHtml: v.str('inspect')!.slice(INSPECT_HTML_PREFIX.length) } : {}),
      sections: this.opened.sections,
    };
    put(cli, 'cmd', cmd as CmpCommand | undefined);
    put(cli, 'infoType', infoType);
    put(cli, 'certOut', v.str('certout'));
    put(cli, 'newKeyOut', v.str('newkeyout'));
    put(cli, 'chainOut', v.str('chainout'));
    put(cli, 'extraCertsOut', v.str('extracertsout'));
    put(cli, 'caCertsOut', v.str('cacertsout'));
    put(cli, 'srvCertOut', v.str('srvcertout'));
    const rootUpdateFiles = { oldWithOld: 'oldwithold', newWithNew: 'newwithnew', newWithOld: 'newwithold', oldWithNew: 'oldwithnew' } as const;
    for (const [key, name] of Object.entries(rootUpdateFiles) as [keyof typeof rootUpdateFiles, string][]) put(cli, key, v.str(name));
    if (cmd !== 'genm' || infoType?.oid !== CmpOids.idItRootCaCert) {
      for (const name of Object.values(rootUpdateFiles)) {
        if (v.has(name)) this.warn(`-${name} option is ignored unless -cmd 'genm' and -infotype rootCaCert is given`);
      }
    } else if (!v.has('newwithnew')) {
      throw missing('-newwithnew: missing -newwithnew option for -infotype rootCaCert');
    }
    put(cli, 'template', v.str('template'));
    put(cli, 'keySpec', v.str('keyspec'));
    put(cli, 'crlCert', v.str('crlcert'));
    put(cli, 'oldCrl', v.str('oldcrl'));
    put(cli, 'crlOut', v.str('crlout'));
    if (cmd !== 'genm' || infoType?.oid !== CmpOids.idItCertReqTemplate) {
      const ignored = "option is ignored unless -cmd 'genm' and -infotype 'certReqTemplate' is given";
      if (v.has('template')) this.warn(`-template ${ignored}`);
      if (v.has('keyspec')) this.warn(`-keyspec ${ignored}`);
    } else if (!v.has('template')) {
      throw missing('-template: missing -template option for genm with infotype certReqTemplate');
    }
    put(cli, 'keyForm', keyFormText as CliSettings['keyForm']);
    put(cli, 'reqIn', v.list('reqin'));
    put(cli, 'reqOut', v.list('reqout'));
    put(cli, 'rspIn', v.list('rspin'));
    put(cli, 'rspOut', v.list('rspout'));
    put(cli, 'reqOutOnly', v.str('reqout_only'));
    // -no_cache_extracerts (set with the client options below) leaves -extracertsout alone: apps/cmp.c
    // saves OSSL_CMP_CTX_get1_extraCertsIn either way.
    if (v.has('rspin') && v.has('reqin')) this.warn('-reqin is ignored since -rspin is present');
    if (v.flag('reqin_new_tid') && !v.has('reqin')) this.warn('-reqin_new_tid is ignored since -reqin is not present');
    put(cli, 'session', v.str('session'));
    put(cli, 'resume', v.str('resume'));
    put(cli, 'configFile', this.opened.config?.fileName);
    return cli;
  }

  private collectPassphrases(): void {
    const map: [keyof PassphraseSources, string][] = [
      ['secret', 'secret'],
      ['keyPass', 'keypass'],
      ['newKeyPass', 'newkeypass'],
      ['tlsKeyPass', 'tls_keypass'],
      ['otherPass', 'otherpass'],
      ['srvSecret', 'srv_secret'],
      ['srvKeyPass', 'srv_keypass'],
      ['rspKeyPass', 'rsp_keypass'],
    ];
    for (const [field, option] of map) put(this.passphrases, field, this.plainPassphraseFallback(option, this.v.str(option)));
  }

  /**
   * apps/cmp.c 3.0 (get_passwd) takes a pass phrase argument without a source prefix as the pass
   * phrase itself after complaining about it, instead of failing; so does cmpflow. The value is
   * never part of the warning.
   */
  private plainPassphraseFallback(option: string, source: string | undefined): string | undefined {
    if (source === undefined || hasPassphrasePrefix(source)) return source;
    // OpenSSL quotes what precedes a ':' in the first 5 characters; that may be part of the secret.
    const colon = source.indexOf(':');
    const why =
      colon < 0 || colon > 5
        ? "Invalid password argument, missing ':' within the first 5 chars"
        : "Invalid password argument, unknown source before ':'";
    this.warn(`-${option}: ${why}; trying plain input string (better precede with 'pass:')`);
    return `pass:${source}`;
  }

  private serverSettings(): MockServerSettings {
    const v = this.v;
    let port: number | undefined;
    const portText = v.str('port');
    if (portText !== undefined) {
      if (!/^[0-9]{1,5}$/.test(portText) || Number(portText) > 65535) throw invalid(`-port: '${portText}' is not a port number 0..65535`);
      port = Number(portText);
    }
    if (!v.has('srv_ref') && !v.has('srv_cert')) throw missing('-srv_ref: must be given for the mock server if no -srv_cert is given');
    if (!v.has('srv_secret')) {
      if (!v.has('srv_cert')) throw missing('-srv_secret or -srv_cert: mock server credentials must be given with -use_mock_srv or -port');
      this.warn('mock server will not be able to handle PBM-protected requests since -srv_secret is not given');
      if (!v.has('srv_key')) throw missing('-srv_key: must give both -srv_cert and -srv_key options or neither');
    }
    if (!v.has('srv_cert') && v.has('srv_key') && !v.has('srv_secret')) {
      throw missing('-srv_cert: must give both -srv_cert and -srv_key options or neither');
    }
    // Without -rsp_cert the server issues from a throwaway CA and trusts it (server-command.ts
    // says so); only with -rsp_cert does a missing -srv_trusted leave signed requests unverifiable.
    if (!v.has('srv_trusted') && v.has('rsp_cert'))
      this.warn('mock server will not be able to handle signature-protected requests since -srv_trusted is not given');
    let failureBits = v.num('failurebits') ?? 0;
    const failure = v.num('failure');
    if (failure !== undefined) {
      if (failureBits !== 0) this.warn('-failurebits overrides -failure');
      else failureBits = 2 ** failure;
    }
    const s: MockServerSettings = {
      maxMsgs: v.num('max_msgs') ?? 0,
      pollCount: v.num('poll_count') ?? 0,
      checkAfter: v.num('check_after') ?? 1,
      grantImplicitConf: v.flag('grant_implicitconf'),
      pkiStatus: v.num('pkistatus') ?? 0,
      failureBits,
      sendError: v.flag('send_error'),
      sendUnprotected: v.flag('send_unprotected'),
      sendUnprotErr: v.flag('send_unprot_err'),
      acceptUnprotected: v.flag('accept_unprotected'),
      acceptUnprotErr: v.flag('accept_unprot_err'),
      acceptRaVerified: v.flag('accept_raverified'),
    };
    put(s, 'port', port);
    put(s, 'delayedDelivery', delayedDeliveryOf(v.str('delayed_delivery')));
    put(s, 'srvRef', v.str('srv_ref'));
    put(s, 'srvCert', v.str('srv_cert'));
    put(s, 'srvKey', v.str('srv_key'));
    put(s, 'srvTrusted', v.list('srv_trusted'));
    put(s, 'srvUntrusted', v.list('srv_untrusted'));
    const parameters = this.pathParameterValues();
    if (Object.keys(parameters).length > 0) s.srvVerification = parameters;
    put(s, 'rspCert', v.str('rsp_cert'));
    put(s, 'rspKey', v.str('rsp_key'));
    put(s, 'refCert', v.str('ref_cert'));
    put(s, 'rspExtraCerts', v.list('rsp_extracerts'));
    put(s, 'rspCaPubs', v.list('rsp_capubs'));
    put(s, 'rspNewWithNew', v.str('rsp_newwithnew'));
    put(s, 'rspNewWithOld', v.str('rsp_newwithold'));
    put(s, 'rspOldWithNew', v.str('rsp_oldwithnew'));
    put(s, 'rspCrl', v.str('rsp_crl'));
    put(s, 'statusString', v.str('statusstring'));
    put(s, 'srvStore', v.str('srv_store'));
    put(s, 'srvWorkers', v.num('srv_workers'));
    return s;
  }

  private transfer(): void {
    const v = this.v;
    const c = this.client;
    const tlsUsed = v.flag('tls_used');
    if (v.has('server') && v.has('rspin')) {
      this.warn('ignoring -server option since -rspin is given');
      v.delete('server');
    }
    const server = v.str('server');
    if (server === undefined) {
      if (!v.flag('use_mock_srv') && !v.has('rspin') && !v.has('reqout_only')) {
        throw missing('-server: missing -server or -use_mock_srv or -rspin option');
      }
      for (const name of ['proxy', 'no_proxy', 'tls_used']) if (v.has(name)) this.warn(`ignoring -${name} option since -server is not given`);
    } else {
      if (/^https:\/\//i.test(server.trim()) && !tlsUsed) throw missing('-tls_used: missing -tls_used option since -server URL indicates https');
      namingOption('server', () => parseServerAddress(server, tlsUsed ? true : undefined, v.str('path')));
      c.server = server;
      const proxy = v.str('proxy');
      if (proxy !== undefined) {
        namingOption('proxy', () => parseProxyAddress(proxy));
        c.proxy = proxy;
      }
      put(c, 'noProxy', v.str('no_proxy'));
    }
    put(c, 'path', v.str('path'));
    put(c, 'keepAlive', v.num('keep_alive') as CmpClientOptions['keepAlive']);
    const msgTimeout = v.num('msg_timeout');
    const totalTimeout = v.num('total_timeout');
    if (msgTimeout !== undefined && totalTimeout !== undefined && msgTimeout > 0 && totalTimeout > 0 && totalTimeout < msgTimeout) {
      throw invalid(`-total_timeout: argument ${totalTimeout} must not be < ${msgTimeout} (-msg_timeout)`);
    }
    put(c, 'msgTimeout', msgTimeout);
    // OpenSSL's 0 means "no overall limit", which CmpClientOptions expresses by leaving it unset.
    if (totalTimeout !== undefined && totalTimeout > 0) c.totalTimeout = totalTimeout;

    if (tlsUsed) {
      const hasCredentials = ['tls_cert', 'tls_key', 'tls_keypass'].some((n) => v.has(n));
      if (hasCredentials && !v.has('tls_key')) throw missing('-tls_key: missing -tls_key option');
      if (hasCredentials && !v.has('tls_cert')) throw missing('-tls_cert: missing -tls_cert option');
      const tls: NonNullable<CmpClientOptions['tls']> = { used: true };
      put(tls, 'cert', v.str('tls_cert'));
      put(tls, 'key', v.str('tls_key'));
      put(tls, 'extra', v.list('tls_extra'));
      put(tls, 'trusted', v.list('tls_trusted'));
      put(tls, 'host', v.str('tls_host'));
      c.tls = tls;
    }
  }

  private serverAuthentication(): void {
    const v = this.v;
    const c = this.client;
    put(c, 'untrusted', v.list('untrusted'));
    const srvCert = v.str('srvcert');
    if (srvCert !== undefined) {
      c.srvCert = srvCert;
      if (v.has('trusted')) {
        this.warn('-trusted option is ignored since -srvcert option is present');
        v.delete('trusted');
      }
      if (v.has('recipient')) {
        this.warn('-recipient option is ignored since -srvcert option is present');
        v.delete('recipient');
      }
    }
    put(c, 'trusted', v.list('trusted'));
    put(
      c,
      'recipient',
      nameArgument('recipient', v.str('recipient'), (m) => this.warn(m)),
    );
    put(
      c,
      'expectSender',
      nameArgument('expect_sender', v.str('expect_sender'), (m) => this.warn(m)),
    );
    if (v.flag('ignore_keyusage')) c.ignoreKeyUsage = true;
    if (v.flag('require_cmc_eku')) c.requireCmcEku = true;
    if (v.flag('unprotected_errors')) c.unprotectedErrors = true;
    put(c, 'outTrusted', v.list('out_trusted'));
    if (v.flag('no_cache_extracerts')) c.noCacheExtraCerts = true;
    if (v.flag('implicit_confirm')) c.implicitConfirm = true;
    if (v.flag('disable_confirm')) c.disableConfirm = true;

    const verification: NonNullable<CmpClientOptions['verification']> = {};
    const attime = v.num('attime');
    if (attime !== undefined) verification.at = new Date(attime * 1000);
    if (v.flag('no_check_time')) verification.noCheckTime = true;
    if (v.flag('partial_chain')) verification.partialChain = true;
    this.revocation(verification);
    this.pathParameters(verification);
    if (Object.keys(verification).length > 0) c.verification = verification;
  }

  /**
   * -crl_check, -crl_check_all, -use_deltas, -extended_crl and cmpflow's -crls. OpenSSL 3.0's cmp
   * app loads only certificates from -trusted, so its checks find no CRL and fail; without -crls,
   * cmpflow's fail the same way.
   */
  private revocation(verification: NonNullable<CmpClientOptions['verification']>): void {
    const v = this.v;
    const check = v.flag('crl_check_all') ? 'all' : v.flag('crl_check') ? 'leaf' : undefined;
    const crls = v.list('crls');
    const refinements = (['crls', 'use_deltas', 'extended_crl'] as const).filter((name) => (name === 'crls' ? crls !== undefined : v.flag(name)));
    if (check === undefined) {
      for (const name of refinements) this.warn(`-${name} is ignored without -crl_check or -crl_check_all`);
      return;
    }
    verification.crlCheck = check;
    if (v.flag('use_deltas')) verification.useDeltas = true;
    if (v.flag('extended_crl')) verification.extendedCrl = true;
    if (crls !== undefined) verification.crls = crls;
    else
      this.warn(
        `-${check === 'all' ? 'crl_check_all' : 'crl_check'} without -crls: no CRL is available, so any certificate checked fails with "unable to get certificate CRL"`,
      );
  }

  /**
   * -verify_depth, -ignore_critical and the policy options. cmpflow always does RFC 5280 policy
   * processing; -policy_check (which OpenSSL's other policy options imply) only makes it start from
   * OpenSSL's empty policy set when -policy is not given.
   */
  private pathParameters(verification: NonNullable<CmpClientOptions['verification']>): void {
    Object.assign(verification, this.pathParameterValues());
  }

  /** Read once: the client and the mock server (-use_mock_srv) both use them. */
  private pathParameterValues(): VerificationParameters {
    if (this.pathParams) return this.pathParams;
    const verification: VerificationParameters = {};
    this.pathParams = verification;
    const v = this.v;
    const depth = v.num('verify_depth');
    // OpenSSL's opt_verify sets the depth only when it is not negative.
    if (depth !== undefined && depth >= 0) verification.maxDepth = depth;
    else if (depth !== undefined) this.warn(`-verify_depth ${depth} is ignored: the depth must not be negative`);
    if (v.flag('ignore_critical')) verification.ignoreCritical = true;
    const policies = v.get('policy');
    if (policies !== undefined) {
      verification.policies = (Array.isArray(policies) ? policies : [String(policies)]).map((name) => {
        const oid = name === 'anyPolicy' ? ANY_POLICY : name;
        if (!OID.test(oid)) throw invalid(`-policy: invalid policy OID '${name}' (a dotted OID or anyPolicy)`);
        return oid;
      });
    }
    if (v.flag('explicit_policy')) verification.explicitPolicy = true;
    if (v.flag('inhibit_map')) verification.inhibitPolicyMapping = true;
    if (v.flag('inhibit_any')) verification.inhibitAnyPolicy = true;
    const purpose = v.str('purpose');
    if (purpose !== undefined) {
      if (!isPurposeName(purpose)) throw invalid(`-purpose: unknown purpose '${purpose}' (one of ${Object.keys(PURPOSES).join(', ')})`);
      verification.purpose = purpose;
    }
    const named = v.str('verify_name');
    if (named !== undefined) {
      if (!(named in NAMED_VERIFICATION))
        throw invalid(`-verify_name: unknown name '${named}' (one of ${Object.keys(NAMED_VERIFICATION).join(', ')})`);
      // OpenSSL copies a named set only into parameters not given: -purpose wins.
      const namedPurpose = NAMED_VERIFICATION[named];
      if (namedPurpose && verification.purpose === undefined) verification.purpose = namedPurpose;
    }
    const level = v.num('auth_level');
    // OpenSSL's opt_verify sets the level only when it is not negative.
    if (level !== undefined && level >= 0) verification.authLevel = level;
    else if (level !== undefined) this.warn(`-auth_level ${level} is ignored: the level must not be negative`);
    if (v.flag('check_ss_sig')) verification.checkSelfSignature = true;
    if (v.flag('x509_strict')) verification.x509Strict = true;
    const suiteB = suiteBLevel(v.flag('suiteB_128_only') || v.flag('suiteB_128'), v.flag('suiteB_192') || v.flag('suiteB_128'));
    if (suiteB) verification.suiteB = suiteB;
    if (v.flag('allow_proxy_certs')) verification.allowProxyCertificates = true;
    // X509_V_FLAG_NOTIFY_POLICY reaches openssl cmp's verify callback, which prints only failures.
    if (v.flag('policy_print')) this.warn('-policy_print prints nothing, as in openssl cmp, whose verification callback ignores the policy tree');
    put(verification, 'verifyHostname', v.str('verify_hostname'));
    const email = v.str('verify_email');
    if (email !== undefined && !email.includes('@')) throw invalid(`-verify_email: not an email address: '${email}'`);
    put(verification, 'verifyEmail', email);
    const ip = v.str('verify_ip');
    if (ip !== undefined && isIP(ip) === 0) throw invalid(`-verify_ip: not an IPv4 or IPv6 address: '${ip}'`);
    put(verification, 'verifyIp', ip);
    // OpenSSL's policy checks without -policy start from an empty set of acceptable policies, so a
    // path that must have an explicit policy fails; cmpflow's own default is anyPolicy.
    const policyCheck = ['policy_check', 'explicit_policy', 'inhibit_map', 'inhibit_any'].some((name) => v.flag(name));
    if (policyCheck && verification.policies === undefined) verification.policies = [];
    return verification;
  }

  private clientAuthentication(): void {
    const v = this.v;
    const c = this.client;
    const hasSecret = v.has('secret');
    if (!v.flag('unprotected_requests') && !hasSecret && !v.has('key')) {
      throw missing('-key or -secret: must be given unless -unprotected_requests is used');
    }
    if (!v.has('ref') && !v.has('cert') && !v.has('subject')) throw missing('-ref: must be given if no -cert and no -subject is given');
    if (!hasSecret && v.has('cert') !== v.has('key'))
      throw missing(`-${v.has('cert') ? 'key' : 'cert'}: must give both -cert and -key options or neither`);
    if (hasSecret && (v.has('cert') || v.has('key'))) this.warn('-cert and -key not used for protection since -secret is given');
    if (!v.has('secret') && !v.has('srvcert') && !v.has('trusted')) {
      this.warn('will not authenticate server due to missing -secret, -trusted, or -srvcert');
    }
    if (!v.has('cert') && v.has('own_trusted')) this.warn('-own_trusted option is ignored without -cert');
    put(c, 'ref', v.str('ref'));
    put(c, 'cert', v.str('cert'));
    put(c, 'key', v.str('key'));
    if (v.has('cert')) put(c, 'ownTrusted', v.list('own_trusted'));
    put(c, 'extraCerts', v.list('extracerts'));
    if (v.flag('unprotected_requests')) c.unprotectedRequests = true;
    const digest = v.str('digest');
    if (digest !== undefined) {
      try {
        c.digest = digestByName(digest);
      } catch {
        throw invalid(`-digest: digest algorithm name not recognized: '${digest}'`);
      }
    }
    // PBMAC1 is chosen by -pbmac1, with -mac naming its HMAC as for PBM; `-mac pbmac1` is the
    // shorthand for PBMAC1 with the default HMAC.
    const mac = v.str('mac');
    if (v.flag('pbmac1') || mac?.toLowerCase() === 'pbmac1') c.macProtection = 'pbmac1';
    if (mac !== undefined && mac.toLowerCase() !== 'pbmac1') c.mac = mac;
  }

  private request(cli: CliSettings): void {
    const v = this.v;
    const c = this.client;
    const cmd = cli.cmd;
    if (cmd === undefined && cli.resume === undefined) throw missing('-cmd: no cmp command to execute (ir, cr, kur, p10cr, rr or genm)');
    if (cmd !== undefined && cli.resume !== undefined) this.warn('-cmd is ignored since -resume continues a saved transaction');
    const enrolling = cmd === 'ir' || cmd === 'cr' || cmd === 'kur';
    const ignored = "option is ignored for commands other than 'ir', 'cr', and 'kur'";

    if (cli.resume === undefined) {
      if (enrolling) {
        // With -centralkeygen the CA makes the key: there need not be one of ours.
        if (!v.flag('centralkeygen') && !v.has('newkey') && !v.has('key') && !v.has('csr'))
          throw missing('-newkey: missing -newkey (or -key) to be certified and no -csr given');
        // With -reqout_only nothing is enrolled here: the request is written for another way to the CA.
        if (!v.has('certout') && !v.has('reqout_only')) throw missing('-certout: not given, nowhere to save newly enrolled certificate');
      } else if (cmd !== undefined) {
        if (v.has('subject') && (v.has('ref') || v.has('cert'))) this.warn(`-subject ${ignored} since -ref or -cert is given`);
        for (const name of ['issuer', 'reqexts', 'san_nodefault', 'sans', 'policies', 'policy_oids']) {
          // OpenSSL 3.2's rr names the certificate by -issuer and -serial.
          if (v.isSet(name) && !(name === 'issuer' && cmd === 'rr')) this.warn(`-${name} ${ignored}`);
        }
      }
      if (cmd === 'kur' && !v.has('oldcert') && !v.has('cert') && !v.has('csr')) {
        throw missing('-oldcert: missing -oldcert for certificate to be updated and no -csr given');
      }
      if (cmd === 'rr') this.revocationTarget();
      else if (v.has('serial')) this.warn("Ignoring -serial for command other than 'rr'");
      if (cmd === 'p10cr' && !v.has('csr')) throw missing('-csr: missing PKCS#10 CSR for p10cr');
      if (cmd === 'p10cr' || cmd === 'rr') {
        for (const name of ['newkeypass', 'newkey', 'days', 'popo']) {
          if (v.has(name)) this.warn(`-${name} option is ignored for 'p10cr' and 'rr' commands`);
        }
      }
    }
    if (!v.has('recipient') && !v.has('srvcert') && !v.has('issuer') && !v.has('oldcert') && !v.has('cert')) {
      this.warn('missing -recipient, -srvcert, -issuer, -oldcert or -cert; recipient will be set to "NULL-DN"');
    }

    // apps/cmp.c reads -subject and -issuer only where it uses them: an ignored one is not parsed,
    // so a malformed one does not fail the command, and it does not name the sender either.
    if (enrolling || cmd === undefined || (!v.has('ref') && !v.has('cert'))) {
      put(
        c,
        'subject',
        nameArgument('subject', v.str('subject'), (m) => this.warn(m)),
      );
    }
    if (enrolling || cmd === undefined || (cmd === 'rr' && v.has('serial')))
      put(
        c,
        'issuer',
        nameArgument('issuer', v.str('issuer'), (m) => this.warn(m)),
      );
    put(c, 'newKey', v.str('newkey'));
    if (v.flag('centralkeygen')) {
      if (enrolling) c.centralKeyGeneration = true;
      else if (cmd !== undefined) this.warn(`-centralkeygen ${ignored}`);
    }
    if (v.has('newkeyout') && !v.flag('centralkeygen')) this.warn('-newkeyout is ignored without -centralkeygen');
    const days = v.num('days');
    if (days !== undefined && days > 0) c.days = days;
    const popo = v.num('popo');
    // OpenSSL 3.0 takes -1 .. 2; cmpflow also implements 3, keyAgreement (the certificate comes back encrypted by ECDH).
    if (popo !== undefined && (popo < -1 || popo > 3)) throw invalid('-popo: invalid popo spec. Valid values are -1 .. 3');
    if (popo !== undefined) c.popo = popo as CmpClientOptions['popo'];
    if (cmd === 'genm' && v.has('csr')) this.warn("-csr option is ignored for command 'genm'");
    else put(c, 'csr', v.str('csr'));
    if (cmd === 'genm' && v.has('oldcert')) this.warn("-oldcert option is ignored for command 'genm'");
    else put(c, 'oldCert', v.str('oldcert'));
    const revReason = v.num('revreason');
    if (revReason === 7) throw invalid('-revreason: invalid reason 7; valid values are -1 .. 6, 8 .. 10');
    if (revReason !== undefined) c.revReason = revReason;

    this.extensions();
    this.sans(v.list('sans'));
    if (v.flag('san_nodefault')) {
      if (v.has('sans')) this.warn('-san_nodefault has no effect when -sans is used');
      c.sanNoDefault = true;
    }
    const policyOids = v.list('policy_oids');
    if (policyOids !== undefined) {
      for (const oid of policyOids) if (!OID.test(oid)) throw invalid(`-policy_oids: unknown policy OID '${oid}'`);
      c.policyOids = policyOids;
    }
    if (v.flag('policy_oids_critical')) {
      if (policyOids === undefined) this.warn('-policy_oids_critical has no effect unless -policy_oids is given');
      c.policyOidsCritical = true;
    }
    // OpenSSL adds the -profile ITAV after the -geninfo ones.
    const generalInfo = [...(this.generalInfo(v.str('geninfo')) ?? []), ...certProfile(v.str('profile'))];
    if (generalInfo.length > 0) c.generalInfo = generalInfo;
  }

  /** apps/cmp.c 3.2 to 3.5 (wording included): an rr names its certificate by -issuer and -serial, else by -oldcert, else by -csr. */
  private revocationTarget(): void {
    const v = this.v;
    if (!v.has('issuer') && !v.has('serial')) {
      if (!v.has('oldcert') && !v.has('csr')) {
        throw missing('-oldcert: missing -oldcert or -issuer and -serial for certificate to be revoked and no -csr given');
      }
      if (v.has('oldcert') && v.has('csr')) this.warn('ignoring -csr since certificate to be revoked is given');
      return;
    }
    if (!v.has('issuer') || !v.has('serial')) throw missing('-serial: Must give both -issuer and -serial options or neither');
    const since = "since -issuer and -serial is given for command 'rr'";
    for (const name of ['oldcert', 'csr']) {
      if (!v.has(name)) continue;
      this.warn(`Ignoring -${name} ${since}`);
      v.delete(name);
    }
    this.client.serialNumber = v.str('serial')!;
  }

  private extensions(): void {
    const v = this.v;
    const reqexts = v.str('reqexts');
    const policies = v.str('policies');
    if (policies !== undefined && v.has('policy_oids')) throw invalid('-policies: cannot have policies both via -policies and via -policy_oids');
    if (reqexts === undefined && policies === undefined) return;
    const config = this.opened.config;
    if (config === undefined) {
      throw missing(`-${reqexts !== undefined ? 'reqexts' : 'policies'}: names a config file section, but no config file is used (-config)`);
    }
    this.requestExtensions = readRequestExtensions(config, {
      ...(reqexts !== undefined ? { reqexts } : {}),
      ...(policies !== undefined ? { policies } : {}),
    });
    if (v.has('sans') && this.requestExtensions.some((e) => e.oid === '2.5.29.17')) {
      throw invalid('-sans: cannot have Subject Alternative Names both via -reqexts and via -sans');
    }
    this.client.reqExtensions = encodeExtensions(this.requestExtensions);
  }

  /** set_gennames(): an IP address if it parses as one, else a URI if it has a colon, else a DNS name. */
  private sans(items: string[] | undefined): void {
    if (items === undefined) return;
    const names: GeneralNameInput[] = [];
    for (const item of items) {
      if (item === 'critical') continue;
      if (isIP(item) !== 0) names.push({ type: 'ip', value: item });
      else if (item.includes(':')) names.push({ type: 'uri', value: item });
      else if (/^[\x21-\x7e]+$/.test(item)) names.push({ type: 'dns', value: item });
      else throw invalid(`-sans: bad syntax of Subject Alternative Name '${item}'`);
    }
    if (names.length > 0) this.client.sans = names;
  }

  /**
   * -geninfo as OpenSSL 3.3 and later read it: items separated by commas, each `OID:int:N` or
   * `OID:str:text` (a text runs to the next comma, spaces included), the OID dotted or named.
   * OpenSSL 3.0's single `OID:int:N` is one such item. Values are kept as DER.
   */
  private generalInfo(text: string | undefined): InfoTypeAndValueInput[] | undefined {
    if (text === undefined) return undefined;
    const items: InfoTypeAndValueInput[] = [];
    let rest = text;
    do {
      rest = rest.replace(/^\s+/, '');
      const colon = rest.indexOf(':');
      if (colon < 0) throw invalid(`-geninfo: missing ':' in '${rest}'`);
      const name = rest.slice(0, colon);
      const oid = OID.test(name) ? name : GENINFO_OID_NAMES[name];
      if (oid === undefined) throw invalid(`-geninfo: invalid OID '${name}'`);
      rest = rest.slice(colon + 1);
      const kind = rest.slice(0, 4).toLowerCase();
      rest = rest.slice(4);
      if (kind === 'int:') {
        // strtol(): leading spaces and a sign, then digits; after them only a comma may follow.
        const m = /^\s*[+-]?[0-9]+/.exec(rest);
        if (!m) throw invalid(`-geninfo: cannot parse int '${rest}'`);
        rest = rest.slice(m[0].length);
        if (rest !== '' && !rest.startsWith(',')) throw invalid(`-geninfo: missing ',' or end of value after int at '${rest}'`);
        rest = rest.slice(1);
        items.push({ infoType: oid, value: encodeInteger(BigInt(m[0].trim())) });
      } else if (kind === 'str:') {
        const comma = rest.indexOf(',');
        const value = comma < 0 ? rest : rest.slice(0, comma);
        rest = comma < 0 ? '' : rest.slice(comma + 1);
        items.push({ infoType: oid, value: encodeTlv(0x0c, new TextEncoder().encode(value)) });
      } else {
        throw invalid(`-geninfo: missing 'int:' or 'str:' after OID '${name}'`);
      }
    } while (rest !== '');
    return items;
  }
}

/**
 * -certform and -crlform as opt_format(OPT_FMT_PEMDER) reads them: a word starting with D is DER,
 * P or PEM (any case) is PEM; anything else is refused with apps/cmp.c's words.
 */
function storingFormat(option: string, text: string | undefined, fallback: 'PEM' | 'DER', what: string): 'PEM' | 'DER' {
  if (text === undefined) return fallback;
  if (/^d/i.test(text)) return 'DER';
  if (/^p(em)?$/i.test(text)) return 'PEM';
  throw invalid(`-${option}: unknown option given for ${what} storing format: '${text}' is not PEM or DER`);
}

/** -profile: id-it-certProfile with a SEQUENCE OF one UTF8String (RFC 9483 section 4.1.1). */
function certProfile(name: string | undefined): InfoTypeAndValueInput[] {
  if (name === undefined) return [];
  return [{ infoType: CmpOids.idItCertProfile, value: encodeTlv(0x30, encodeTlv(0x0c, new TextEncoder().encode(name))) }];
}

/** DER INTEGER in minimal two's complement. */
function encodeInteger(n: bigint): Uint8Array {
  const bytes: number[] = [];
  let x = n;
  for (;;) {
    bytes.unshift(Number(BigInt.asUintN(8, x)));
    x >>= 8n;
    const top = bytes[0]! & 0x80;
    if ((x === 0n && top === 0) || (x === -1n && top !== 0)) break;
  }
  return encodeTlv(0x02, Uint8Array.from(bytes));
}

const hasPassphrasePrefix = (source: string) => /^(pass|env|file|fd):/.test(source) || source === 'stdin';

/** Runs a library parser, prefixing its error with the option it checked. */
function namingOption(option: string, check: () => unknown): void {
  try {
    check();
  } catch (e) {
    if (e instanceof CmpError) throw new CmpError(e.code, `-${option}: ${e.message}`);
    throw e;
  }
}

function put<T extends object, K extends keyof T>(target: T, key: K, value: T[K] | undefined): void {
  if (value !== undefined) target[key] = value;
}

/**
 * Resolves the pass phrase sources into the client options (secret, keyPass, newKeyPass,
 * otherPass, tls.keyPass). `resolve` is src/credentials' resolvePassphrase or a test double.
 */
export async function resolveSecrets(
  parsed: Pick<RunCommandLine, 'client' | 'passphrases'>,
  resolve: (source: string, description: string) => Promise<string>,
): Promise<CmpClientOptions> {
  const client: CmpClientOptions = { ...parsed.client };
  const p = parsed.passphrases;
  if (p.secret !== undefined) client.secret = await resolve(p.secret, 'the -secret pass phrase');
  if (p.keyPass !== undefined) client.keyPass = await resolve(p.keyPass, 'the -keypass pass phrase');
  if (p.newKeyPass !== undefined) client.newKeyPass = await resolve(p.newKeyPass, 'the -newkeypass pass phrase');
  if (p.otherPass !== undefined) client.otherPass = await resolve(p.otherPass, 'the -otherpass pass phrase');
  if (p.tlsKeyPass !== undefined && client.tls !== undefined) {
    client.tls = { ...client.tls, keyPass: await resolve(p.tlsKeyPass, 'the -tls_keypass pass phrase') };
  }
  return client;
}
