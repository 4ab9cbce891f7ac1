/**
 * Each mode of the command loads only the modules it runs: -help none of the client, server or
 * ASN.1 code; `dump` the message codec but no client or server; a client run no embedded server
 * and no session files. Start-up is most of what a short `cmpflow` run costs. Checked in a child
 * process (from the sources, as run-support spawns the command), where require.cache is real.
 */
import { execFile } from 'child_process';
import * as path from 'path';
import { runCmp } from '../support/openssl';
import { scratchDir } from './run-support';

const ROOT = path.join(__dirname, '../..');

function loadedBy(argv: string[]): Promise<{ code: number; modules: string[]; builtins: string[] }> {
  return new Promise((resolve, reject) => {
    execFile(
      process.execPath,
      ['-r', require.resolve('ts-node/register/transpile-only'), path.join(__dirname, 'loaded-modules.ts'), ...argv],
      { cwd: ROOT, env: { ...process.env, TS_NODE_PROJECT: path.join(ROOT, 'tsconfig.json') } },
      (error, stdout, stderr) =>
        error
          ? reject(new Error(`${error.message}\n${stderr}`))
          : resolve(JSON.parse(stdout) as { code: number; modules: string[]; builtins: string[] }),
    );
  });
}

const under = (modules: string[], prefix: string) => modules.filter((m) => m.startsWith(prefix));
const packages = (modules: string[], name: string) => modules.filter((m) => m.includes(`node_modules/${name}/`));

describe('cmpflow loads what the command needs', () => {
  it('prints -help without loading the client, the server, the option checks or any ASN.1 library', async () => {
    const { code, modules } = await loadedBy(['-help']);
    expect(code).toBe(0);
    for (const dir of ['src/client/', 'src/server/', 'src/asn1/', 'src/transport/', 'src/session/', 'machines/'])
      expect(under(modules, dir)).toEqual([]);
    expect(modules).not.toContain('src/cli/options.ts');
    for (const pkg of ['@peculiar/x509', '@peculiar/asn1-schema', 'asn1js', 'xstate', 'axios']) expect(packages(modules, pkg)).toEqual([]);
  });

  it('dumps a message file without loading the client or the server', async () => {
    // openssl writes the request before it finds that nothing listens on port 1.
    const file = path.join(scratchDir(), 'genm.der');
    await runCmp(['-cmd', 'genm', '-server', '127.0.0.1:1', '-ref', 'r', '-secret', 'pass:s', '-recipient', '/CN=CA', '-reqout', file]);
    const { code, modules } = await loadedBy(['dump', file]);
    expect(code).toBe(0);
    expect(modules).toContain('src/asn1/dump.ts');
    for (const dir of ['src/client/', 'src/server/', 'src/transport/', 'machines/']) expect(under(modules, dir)).toEqual([]);
    expect(packages(modules, 'xstate')).toEqual([]);
  });

  it('runs a client command without loading the embedded server, the session files, dump or the post-quantum algorithms', async () => {
    // Port 1 on loopback refuses the connection: the command fails after loading all it runs with.
    const { code, modules, builtins } = await loadedBy([
      '-config',
      '',
      '-server',
      '127.0.0.1:1',
      '-ref',
      'r',
      '-secret',
      'pass:s',
      '-recipient',
      '/CN=CA',
      '-cmd',
      'genm',
      '-verbosity',
      '3',
    ]);
    expect(code).toBe(1);
    expect(modules).toContain('src/client/client.ts');
    expect(under(modules, 'src/server/')).toEqual([]);
    for (const file of ['src/cli/server-command.ts', 'src/cli/session-command.ts', 'src/cli/dump-command.ts']) expect(modules).not.toContain(file);
    // @noble's ML-DSA and ML-KEM load when a key of theirs is used (each about 17 ms of start-up).
    expect(packages(modules, '@noble/post-quantum')).toEqual([]);
    // Plain HTTP goes over node:net: node:http, node:https and node:tls (and the proxy tunnel
    // agent) load only for TLS.
    expect(builtins.filter((m) => m === 'http' || m === 'https' || m === 'tls')).toEqual([]);
    expect(modules).not.toContain('src/transport/connect-tunnel-agent.ts');
    expect(builtins).toContain('net');
  });
});
