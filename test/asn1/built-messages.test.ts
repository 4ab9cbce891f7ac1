import { AsnConvert } from '@peculiar/asn1-schema';
import { CertReqMessages } from '../../src/asn1';
import {
  CAKeyUpdAnnContent,
  CAKeyUpdContent,
  CertProfileValue,
  CmpOids,
  decodeDer,
  decodeInfoValue,
  decodeInfoValueTime,
  decodePkiMessage,
  dumpPkiMessage,
  encodeDer,
  encodePkiMessage,
  infoValueType,
  PKI_BODY_TYPES,
  PKIBody,
  pkiBodyType,
  PKIHeader,
  PKIMessage,
  PBKDF2Params,
  PBKDF2Salt,
  PKIFailureInfo,
  readDer,
  nodeContent,
  sequenceElements,
  encodeTlv,
  CaCertsValue,
  CRLStatusListValue,
  KemCiphertextInfo,
  PKIArchiveOptions,
  EncryptedKey,
  EncKeyWithID,
  EncKeyWithIDIdentifier,
} from '../../src/asn1';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import { PrivateKey, PrivateKeyInfo } from '@peculiar/asn1-pkcs8';
import { bytes, certificate, directoryName, filled, fullHeader, otherCertificate, plain, sampleBody, sampleMessage } from './samples';

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

describe('messages built from scratch', () => {
  it('cover all 27 PKIBody alternatives with tags [0]..[26]', () => {
    expect(PKI_BODY_TYPES).toHaveLength(27);
    for (const [tag, type] of PKI_BODY_TYPES.entries()) {
      const der = encodeDer(sampleBody(type));
      expect([type, der[0]]).toEqual([type, 0xa0 + tag]);
    }
  });

  describe.each(PKI_BODY_TYPES.map((t) => [t]))('%s', (type) => {
    const built = sampleMessage(type);
    const der = encodePkiMessage(built);

    it('encodes to what asn1-schema would write, decodes, and encodes again to the same bytes', () => {
      expect(hex(der)).toBe(hex(AsnConvert.serialize(built)));
      const decoded = decodePkiMessage(der);
      expect(hex(encodePkiMessage(decoded))).toBe(hex(der));
      expect(hex(encodeDer(decoded))).toBe(hex(der));
    });

    it('decodes to the fields it was built from', () => {
      const decoded = decodePkiMessage(der);
      expect(pkiBodyType(decoded.body)).toBe(type);
      expect(plain(decoded)).toEqual(plain(built));
    });

    it('dumps', () => {
      const dump = dumpPkiMessage(decodePkiMessage(der)) as { bodyType: string; body: unknown };
      expect(dump.bodyType).toBe(type);
      expect(JSON.stringify(dump)).not.toContain('undecodable');
    });
  });

  it('keep the v2 form of ckuann (CAKeyUpdAnnContent) apart from the v3 form', () => {
    const v2 = new PKIBody({
      ckuann: new CAKeyUpdContent({
        cAKeyUpdAnnV2: new CAKeyUpdAnnContent({ oldWithNew: certificate, newWithOld: otherCertificate, newWithNew: certificate }),
      }),
    });
    const decoded = decodeDer(encodeDer(v2), PKIBody);
    expect(decoded.ckuann!.cAKeyUpdAnnV3).toBeUndefined();
    expect(plain(decoded)).toEqual(plain(v2));
  });

  it('keep a CertReqMsg regInfo apart from a missing popo', () => {
    const decoded = decodeDer(encodeDer(sampleBody('ir').ir!), CertReqMessages);
    const central = decoded[decoded.length - 1];
    expect(central.popo).toBeUndefined();
    expect(central.regInfo).toHaveLength(1);
    expect(decoded[2].popo!.raVerified).toBeNull();
  });
});

