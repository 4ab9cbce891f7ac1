/**
 * RFC 7512 `pkcs11:` URIs as OpenSSL's pkcs11 engine (libp11) and pkcs11-provider users write
 * them: `pkcs11:token=My%20Token;object=signer;type=private?pin-source=file:/run/pin`.
 */
import { CmpError, ErrorCodes } from '../errors';

export interface Pkcs11Uri {
  token?: string;
  manufacturer?: string;
  serial?: string;
  model?: string;
  slotId?: number;
  object?: string;
  /** CKA_ID bytes. */
  id?: Uint8Array;
  type?: string;
  pinValue?: string;
  pinSource?: string;
  modulePath?: string;
  /**
   * cmpflow's own `x-generate=ec:P-256` (or `rsa:2048`): generate the key pair inside the token
   * when no key matches. RFC 7512 3.3 reserves the `x-` prefix for such vendor attributes.
   */
  generate?: Pkcs11KeygenSpec;
}

export type Pkcs11KeygenSpec = { type: 'ec'; curve: 'P-256' | 'P-384' | 'P-521' } | { type: 'rsa'; modulusLength: number };

export function isPkcs11Uri(value: unknown): value is string {
  return typeof value === 'string' && /^pkcs11:/i.test(value);
}

// The URI is never echoed whole: it may carry pin-value.
function invalid(reason: string): CmpError {
  return new CmpError(ErrorCodes.ERR_INVALID_OPTION, `invalid pkcs11: URI: ${reason}`);
}

function pctDecode(raw: string, attr: string): Uint8Array {
  const out: number[] = [];
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '%') {
      const hex = raw.slice(i + 1, i + 3);
      if (!/^[0-9a-f]{2}$/i.test(hex)) throw invalid(`bad percent-encoding in ${attr}`);
      out.push(parseInt(hex, 16));
      i += 2;
    } else {
      out.push(...Buffer.from(c, 'utf8'));
    }
  }
  return new Uint8Array(out);
}

const text = (raw: string, attr: string) => Buffer.from(pctDecode(raw, attr)).toString('utf8');

function keygenSpec(value: string): Pkcs11KeygenSpec {
  const m = /^(ec|rsa):(.+)$/i.exec(value);
  if (m?.[1]!.toLowerCase() === 'ec') {
    const curve = m[2]!
      .toUpperCase()
      .replace(/^(PRIME256V1|SECP256R1)$/, 'P-256')
      .replace(/^SECP384R1$/, 'P-384')
      .replace(/^SECP521R1$/, 'P-521');
    if (curve === 'P-256' || curve === 'P-384' || curve === 'P-521') return { type: 'ec', curve };
  } else if (m && /^\d+$/.test(m[2]!) && Number(m[2]) >= 2048 && Number(m[2]) <= 16384) {
    return { type: 'rsa', modulusLength: Number(m[2]) };
  }
  throw invalid('x-generate must be ec:P-256, ec:P-384, ec:P-521 or rsa:BITS (2048 to 16384)');
}

/** Parses a `pkcs11:` URI; unknown standard attributes are refused rather than silently ignored. */
export function parsePkcs11Uri(uri: string): Pkcs11Uri {
  if (!isPkcs11Uri(uri)) throw invalid('must start with pkcs11:');
  const body = uri.slice('pkcs11:'.length);
  const q = body.indexOf('?');
  const path = q < 0 ? body : body.slice(0, q);
  const query = q < 0 ? '' : body.slice(q + 1);
  const out: Pkcs11Uri = {};
  const seen = new Set<string>();
  const attrs = [...path.split(';').map((a) => [a, 'path'] as const), ...query.split('&').map((a) => [a, 'query'] as const)];
  for (const [attr] of attrs) {
    if (attr === '') continue;
    const eq = attr.indexOf('=');
    if (eq <= 0) throw invalid(`attribute without a value`);
    const name = attr.slice(0, eq).toLowerCase();
    const raw = attr.slice(eq + 1);
    if (seen.has(name)) throw invalid(`${name} given twice`);
    seen.add(name);
    switch (name) {
      case 'token':
        out.token = text(raw, name);
        break;
      case 'manufacturer':
        out.manufacturer = text(raw, name);
        break;
      case 'serial':
        out.serial = text(raw, name);
        break;
      case 'model':
        out.model = text(raw, name);
        break;
      case 'slot-id':
        if (!/^\d+$/.test(raw)) throw invalid('slot-id must be a decimal number');
        out.slotId = Number(raw);
        break;
      case 'object':
        out.object = text(raw, name);
        break;
      case 'id':
        out.id = pctDecode(raw, name);
        break;
      case 'type':
        out.type = text(raw, name);
        if (out.type !== 'private') throw invalid('type must be private: cmpflow signs with the key');
        break;
      case 'pin-value':
        out.pinValue = text(raw, name);
        break;
      case 'pin-source':
        out.pinSource = text(raw, name);
        break;
      case 'module-path':
        out.modulePath = text(raw, name);
        break;
      case 'x-generate':
        out.generate = keygenSpec(text(raw, name));
        break;
      case 'library-manufacturer':
      case 'library-description':
      case 'library-version':
      case 'slot-description':
      case 'slot-manufacturer':
      case 'module-name':
        break; // Narrow the search in other tools; one module and the token attributes suffice here.
      default:
        if (!name.startsWith('x-')) throw invalid(`unknown attribute ${name}`);
    }
  }
  if (out.pinValue !== undefined && out.pinSource !== undefined) throw invalid('give pin-value or pin-source, not both');
  if (out.object === undefined && out.id === undefined) throw invalid('name the key with object= or id=');
  return out;
}
