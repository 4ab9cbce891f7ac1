/**
 * Private keys that stay inside a PKCS#11 token: signatures are made by C_Sign, key pairs by
 * C_GenerateKeyPair. The pkcs11js binding (an optional dependency with a native addon) is loaded
 * only when a `pkcs11:` URI is used, so the library works where it did not build.
 */
import * as crypto from 'node:crypto';
import type * as Pkcs11Js from 'pkcs11js';
import { CmpError, ErrorCodes } from '../errors';
import { p1363ToDer } from './ecdsa-signature';
import { PrivateKey } from './private-key';
import type { HashName, PrivateKeyHandle, SignatureAlgorithm } from './provider';
import type { Pkcs11KeygenSpec, Pkcs11Uri } from './pkcs11-uri';

type Binding = typeof Pkcs11Js;
type Module = Pkcs11Js.PKCS11;
type Handle = Pkcs11Js.Handle;

/** Debian's SoftHSM2; other modules are named by module-path= or CMPFLOW_PKCS11_MODULE. */
export const DEFAULT_PKCS11_MODULE = '/usr/lib/softhsm/libsofthsm2.so';

let binding: Binding | undefined;
const modules = new Map<string, Module>();

function loadBinding(): Binding {
  if (binding) return binding;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    binding = require('pkcs11js') as Binding;
  } catch (e) {
    throw new CmpError(
      ErrorCodes.ERR_CREDENTIALS,
      'pkcs11: keys need the optional package pkcs11js, which is not installed or did not build (npm install pkcs11js)',
      {
        cause: e,
      },
    );
  }
  return binding;
}

function moduleAt(path: string): Module {
  const known = modules.get(path);
  if (known) return known;
  const b = loadBinding();
  const m = new b.PKCS11();
  try {
    m.load(path);
    initialize(m);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `cannot load the PKCS#11 module ${path}: ${reason(e)}`, { cause: e });
  }
  modules.set(path, m);
  if (modules.size === 1) process.once('exit', finalizePkcs11Modules);
  return m;
}

/** Another copy of the binding in this process (a second bundle, a test runner's module registry) may have initialized the module. */
function initialize(m: Module): void {
  try {
    m.C_Initialize();
  } catch (e) {
    if (reason(e) !== 'CKR_CRYPTOKI_ALREADY_INITIALIZED') throw e;
  }
}

/** Ends every loaded module's use (C_Finalize): the tokens' sessions close, logins end. */
export function finalizePkcs11Modules(): void {
  for (const m of modules.values()) {
    try {
      m.C_Finalize();
      m.close();
    } catch {
      // Already finalized or unloaded: nothing left to release.
    }
  }
  modules.clear();
}

/** The CKR_ name of a PKCS#11 failure; pkcs11js messages carry no PIN or key material. */
function reason(e: unknown): string {
  const m = /CKR_[A-Z_]+/.exec(String((e as Error)?.message ?? e));
  return m ? m[0] : String((e as Error)?.message ?? e);
}

const trimmed = (s: string) => s.replace(/[\s\0]+$/, '');

function findSlot(m: Module, uri: Pkcs11Uri): Handle {
  const slots = m.C_GetSlotList(true);
  for (const slot of slots) {
    if (uri.slotId !== undefined && slot.readUIntLE(0, slot.length > 6 ? 6 : slot.length) !== uri.slotId) continue;
    const info = m.C_GetTokenInfo(slot);
    if (uri.token !== undefined && trimmed(info.label) !== uri.token) continue;
    if (uri.manufacturer !== undefined && trimmed(info.manufacturerID) !== uri.manufacturer) continue;
    if (uri.serial !== undefined && trimmed(info.serialNumber) !== uri.serial) continue;
    if (uri.model !== undefined && trimmed(info.model) !== uri.model) continue;
    return slot;
  }
  const which = uri.token !== undefined ? `token "${uri.token}"` : 'token matching the URI';
  throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `pkcs11: no ${which} (${slots.length} token(s) present)`);
}