describe('INTEGERs', () => {
  it('keep a 20-octet serial number, certReqId -1 and checkAfter 2^40 exactly', () => {
    const ir = decodePkiMessage(encodePkiMessage(sampleMessage('ir')));
    expect(hex(ir.body.ir![0].certReq.certTemplate.serialNumber!)).toBe(
      `00${Array.from({ length: 19 }, (_, i) => (0x80 + i).toString(16)).join('')}`,
    );
    const cp = decodePkiMessage(encodePkiMessage(sampleMessage('cp')));
    expect(cp.body.cp!.response[0].certReqId).toBe(-1n);
    const pollRep = decodePkiMessage(encodePkiMessage(sampleMessage('pollRep')));
    expect(pollRep.body.pollRep![0].checkAfter).toBe(1099511627776n);
    const popdecr = decodePkiMessage(encodePkiMessage(sampleMessage('popdecr')));
    expect([...popdecr.body.popdecr!]).toEqual([0n, -1n, 2n ** 70n + 5n]);
  });

  it("encode 0, -1 and 2^40 in minimal two's complement", () => {
    const contents = (value: object) => {
      const der = encodeDer(value);
      return readDer(der).children!.map((c) => hex(nodeContent(der, c)));
    };
    const [first, second] = sampleBody('pollRep').pollRep!;
    expect(contents(first).slice(0, 2)).toEqual(['00', '010000000000']);
    expect(contents(second)).toEqual(['ff', '05']);
  });

  it('refuse a pvno that does not fit a JavaScript number instead of rounding it', () => {
    const [, ...rest] = sequenceElements(encodeDer(fullHeader()));
    const hugePvno = Uint8Array.of(0x02, 0x09, 0x01, 0, 0, 0, 0, 0, 0, 0, 0);
    expect(() => decodeDer(encodeTlv(0x30, hugePvno, ...rest), PKIHeader)).toThrow(expect.objectContaining({ code: 'ERR_ASN1_DECODE' }));
    expect(decodeDer(encodeTlv(0x30, Uint8Array.of(0x02, 0x01, 0x02), ...rest), PKIHeader).pvno).toBe(2);
  });
});

describe('DER details', () => {
  it('writes messageTime in whole seconds even when the Date has milliseconds', () => {
    const header = fullHeader();
    header.messageTime = new Date('2024-05-06T07:08:09.987Z');
    const der = encodeDer(header);
    expect(Buffer.from(der).toString('latin1')).toContain('20240506070809Z');
    expect(Buffer.from(der).toString('latin1')).not.toContain('.987');
    expect(decodeDer(der, PKIHeader).messageTime!.toISOString()).toBe('2024-05-06T07:08:09.000Z');
  });

  it('omits a PBKDF2 prf equal to its DEFAULT and restores it on decoding', () => {
    const params = new PBKDF2Params({ salt: new PBKDF2Salt({ specified: filled(16, 1) }), iterationCount: 2n ** 31n, keyLength: 32n });
    const der = encodeDer(params);
    expect(readDer(der).children).toHaveLength(3);
    expect(decodeDer(der, PBKDF2Params).prf.algorithm).toBe('1.2.840.113549.2.7');
    const sha256Prf = new PBKDF2Params({ ...params, prf: new AlgorithmIdentifier({ algorithm: '1.2.840.113549.2.9', parameters: null }) });
    expect(readDer(encodeDer(sha256Prf)).children).toHaveLength(4);
  });

  it('writes BOOLEAN TRUE as 0xFF', () => {
    expect(hex(encodeDer(new PKIArchiveOptions({ archiveRemGenPrivKey: true })))).toBe('8201ff');
    expect(decodeDer(Uint8Array.of(0x82, 0x01, 0xff), PKIArchiveOptions).archiveRemGenPrivKey).toBe(true);
  });

  it('writes PKIFailureInfo with trailing zero bits removed and reads its names back', () => {
    // bit 0 is the high bit of the first octet, bit 9 the second-highest of the second; 6 bits unused
    const info = PKIFailureInfo.fromNames(['badAlg', 'badPOP']);
    expect(hex(encodeDer(info as unknown as object))).toBe('03' + '03' + '06' + '80' + '40');
    expect(PKIFailureInfo.fromNames([]).value.byteLength).toBe(0);
    const all = PKIFailureInfo.fromNames([...PKIFailureInfo.names]);
    expect(all.unusedBits).toBe(5);
    expect(all.toNames()).toEqual([...PKIFailureInfo.names]);
    expect(PKIFailureInfo.fromBits([3, 30]).toNames()).toEqual(['badTime', 'bit30']);
    expect(() => PKIFailureInfo.fromNames(['noSuchBit'])).toThrow(expect.objectContaining({ code: 'ERR_INVALID_OPTION' }));
  });

  it('refuses to write empty extraCerts or generalInfo, which SIZE (1..MAX) forbids', () => {
    const noCerts = sampleMessage('pkiconf');
    noCerts.extraCerts = [];
    expect(() => encodePkiMessage(noCerts)).toThrow(expect.objectContaining({ code: 'ERR_ASN1_ENCODE' }));
    const noInfo = sampleMessage('pkiconf');
    noInfo.header.generalInfo = [];
    expect(() => encodePkiMessage(noInfo)).toThrow(expect.objectContaining({ code: 'ERR_ASN1_ENCODE' }));
  });

  it('reports an object asn1-schema cannot write as ERR_ASN1_ENCODE', () => {
    const broken = new PKIMessage({ header: fullHeader(), body: new PKIBody() });
    expect(() => encodePkiMessage(broken)).toThrow(expect.objectContaining({ code: 'ERR_ASN1_ENCODE' }));
  });
});

