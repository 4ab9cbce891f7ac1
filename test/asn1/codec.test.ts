import {
  decodePkiMessage,
  nodeContent,
  readDer,
  encodeDer,
  encodePkiMessage,
  encodeTlv,
  PKIBody,
  PKIMessage,
  protectedPartBytes,
  rawPkiMessage,
  sequenceElements,
} from '../../src/asn1';
import { certificate, filled, sampleMessage } from './samples';
import { readVector } from './vectors';

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');
const ascii = (s: string) => Uint8Array.from(Buffer.from(s, 'latin1'));

/**
 * A valid message that asn1-schema would not write the same way: its messageTime has a fraction of
 * a second, which our encoder drops. Such bytes must survive decode/encode untouched.
 */
function messageWithFractionalTime(): { der: Uint8Array; header: Uint8Array; body: Uint8Array } {
  const built = encodePkiMessage(sampleMessage('certConf'));
  const [header, body, ...rest] = sequenceElements(built);
  const fields = sequenceElements(header).map((f) => (f[0] === 0xa0 ? encodeTlv(0xa0, encodeTlv(0x18, ascii('20240506070809.5Z'))) : f));
  const oddHeader = encodeTlv(0x30, ...fields);
  return { der: encodeTlv(0x30, oddHeader, body, ...rest), header: oddHeader, body };
}

/** A v3 certificate with `critical FALSE` spelled out in one extension, as some BER writers do. */
function certificateWithExplicitCriticalFalse(): Uint8Array {
  const v3 = decodePkiMessage(readVector('lightweightcmpra/CrDelayed/downstream_CERT_REP.PKI')).extraCerts![0];
  const [tbs, alg, sig] = sequenceElements(encodeDer(v3));
  const fields = sequenceElements(tbs);
  const at = fields.findIndex((f) => f[0] === 0xa3);
  const extensions = sequenceElements(nodeContent(fields[at], readDer(fields[at])));
  const plain = extensions.findIndex((e) => sequenceElements(e).length === 2);
  const [extnID, extnValue] = sequenceElements(extensions[plain]);
  extensions[plain] = encodeTlv(0x30, extnID, Uint8Array.of(0x01, 0x01, 0x00), extnValue);
  fields[at] = encodeTlv(0xa3, encodeTlv(0x30, ...extensions));
  return encodeTlv(0x30, encodeTlv(0x30, ...fields), alg, sig);
}

/** The v1 sample certificate with its DEFAULT version v1 spelled out. */
function certificateWithExplicitVersion1(): Uint8Array {
  const [tbs, alg, sig] = sequenceElements(encodeDer(certificate));
  const version1 = Uint8Array.of(0xa0, 0x03, 0x02, 0x01, 0x00);
  return encodeTlv(0x30, encodeTlv(0x30, version1, ...sequenceElements(tbs)), alg, sig);
}

describe('a decoded message keeps the bytes it was read from', () => {
  it.each([
    ['critical FALSE', certificateWithExplicitCriticalFalse, 3],
    ['version v1', certificateWithExplicitVersion1, 5],
  ])('accepts an explicitly encoded DEFAULT (%s) in an embedded certificate and keeps it', (_what, makeCert, omitted) => {
    const [header, body, protection] = sequenceElements(encodePkiMessage(sampleMessage('pkiconf')));
    const der = encodeTlv(0x30, header, body, protection, encodeTlv(0xa1, encodeTlv(0x30, makeCert())));
    const msg = decodePkiMessage(der);
    expect(msg.extraCerts).toHaveLength(1);
    expect(encodeDer(msg).length).toBeLessThanOrEqual(der.length - omitted);
    expect(hex(encodePkiMessage(msg))).toBe(hex(der));
  });

  it('encodes, unchanged, to exactly those bytes even where our encoder would differ', () => {
    const { der } = messageWithFractionalTime();
    const msg = decodePkiMessage(der);
    expect(msg.header.messageTime!.getUTCMilliseconds()).toBe(500);
    expect(hex(encodeDer(msg))).not.toBe(hex(der));
    expect(hex(encodePkiMessage(msg))).toBe(hex(der));
  });

  it('builds ProtectedPart from the received header and body', () => {
    const { der, header, body } = messageWithFractionalTime();
    expect(hex(protectedPartBytes(decodePkiMessage(der)))).toBe(hex(encodeTlv(0x30, header, body)));
  });

  it('re-encodes only the part that changed: a new body keeps the received header', () => {
    const { der, header } = messageWithFractionalTime();
    const msg = decodePkiMessage(der);
    msg.body = new PKIBody({ pkiconf: null });
    const [h, b] = sequenceElements(encodePkiMessage(msg));
    expect(hex(h)).toBe(hex(header));
    expect(hex(b)).toBe(hex(encodeDer(new PKIBody({ pkiconf: null }))));
    expect(hex(protectedPartBytes(msg))).toBe(hex(encodeTlv(0x30, header, b)));
  });

  it('re-encodes only the part that changed: a changed header keeps the received body', () => {
    const { der, header, body } = messageWithFractionalTime();
    const msg = decodePkiMessage(der);
    msg.header.transactionID = filled(16, 0x01);
    const [h, b] = sequenceElements(encodePkiMessage(msg));
    expect(hex(h)).not.toBe(hex(header));
    expect(hex(h)).toBe(hex(encodeDer(msg.header)));
    expect(hex(b)).toBe(hex(body));
  });

  it('keeps header and body when only the protection is replaced, as an RA re-protecting would', () => {
    const { der, header, body } = messageWithFractionalTime();
    const msg = decodePkiMessage(der);
    msg.protection = filled(32, 0x42);
    msg.extraCerts = undefined;
    const out = sequenceElements(encodePkiMessage(msg));
    expect(out.map(hex)).toEqual([hex(header), hex(body), hex(encodeTlv(0xa0, Uint8Array.of(0x03, 0x21, 0x00, ...new Uint8Array(32).fill(0x42))))]);
  });

  it('notices a change made deep inside the body', () => {
    const msg = decodePkiMessage(encodePkiMessage(sampleMessage('certConf')));
    const before = encodePkiMessage(msg);
    msg.body.certConf![0].certReqId = 99n;
    const after = encodePkiMessage(msg);
    expect(hex(after)).not.toBe(hex(before));
    expect(decodePkiMessage(after).body.certConf![0].certReqId).toBe(99n);
  });

  it("copies the input, so later changes to the caller's buffer do not leak in", () => {
    const { der } = messageWithFractionalTime();
    const input = Uint8Array.from(der);
    const msg = decodePkiMessage(input);
    input.fill(0);
    expect(hex(encodePkiMessage(msg))).toBe(hex(der));
    expect(hex(rawPkiMessage(msg)!.message)).toBe(hex(der));
  });

  it('leaves the decoded object a plain asn1-schema instance', () => {
    const msg = decodePkiMessage(messageWithFractionalTime().der);
    expect(msg).toBeInstanceOf(PKIMessage);
    expect(Object.keys(msg).sort()).toEqual(['body', 'extraCerts', 'header', 'protection']);
    expect(Object.getOwnPropertySymbols(msg)).toEqual([]);
  });
});

describe('a message built in memory', () => {
  it('has no raw bytes and encodes to plain DER, with ProtectedPart freshly encoded', () => {
    const msg = sampleMessage('pollReq');
    expect(rawPkiMessage(msg)).toBeUndefined();
    expect(hex(protectedPartBytes(msg))).toBe(hex(encodeTlv(0x30, encodeDer(msg.header), encodeDer(msg.body))));
  });
});
