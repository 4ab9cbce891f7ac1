/**
 * The command opens standard input only when something is to be read from it: `-secret stdin`
 * reads the pass phrase from there, while a run whose pass phrases come from elsewhere never
 * touches process.stdin (creating that stream costs a client run about 3 ms of start-up).
 */
import { generateKeyPairSync } from 'crypto';
import { writeFileSync } from 'fs';
import * as path from 'path';
import { Readable } from 'stream';
import { main, type CliIo } from '../../src/cli/main';
import { scratchDir } from './run-support';

const SECRET = 'stdin-on-demand secret';
let dir: string;

beforeAll(() => {
  dir = scratchDir();
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(path.join(dir, 'new.key'), privateKey.export({ type: 'pkcs8', format: 'pem' }));
});

/** Runs an IR against the embedded CA with `-secret <source>`; `stdin` is what standard input holds. */
async function irWithSecret(source: string, stdin: string): Promise<{ code: number; stderr: string; stdinOpened: boolean }> {
  let stderr = '';
  let stdinOpened = false;
  const io: CliIo = {
    stdout: { write: () => true },
    stderr: { write: (s: string | Uint8Array) => ((stderr += String(s)), true) },
    get stdin() {
      stdinOpened = true;
      return Readable.from([stdin]);
    },
    env: {},
    cwd: dir,
  };
  const argv = ['-config', '', '-cmd', 'ir', '-use_mock_srv', '-srv_ref', 'ca', '-srv_secret', `pass:${SECRET}`, '-ref', 'ca', '-secret', source];
  const code = await main([...argv, '-newkey', 'new.key', '-subject', '/CN=stdin', '-certout', `${source.replace(/\W/g, '')}.pem`], io);
  return { code, stderr, stdinOpened };
}

it('-secret stdin reads the PBM secret from standard input and enrolls', async () => {
  const run = await irWithSecret('stdin', `${SECRET}\n`);
  expect({ code: run.code, stdinOpened: run.stdinOpened }).toEqual({ code: 0, stdinOpened: true });
});

it('a run whose secret comes from pass: never opens standard input', async () => {
  const run = await irWithSecret(`pass:${SECRET}`, 'never read\n');
  expect({ code: run.code, stdinOpened: run.stdinOpened }).toEqual({ code: 0, stdinOpened: false });
});
