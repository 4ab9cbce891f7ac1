/**
 * `cmpflow` in server mode (-port) run in this process, for tests that point clients at it: started,
 * its ACCEPT line awaited, stopped through the stop signal a process would get from SIGTERM.
 */
import { readFileSync } from 'fs';
import * as path from 'path';
import { X509Certificate } from '@peculiar/x509';
import { main } from '../../src/cli/main';
import { parsePem } from '../../src/credentials/pem';
import { scratchDir } from '../cli/run-support';
import { makeTestPki, type TestPki } from './pki';

export interface RunningServer {
  url: string;
  acceptLine: string;
  stderr(): string;
  stop(): void;
  exit: Promise<number>;
}

/** Starts `cmpflow -config '' <args>` in server mode and waits for its ACCEPT line (pid shown as 4242). */
export async function serveCli(args: string[], cwd: string): Promise<RunningServer> {
  let stdout = '';
  let stderr = '';
  const controller = new AbortController();
  let announced!: (line: string) => void;
  const accept = new Promise<string>((resolve) => (announced = resolve));
  const exit = main(['-config', '', ...args], {
    stdout: {
      write(chunk) {
        stdout += chunk.toString();
        const line = /^ACCEPT .*$/m.exec(stdout)?.[0];
        if (line) announced(line);
        return true;
      },
    },
    stderr: { write: (chunk) => (stderr += chunk.toString()) },
    env: {},
    cwd,
    stopSignal: () => controller.signal,
    pid: 4242,
  });
  const acceptLine = await Promise.race([accept, exit.then((code) => Promise.reject(new Error(`server exited ${code}: ${stderr}`)))]);
  const port = /:(\d+) /.exec(acceptLine)![1];
  return { url: `http://127.0.0.1:${port}/pkix/`, acceptLine, stderr: () => stderr, stop: () => controller.abort(), exit };
}

/** The first certificate of a PEM file. */
export const certIn = (certFile: string) => new X509Certificate(new Uint8Array(parsePem(readFileSync(certFile, 'utf8'))[0]!.der));

/** A test PKI (makeTestPki) and a scratch folder for the test file, made before its tests and removed after. */
export function usePkiAndScratch(): { readonly pki: TestPki; readonly dir: string; file(name: string): string } {
  let pki: TestPki | undefined;
  let dir: string | undefined;
  beforeAll(async () => {
    pki = await makeTestPki();
    dir = scratchDir();
  });
  afterAll(async () => pki?.cleanup());
  return {
    get pki() {
      return pki!;
    },
    get dir() {
      return dir!;
    },
    file: (name) => path.join(dir!, name),
  };
}
