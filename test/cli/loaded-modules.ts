/**
 * Child-process fixture for module-loading.test.ts: runs main() with the given arguments (output
 * discarded) and prints, as JSON on stdout, its exit status and every module the process loaded,
 * as paths relative to the repository, and the names of Node's built-in modules it loaded.
 */
import 'reflect-metadata';
import * as path from 'path';
import { main } from '../../src/cli/main';

const ROOT = path.join(__dirname, '../..');
const sink = { write: () => true };

void main(process.argv.slice(2), { stdout: sink, stderr: sink, env: {}, cwd: process.cwd() }).then((code) => {
  const modules = Object.keys(require.cache).map((file) => path.relative(ROOT, file));
  // Node's own modules (node:https, node:tls, ...) are not in require.cache.
  const loadList = (process as unknown as { moduleLoadList: string[] }).moduleLoadList;
  const builtins = loadList.filter((m) => m.startsWith('NativeModule ')).map((m) => m.slice('NativeModule '.length));
  process.stdout.write(JSON.stringify({ code, modules, builtins }));
});
