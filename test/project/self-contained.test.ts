/**
 * The repository stands alone: a clone with nothing beside it must build, demo and test. These
 * checks catch the usual ways a project leans on a folder beside it; .ci/run proves the rest by
 * running the suite in a clone made in an empty directory.
 */
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';

const root = path.join(__dirname, '../..');

function trackedFiles(): string[] {
  try {
    return execFileSync('git', ['ls-files', '-z'], { cwd: root, encoding: 'utf8' }).split('\0').filter(Boolean);
  } catch {
    // A copy without .git (an unpacked tarball): every file but dependencies and build output.
    const walk = (dir: string): string[] =>
      fs.readdirSync(path.join(root, dir), { withFileTypes: true }).flatMap((e) => {
        const rel = path.join(dir, e.name);
        if (e.isDirectory()) return ['node_modules', 'dist', '.git'].includes(e.name) ? [] : walk(rel);
        return [rel];
      });
    return walk('');
  }
}

const textFiles = trackedFiles().filter((f) => /\.(ts|js|mjs|cjs|json|md|sh|py|cnf|txt)$|^\.ci\//.test(f) && fs.existsSync(path.join(root, f)));

describe('the repository is self-contained', () => {
  it('no tracked file refers to a folder beside the repository', () => {
    const offenders = textFiles.filter((f) => {
      const text = fs.readFileSync(path.join(root, f), 'utf8');
      // The shared folder from the root, or a path climbing out of the checkout from a nested file.
      return /(^|[\s'"`(])\.\.\/shared\b/.test(text) || /['"`](\.\.\/){2,}shared\//.test(text) || /\/work\/shared\b/.test(text);
    });
    expect(offenders).toEqual([]);
  });

  it('the recorded vectors the codec tests read live in test/vectors, with their origin and licence', () => {
    const readme = fs.readFileSync(path.join(root, 'test/vectors/README.md'), 'utf8');
    for (const folder of ['rustcrypto-cmpv2', 'rustcrypto-crmf', 'lightweightcmpra']) {
      expect(fs.readdirSync(path.join(root, 'test/vectors', folder)).length).toBeGreaterThan(0);
      expect(readme).toContain(`\`${folder}/\``);
    }
    expect(readme).toMatch(/Apache-2\.0/);
  });

  it('.ci/run tests a clone made in an empty directory and counts suites that fail to load as failures', () => {
    const ci = fs.readFileSync(path.join(root, '.ci/run'), 'utf8');
    expect(ci).toMatch(/git clone -q "\$repo" "\$alone\/cmpflow"/);
    expect(ci).toMatch(/suite failed to load/);
    expect(ci).toMatch(/npm test -- /);
  });
});
