import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHttpTransfer } from '../../src/transport';

/**
 * The transfer against OpenSSL's own CMP server (`openssl cmp -port 0`): a genm that `openssl cmp`
 * built offline is sent over HTTP, and OpenSSL's parser must find a genp in what comes back.
 */

let dir: string;
let server: ChildProcess | undefined;
let port: number;

function startMockServer(): Promise<number> {
  return new Promise((resolve, reject) => {
    server = spawn('openssl', ['cmp', '-port', '0', '-srv_ref', '1234', '-srv_secret', 'pass:interop-secret'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      const m = /ACCEPT \S*:(\d+) PID=/.exec(output);
      if (m) resolve(Number(m[1]));
    };
    server.stdout?.on('data', onData);
    server.stderr?.on('data', onData);
    server.once('error', reject);
    server.once('exit', (code) => reject(new Error(`openssl cmp mock server exited (${code}): ${output}`)));
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'cmpflow-interop-'));
  // Built against OpenSSL's in-process mock server, only to obtain a valid PBM-protected genm.
  execFileSync(
    'openssl',
    [
      'cmp',
      '-cmd',
      'genm',
      '-use_mock_srv',
      '-ref',
      '1234',
      '-secret',
      'pass:interop-secret',
      '-srv_ref',
      '1234',
      '-srv_secret',
      'pass:interop-secret',
      '-recipient',
      '/CN=mock',
      '-reqout',
      'genm.der',
    ],
    { cwd: dir, stdio: 'pipe' },
  );
  port = await startMockServer();
});

afterAll(() => {
  if (server?.pid !== undefined && server.exitCode === null) server.kill();
  rmSync(dir, { recursive: true, force: true });
});

it('exchanges a real genm for a genp with the openssl cmp mock server', async () => {
  const transfer = createHttpTransfer({ server: `127.0.0.1:${port}/pkix/`, env: {} });
  try {
    const response = await transfer(new Uint8Array(readFileSync(join(dir, 'genm.der'))), { bodyType: 'genm', timeoutMs: 10_000 });
    writeFileSync(join(dir, 'genp.der'), response);
    const parsed = execFileSync('openssl', ['asn1parse', '-inform', 'DER', '-in', 'genp.der'], { cwd: dir }).toString();
    // PKIBody genp is [22]; it follows the header as the second element of the PKIMessage.
    expect(parsed).toMatch(/d=1 .*cont \[ 22 \]/);
  } finally {
    transfer.close();
  }
});