function openSession(m: Module, slot: Handle, pin: string | undefined, rw: boolean): Handle {
  const b = loadBinding();
  const session = m.C_OpenSession(slot, b.CKF_SERIAL_SESSION | (rw ? b.CKF_RW_SESSION : 0));
  if (pin === undefined) return session;
  try {
    m.C_Login(session, b.CKU_USER, pin);
  } catch (e) {
    const code = reason(e);
    if (code === 'CKR_USER_ALREADY_LOGGED_IN') return session;
    m.C_CloseSession(session);
    if (code === 'CKR_PIN_INCORRECT' || code === 'CKR_PIN_INVALID' || code === 'CKR_PIN_LEN_RANGE')
      throw new CmpError(ErrorCodes.ERR_BAD_PASSPHRASE, 'pkcs11: the token refused the PIN');
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `pkcs11: cannot log in to the token: ${code}`);
  }
  return session;
}

function findObject(m: Module, session: Handle, cls: number, uri: Pkcs11Uri): Handle | undefined {
  const b = loadBinding();
  const template: Pkcs11Js.Template = [{ type: b.CKA_CLASS, value: cls }];
  if (uri.object !== undefined) template.push({ type: b.CKA_LABEL, value: uri.object });
  if (uri.id !== undefined) template.push({ type: b.CKA_ID, value: Buffer.from(uri.id) });
  m.C_FindObjectsInit(session, template);
  try {
    const found = m.C_FindObjects(session, 2);
    if (found.length > 1) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'pkcs11: the URI matches more than one key; add id= or object=');
    return found[0];
  } finally {
    m.C_FindObjectsFinal(session);
  }
}

const curveOids: Record<string, string> = {
  '06082a8648ce3d030107': 'P-256',
  '06052b81040022': 'P-384',
  '06052b81040023': 'P-521',
};
const curveParams = Object.fromEntries(Object.entries(curveOids).map(([hex, curve]) => [curve, Buffer.from(hex, 'hex')]));

/** CKA_EC_POINT is a DER OCTET STRING around the point (PKCS#11 2.40); some modules omit it. */
function ecPoint(value: Buffer): Buffer {
  if (value[0] === 0x04 && value.length > 2) {
    const long = value[1] === 0x81;
    const len = long ? value[2]! : value[1]!;
    const start = long ? 3 : 2;
    if (start + len === value.length && value[start] === 0x04) return value.subarray(start);
  }
  return value;
}

const b64url = (b: Buffer) => b.toString('base64url');

function spkiOf(
  m: Module,
  session: Handle,
  priv: Handle,
  pub: Handle | undefined,
): { keyType: 'rsa' | 'ec'; curve?: string; modulusLength?: number; spki: Uint8Array } {
  const b = loadBinding();
  const [kt] = m.C_GetAttributeValue(session, priv, [{ type: b.CKA_KEY_TYPE }]);
  const keyType = kt!.value!.readUIntLE(0, (kt!.value as Buffer).length > 6 ? 6 : (kt!.value as Buffer).length);
  if (keyType === b.CKK_RSA) {
    const [n, e] = m.C_GetAttributeValue(session, pub ?? priv, [{ type: b.CKA_MODULUS }, { type: b.CKA_PUBLIC_EXPONENT }]);
    const modulus = n!.value as Buffer;
    const jwk = { kty: 'RSA', n: b64url(modulus), e: b64url(e!.value as Buffer) };
    const spki = crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
    return { keyType: 'rsa', modulusLength: modulus.length * 8 - Math.clz32(modulus[0]!) + 24, spki: new Uint8Array(spki) };
  }
  if (keyType === b.CKK_EC) {
    if (pub === undefined) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, 'pkcs11: the EC key has no public key object in the token');
    const [params, point] = m.C_GetAttributeValue(session, pub, [{ type: b.CKA_EC_PARAMS }, { type: b.CKA_EC_POINT }]);
    const curve = curveOids[(params!.value as Buffer).toString('hex')];
    if (curve === undefined) throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, 'pkcs11: the EC key is not on P-256, P-384 or P-521');
    const raw = ecPoint(point!.value as Buffer);
    const size = (raw.length - 1) / 2;
    const jwk = { kty: 'EC', crv: curve, x: b64url(raw.subarray(1, 1 + size)), y: b64url(raw.subarray(1 + size)) };
    const spki = crypto.createPublicKey({ key: jwk, format: 'jwk' }).export({ type: 'spki', format: 'der' });
    return { keyType: 'ec', curve, spki: new Uint8Array(spki) };
  }
  throw new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, 'pkcs11: only RSA and EC keys in tokens are supported');
}

