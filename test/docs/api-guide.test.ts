/**
 * docs/api.md shows the examples as they are: every ```ts block marked `<!-- example: name -->`
 * is docs/examples/name.ts (which test/docs/examples.test.ts runs), and every example appears in
 * the guide once. The only difference is the one a reader needs: the files import this
 * repository's entry point ('../../src'), the guide shows the package name ('cmpflow').
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';

const DOCS = path.resolve(__dirname, '../../docs');
const MARKED_BLOCK = /<!-- example: ([\w-]+) -->\s*\n```ts\n([\s\S]*?)```/g;
const ENTRY_POINT = /from '\.\.\/\.\.\/src';/g;

function markedBlocks(markdown: string): { name: string; code: string }[] {
  return Array.from(markdown.matchAll(MARKED_BLOCK), (m) => ({ name: m[1]!, code: m[2]! }));
}

/** An example file as the guide shows it. */
function asShown(source: string): string {
  return source.replace(ENTRY_POINT, "from 'cmpflow';");
}

const guide = readFileSync(path.join(DOCS, 'api.md'), 'utf8');
const examples = readdirSync(path.join(DOCS, 'examples'))
  .filter((f) => f.endsWith('.ts'))
  .map((f) => f.slice(0, -3));
const sourceOf = (name: string) => readFileSync(path.join(DOCS, 'examples', `${name}.ts`), 'utf8');

it('shows each example of docs/examples exactly once', () => {
  expect(markedBlocks(guide).map((b) => b.name).sort()).toEqual([...examples].sort());
});

it.each(examples)('shows %s.ts as it is in docs/examples (copy the file into the block after editing it)', (name) => {
  const block = markedBlocks(guide).find((b) => b.name === name);
  expect(block?.code).toBe(asShown(sourceOf(name)));
});

it.each(examples)('lets %s.ts use cmpflow through its public entry point only', (name) => {
  const relative = Array.from(sourceOf(name).matchAll(/from '(\.[^']*)'/g), (m) => m[1]);
  expect(relative.length).toBeGreaterThan(0);
  expect(new Set(relative)).toEqual(new Set(['../../src']));
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

  it("shows the repository's entry point as the package name", () => {
    expect(asShown("import { CmpClient } from '../../src';\n")).toBe("import { CmpClient } from 'cmpflow';\n");
  });
});
