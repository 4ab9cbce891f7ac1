/**
 * A `pass:` secret on the command line leaves the process list once cmpflow has read its
 * arguments, as `openssl cmp` wipes it; where that cannot be confirmed, one warning points to
 * env: and file:.
 */
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import type { AddressInfo } from 'node:net';
import { hideSecretArguments, literalSecretIndexes, type ProcessArgs } from '../../src/cli/argv-secrets';
import { spawnCmpflow } from './run-support';

const SECRET = 'pass:Very-Secret-Value-4711';

describe('secrets in the process list', () => {
  let silent: Server;
  let port: number;
  beforeAll(async () => {
    // Accepts connections and never answers: the client waits, and its process list entry can be read.
    silent = createServer(() => undefined);
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    port = (silent.address() as AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise<void>((resolve) => silent.close(() => resolve()));
  });

  it('are gone from /proc/PID/cmdline of a running cmpflow, the other arguments still shown', async () => {
    const run = spawnCmpflow(['-cmd', 'genm', '-server', `127.0.0.1:${port}`, '-ref', 'fleet', '-secret', SECRET, '-msg_timeout', '20']);
    try {
      let cmdline = '';
      // While node starts, the arguments are still the original NUL-separated ones, secret included.
      for (let i = 0; i < 200 && !cmdline.includes('-msg_timeout 20'); i++) {
        await new Promise((r) => setTimeout(r, 50));
        cmdline = readFileSync(`/proc/${run.child.pid}/cmdline`, 'latin1').replace(/\0+$/, '');
      }
      expect(cmdline).toContain(`-server 127.0.0.1:${port} -ref fleet -secret  -msg_timeout 20`);
      expect(cmdline).not.toContain('Very-Secret-Value');
      expect(run.stderr()).not.toContain('warning');
    } finally {
      run.child.kill('SIGKILL');
      await run.done;
    }
  }, 30_000);
});

describe('finding and hiding literal secrets', () => {
  it('finds the values of pass phrase options, but not env:, file:, fd: or stdin sources, nor other options', () => {
    const argv = [
      '-secret',
      'pass:a',
      '-keypass',
      'env:KEY_PASS',
      '-srv_secret',
      'pass:b',
      '-otherpass',
      'file:/p',
      '-newkeypass',
      'stdin',
      '-ref',
      'pass:c',
    ];
    expect(literalSecretIndexes(argv)).toEqual([1, 5]);
  });

  function fakeProcess(argv: string[], cmdline: (title: string) => string | undefined): ProcessArgs & { title?: string } {
    const proc: ProcessArgs & { title?: string } = {
      argv,
      setTitle: (title) => {
        proc.title = title;
      },
      readCmdline: () => cmdline(proc.title ?? argv.join('\0')),
    };
    return proc;
  }

  it('sets a title without the secret and stays quiet when the process list no longer shows it', () => {
    const proc = fakeProcess(['node', 'cmpflow', '-secret', 'pass:x', '-ref', 'r'], (title) => title);
    expect(hideSecretArguments(proc)).toBeUndefined();
    expect(proc.title).toBe('node cmpflow -secret  -ref r');
  });

  it('warns once, naming the options and pointing to env: and file:, where the process list still shows the secret or cannot be read', () => {
    const unchanged = fakeProcess(
      ['node', 'cmpflow', '-secret', 'pass:x', '-keypass', 'pass:y'],
      () => 'node\0cmpflow\0-secret\0pass:x\0-keypass\0pass:y',
    );
    expect(hideSecretArguments(unchanged)).toMatch(/\(-secret, -keypass\).*env:VARIABLE or file:PATH/);
    const unreadable = fakeProcess(['node', 'cmpflow', '-secret', 'pass:x'], () => undefined);
    expect(hideSecretArguments(unreadable)).toContain('-secret');
  });

  it('does nothing without literal secrets', () => {
    const proc = fakeProcess(['node', 'cmpflow', '-secret', 'env:S'], () => undefined);
    expect(hideSecretArguments(proc)).toBeUndefined();
    expect(proc.title).toBeUndefined();
  });
});
