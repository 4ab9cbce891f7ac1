/**
 * `cmpflow -version`: the package's version, read when asked from the package.json of the
 * installation this file belongs to (found upwards from src/cli in the sources and from
 * dist/src/cli in the build), so that it cannot drift from what npm installed.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { CmpError, ErrorCodes } from '../errors';

const PACKAGE_NAME = 'cmpflow';

/** The version in the nearest package.json named cmpflow at or above `start`. */
export function packageVersion(start: string = __dirname): string {
  for (let dir = path.resolve(start); ; dir = path.dirname(dir)) {
    let text: string | undefined;
    try {
      text = readFileSync(path.join(dir, 'package.json'), 'utf8');
    } catch {
      text = undefined;
    }
    if (text !== undefined) {
      const pkg = JSON.parse(text) as { name?: unknown; version?: unknown };
      if (pkg.name === PACKAGE_NAME && typeof pkg.version === 'string') return pkg.version;
    }
    if (path.dirname(dir) === dir) throw new CmpError(ErrorCodes.ERR_INTERNAL, `cannot find the package.json of ${PACKAGE_NAME} above ${start}`);
  }
}

/** The -version line: `cmpflow X.Y.Z (Node.js vN; options and output of openssl cmp 3.0)`. */
export function versionText(): string {
  return `${PACKAGE_NAME} ${packageVersion()} (Node.js ${process.version}; options and output of openssl cmp 3.0)\n`;
}
