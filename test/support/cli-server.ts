/**
 * `cmpflow` in server mode (-port) run in this process, for tests that point clients at it: started,
 * its ACCEPT line awaited, stopped through the stop signal a process would get from SIGTERM.
 */
import { readFileSync } from 'fs';
import { X509Certificate } from '@peculiar/x509';
import { main } from '../../src/cli/main';
import { parsePem } from '../../src/credentials/pem';

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
