import { makeTestPki } from './pki';
import { promises as fs } from 'fs';
(async () => {
  const p = await makeTestPki();
  await fs.cp(p.dir, '/tmp/exp/pki', { recursive: true });
  await p.cleanup();
})();
