/**
 * docs/api.md shows the examples as they are: every ```ts block marked `<!-- example: name -->`
 * is docs/examples/name.ts (which test/docs/examples.test.ts runs), and every example appears in
 * the guide once. The only difference is the one a reader needs: the files import this
 * repository's entry points ('../../src', '../../src/entries/machines', ...), the guide shows
 * the package's ('cmpflow', 'cmpflow/machines', ...).
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';

const DOCS = path.resolve(__dirname, '../../docs');
const MARKED_BLOCK = /<!-- example: ([\w-]+) -->\s*\n```ts\n([\s\S]*?)```/g;
/** The package's entry points by the path an example in this repository imports them from. */
const ENTRY_POINTS: Record<string, string> = {
  '../../src': 'cmpflow',
  '../../src/entries/machines': 'cmpflow/machines',
  '../../src/entries/asn1': 'cmpflow/asn1',
  '../../src/entries/server': 'cmpflow/server',
  '../../src/entries/axios': 'cmpflow/axios',
  '../../src/entries/fleet': 'cmpflow/fleet',
};
const ENTRY_POINT = /from '(\.\.\/\.\.\/src(?:\/entries\/\w+)?)';/g;

function markedBlocks(markdown: string): { name: string; code: string }[] {
  return Array.from(markdown.matchAll(MARKED_BLOCK), (m) => ({ name: m[1]!, code: m[2]! }));
}

/** An example file as the guide shows it. */
function asShown(source: string): string {
  return source.replace(ENTRY_POINT, (line, entry: string) => (entry in ENTRY_POINTS ? `from '${ENTRY_POINTS[entry]}';` : line));
}

const guide = readFileSync(path.join(DOCS, 'api.md'), 'utf8');
const examples = readdirSync(path.join(DOCS, 'examples'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));
const sourceOf = (name: string) => readFileSync(path.join(DOCS, 'examples', `${name}.ts`), 'utf8');

it('shows each example of docs/examples exactly once', () => {
  expect(
    markedBlocks(guide)
      .map((b) => b.name)
      .sort(),
  ).toEqual([...examples].sort());
});

it.each(examples)('shows %s.ts as it is in docs/examples (copy the file into the block after editing it)', (name) => {
  const block = markedBlocks(guide).find((b) => b.name === name);
  expect(block?.code).toBe(asShown(sourceOf(name)));
});

it.each(examples)('lets %s.ts use cmpflow through its public entry points only', (name) => {
  const relative = Array.from(sourceOf(name).matchAll(/from '(\.[^']*)'/g), (m) => m[1]!);
  expect(relative.length).toBeGreaterThan(0);
  expect(relative.filter((specifier) => !(specifier in ENTRY_POINTS))).toEqual([]);
});

it('marks every example marker with a ts block right after it', () => {
  const markers = Array.from(guide.matchAll(/<!-- example: ([\w-]+) -->/g), (m) => m[1]);
  expect(markers).toEqual(markedBlocks(guide).map((b) => b.name));
});

describe('the marked-block reader', () => {
  it('reads the name and the code between the fences', () => {
    const md = 'text\n<!-- example: a-b -->\n\n```ts\nconst x = 1;\n```\nmore\n';
    expect(markedBlocks(md)).toEqual([{ name: 'a-b', code: 'const x = 1;\n' }]);
  });

  it("shows the repository's entry points as the package's", () => {
    expect(asShown("import { CmpClient } from '../../src';\n")).toBe("import { CmpClient } from 'cmpflow';\n");
    expect(asShown("import { enrollmentMachine } from '../../src/entries/machines';\n")).toBe(
      "import { enrollmentMachine } from 'cmpflow/machines';\n",
    );
    expect(asShown("import * as asn1 from '../../src/entries/asn1';\n")).toBe("import * as asn1 from 'cmpflow/asn1';\n");
  });

  it('leaves an import from inside the repository as it is, which the entry-point check then refuses', () => {
    expect(asShown("import { readDer } from '../../src/asn1/der';\n")).toBe("import { readDer } from '../../src/asn1/der';\n");
  });
});
