/**
 * The fuzz properties shared by `npm run fuzz` (scripts/fuzz.ts, long campaigns) and the bounded
 * run inside `npm test` (fuzz.test.ts):
 *
 * (a) decodePkiMessage on mutated real messages (OpenSSL's captured exchanges and the shared
 *     vectors): it returns a message or throws a CmpError ERR_ASN1_*, never anything else, fast.
 * (b) processResponse on mutated real responses, protected again with the shared secret (or
 *     deliberately not): it returns a checked response or throws a CmpError, never anything else,
 *     never hangs, and never accepts a response whose protection it could not have verified, nor a
 *     certificate for another key than the one requested.
 *
 * Each property returns a Finding instead of throwing, so a campaign can go on and count them.
 */
import { randomBytes } from 'node:crypto';
import { AsnConvert, AsnSerializer } from '@peculiar/asn1-schema';
import { Certificate, GeneralName, Name } from '@peculiar/asn1-x509';
import { X509Certificate } from '@peculiar/x509';
import fc from 'fast-check';
import type { ValidatedResponse } from '../../src/validation';
import {
  CertifiedKeyPair,
  CertOrEncCert,
  CertRepMessage,
  CertResponse,
  CmpOids,
  decodePkiMessage,
  encodePkiMessage,
  ErrorMsgContent,
  InfoTypeAndValue,
  PKIBody,
  PKIFailureInfo,
  PKIFreeText,
  PKIMessage,
  PKIStatusInfo,
  PollRepContent,
  PollRepContentEntry,
  protectedPartBytes,
  rawPkiMessage,
} from '../../src/asn1';
import { clearCmpCertificateCache } from '../../src/asn1/cmp/cmp_certificate';
import { serializeDer } from '../../src/asn1/der-writer';
import { loadCertificates, loadPrivateKey } from '../../src/credentials';
import type { PrivateKeyHandle } from '../../src/crypto';
import { CmpError } from '../../src/errors';
import { issuerAndSerial } from '../../src/message/cert-identity';
import { protectPkiMessage } from '../../src/protection';
import { processResponse } from '../../src/validation/response';
import type { CertRequestKind, RequestKind } from '../../src/protocol';
import type { ResponseExpectations } from '../../src/validation/expectations';
import { loadOpenSslCapture, type CapturedProtection } from '../support/capture';
import { messageVectors, readVector, relativeName } from '../asn1/vectors';
import { currentDecodeOutcome, intendedlyStricter, referenceDecodeChecked, valueDifference } from '../support/asn1-reference';

export interface Finding {
  property: 'decode' | 'response' | 'codec';
  kind: 'not-a-cmp-error' | 'wrong-error-code' | 'slow' | 'hang' | 'unverified-accepted' | 'wrong-key-accepted' | 'codec-differs';
  detail: string;
  /** Where the input came from, e.g. 'openssl:ir-pbm#1'. */
  origin: string;
}

/** A real message to mutate. */
export interface Seed {
  origin: string;
  der: Uint8Array;
}

/** A real response together with what the client expected when it received it. */
export interface ResponseScenario {
  origin: string;
  protection: CapturedProtection;
  der: Uint8Array;
  expectations: ResponseExpectations;
  /** The key the certificate must be for (DER SubjectPublicKeyInfo), when one is requested. */
  requestedPublicKey?: Uint8Array;
  /** How to protect a mutated copy so that it verifies. */
  reprotect?: Parameters<typeof protectPkiMessage>[1];
}

export interface FuzzCorpus {
  seeds: Seed[];
  /** The seeds' bytes, spliced into mutated inputs. */
  donors: Uint8Array[];
  scenarios: ResponseScenario[];
  secret: Uint8Array;
  /** A certificate for another key than the requested one, and an unrelated self-signed one. */
  otherKeyCert: Certificate;
  foreignRoot: Certificate;
}

const DECODE_BOUND_MS = 1000;
const RESPONSE_BOUND_MS = 5000;

const ab = (b: Uint8Array): ArrayBuffer => Uint8Array.from(b).buffer;

