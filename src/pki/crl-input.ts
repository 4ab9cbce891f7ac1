/**
 * CRLs for revocation checking from what applications have: file paths, PEM text (several CRLs,
 * certificates in between skipped, as in OpenSSL's -CRLfile), DER or PEM bytes, or CRLs already
 * decoded. Decoding is remembered per byte array and per list, so a client that passes the same
 * option object for every message decodes its CRLs once.
 */
import { parsePem } from '../credentials/pem';
import { pemText, readCredentialInput } from '../credentials/source';
import { CmpError, ErrorCodes } from '../errors';
import { decodeCrl, type CrlView } from './crl';

/** One CRL source: a file path, PEM text, DER or PEM bytes, or a decoded CRL. */
export type CrlInput = string | Uint8Array | CrlView;
/** Several CRLs: one source holding many, or a list of sources. */
export type CrlsInput = CrlInput | readonly CrlInput[];

const crlLabels = new Set(['X509 CRL']);
const decodedBytes = new WeakMap<Uint8Array, CrlView[]>();
const decodedLists = new WeakMap<readonly CrlInput[], CrlView[]>();

/** ERR_FILE, ERR_PEM or ERR_CREDENTIALS (no CRL in a source, or one that does not parse). */
export function crlsOf(input: CrlsInput | undefined): CrlView[] {
  if (input === undefined) return [];
  if (!Array.isArray(input)) return crlsOfOne(input as CrlInput);
  const list = input as readonly CrlInput[];
  let crls = decodedLists.get(list);
  if (!crls) {
    crls = list.flatMap(crlsOfOne);
    decodedLists.set(list, crls);
  }
  return crls;
}

function crlsOfOne(input: CrlInput): CrlView[] {
  if (isCrlView(input)) return [input];
  if (input instanceof Uint8Array) {
    let crls = decodedBytes.get(input);
    if (!crls) {
      crls = decodeSource(input);
      decodedBytes.set(input, crls);
    }
    return crls;
  }
  return decodeSource(input);
}

function decodeSource(input: string | Uint8Array): CrlView[] {
  const source = readCredentialInput(input, 'CRL');
  const text = pemText(source);
  if (text === undefined) return [decodeCrl(source.bytes, source.name)];
  let ders: Uint8Array[];
  try {
    ders = parsePem(text)
      .filter((block) => crlLabels.has(block.label))
      .map((block) => block.der);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_PEM, `${source.name}: ${(e as Error).message}`, { cause: e });
  }
  if (ders.length === 0) throw new CmpError(ErrorCodes.ERR_CREDENTIALS, `no CRL in ${source.name}`);
  return ders.map((der, i) => decodeCrl(der, ders.length > 1 ? `CRL ${i + 1} of ${source.name}` : source.name));
}

function isCrlView(input: CrlInput): input is CrlView {
  return typeof input === 'object' && !(input instanceof Uint8Array) && 'entries' in input && 'tbs' in input;
}