describe('general info values', () => {
  it('round-trip through InfoTypeAndValue with their typed classes', () => {
    const genp = decodePkiMessage(encodePkiMessage(sampleMessage('genp'))).body.genp!;
    const byType = new Map(genp.map((itav) => [itav.infoType, itav]));
    expect(decodeInfoValue(byType.get(CmpOids.idItCaCerts)!, CaCertsValue)).toHaveLength(2);
    expect(decodeInfoValue(byType.get(CmpOids.idItCrlStatusList)!, CRLStatusListValue)[0].thisUpdate!.getTime().toISOString()).toBe(
      '2024-05-01T10:00:00.000Z',
    );
    expect(decodeInfoValue(byType.get(CmpOids.idItKemCiphertextInfo)!, KemCiphertextInfo).ct.byteLength).toBe(48);
    expect(byType.get(CmpOids.idItSuppLangTags)!.infoValue).toBeUndefined();
    for (const itav of genp) if (itav.infoValue) expect(infoValueType(itav.infoType)).toBeDefined();
  });

  it('carry NULL, GeneralizedTime and certificate profiles in the header', () => {
    const header = decodeDer(encodeDer(fullHeader()), PKIHeader);
    const [implicitConfirm, confirmWaitTime, certProfile] = header.generalInfo!;
    expect(hex(implicitConfirm.infoValue!)).toBe('0500');
    expect(decodeInfoValueTime(confirmWaitTime).toISOString()).toBe('2024-05-06T07:10:00.000Z');
    expect([...decodeInfoValue(certProfile, CertProfileValue)]).toEqual(['tls-server']);
  });

  it('say which value is missing or malformed', () => {
    const header = decodeDer(encodeDer(fullHeader()), PKIHeader);
    const [implicitConfirm] = header.generalInfo!;
    expect(() => decodeInfoValue(implicitConfirm, CaCertsValue)).toThrow(expect.objectContaining({ code: 'ERR_ASN1_DECODE' }));
    const noValue = decodeDer(encodeDer(sampleBody('genm')), PKIBody).genm![0];
    expect(() => decodeInfoValue(noValue, CaCertsValue)).toThrow(/id-it-caCerts carries no value/);
  });
});

describe('CRMF structures outside the sample messages', () => {
  it('EncryptedKey tells EncryptedValue and [0] EnvelopedData apart', () => {
    const body = sampleBody('cp').cp!;
    const env = body.response[0].certifiedKeyPair!.privateKey!;
    const value = body.response[1].certifiedKeyPair!.certOrEncCert.encryptedCert!;
    expect(encodeDer(env)[0]).toBe(0xa0);
    expect(encodeDer(value)[0]).toBe(0x30);
    expect(decodeDer(encodeDer(env), EncryptedKey).envelopedData).toBeDefined();
    expect(decodeDer(encodeDer(value), EncryptedKey).encryptedValue!.encValue.byteLength).toBe(40);
  });

  it('EncKeyWithID carries a UTF8String or a GeneralName identifier', () => {
    const privateKey = new PrivateKeyInfo({
      privateKeyAlgorithm: new AlgorithmIdentifier({ algorithm: '1.3.101.112' }),
      privateKey: new PrivateKey(bytes(0x04, 0x20, ...new Array(32).fill(1))),
    });
    for (const identifier of [
      new EncKeyWithIDIdentifier({ string: 'device-1' }),
      new EncKeyWithIDIdentifier({ generalName: directoryName('CN=device') }),
    ]) {
      const value = new EncKeyWithID({ privateKey, identifier });
      expect(plain(decodeDer(encodeDer(value), EncKeyWithID))).toEqual(plain(value));
    }
    expect(decodeDer(encodeDer(new EncKeyWithID({ privateKey })), EncKeyWithID).identifier).toBeUndefined();
  });
});