function bodyTypeOf(msg: PKIMessage): string {
  return Object.keys(msg.body).find((k) => (msg.body as unknown as Record<string, unknown>)[k] !== undefined) ?? '';
}

function firstCertificate(pem: string): X509Certificate {
  return loadCertificates(pem)[0]!;
}

/** Loads the corpus: OpenSSL's captured exchanges (made on first use, then cached) and the shared vectors. */
export async function loadFuzzCorpus(): Promise<FuzzCorpus> {
  const capture = await loadOpenSslCapture();
  const { readFileSync } = await import('fs');
  const read = (p: string) => readFileSync(p, 'utf8');
  const secret = new TextEncoder().encode(capture.secret);
  const root = firstCertificate(read(capture.files.root));
  const intermediate = firstCertificate(read(capture.files.intermediate));
  const enrolled = firstCertificate(read(capture.files.enrolledCert));
  const client = firstCertificate(read(capture.files.clientCert));
  const serverKey: PrivateKeyHandle = await loadPrivateKey(capture.files.serverKey);
  const serverCert = firstCertificate(read(capture.files.serverCert));
  const enrolledSpki = new Uint8Array(enrolled.publicKey.rawData);

  const seeds: Seed[] = [];
  for (const ex of capture.exchanges) {
    ex.messages.forEach((m, i) => seeds.push({ origin: `openssl:${ex.name}#${i}`, der: m.der }));
  }
  for (const file of messageVectors()) seeds.push({ origin: `vector:${relativeName(file)}`, der: readVector(file) });

  const scenarios: ResponseScenario[] = [];
  for (const ex of capture.exchanges) {
    let pollingFor: CertRequestKind | undefined;
    for (let i = 0; i + 1 < ex.messages.length; i += 2) {
      const request = decodePkiMessage(ex.messages[i]!.der);
      const response = ex.messages[i + 1]!.der;
      const requestType = bodyTypeOf(request) as RequestKind;
      if (['ir', 'cr', 'p10cr', 'kur'].includes(requestType)) pollingFor = requestType as CertRequestKind;
      const wantsKey = ['ir', 'cr', 'p10cr', 'kur', 'pollReq'].includes(requestType);
      const expectations: ResponseExpectations = {
        requestType,
        transactionId: new Uint8Array(request.header.transactionID!),
        lastSenderNonce: new Uint8Array(request.header.senderNonce!),
        ...(requestType === 'pollReq' && pollingFor ? { pollingFor } : {}),
        ...(wantsKey ? { requestedPublicKey: enrolledSpki } : {}),
        ...(requestType === 'rr'
          ? { revokedCert: (({ issuer, serialNumber }) => ({ issuer, serialNumber: new Uint8Array(serialNumber) }))(issuerAndSerial(enrolled)) }
          : {}),
        verify: { secret, trusted: [root], untrusted: [intermediate] },
      };
      scenarios.push({
        origin: `openssl:${ex.name}#${i + 1}`,
        protection: ex.protection,
        der: response,
        expectations,
        ...(wantsKey ? { requestedPublicKey: enrolledSpki } : {}),
        ...(ex.protection === 'pbm' ? { reprotect: { kind: 'pbm', secret } as const } : {}),
        ...(ex.protection === 'signature' ? { reprotect: { kind: 'signature', key: serverKey, cert: serverCert } as const } : {}),
      });
    }
  }
  return {
    seeds,
    donors: seeds.map((s) => s.der),
    scenarios,
    secret,
    otherKeyCert: AsnConvert.parse(client.rawData, Certificate),
    foreignRoot: AsnConvert.parse(root.rawData, Certificate),
  };
}

// ---------------------------------------------------------------- (a) decoding mutated bytes

/** One edit of a byte string; positions are taken modulo the length at the time of the edit. */
export type ByteEdit =
  | { op: 'flip'; at: number; bit: number }
  | { op: 'set'; at: number; value: number }
  | { op: 'truncate'; at: number }
  | { op: 'insert'; at: number; bytes: Uint8Array }
  | { op: 'delete'; at: number; length: number }
  | { op: 'splice'; at: number; length: number; from: number; donor: number }
  | { op: 'length'; at: number; octets: number[] }
  | { op: 'duplicate'; at: number; length: number };

