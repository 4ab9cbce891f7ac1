/**
 * `cmpflow -version` (or `--version`) prints the installed package's version, read from its
 * package.json when asked, with the Node.js version it runs on, and exits 0 whatever else is on
 * the command line.
 */
import { mkdirSync, writeFileSync } from 'fs';
import * as path from 'path';
import { packageVersion } from '../../src/cli/version';
import { CmpError } from '../../src/errors';
import { cmpflow, scratchDir } from './run-support';

const { version } = require('../../package.json') as { version: string };

describe('cmpflow -version', () => {
  it.each([['-version'], ['--version']])('%s prints "cmpflow X.Y.Z (Node.js vN; ...)" on stdout and exits 0', async (flag) => {
    const run = await cmpflow([flag]);
    expect(run).toMatchObject({ code: 0, stderr: '' });
    expect(run.stdout).toBe(`cmpflow ${version} (Node.js ${process.version}; options and output of openssl cmp 3.0)\n`);
  });

  it('needs nothing else to be valid, as -help does', async () => {
    const run = await cmpflow(['-cmd', 'ir', '-version']);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`cmpflow ${version} `);
  });

  it('finds the package.json named cmpflow above the running file, as from dist/src/cli in a build', () => {
    const root = scratchDir();
    writeFileSync(path.join(root, 'package.json'), JSON.stringify({ name: 'cmpflow', version: '9.8.7' }));
    // A package.json of another name in between (a nested module) is passed over.
    mkdirSync(path.join(root, 'dist/src/cli'), { recursive: true });
    writeFileSync(path.join(root, 'dist/package.json'), JSON.stringify({ type: 'commonjs' }));
    expect(packageVersion(path.join(root, 'dist/src/cli'))).toBe('9.8.7');
  });

  it('fails with one CmpError when there is no such package.json', () => {
    const nowhere = scratchDir();
    expect(() => packageVersion(nowhere)).toThrow(CmpError);
    expect(() => packageVersion(nowhere)).toThrow(/cannot find the package\.json of cmpflow/);
  });
});
