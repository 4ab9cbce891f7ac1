/**
 * docs/api.md ends with the list of what the package exports. It names every export of the entry
 * point (values and types), and nothing that is not one, so that a new export cannot ship
 * undocumented and a removed one does not linger in the guide.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { REPO } from './packed';

const ENTRY_POINT = path.join(REPO, 'src', 'index.ts');
const SECTION = '## What the package exports';

/** Every name the entry point exports, as the compiler sees it (so `export *` counts too). */
function exportedNames(): string[] {
  const program = ts.createProgram([ENTRY_POINT], { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022, strict: true, noEmit: true, skipLibCheck: true, experimentalDecorators: true });
  const checker = program.getTypeChecker();
  const module = checker.getSymbolAtLocation(program.getSourceFile(ENTRY_POINT)!)!;
  return checker.getExportsOfModule(module).map((symbol) => symbol.getName());
}

/**
 * The names in the guide's export list: the `code` spans of the list items in the section,
 * leaving out those in parentheses, which explain (`getRootCaUpdate` returns a `RootCaUpdate`).
 */
function documentedNames(guide: string): string[] {
  const start = guide.indexOf(SECTION);
  if (start < 0) return [];
  const rest = guide.slice(start + SECTION.length);
  const end = rest.search(/^## /m);
  const section = end < 0 ? rest : rest.slice(0, end);
  const items = section.split('\n').filter((line) => line.startsWith('- ') || line.startsWith('  ')).join('\n');
  return Array.from(items.replace(/\([^()]*\)/g, '').matchAll(/`([^`]+)`/g), (m) => m[1]!);
}

const exported = exportedNames();
const documented = documentedNames(readFileSync(path.join(REPO, 'docs', 'api.md'), 'utf8'));

it('reads the exports of the entry point, values and types', () => {
  expect(exported).toEqual(expect.arrayContaining(['CmpClient', 'CmpClientOptions', 'asn1', 'createCmpServer']));
});

it('lists every export of the package in docs/api.md', () => {
  expect(exported.filter((name) => !documented.includes(name)).sort()).toEqual([]);
});

it('lists nothing in docs/api.md that the package does not export', () => {
  expect(documented.filter((name) => !exported.includes(name)).sort()).toEqual([]);
});

it('lists each export once', () => {
  expect(documented.filter((name, i) => documented.indexOf(name) !== i)).toEqual([]);
});

describe('the export list reader', () => {
  it('takes the code spans from the heading to the next heading', () => {
    const md = `# Guide\n\`before\`\n${SECTION}\n\n- Client: \`A\`,\n  \`B\`.\n\n## Next\n- \`after\`\n`;
    expect(documentedNames(md)).toEqual(['A', 'B']);
  });

  it('leaves out what the text around the list and the explanations in parentheses mention', () => {
    const md = `${SECTION}\nOne entry point, \`x\`.\n\n- Client: \`A\` (what \`b\` returns), \`C\`.\n`;
    expect(documentedNames(md)).toEqual(['A', 'C']);
  });

  it('takes them to the end when the section is the last one', () => {
    expect(documentedNames(`${SECTION}\n- \`A\`\n`)).toEqual(['A']);
  });
});