const LENGTH_OCTETS = [
  [0x80],
  [0x84, 0xff, 0xff, 0xff, 0xff],
  [0x82, 0xff, 0xff],
  [0x81, 0x00],
  [0xff],
  [0x00],
  [0x89, 1, 0, 0, 0, 0, 0, 0, 0, 0],
  [0x81, 0x7f],
];

export const byteEdit: fc.Arbitrary<ByteEdit> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ op: fc.constant('flip' as const), at: fc.nat(), bit: fc.nat({ max: 7 }) }) },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant('set' as const),
      at: fc.nat(),
      value: fc.constantFrom(0x00, 0x01, 0x7f, 0x80, 0x81, 0xff, 0x30, 0xa0, 0x05, 0x02, 0x04),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('truncate' as const), at: fc.nat() }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 8 }) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant('delete' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 32 }) }) },
  {
    weight: 2,
    arbitrary: fc.record({ op: fc.constant('splice' as const), at: fc.nat(), length: fc.nat({ max: 64 }), from: fc.nat(), donor: fc.nat() }),
  },
  { weight: 3, arbitrary: fc.record({ op: fc.constant('length' as const), at: fc.nat(), octets: fc.constantFrom(...LENGTH_OCTETS) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), length: fc.integer({ min: 1, max: 128 }) }) },
);

