import { AsnConvert } from '@peculiar/asn1-schema';
import {
  decodePkiMessage,
  dumpPkiMessage,
  encodePkiMessage,
  pkiBodyType,
  protectedPartBytes,
  rawPkiMessage,
  sequenceElements,
  CmpOids,
} from '../../src/asn1';
import { captureOpenSslExchanges, CapturedExchange } from '../support/capture';

const hex = (b: ArrayBuffer | Uint8Array) => Buffer.from(b instanceof Uint8Array ? b : new Uint8Array(b)).toString('hex');

describe('messages exchanged by the real openssl cmp client and mock server', () => {
  let exchanges: CapturedExchange[];

  beforeAll(async () => {
    exchanges = await captureOpenSslExchanges();
  }, 120_000);

  it('cover the message types this library must read and write', () => {
    const bodies = new Set(exchanges.flatMap((e) => e.messages.map((m) => m.body)));
    for (const body of [
      'ir',
      'ip',
      'cr',
      'cp',
      'p10cr',
      'kur',
      'kup',
      'rr',
      'rp',
      'genm',
      'genp',
      'certConf',
      'pkiconf',
      'pollReq',
      'pollRep',
      'error',
    ]) {
      expect(bodies).toContain(body);
    }
    expect(new Set(exchanges.map((e) => e.protection))).toEqual(new Set(['pbm', 'signature', 'none']));
  });

  it('each decode and encode back to the identical bytes, also through a fresh encoding', () => {
    for (const exchange of exchanges) {
      for (const m of exchange.messages) {
        const msg = decodePkiMessage(m.der);
        const label = `${exchange.name} ${m.direction} ${m.body}`;
        expect([label, hex(encodePkiMessage(msg))]).toEqual([label, hex(m.der)]);
        expect([label, hex(AsnConvert.serialize(msg))]).toEqual([label, hex(m.der)]);
        expect([label, pkiBodyType(msg.body)]).toEqual([label, m.body]);
      }
    }
  });

  it('each give ProtectedPart from the received header and body, and keep their protection', () => {
    for (const exchange of exchanges) {
      for (const m of exchange.messages) {
        const msg = decodePkiMessage(m.der);
        const raw = rawPkiMessage(msg)!;
        expect(sequenceElements(protectedPartBytes(msg)).map(hex)).toEqual([hex(raw.header), hex(raw.body)]);
        const label = `${exchange.name} ${m.direction} ${m.body}`;
        expect([label, raw.protection !== undefined]).toEqual([label, exchange.protection !== 'none']);
      }
    }
  });

  it('each dump, with the protection algorithm OpenSSL used', () => {
    for (const exchange of exchanges) {
      for (const m of exchange.messages) {
        const msg = decodePkiMessage(m.der);
        const dump = dumpPkiMessage(msg) as { bodyType: string; header: { protectionAlg?: { algorithm: string } } };
        expect(dump.bodyType).toBe(m.body);
        if (exchange.protection === 'pbm') {
          expect(dump.header.protectionAlg!.algorithm).toContain(CmpOids.passwordBasedMac);
        }
        expect(JSON.stringify(dump)).not.toContain('undecodable');
      }
    }
  });
});
