/**
 * Just enough DER reading to tell key formats apart and to recognise a decryption result as DER
 * before handing it to a full parser: the tags of a SEQUENCE's direct children.
 */

interface Header {
  tag: number;
  contentStart: number;
  end: number;
}

function readHeader(bytes: Uint8Array, pos: number): Header | undefined {
  const tag = bytes[pos];
  const first = bytes[pos + 1];
  if (tag === undefined || first === undefined || (tag & 0x1f) === 0x1f) return undefined;
  let length = first;
  let contentStart = pos + 2;
  if (first & 0x80) {
    const octets = first & 0x7f;
    // Indefinite (0) and absurd (> 4 octets) lengths are not DER we load.
    if (octets === 0 || octets > 4) return undefined;
    length = 0;
    for (let i = 0; i < octets; i++) {
      const b = bytes[contentStart + i];
      if (b === undefined) return undefined;
      length = length * 256 + b;
    }
    contentStart += octets;
  }
  const end = contentStart + length;
  return end <= bytes.length ? { tag, contentStart, end } : undefined;
}

/**
 * The tags of the children of the SEQUENCE that makes up all of `bytes`, or undefined when
 * `bytes` is not exactly one well-framed SEQUENCE.
 */
export function sequenceChildTags(bytes: Uint8Array): number[] | undefined {
  const outer = readHeader(bytes, 0);
  if (outer === undefined || outer.tag !== 0x30 || outer.end !== bytes.length) return undefined;
  const tags: number[] = [];
  for (let pos = outer.contentStart; pos < outer.end;) {
    const child = readHeader(bytes, pos);
    if (child === undefined || child.end > outer.end) return undefined;
    tags.push(child.tag);
    pos = child.end;
  }
  return tags;
}