export function applyByteEdits(original: Uint8Array, edits: ByteEdit[], donors: Uint8Array[]): Uint8Array {
  let b: Uint8Array = Uint8Array.from(original);
  for (const e of edits) {
    if (b.length === 0) break;
    const at = e.at % b.length;
    switch (e.op) {
      case 'flip':
        b[at] ^= 1 << e.bit;
        break;
      case 'set':
        b[at] = e.value;
        break;
      case 'truncate':
        b = b.slice(0, at);
        break;
      case 'insert':
        b = concat(b.subarray(0, at), e.bytes, b.subarray(at));
        break;
      case 'delete':
        b = concat(b.subarray(0, at), b.subarray(at + e.length));
        break;
      case 'splice': {
        const donor = donors[e.donor % donors.length]!;
        const from = e.from % Math.max(1, donor.length);
        b = concat(b.subarray(0, at), donor.subarray(from, from + e.length), b.subarray(at + e.length));
        break;
      }
      case 'length': {
        // Replaces what follows a byte (a tag, if we are lucky) with extreme length octets.
        const i = Math.min(at + 1, b.length);
        b = concat(b.subarray(0, i), Uint8Array.from(e.octets), b.subarray(i + 1));
        break;
      }
      case 'duplicate':
        b = concat(b.subarray(0, at + e.length), b.subarray(at, at + e.length), b.subarray(at + e.length));
        break;
    }
  }
  return b;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

export interface DecodeCase {
  seed: number;
  edits: ByteEdit[];
}

export function decodeCase(seedCount: number): fc.Arbitrary<DecodeCase> {
  return fc.record({ seed: fc.nat({ max: seedCount - 1 }), edits: fc.array(byteEdit, { minLength: 1, maxLength: 4 }) });
}

/** Property (a): decoding either succeeds or throws CmpError ERR_ASN1_*, within the time bound. */
export function checkDecode(corpus: FuzzCorpus, c: DecodeCase): Finding | undefined {
  const seed = corpus.seeds[c.seed]!;
  const input = applyByteEdits(seed.der, c.edits, corpus.donors);
  const started = performance.now();
  try {
    const msg = decodePkiMessage(input);
    // What verification does next with a decoded message must not fail in another way either.
    protectedPartBytes(msg);
    encodePkiMessage(msg);
  } catch (e) {
    if (!(e instanceof CmpError)) {
      return { property: 'decode', kind: 'not-a-cmp-error', detail: describeError(e, input), origin: seed.origin };
    }
    if (!e.code.startsWith('ERR_ASN1_')) {
      return { property: 'decode', kind: 'wrong-error-code', detail: `${e.code}: ${e.message} | input ${hexOf(input)}`, origin: seed.origin };
    }
  }
  const elapsed = performance.now() - started;
  if (elapsed > DECODE_BOUND_MS) {
    return { property: 'decode', kind: 'slow', detail: `${elapsed.toFixed(0)} ms | input ${hexOf(input)}`, origin: seed.origin };
  }
  return undefined;
}

/**
 * Property (c): cmpflow's DER reader and writer decide and produce exactly what the codec they
 * replaced (asn1js with asn1-schema) did: both refuse the input, or both accept it with equal
 * values, and the value encodes to the same bytes both ways.
 */
export function checkCodec(corpus: FuzzCorpus, c: DecodeCase): Finding | undefined {
  const seed = corpus.seeds[c.seed]!;
  const input = applyByteEdits(seed.der, c.edits, corpus.donors);
  // In full, and taken before decoding: a decoder that wrote into its input would show otherwise.
  const given = Buffer.from(input).toString('hex');
  clearCmpCertificateCache();
  const reference = referenceDecodeChecked(input, PKIMessage);
  clearCmpCertificateCache();
  const outcome = currentDecodeOutcome(input, PKIMessage);
  const current = outcome.value;
  const differs = (detail: string): Finding => ({
    property: 'codec',
    kind: 'codec-differs',
    detail: `${detail} | input ${given}`,
    origin: seed.origin,
  });
  if (Buffer.from(input).toString('hex') !== given) return differs('decoding changed its input');
  if (reference !== undefined && current === undefined && intendedlyStricter(outcome.error)) return undefined;
  if ((reference === undefined) !== (current === undefined)) {
    return differs(current === undefined ? 'only the reference codec accepts it' : 'only cmpflow accepts it');
  }
  if (reference === undefined || current === undefined) return undefined;
  const difference = valueDifference(current, reference);
  if (difference) return differs(`different values at ${difference}`);
  let ours: string;
  let theirs: string;
  try {
    theirs = Buffer.from(AsnSerializer.serialize(reference)).toString('hex');
  } catch (e) {
    theirs = `throws ${e instanceof Error ? e.message : String(e)}`;
  }
  try {
    ours = Buffer.from(serializeDer(current)).toString('hex');
  } catch (e) {
    ours = `throws ${e instanceof Error ? e.message : String(e)}`;
  }
  return ours === theirs ? undefined : differs('different encodings of the same value');
}

// ---------------------------------------------------------------- (b) checking mutated responses

/** One change of a decoded response; `n` and `bytes` feed whatever value the field takes. */
export interface FieldEdit {
  field: (typeof FIELDS)[number];
  n: bigint;
  bytes: Uint8Array;
  pick: number;
}

const FIELDS = [
  'pvno',
  'sender',
  'recipient',
  'transactionID',
  'senderNonce',
  'recipNonce',
  'messageTime',
  'senderKID',
  'recipKID',
  'freeText',
  'generalInfo',
  'bodyType',
  'certReqId',
  'status',
  'failInfo',
  'certificate',
  'caPubs',
  'extraCerts',
  'checkAfter',
  'pollRepCount',
  'responseCount',
  'rpStatus',
  'genpItav',
] as const;

const interestingInts = fc.constantFrom(-1n, 0n, 1n, 2n, 3n, 4n, 5n, 6n, 7n, 99n, 2n ** 31n, 2n ** 53n, 2n ** 63n, -(2n ** 63n), 2n ** 80n);

export const fieldEdit: fc.Arbitrary<FieldEdit> = fc.record({
  field: fc.constantFrom(...FIELDS),
  n: fc.oneof(interestingInts, fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n })),
  bytes: fc.uint8Array({ maxLength: 40 }),
  pick: fc.nat(),
});

export type Reprotect = 'secret' | 'wrongSecret' | 'none' | 'stale';

export interface ResponseCase {
  scenario: number;
  /** Field edits on the decoded message, then protection as `reprotect` says; or byte edits of the original. */
  mutation: { kind: 'fields'; edits: FieldEdit[]; reprotect: Reprotect } | { kind: 'bytes'; edits: ByteEdit[] };
  unprotectedErrors: boolean;
}