function generate(m: Module, session: Handle, uri: Pkcs11Uri, spec: Pkcs11KeygenSpec): void {
  const b = loadBinding();
  const naming: Pkcs11Js.Template = [];
  if (uri.object !== undefined) naming.push({ type: b.CKA_LABEL, value: uri.object });
  naming.push({ type: b.CKA_ID, value: Buffer.from(uri.id ?? crypto.randomBytes(16)) });
  const pub: Pkcs11Js.Template = [...naming, { type: b.CKA_TOKEN, value: true }, { type: b.CKA_VERIFY, value: true }];
  // Never extractable: the point of a token key is that it cannot leave the token.
  const priv: Pkcs11Js.Template = [
    ...naming,
    { type: b.CKA_TOKEN, value: true },
    { type: b.CKA_PRIVATE, value: true },
    { type: b.CKA_SENSITIVE, value: true },
    { type: b.CKA_EXTRACTABLE, value: false },
    { type: b.CKA_SIGN, value: true },
  ];
  let mechanism: number;
  if (spec.type === 'ec') {
    mechanism = b.CKM_EC_KEY_PAIR_GEN;
    pub.push({ type: b.CKA_EC_PARAMS, value: curveParams[spec.curve]! });
  } else {
    mechanism = b.CKM_RSA_PKCS_KEY_PAIR_GEN;
    pub.push({ type: b.CKA_MODULUS_BITS, value: spec.modulusLength }, { type: b.CKA_PUBLIC_EXPONENT, value: Buffer.from([1, 0, 1]) });
  }
  try {
    m.C_GenerateKeyPair(session, { mechanism }, pub, priv);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `pkcs11: the token could not generate the ${spec.type} key pair: ${reason(e)}`, { cause: e });
  }
}

const rsaMechanisms: Partial<Record<HashName, [string, string, string]>> = {
  'SHA-1': ['CKM_SHA1_RSA_PKCS', 'CKM_SHA1_RSA_PKCS_PSS', 'CKG_MGF1_SHA1'],
  'SHA-224': ['CKM_SHA224_RSA_PKCS', 'CKM_SHA224_RSA_PKCS_PSS', 'CKG_MGF1_SHA224'],
  'SHA-256': ['CKM_SHA256_RSA_PKCS', 'CKM_SHA256_RSA_PKCS_PSS', 'CKG_MGF1_SHA256'],
  'SHA-384': ['CKM_SHA384_RSA_PKCS', 'CKM_SHA384_RSA_PKCS_PSS', 'CKG_MGF1_SHA384'],
  'SHA-512': ['CKM_SHA512_RSA_PKCS', 'CKM_SHA512_RSA_PKCS_PSS', 'CKG_MGF1_SHA512'],
};
const hashMechanisms: Partial<Record<HashName, string>> = {
  'SHA-1': 'CKM_SHA_1',
  'SHA-224': 'CKM_SHA224',
  'SHA-256': 'CKM_SHA256',
  'SHA-384': 'CKM_SHA384',
  'SHA-512': 'CKM_SHA512',
};
const nodeHashes: Partial<Record<HashName, string>> = {
  'SHA-1': 'sha1',
  'SHA-224': 'sha224',
  'SHA-256': 'sha256',
  'SHA-384': 'sha384',
  'SHA-512': 'sha512',
  'SHA3-256': 'sha3-256',
  'SHA3-384': 'sha3-384',
  'SHA3-512': 'sha3-512',
};

