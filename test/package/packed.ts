/**
 * The package as `npm pack` makes it. The package's inputs are copied into a temporary folder and
 * packed there, with the repository's node_modules linked in for the build: the shared dist/ of
 * this work tree may hold files of modules that no longer exist or maps of an older build, and
 * they must not decide what these tests see. Packing runs the `prepare` script, so the tarball
 * holds exactly the build that `npm pack`/`npm publish` would make.
 */
import { execFile, spawnSync } from 'child_process';
import { cpSync, mkdtempSync, rmSync, symlinkSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { promisify } from 'util';

export const REPO = path.resolve(__dirname, '../..');

/** What the build and `npm pack` read: the manifest, what `files` names, and the build's sources. */
const PACKAGE_INPUTS = [
  'package.json',
  'README.md',
  'LICENSE',
  'tsconfig.json',
  'tsconfig.build.json',
  'bin',
  'esm',
  'src',
  'machines',
  'scripts/bundle-cli.js',
];

export interface PackedFile {
  path: string;
  size: number;
}

/** One entry of `npm pack --json`. */
export interface PackReport {
  filename: string;
  /** Bytes of the .tgz. */
  size: number;
  unpackedSize: number;
  files: PackedFile[];
}

export interface Packed {
  report: PackReport;
  /** The staging folder: the package's root, with the build in dist/. */
  folder: string;
  /** The .tgz, when it was written (not with dryRun). */
  tarball?: string;
  /** Removes the staging folder and the tarball. */
  cleanup(): void;
}

const run = promisify(execFile);

/** Runs npm; a failure is reported with everything npm and the scripts it ran printed (tsc reports on stdout). */
export async function npm(args: string[], cwd: string): Promise<{ stdout: string; stderr: string }> {
  try {
    return await run('npm', args, { cwd, maxBuffer: 64 * 1024 * 1024, env: { ...process.env, npm_config_update_notifier: 'false' } });
  } catch (e) {
    const { stdout, stderr } = e as { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}\n${stdout ?? ''}\n${stderr ?? ''}`, { cause: e });
  }
}

/** These tests need npm itself; where it is missing they are skipped, and nowhere else. */
export const npmIsInstalled = spawnSync('npm', ['--version'], { stdio: 'ignore' }).status === 0;

export async function packRepository(options: { dryRun: boolean }): Promise<Packed> {
  const stage = mkdtempSync(path.join(os.tmpdir(), 'cmpflow-pack-'));
  const cleanup = () => rmSync(stage, { recursive: true, force: true });
  try {
    for (const input of PACKAGE_INPUTS) cpSync(path.join(REPO, input), path.join(stage, input), { recursive: true });
    symlinkSync(path.join(REPO, 'node_modules'), path.join(stage, 'node_modules'), 'dir');
    const args = ['pack', '--json', '--pack-destination', stage, ...(options.dryRun ? ['--dry-run'] : [])];
    // The build's output goes to stderr; stdout is the JSON report alone.
    const { stdout } = await npm(args, stage);
    const [report] = JSON.parse(stdout) as PackReport[];
    if (!report) throw new Error(`npm pack reported nothing: ${stdout}`);
    return { report, folder: stage, ...(options.dryRun ? {} : { tarball: path.join(stage, report.filename) }), cleanup };
  } catch (e) {
    cleanup();
    throw e;
  }
}