export function responseCase(scenarioCount: number): fc.Arbitrary<ResponseCase> {
  return fc.record({
    scenario: fc.nat({ max: scenarioCount - 1 }),
    mutation: fc.oneof(
      {
        weight: 4,
        arbitrary: fc.record({
          kind: fc.constant('fields' as const),
          edits: fc.array(fieldEdit, { minLength: 1, maxLength: 3 }),
          reprotect: fc.constantFrom<Reprotect>('secret', 'secret', 'secret', 'wrongSecret', 'none', 'stale'),
        }),
      },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('bytes' as const), edits: fc.array(byteEdit, { minLength: 1, maxLength: 3 }) }) },
    ),
    unprotectedErrors: fc.boolean(),
  });
}

const status = (n: bigint, failBits?: Uint8Array) =>
  new PKIStatusInfo({
    status: Number(((n % 8n) + 8n) % 8n),
    ...(failBits && failBits.length > 0 ? { failInfo: PKIFailureInfo.fromNames(failNames(failBits)) } : {}),
  });

const FAIL_NAMES = [
  'badAlg',
  'badMessageCheck',
  'badRequest',
  'badTime',
  'badCertId',
  'badDataFormat',
  'wrongAuthority',
  'incorrectData',
  'missingTimeStamp',
  'badPOP',
  'systemFailure',
];
const failNames = (bits: Uint8Array) => FAIL_NAMES.filter((_, i) => (bits[i % bits.length]! >> (i % 8)) & 1);

function certRepOf(msg: PKIMessage): CertRepMessage | undefined {
  return msg.body.ip ?? msg.body.cp ?? msg.body.kup;
}