const constant = (b: Binding, name: string) => (b as unknown as Record<string, number>)[name]!;

/** Debian's folder of OpenSSL 3 engines, where libengine-pkcs11-openssl installs pkcs11.so. */
export const DEFAULT_OPENSSL_ENGINES = '/usr/lib/x86_64-linux-gnu/engines-3';

/** How Node's TLS opens a key through an OpenSSL engine: tls.createSecureContext's privateKeyEngine/Identifier. */
export interface OpenSslEngineKey {
  engine: string;
  /** Carries the PIN: called only when the secure context is made, never stored in options. */
  identifier(): string;
}

interface TokenRef {
  module: Module;
  session: Handle;
  key: Handle;
  tokenLabel: string;
  id: Uint8Array;
  label: string;
  pin: string | undefined;
}

const pct = (bytes: Uint8Array) => Array.from(bytes, (b) => '%' + b.toString(16).padStart(2, '0')).join('');

/** A key in a token; its `sign` runs C_Sign, which the crypto providers delegate to. */
export class Pkcs11PrivateKey extends PrivateKey {
  declare private readonly token: TokenRef;

  constructor(fields: ConstructorParameters<typeof PrivateKey>[0], token: TokenRef) {
    super(fields);
    // Not enumerable: the PIN and the session stay out of spreads, logs and JSON.
    Object.defineProperty(this, 'token', { value: token, enumerable: false, writable: false });
  }

  /**
   * The same key for Node's TLS, which has no signing hook: OpenSSL's pkcs11 engine opens it by
   * its token label and CKA_ID, through p11-kit's proxy module (where SoftHSM and most tokens register).
   */
  openSslEngineKey(): OpenSslEngineKey {
    // By id rather than by path: OpenSSL then lists the engine once and each later TLS context
    // reuses it, where loading the library by path again fails (libp11 initialises only once per
    // process). Node's own OpenSSL looks for engines in its build's folder unless told otherwise.
    if (!process.env.OPENSSL_ENGINES) process.env.OPENSSL_ENGINES = DEFAULT_OPENSSL_ENGINES;
    const { tokenLabel, id, label, pin } = this.token;
    const utf8 = (text: string) => pct(new TextEncoder().encode(text));
    const name = id.length > 0 ? `id=${pct(id)}` : `object=${utf8(label)}`;
    const uri = `pkcs11:token=${utf8(tokenLabel)};${name};type=private`;
    return { engine: 'pkcs11', identifier: () => (pin === undefined ? uri : `${uri}?pin-value=${utf8(pin)}`) };
  }

