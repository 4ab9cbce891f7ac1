/**
 * The floors of the source tree (docs/architecture.md), checked against every import of src/ and
 * machines/: each top-level folder (or top-level file of src/) is a room, rooms stand on floors, and
 * an import may only go down to a lower floor. That also rules out any cycle between rooms; the
 * cycle check is kept apart so that a broken floor plan and a loop are told apart in the report.
 *
 * The lint configuration may encode the same floors for the editor; this test is the specification.
 */
import { readdirSync, readFileSync, statSync } from 'fs';
import { dirname, join, normalize, relative } from 'path';

const root = join(__dirname, '..', '..');

/**
 * Lowest first. Rooms on one floor do not import each other. A top-level file of src/ that imports
 * nothing of the project but errors (a byte, cache or bounded-read helper) is a leaf: it stands
 * between errors and crypto without being listed.
 */
const FLOORS: readonly (readonly string[])[] = [
  ['src/errors'],
  ['src/crypto', 'src/transport'],
  ['src/asn1'],
  // Credentials read PKCS#8 and PKCS#12, which are ASN.1: they stand on the codec.
  ['src/credentials'],
  ['src/pki'],
  // CMS for centrally generated keys (RFC 9483 section 4.1.6): the messages carry it, the server makes it.
  ['src/cms'],
  ['src/message', 'src/protection'],
  ['src/validation'],
  ['machines', 'src/options'],
  ['src/session'],
  ['src/client', 'src/server'],
  ['src/fleet'],
  ['src/cli'],
  ['src/index', 'src/entries'],
];

interface Import {
  file: string;
  from: string;
  to: string;
}

function sourceFiles(dir: string): string[] {
  return readdirSync(join(root, dir)).flatMap((name) => {
    const path = `${dir}/${name}`;
    if (statSync(join(root, path)).isDirectory()) return sourceFiles(path);
    return name.endsWith('.ts') && !name.endsWith('.d.ts') ? [path] : [];
  });
}

/** `src/pki/path.ts` → `src/pki`; `src/errors.ts` → `src/errors`; `machines/x.ts` → `machines`; `src` → `src/index`. */
function roomOf(file: string): string {
  const parts = file.replace(/\.ts$/, '').split('/');
  if (parts[0] !== 'src') return parts[0];
  return `src/${parts[1] ?? 'index'}`;
}

/** Static imports, re-exports, `import type`, dynamic `import()` and `require()` with a relative path. */
const importPattern = /(?:\bfrom\s*|\bimport\s*\(?\s*|\brequire\s*\(\s*)['"](\.{1,2}\/[^'"]+)['"]/g;

function importsOf(file: string): Import[] {
  const text = readFileSync(join(root, file), 'utf8');
  return [...text.matchAll(importPattern)].map((m) => {
    const target = relative(root, normalize(join(root, dirname(file), m[1])))
      .split('\\')
      .join('/');
    return { file, from: roomOf(file), to: roomOf(target) };
  });
}

const files = [...sourceFiles('src'), ...sourceFiles('machines')];
const imports = files.flatMap(importsOf).filter((i) => i.from !== i.to);

const leaves = files
  .filter((file) => /^src\/[^/]+\.ts$/.test(file) && imports.every((i) => i.file !== file || i.to === 'src/errors'))
  .map(roomOf)
  .filter((room) => room !== 'src/errors');
const floorOf = new Map<string, number>([
  ...leaves.map((room) => [room, 0.5] as const),
  ...FLOORS.flatMap((rooms, floor) => rooms.map((room) => [room, floor] as const)),
]);

/** Strongly connected components with more than one room (Tarjan). */
function roomCycles(edges: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  let next = 0;
  const visit = (v: string): void => {
    index.set(v, next);
    low.set(v, next++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) cycles.push(component.sort());
    }
  };
  for (const v of edges.keys()) if (!index.has(v)) visit(v);
  return cycles;
}

describe('the layering of src/ and machines/', () => {
  it('reads the imports it judges (a pattern that matched nothing would prove nothing)', () => {
    expect(files.length).toBeGreaterThan(100);
    expect(imports.some((i) => i.from === 'src/protection' && i.to === 'src/pki')).toBe(true);
  });

  it('places every room on a floor, so a new top-level folder needs a decision about where it stands', () => {
    const rooms = [...new Set(files.map(roomOf))].sort();
    expect(rooms.filter((room) => !floorOf.has(room))).toEqual([]);
  });

  it('has no cycle between top-level folders', () => {
    const edges = new Map<string, Set<string>>();
    for (const i of imports) edges.set(i.from, (edges.get(i.from) ?? new Set()).add(i.to));
    expect(roomCycles(edges)).toEqual([]);
  });

  it('has no import that runs up or sideways: client → validation → protection → pki → asn1/crypto, message beside protection', () => {
    const against = imports
      .filter((i) => floorOf.has(i.from) && floorOf.has(i.to) && floorOf.get(i.to)! >= floorOf.get(i.from)!)
      .map((i) => `${i.file} → ${i.to}`);
    expect(against).toEqual([]);
  });

  it('keeps the PKI floor on asn1, crypto, credentials, errors and ground-floor helpers alone', () => {
    const reached = new Set(imports.filter((i) => i.from === 'src/pki').map((i) => i.to));
    const allowed = new Set(['src/asn1', 'src/credentials', 'src/crypto', 'src/errors', ...leaves]);
    expect([...reached].filter((room) => !allowed.has(room))).toEqual([]);
  });

  it('keeps validation free of the machines: only the client uses it, and one adapter there speaks their JSON', () => {
    expect(imports.filter((i) => i.from === 'src/validation' && i.to === 'machines').map((i) => i.file)).toEqual([]);
    const users = new Set(imports.filter((i) => i.to === 'src/validation').map((i) => i.from));
    expect([...users].filter((room) => room !== 'src/client' && floorOf.get(room) !== FLOORS.length - 1)).toEqual([]);
    const adapter = imports.filter((i) => i.file === 'src/client/actor-results.ts').map((i) => i.to);
    expect(adapter).toEqual(expect.arrayContaining(['machines', 'src/validation']));
  });
});
