/**
 * docs/api.md ends with the list of what the package exports, one subsection per entry point. Each
 * names every export of its entry (values and types), and nothing that is not one, so that a new
 * export cannot ship undocumented, a removed one does not linger in the guide, and a name cannot
 * slip into the wrong entry unnoticed.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import * as ts from 'typescript';
import { REPO } from './packed';

const SECTION = '## What the package exports';

/** The package's entry points: the name a user imports, the module it is built from. */
const ENTRY_POINTS: Record<string, string> = {
  cmpflow: 'src/index.ts',
  'cmpflow/machines': 'src/entries/machines.ts',
  'cmpflow/asn1': 'src/entries/asn1.ts',
  'cmpflow/server': 'src/entries/server.ts',
  'cmpflow/axios': 'src/entries/axios.ts',
  'cmpflow/fleet': 'src/entries/fleet.ts',
};

interface Manifest {
  exports: Record<string, unknown>;
  typesVersions: Record<string, Record<string, string[]>>;
}

const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;

/** Every name each entry point exports, as the compiler sees it (so `export *` counts too). */
function exportedNames(): Map<string, string[]> {
  const files = Object.values(ENTRY_POINTS).map((file) => path.join(REPO, file));
  const program = ts.createProgram(files, {
    module: ts.ModuleKind.CommonJS,
    target: ts.ScriptTarget.ES2022,
    strict: true,
    noEmit: true,
    skipLibCheck: true,
    experimentalDecorators: true,
  });
  const checker = program.getTypeChecker();
  return new Map(
    Object.entries(ENTRY_POINTS).map(([entry, file]) => {
      const module = checker.getSymbolAtLocation(program.getSourceFile(path.join(REPO, file))!)!;
      return [entry, checker.getExportsOfModule(module).map((symbol) => symbol.getName())];
    }),
  );
}

/** The text of a part of the guide: from its heading line to the next heading of `level` or above. */
function part(text: string, heading: string, level: number): string | undefined {
  const start = text.split('\n').findIndex((line) => line === heading || line.startsWith(`${heading}:`) || line.startsWith(`${heading} `));
  if (start < 0) return undefined;
  const rest = text.split('\n').slice(start + 1);
  const end = rest.findIndex((line) => new RegExp(`^#{1,${level}} `).test(line));
  return (end < 0 ? rest : rest.slice(0, end)).join('\n');
}