/** Applies one field edit; edits that do not fit the message's body leave it as it is. */
function applyFieldEdit(msg: PKIMessage, e: FieldEdit, corpus: FuzzCorpus): void {
  const h = msg.header;
  const maybe = (b: Uint8Array) => (e.pick % 3 === 0 ? undefined : ab(b));
  const rep = certRepOf(msg);
  const response = rep?.response[0];
  switch (e.field) {
    case 'pvno':
      h.pvno = Number(BigInt.asIntN(16, e.n));
      break;
    case 'sender':
    case 'recipient': {
      const names = [
        new GeneralName({ directoryName: new Name([]) }),
        new GeneralName({ rfc822Name: 'fuzz@example.com' }),
        new GeneralName({ directoryName: AsnConvert.parse(AsnConvert.serialize(corpus.foreignRoot.tbsCertificate.subject), Name) }),
        e.field === 'sender' ? h.recipient : h.sender,
      ];
      h[e.field] = names[e.pick % names.length]!;
      break;
    }
    case 'transactionID':
    case 'senderNonce':
    case 'recipNonce':
    case 'senderKID':
    case 'recipKID':
      h[e.field] = maybe(e.bytes);
      break;
    case 'messageTime':
      h.messageTime = new Date(Number(BigInt.asIntN(40, e.n)) * 1000);
      break;
    case 'freeText':
      h.freeText = e.pick % 2 ? new PKIFreeText([Buffer.from(e.bytes).toString('latin1')]) : undefined;
      break;
    case 'generalInfo': {
      const choices = [
        undefined,
        [new InfoTypeAndValue({ infoType: CmpOids.idItImplicitConfirm, infoValue: ab(Uint8Array.of(0x05, 0x00)) })],
        [new InfoTypeAndValue({ infoType: CmpOids.idItImplicitConfirm, infoValue: ab(e.bytes) })],
        [new InfoTypeAndValue({ infoType: '1.3.6.1.4.1.99999.7' })],
      ];
      h.generalInfo = choices[e.pick % choices.length];
      break;
    }
    case 'bodyType': {
      const content = rep ?? msg.body.pollRep ?? msg.body.rp ?? msg.body.genp;
      const others: PKIBody[] = [
        new PKIBody({ pkiconf: null }),
        new PKIBody({ error: new ErrorMsgContent({ pKIStatusInfo: status(e.n, e.bytes) }) }),
        ...(rep ? [new PKIBody({ ip: rep }), new PKIBody({ cp: rep }), new PKIBody({ kup: rep }), new PKIBody({ ccp: rep })] : []),
        ...(content && !rep ? [new PKIBody({ pollRep: new PollRepContent([new PollRepContentEntry({ certReqId: e.n, checkAfter: 1n })]) })] : []),
      ];
      msg.body = others[e.pick % others.length]!;
      break;
    }
    case 'certReqId':
      if (response) response.certReqId = e.n;
      else if (msg.body.pollRep?.[0]) msg.body.pollRep[0].certReqId = e.n;
      break;
    case 'status':
      if (response) response.status = status(e.n, e.pick % 2 ? e.bytes : undefined);
      break;
    case 'failInfo':
      if (response) response.status.failInfo = e.bytes.length ? PKIFailureInfo.fromNames(failNames(e.bytes)) : undefined;
      break;
    case 'certificate':
      if (response) {
        const certs = [corpus.otherKeyCert, corpus.foreignRoot];
        response.certifiedKeyPair =
          e.pick % 3 === 0 ? undefined : new CertifiedKeyPair({ certOrEncCert: new CertOrEncCert({ certificate: certs[e.pick % 2]! }) });
      }
      break;
    case 'caPubs':
      if (rep) rep.caPubs = e.pick % 2 ? [corpus.foreignRoot] : undefined;
      break;
    case 'extraCerts':
      msg.extraCerts = e.pick % 3 === 0 ? undefined : [...(msg.extraCerts ?? []), e.pick % 3 === 1 ? corpus.foreignRoot : corpus.otherKeyCert];
      break;
    case 'checkAfter':
      if (msg.body.pollRep?.[0]) msg.body.pollRep[0].checkAfter = e.n;
      break;
    case 'pollRepCount':
      if (msg.body.pollRep) {
        const entry = msg.body.pollRep[0] ?? new PollRepContentEntry({ checkAfter: 1n });
        msg.body.pollRep = new PollRepContent(Array.from({ length: e.pick % 3 }, () => entry));
      }
      break;
    case 'responseCount':
      if (rep && response) rep.response = Array.from({ length: e.pick % 3 }, () => AsnConvert.parse(AsnConvert.serialize(response), CertResponse));
      break;
    case 'rpStatus':
      if (msg.body.rp) msg.body.rp.status = Array.from({ length: e.pick % 3 }, () => status(e.n, e.bytes));
      break;
    case 'genpItav':
      if (msg.body.genp) {
        const itavs = [...msg.body.genp];
        itavs.length = e.pick % 2;
        if (e.pick % 4 >= 2) itavs.push(new InfoTypeAndValue({ infoType: CmpOids.idItImplicitConfirm, infoValue: ab(e.bytes) }));
        msg.body.genp.splice(0, msg.body.genp.length, ...itavs);
      }
      break;
  }
}

interface Prepared {
  der: Uint8Array;
  /** Whether the bytes carry protection made with the real credentials over exactly these header and body bytes. */
  authentic: boolean;
}

async function prepareResponse(corpus: FuzzCorpus, scenario: ResponseScenario, c: ResponseCase): Promise<Prepared | undefined> {
  if (c.mutation.kind === 'bytes') {
    const der = applyByteEdits(scenario.der, c.mutation.edits, corpus.donors);
    return { der, authentic: scenario.protection !== 'none' && sameProtectedParts(der, scenario.der) };
  }
  const msg = decodePkiMessage(scenario.der);
  for (const edit of c.mutation.edits) applyFieldEdit(msg, edit, corpus);
  try {
    switch (c.mutation.reprotect) {
      case 'secret':
        if (!scenario.reprotect) return { der: encodePkiMessage(msg), authentic: false };
        return { der: await protectPkiMessage(msg, scenario.reprotect), authentic: true };
      case 'wrongSecret':
        return { der: await protectPkiMessage(msg, { kind: 'pbm', secret: randomBytes(12) }), authentic: false };
      case 'none':
        return { der: await protectPkiMessage(msg, { kind: 'none' }), authentic: false };
      case 'stale': {
        // The original protection left on changed bytes (it still verifies if nothing protected changed).
        const der = encodePkiMessage(msg);
        return { der, authentic: scenario.protection !== 'none' && sameProtectedParts(der, scenario.der) };
      }
    }
  } catch (e) {
    // An edit that cannot be encoded (e.g. an empty SEQUENCE SIZE (1..MAX)) is no test of the client.
    if (e instanceof CmpError) return undefined;
    throw e;
  }
}

