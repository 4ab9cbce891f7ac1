/**
 * pkcs11js is an optional dependency with a native addon: the library's root entry and every
 * key that is not a pkcs11: URI work without loading it, so installs where it did not build lose
 * only token keys.
 */
import { execFileSync } from 'child_process';
import * as path from 'path';

const ROOT = path.join(__dirname, '../..');

it('the root entry and a key loaded from a file never load the pkcs11js binding', () => {
  const script = `
    const cmpflow = require('./src/index.ts');
    const { execFileSync } = require('child_process');
    const pem = execFileSync('openssl', ['genpkey', '-algorithm', 'EC', '-pkeyopt', 'ec_paramgen_curve:P-256'], { encoding: 'utf8' });
    cmpflow.loadPrivateKey(pem).then((key) => {
      const loaded = Object.keys(require.cache).filter((f) => f.includes('pkcs11js'));
      console.log(JSON.stringify({ keyType: key.keyType, loaded }));
    });
  `;
  const out = execFileSync(process.execPath, ['-r', 'reflect-metadata', '-r', require.resolve('ts-node/register/transpile-only'), '-e', script], {
    cwd: ROOT,
    env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') },
    encoding: 'utf8',
  });
  expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ keyType: 'ec', loaded: [] });
});