/** The entries the guide's export list has a subsection for, in order: `### \`name\`...`. */
function documentedEntries(guide: string): string[] {
  const section = part(guide, SECTION, 2) ?? '';
  return Array.from(section.matchAll(/^### `([^`]+)`/gm), (m) => m[1]!);
}

/**
 * The names the guide lists for one entry: the `code` spans of the list items in its subsection,
 * leaving out those in parentheses, which explain (`getRootCaUpdate` returns a `RootCaUpdate`).
 */
function documentedNames(guide: string, entry: string): string[] {
  const section = part(guide, SECTION, 2);
  const subsection = section === undefined ? undefined : part(section, `### \`${entry}\``, 3);
  if (subsection === undefined) return [];
  const items = subsection
    .split('\n')
    .filter((line) => line.startsWith('- ') || line.startsWith('  '))
    .join('\n');
  return Array.from(items.replace(/\([^()]*\)/g, '').matchAll(/`([^`]+)`/g), (m) => m[1]!);
}

const exported = exportedNames();
const guide = readFileSync(path.join(REPO, 'docs', 'api.md'), 'utf8');
const entries = Object.keys(ENTRY_POINTS);
const subpath = (entry: string) => (entry === 'cmpflow' ? '.' : `./${entry.slice('cmpflow/'.length)}`);

it('documents the six entry points of the package, in the order of its exports map', () => {
  expect(documentedEntries(guide)).toEqual(entries);
  expect(Object.keys(manifest.exports).filter((key) => key !== './package.json')).toEqual(entries.map(subpath));
});

it("builds each subpath entry from the module the test reads, for require's types, node10's types and import", () => {
  for (const entry of entries.filter((e) => e !== 'cmpflow')) {
    const name = entry.slice('cmpflow/'.length);
    const built = `dist/${ENTRY_POINTS[entry]!.replace(/\.ts$/, '')}`;
    expect(manifest.exports[subpath(entry)]).toEqual({
      import: { types: `./esm/${name}.d.mts`, default: `./esm/${name}.mjs` },
      require: { types: `./${built}.d.ts`, default: `./${built}.js` },
    });
    expect(manifest.typesVersions['*']![name]).toEqual([`${built}.d.ts`]);
    for (const wrapper of [`${name}.mjs`, `${name}.d.mts`]) {
      expect(readFileSync(path.join(REPO, 'esm', wrapper), 'utf8')).toContain(`export * from '../${built}.js';`);
    }
  }
});

it('reads the exports of each entry point, values and types', () => {
  expect(exported.get('cmpflow')).toEqual(expect.arrayContaining(['CmpClient', 'CmpClientOptions', 'CmpError']));
  expect(exported.get('cmpflow/machines')).toEqual(expect.arrayContaining(['enrollmentMachine', 'SessionServices']));
  expect(exported.get('cmpflow/asn1')).toEqual(expect.arrayContaining(['PKIMessage', 'decodePkiMessage']));
  expect(exported.get('cmpflow/server')).toEqual(expect.arrayContaining(['createCmpServer', 'ListenOptions']));
});

describe.each(entries)('%s', (entry) => {
  const names = () => exported.get(entry)!;
  const listed = () => documentedNames(guide, entry);

  it('has every export listed in docs/api.md', () => {
    expect(
      names()
        .filter((name) => !listed().includes(name))
        .sort(),
    ).toEqual([]);
  });

  it('has everything docs/api.md lists for it', () => {
    expect(
      listed()
        .filter((name) => !names().includes(name))
        .sort(),
    ).toEqual([]);
  });

  it('is listed with each export once', () => {
    expect(listed().filter((name, i) => listed().indexOf(name) !== i)).toEqual([]);
  });
});

it('keeps the codec plumbing and the certificate cache out of cmpflow/asn1', () => {
  const plumbing = [
    'readDer',
    'encodeTlv',
    'nodeBytes',
    'sequenceElements',
    'BigIntConverter',
    'frozenCmpCertificate',
    'clearCmpCertificateCache',
    'CMP_CERTIFICATE_CACHE_SIZE',
    'receivedProtectedPart',
  ];
  expect(exported.get('cmpflow/asn1')!.filter((name) => plumbing.includes(name))).toEqual([]);
});

it('leaves the embedded CA, the machines and the ASN.1 classes out of the client entry', () => {
  const elsewhere = [...exported.get('cmpflow/server')!, ...exported.get('cmpflow/machines')!, ...exported.get('cmpflow/asn1')!, 'asn1'];
  expect(exported.get('cmpflow')!.filter((name) => elsewhere.includes(name))).toEqual([]);
});

describe('the export list reader', () => {
  const list = (entries: string) => `# Guide\n\`before\`\n${SECTION}\n\nOne paragraph, \`x\`.\n\n${entries}\n## Next\n- \`after\`\n`;

  it('takes the code spans of one entry from its heading to the next heading', () => {
    const md = list('### `a`: the first\n\n- Client: `A`,\n  `B`.\n\n### `a/b`\n\n- `C`\n');
    expect(documentedNames(md, 'a')).toEqual(['A', 'B']);
    expect(documentedNames(md, 'a/b')).toEqual(['C']);
    expect(documentedEntries(md)).toEqual(['a', 'a/b']);
  });

  it('leaves out what the text around the list and the explanations in parentheses mention', () => {
    const md = list('### `a`\nSee `y`.\n\n- Client: `A` (what `b` returns), `C`.\n');
    expect(documentedNames(md, 'a')).toEqual(['A', 'C']);
  });

  it('takes them to the end when the section is the last one', () => {
    expect(documentedNames(`${SECTION}\n### \`a\`\n- \`A\`\n`, 'a')).toEqual(['A']);
  });

  it('finds nothing for an entry without a subsection', () => {
    expect(documentedNames(list('### `a`\n- `A`\n'), 'a/b')).toEqual([]);
  });
});
