/**
 * The codec reads private files of @peculiar/asn1-schema (`build/cjs/...`), which any release may
 * move or change. While it does, the package that owns them is pinned to the exact version the
 * codec was tested with, and so are the other @peculiar/asn1-* packages, whose classes must
 * register in that same copy's schema storage.
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import { REPO } from './packed';

interface Manifest {
  dependencies: Record<string, string>;
}

interface Lock {
  packages: Record<string, { version?: string; dependencies?: Record<string, string> }>;
}

const manifest = JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as Manifest;
const lock = JSON.parse(readFileSync(path.join(REPO, 'package-lock.json'), 'utf8')) as Lock;

function sources(folder: string): string[] {
  return readdirSync(folder, { withFileTypes: true }).flatMap((entry) => {
    const file = path.join(folder, entry.name);
    if (entry.isDirectory()) return sources(file);
    return entry.name.endsWith('.ts') ? [file] : [];
  });
}

/** The packages whose private files the sources name: `require('<package>/build/...')`. */
function packagesReadPrivately(code: string): string[] {
  return Array.from(code.matchAll(/(?:require\(|from\s)\s*'((?:@[\w.-]+\/)?[\w.-]+)\/build\/[^']*'/g), (m) => m[1]!);
}

const readPrivately = [
  ...new Set(
    [...sources(path.join(REPO, 'src')), ...sources(path.join(REPO, 'machines'))].flatMap((file) =>
      packagesReadPrivately(readFileSync(file, 'utf8')),
    ),
  ),
].sort();
const EXACT = /^\d+\.\d+\.\d+$/;

it('finds the private reads of the codec (a pattern that matched nothing would prove nothing)', () => {
  expect(readPrivately).toEqual(['@peculiar/asn1-schema']);
});

it.each(readPrivately)('pins %s exactly while its private files are read', (name) => {
  expect(manifest.dependencies[name]).toMatch(EXACT);
});

it('pins every @peculiar/asn1-* dependency to the one version of asn1-schema, so that all share its schema storage', () => {
  const family = Object.entries(manifest.dependencies).filter(([name]) => name.startsWith('@peculiar/asn1-'));
  expect(family.length).toBeGreaterThan(1);
  expect(family.filter(([, spec]) => spec !== manifest.dependencies['@peculiar/asn1-schema'])).toEqual([]);
});

it('locks the pinned versions, with one copy of asn1-schema in the tree', () => {
  for (const name of Object.keys(manifest.dependencies).filter((n) => n.startsWith('@peculiar/asn1-'))) {
    expect([name, lock.packages[`node_modules/${name}`]?.version]).toEqual([name, manifest.dependencies[name]]);
  }
  expect(Object.keys(lock.packages).filter((key) => key.endsWith('node_modules/@peculiar/asn1-schema'))).toEqual([
    'node_modules/@peculiar/asn1-schema',
  ]);
});

describe('the private-read finder', () => {
  it('names the package of a require or an import into its build folder', () => {
    expect(packagesReadPrivately("const { a } = require('@scope/pkg/build/cjs/storage');\nimport b from 'plain/build/x';")).toEqual([
      '@scope/pkg',
      'plain',
    ]);
  });

  it('ignores imports of a package itself', () => {
    expect(packagesReadPrivately("import { AsnParser } from '@peculiar/asn1-schema';")).toEqual([]);
  });
});
