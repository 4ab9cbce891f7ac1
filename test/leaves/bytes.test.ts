import { bytesOf, fromB64, hex, sameBytes, toArrayBuffer, toB64 } from '../../src/bytes';

describe('bytes, the one place byte forms are converted', () => {
  const backing = Uint8Array.of(0xff, 0x01, 0x02, 0x03, 0xee);
  const middle = backing.subarray(1, 4);

  it('reads only the bytes a view covers, not the rest of its buffer', () => {
    expect(hex(middle)).toBe('010203');
    expect(toB64(middle)).toBe('AQID');
    expect(toArrayBuffer(middle).byteLength).toBe(3);
    expect(bytesOf(new DataView(backing.buffer, 1, 3))).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('compares bytes across forms: ArrayBuffer, Uint8Array and views of a larger buffer', () => {
    expect(sameBytes(middle, Uint8Array.of(1, 2, 3).buffer)).toBe(true);
    expect(sameBytes(middle, Uint8Array.of(1, 2, 4))).toBe(false);
    expect(sameBytes(middle, Uint8Array.of(1, 2))).toBe(false);
  });

  it('round-trips base64 and gives a fresh ArrayBuffer, never the caller memory', () => {
    expect(fromB64(toB64(backing))).toEqual(backing);
    const copy = new Uint8Array(toArrayBuffer(middle));
    copy[0] = 0x99;
    expect(middle[0]).toBe(0x01);
  });
});
