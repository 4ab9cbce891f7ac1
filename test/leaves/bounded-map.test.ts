import { BoundedMap } from '../../src/bounded-map';

describe('BoundedMap, the one bounded cache', () => {
  it('never holds more than its limit, forgetting the entry least recently set', () => {
    const map = new BoundedMap<string, number>(3);
    for (const [i, key] of ['a', 'b', 'c', 'd', 'e'].entries()) map.set(key, i);
    expect(map.size).toBe(3);
    expect(['a', 'b', 'c', 'd', 'e'].filter((key) => map.has(key))).toEqual(['c', 'd', 'e']);
  });

  it('keeps an entry that was read through get, and forgets the one no one asked for', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('old', 1);
    map.set('other', 2);
    expect(map.get('old')).toBe(1);
    map.set('new', 3);
    expect(map.has('old')).toBe(true);
    expect(map.has('other')).toBe(false);
  });

  it('does not count a read through peek as a use', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('old', 1);
    map.set('other', 2);
    expect(map.peek('old')).toBe(1);
    map.set('new', 3);
    expect(map.has('old')).toBe(false);
    expect(map.has('other')).toBe(true);
  });

  it('returns what it stores, so a miss can be filled in one expression', () => {
    const map = new BoundedMap<string, { n: number }>(1);
    const value = { n: 7 };
    expect(map.get('k') ?? map.set('k', value)).toBe(value);
    expect(map.get('k')).toBe(value);
  });

  it('replacing a key keeps one entry for it', () => {
    const map = new BoundedMap<string, number>(2);
    map.set('k', 1);
    map.set('k', 2);
    expect(map.size).toBe(1);
    expect(map.get('k')).toBe(2);
  });

  it('refuses a limit that could hold nothing', () => {
    expect(() => new BoundedMap(0)).toThrow(RangeError);
    expect(() => new BoundedMap(1.5)).toThrow(RangeError);
  });
});