/** True when header, body and protection bytes of `der` are those of `original` (extraCerts are not protected). */
function sameProtectedParts(der: Uint8Array, original: Uint8Array): boolean {
  let a;
  try {
    a = rawPkiMessage(decodePkiMessage(der));
  } catch {
    return false;
  }
  const b = rawPkiMessage(decodePkiMessage(original))!;
  const eq = (x?: Uint8Array, y?: Uint8Array) => (x === undefined || y === undefined ? x === y : Buffer.from(x).equals(Buffer.from(y)));
  return !!a && eq(a.header, b.header) && eq(a.body, b.body) && eq(a.protection, b.protection);
}

/**
 * Answers that move a transaction forward. pkiConf is among them unless unprotectedErrors is set,
 * which tolerates an unprotected pkiConf on purpose, as OpenSSL's -unprotected_errors does.
 */
function isPositive(kind: ValidatedResponse['kind'], unprotectedErrors: boolean): boolean {
  if (kind === 'pkiConf') return !unprotectedErrors;
  return kind !== 'rejected';
}

/** Property (b). */
export async function checkResponseCase(corpus: FuzzCorpus, c: ResponseCase): Promise<Finding | undefined> {
  const scenario = corpus.scenarios[c.scenario]!;
  const prepared = await prepareResponse(corpus, scenario, c);
  if (!prepared) return undefined;
  const exp: ResponseExpectations = { ...scenario.expectations, ...(c.unprotectedErrors ? { unprotectedErrors: true } : {}) };
  const finding = (kind: Finding['kind'], detail: string): Finding => ({ property: 'response', kind, detail, origin: scenario.origin });

  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<'hang'>((resolve) => {
    timer = setTimeout(() => resolve('hang'), RESPONSE_BOUND_MS);
  });
  let result: ValidatedResponse | 'hang';
  try {
    result = await Promise.race([processResponse(prepared.der, exp), hang]);
  } catch (e) {
    if (e instanceof CmpError) return undefined;
    return finding('not-a-cmp-error', describeError(e, prepared.der));
  } finally {
    clearTimeout(timer);
  }
  if (result === 'hang') return finding('hang', `no answer within ${RESPONSE_BOUND_MS} ms | input ${hexOf(prepared.der)}`);
  if (isPositive(result.kind, c.unprotectedErrors) && !prepared.authentic) {
    return finding('unverified-accepted', `${result.kind} from a response whose protection is not ours | input ${hexOf(prepared.der)}`);
  }
  if (result.kind === 'certificate' && !result.refusal && scenario.requestedPublicKey) {
    const cert = result.certificate;
    if (!Buffer.from(cert.publicKey.rawData).equals(Buffer.from(scenario.requestedPublicKey))) {
      return finding('wrong-key-accepted', `certificate ${cert.subject} accepted for another key | input ${hexOf(prepared.der)}`);
    }
  }
  return undefined;
}

/** The outcome of an unmutated scenario: the baseline a campaign relies on. */
export async function baselineOutcome(s: ResponseScenario): Promise<string> {
  try {
    return (await processResponse(s.der, s.expectations)).kind;
  } catch (e) {
    return e instanceof CmpError ? e.code : `NOT_A_CMP_ERROR ${String(e)}`;
  }
}

function hexOf(b: Uint8Array): string {
  const h = Buffer.from(b).toString('hex');
  return h.length > 4096 ? `${h.slice(0, 4096)}…(${b.length} bytes)` : h;
}

function describeError(e: unknown, input: Uint8Array): string {
  const text = e instanceof Error ? `${e.name}: ${e.message}\n${e.stack?.split('\n').slice(1, 4).join('\n') ?? ''}` : String(e);
  return `${text} | input ${hexOf(input)}`;
}
