import * as fs from 'fs';
import { AsnConvert } from '@peculiar/asn1-schema';
import {
  CertReqMessages,
  CertReqMsg,
  CertRequest,
  CertTemplate,
  decodeDer,
  decodePkiMessage,
  dumpPkiMessage,
  encodeDer,
  encodePkiMessage,
  PBKDF2Params,
  PBMAC1Params,
  PKI_BODY_TYPES,
  PKIBody,
  pkiBodyType,
  PKIHeader,
  protectedPartBytes,
  rawPkiMessage,
  readDer,
  sequenceElements,
  CmpOids,
} from '../../src/asn1';
import { messageVectors, readVector, relativeName, VECTORS, vectorFiles } from './vectors';

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

/** The body tag read straight from the DER, independent of the ASN.1 classes. */
function bodyTypeFromDer(der: Uint8Array) {
  const root = readDer(der);
  return PKI_BODY_TYPES[root.children![1].tagNumber];
}

describe('recorded CMP messages of other implementations', () => {
  const files = messageVectors();

  it('include all RustCrypto and LightweightCmpRa messages', () => {
    expect(files.filter((f) => f.includes('rustcrypto-cmpv2'))).toHaveLength(13);
    expect(files.filter((f) => f.includes('lightweightcmpra'))).toHaveLength(36);
  });

  describe.each(files.map((f) => [relativeName(f), f]))('%s', (_name, file) => {
    const der = readVector(file);

    it('decodes and encodes back to the identical bytes', () => {
      const msg = decodePkiMessage(der);
      expect(hex(encodePkiMessage(msg))).toBe(hex(der));
    });

    it('is reproduced exactly by a fresh encoding of the decoded classes (the classes are complete)', () => {
      const msg = decodePkiMessage(der);
      expect(hex(AsnConvert.serialize(msg))).toBe(hex(der));
    });

    it('keeps the exact received parts and builds ProtectedPart from them', () => {
      const msg = decodePkiMessage(der);
      const raw = rawPkiMessage(msg)!;
      const elements = sequenceElements(der);
      expect(hex(raw.message)).toBe(hex(der));
      expect(hex(raw.header)).toBe(hex(elements[0]));
      expect(hex(raw.body)).toBe(hex(elements[1]));
      const trailer = (tag: number) => elements.slice(2).find((e) => e[0] === tag);
      expect(raw.protection && hex(raw.protection)).toBe(trailer(0xa0) && hex(trailer(0xa0)!));
      expect(raw.extraCerts && hex(raw.extraCerts)).toBe(trailer(0xa1) && hex(trailer(0xa1)!));
      const protectedPart = protectedPartBytes(msg);
      expect(sequenceElements(protectedPart).map(hex)).toEqual([hex(elements[0]), hex(elements[1])]);
    });

    it('dumps with the body type its DER carries', () => {
      const msg = decodePkiMessage(der);
      const dump = dumpPkiMessage(msg) as { bodyType: string; header: { pvno: number } };
      expect(dump.bodyType).toBe(bodyTypeFromDer(der));
      expect(pkiBodyType(msg.body)).toBe(bodyTypeFromDer(der));
      expect(dump.header.pvno).toBe(msg.header.pvno);
      expect(() => JSON.stringify(dump)).not.toThrow();
    });
  });

  it('agree with the body types in the LightweightCmpRa text dumps', () => {
    for (const file of files.filter((f) => f.endsWith('.PKI'))) {
      const txt = fs.readFileSync(file.replace(/\.PKI$/, '.txt'), 'latin1').split('\n');
      // Top-level elements of the PKIMessage are indented by exactly four spaces: header, then body.
      const topLevel = txt.filter((line) => /^ {4}\S/.test(line));
      const tag = Number(/\[CONTEXT (\d+)\]/.exec(topLevel[1])![1]);
      expect([relativeName(file), pkiBodyType(decodePkiMessage(readVector(file)).body)]).toEqual([relativeName(file), PKI_BODY_TYPES[tag]]);
    }
  });
});