  async sign(alg: SignatureAlgorithm, data: Uint8Array): Promise<Uint8Array> {
    const b = loadBinding();
    const { module: m, session, key } = this.token;
    const unsupported = () =>
      new CmpError(ErrorCodes.ERR_UNSUPPORTED_ALGORITHM, `pkcs11: ${alg.scheme} with ${alg.hash ?? 'no hash'} is not supported for token keys`);
    let mechanism: Pkcs11Js.Mechanism;
    let input = Buffer.from(data);
    if (alg.scheme === 'ecdsa' && this.keyType === 'ec') {
      // CKM_ECDSA signs a hash computed here, so every hash works with any module.
      const hash = alg.hash && nodeHashes[alg.hash];
      if (!hash) throw unsupported();
      mechanism = { mechanism: b.CKM_ECDSA };
      input = crypto.createHash(hash).update(data).digest();
    } else if ((alg.scheme === 'rsa-pkcs1' || alg.scheme === 'rsa-pss') && this.keyType === 'rsa') {
      const names = alg.hash && rsaMechanisms[alg.hash];
      if (!names) throw unsupported();
      if (alg.scheme === 'rsa-pkcs1') mechanism = { mechanism: constant(b, names[0]) };
      else {
        const saltLen = alg.saltLength ?? crypto.createHash(nodeHashes[alg.hash!]!).digest().length;
        const parameter: Pkcs11Js.RsaPSS = {
          type: b.CK_PARAMS_RSA_PSS,
          hashAlg: constant(b, hashMechanisms[alg.hash!]!),
          mgf: constant(b, names[2]),
          saltLen,
        };
        mechanism = { mechanism: constant(b, names[1]), parameter };
      }
    } else {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `a ${this.keyType} key cannot sign with ${alg.scheme}`);
    }
    let signature: Buffer;
    try {
      m.C_SignInit(session, mechanism, key);
      signature = m.C_Sign(session, input, Buffer.alloc(1024));
    } catch (e) {
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `pkcs11: signing with ${alg.scheme} in the token failed: ${reason(e)}`, { cause: e });
    }
    // PKCS#11 returns ECDSA signatures as r||s; X.509 and CMP carry the DER Ecdsa-Sig-Value.
    return alg.scheme === 'ecdsa' ? p1363ToDer(new Uint8Array(signature)) : new Uint8Array(signature);
  }
}

export interface Pkcs11KeyRequest {
  uri: Pkcs11Uri;
  /** The token's user PIN, already resolved from pin-value, pin-source or a pass phrase. */
  pin?: string;
  /** The module path when the URI has none. */
  modulePath?: string;
}

/**
 * Opens the private key a `pkcs11:` URI names, logging in with the PIN; with `x-generate` a key
 * pair is generated in the token when none matches. The session stays open for the key's use.
 */
export function openPkcs11Key(request: Pkcs11KeyRequest): PrivateKeyHandle {
  const { uri, pin } = request;
  const m = moduleAt(uri.modulePath ?? request.modulePath ?? DEFAULT_PKCS11_MODULE);
  const b = loadBinding();
  const slot = findSlot(m, uri);
  let session: Handle;
  try {
    session = openSession(m, slot, pin, uri.generate !== undefined);
  } catch (e) {
    if (e instanceof CmpError) throw e;
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `pkcs11: cannot open a session with the token: ${reason(e)}`, { cause: e });
  }
  try {
    let priv = findObject(m, session, b.CKO_PRIVATE_KEY, uri);
    if (priv === undefined && uri.generate) {
      generate(m, session, uri, uri.generate);
      priv = findObject(m, session, b.CKO_PRIVATE_KEY, uri);
    }
    if (priv === undefined) {
      const hint = pin === undefined ? ' (no PIN was given: private objects are hidden until login)' : '';
      throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `pkcs11: no private key matches the URI in the token${hint}`);
    }
    const [id, label] = m.C_GetAttributeValue(session, priv, [{ type: b.CKA_ID }, { type: b.CKA_LABEL }]);
    const pub = findObject(m, session, b.CKO_PUBLIC_KEY, {
      ...(id?.value && (id.value as Buffer).length ? { id: id.value as Buffer } : { object: String(label?.value ?? '') }),
    });
    const fields = spkiOf(m, session, priv, pub);
    const tokenLabel = trimmed(m.C_GetTokenInfo(slot).label);
    const keyId = new Uint8Array((id?.value as Buffer | undefined) ?? []);
    return new Pkcs11PrivateKey(
      { ...fields, handle: priv },
      { module: m, session, key: priv, tokenLabel, id: keyId, label: String(label?.value ?? ''), pin },
    );
  } catch (e) {
    m.C_CloseSession(session);
    if (e instanceof CmpError) throw e;
    throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `pkcs11: cannot use the key in the token: ${reason(e)}`, { cause: e });
  }
}
