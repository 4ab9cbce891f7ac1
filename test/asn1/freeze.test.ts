import { deepFreeze } from '../../src/asn1/freeze';

describe('deepFreeze', () => {
  it('freezes every object and array of a value, leaving buffers as they are', () => {
    const value = { a: { b: [{ c: 1 }] }, bytes: new Uint8Array(2), buffer: new ArrayBuffer(2) };
    deepFreeze(value);
    expect(Object.isFrozen(value)).toBe(true);
    expect(Object.isFrozen(value.a)).toBe(true);
    expect(Object.isFrozen(value.a.b)).toBe(true);
    expect(Object.isFrozen(value.a.b[0])).toBe(true);
    value.bytes[0] = 7;
    expect(value.bytes[0]).toBe(7);
  });

  it('freezes the parts of a part that was frozen only at its top', () => {
    const shallow = Object.freeze({ inner: { x: 1 } });
    deepFreeze({ shallow });
    expect(Object.isFrozen(shallow.inner)).toBe(true);
  });

  it('does not walk again a value it froze before, when a larger value shares it', () => {
    let reads = 0;
    const shared = {};
    Object.defineProperty(shared, 'part', {
      enumerable: true,
      get: () => {
        reads++;
        return { y: 2 };
      },
    });
    deepFreeze(shared);
    expect(reads).toBe(1);
    deepFreeze({ first: shared, second: [shared] });
    expect(reads).toBe(1);
  });
});