describe('recorded header and body parts', () => {
  const parts = vectorFiles().filter((f) => /_(header|body)_01\.bin$/.test(f));

  it.each(parts.map((f) => [relativeName(f), f]))('%s decodes with its class and encodes identically', (_n, file) => {
    const der = readVector(file);
    const value = file.includes('header') ? decodeDer(der, PKIHeader) : decodeDer(der, PKIBody);
    expect(hex(encodeDer(value))).toBe(hex(der));
  });

  it('match the header and body of the complete messages they were cut from', () => {
    for (const file of parts) {
      const message = readVector(file.replace(/_(header|body)_01\.bin$/, '_01.bin'));
      const [header, body] = sequenceElements(message);
      expect(hex(readVector(file))).toBe(hex(file.includes('header') ? header : body));
    }
  });
});

describe('RustCrypto CRMF examples', () => {
  it.each([
    ['certreqmsgs.bin', CertReqMessages],
    ['certreqmsg.bin', CertReqMsg],
    ['certrequest.bin', CertRequest],
    ['certtemplate.bin', CertTemplate],
  ] as const)('%s decodes as its class and encodes identically', (name, type) => {
    const der = readVector(`rustcrypto-crmf/${name}`);
    expect(hex(encodeDer(decodeDer(der, type as new () => object)))).toBe(hex(der));
  });

  it('nest into each other: messages > message > request > template', () => {
    const msgs = decodeDer(readVector('rustcrypto-crmf/certreqmsgs.bin'), CertReqMessages);
    const msg = decodeDer(readVector('rustcrypto-crmf/certreqmsg.bin'), CertReqMsg);
    const req = decodeDer(readVector('rustcrypto-crmf/certrequest.bin'), CertRequest);
    const template = decodeDer(readVector('rustcrypto-crmf/certtemplate.bin'), CertTemplate);
    expect(hex(encodeDer(msgs[0]))).toBe(hex(encodeDer(msg)));
    expect(hex(encodeDer(msg.certReq))).toBe(hex(encodeDer(req)));
    expect(hex(encodeDer(req.certTemplate))).toBe(hex(encodeDer(template)));
  });
});

describe('PBMAC1 protection of LightweightCmpRa IrWithMacProtection', () => {
  const file = `${VECTORS}/lightweightcmpra/IrWithMacProtection/downstream_INIT_REQ`;

  it('reads the PBMAC1 and PBKDF2 parameters the text dump shows', () => {
    const msg = decodePkiMessage(readVector(`${file}.PKI`));
    const txt = fs.readFileSync(`${file}.txt`, 'latin1');
    const section = txt.slice(txt.indexOf(`ObjectIdentifier(${CmpOids.pbmac1})`));
    const salt = /Octet String\[(\d+)\]\s*\n\s*([0-9a-f]+)/.exec(section)!;
    const [iterations, keyLength] = [...section.matchAll(/Integer\((\d+)\)/g)].map((m) => BigInt(m[1]));
    const oids = [...section.matchAll(/ObjectIdentifier\(([\d.]+)\)/g)].map((m) => m[1]);

    const alg = msg.header.protectionAlg!;
    expect(alg.algorithm).toBe(CmpOids.pbmac1);
    const pbmac1 = decodeDer(alg.parameters!, PBMAC1Params);
    expect(pbmac1.keyDerivationFunc.algorithm).toBe(oids[1]);
    const pbkdf2 = decodeDer(pbmac1.keyDerivationFunc.parameters!, PBKDF2Params);
    expect(hex(pbkdf2.salt.specified!)).toBe(salt[2]);
    expect(pbkdf2.salt.specified!.byteLength).toBe(Number(salt[1]));
    expect(pbkdf2.iterationCount).toBe(iterations);
    expect(pbkdf2.keyLength).toBe(keyLength);
    expect(pbkdf2.prf.algorithm).toBe(oids[2]);
    expect(pbmac1.messageAuthScheme.algorithm).toBe(oids[3]);
    expect(pbmac1.messageAuthScheme.parameters).toBeUndefined();
  });
});
