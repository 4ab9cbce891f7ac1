/**
 * What `npm pack` puts in the tarball: what a user installs, and nothing a user cannot use.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { REPO, npmIsInstalled, packRepository, type Packed } from './packed';

interface Manifest {
  license: string;
  main: string;
  types: string;
  bin: Record<string, string>;
  exports: unknown;
  typesVersions: unknown;
}

const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;

// The modules are about 2.2 MB unpacked; the bundled command line (dist/cli/cmpflow.js, for the
// fast start) adds 1.7 MB, for about 3.95 MB unpacked and 955 kB packed. Source maps or the
// TypeScript sources would add more than half again; the bounds leave room for growth, not for those.
const MAX_PACKED_BYTES = 1_100_000;
const MAX_UNPACKED_BYTES = 4_500_000;

let packed: Packed;
let files: Set<string>;

beforeAll(async () => {
  if (!npmIsInstalled) return;
  packed = await packRepository({ dryRun: true });
  files = new Set(packed.report.files.map((f) => f.path));
}, 240_000);

afterAll(() => packed?.cleanup());

const withNpm = npmIsInstalled ? it : it.skip;

/** The files a package.json value names, found anywhere in a nested `exports` map. */
function targets(value: unknown): string[] {
  if (typeof value === 'string') return [value];
  if (value && typeof value === 'object') return Object.values(value).flatMap(targets);
  return [];
}

const normalised = (file: string) => path.posix.normalize(file).replace(/^\.\//, '');

withNpm('ships the Apache-2.0 licence text, the readme and the manifest', () => {
  expect([...files]).toEqual(expect.arrayContaining(['LICENSE', 'README.md', 'package.json']));
  expect(manifest.license).toBe('Apache-2.0');
  const licence = readFileSync(path.join(REPO, 'LICENSE'), 'utf8');
  expect(licence).toMatch(/^\s*Apache License\s+Version 2\.0, January 2004/);
  expect(licence).toContain('END OF TERMS AND CONDITIONS');
});

withNpm('ships every file that main, types, bin, the exports map and typesVersions name', () => {
  const named = [manifest.main, manifest.types, ...Object.values(manifest.bin), ...targets(manifest.exports), ...targets(manifest.typesVersions)].map(
    normalised,
  );
  expect(named).toEqual(expect.arrayContaining(['dist/src/index.js', 'dist/src/index.d.ts', 'bin/cmpflow.js', 'esm/index.mjs', 'esm/index.d.mts']));
  expect(named).toEqual(expect.arrayContaining(['dist/src/entries/server.js', 'dist/src/entries/server.d.ts', 'esm/server.mjs', 'esm/server.d.mts']));
  expect(named.filter((file) => !files.has(file))).toEqual([]);
});

withNpm('exports package.json, and nothing from inside the build but the six entry points', () => {
  expect(Object.keys(manifest.exports as object)).toEqual(['.', './machines', './asn1', './server', './axios', './fleet', './package.json']);
  expect((manifest.exports as Record<string, unknown>)['./package.json']).toBe('./package.json');
});

withNpm('ships a declaration file next to every module of the build', () => {
  // The bundle is a command, not an entry point: nothing imports it, so it has no declarations.
  const modules = [...files].filter((f) => f.startsWith('dist/') && f.endsWith('.js') && f !== 'dist/cli/cmpflow.js');
  expect(modules.length).toBeGreaterThan(100);
  expect(modules.filter((f) => !files.has(f.replace(/\.js$/, '.d.ts')))).toEqual([]);
});

withNpm('ships every file the build requires by a relative path', () => {
  const missing: string[] = [];
  for (const file of [...files].filter((f) => f.endsWith('.js') && f.startsWith('dist/'))) {
    const code = readFileSync(path.join(packed.folder, file), 'utf8');
    for (const [, spec] of code.matchAll(/require\("(\.{1,2}\/[^"]+)"\)/g)) {
      const target = path.posix.join(path.posix.dirname(file), spec!);
      if (![target, `${target}.js`, `${target}/index.js`].some((candidate) => files.has(candidate))) missing.push(`${file} -> ${spec}`);
    }
  }
  expect(missing).toEqual([]);
});

withNpm('ships the bundled command line and its help text, but not the code cache the build made for this Node.js', () => {
  expect(files.has('dist/cli/cmpflow.js')).toBe(true);
  expect(files.has('dist/cli/usage.txt')).toBe(true);
  expect([...files].filter((f) => f.endsWith('.cache'))).toEqual([]);
});

withNpm('ships no source maps, since the TypeScript sources they would point at are not shipped', () => {
  expect([...files].filter((f) => f.endsWith('.map'))).toEqual([]);
  expect([...files].filter((f) => /\.[cm]?ts$/.test(f) && !/\.d\.[cm]?ts$/.test(f))).toEqual([]);
});

withNpm('ships nothing from the tests, scripts, benchmarks or docs', () => {
  expect([...files].filter((f) => /^(test|scripts|bench|docs|src|machines|node_modules|\.ci)\//.test(f))).toEqual([]);
});

withNpm(`stays under ${MAX_PACKED_BYTES / 1000} kB packed and ${MAX_UNPACKED_BYTES / 1_000_000} MB unpacked`, () => {
  expect(packed.report.size).toBeLessThan(MAX_PACKED_BYTES);
  expect(packed.report.unpackedSize).toBeLessThan(MAX_UNPACKED_BYTES);
});
