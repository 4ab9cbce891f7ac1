/**
 * One aspect's replay as OpenSSL's 80-test_cmp_http.t (and run.sh) does it: a private copy of the
 * Mock folder, the real `openssl cmp -config server.cnf -port 0` mock server started in it, and
 * rows run one after the other with the Mock copy as working directory (the server answers one
 * connection at a time, and later rows read files earlier rows wrote).
 *
 * cmpflow runs in this process through main() (171 child processes would cost minutes); with
 * CMP_ROWS_CLIENT=openssl the rows run the real `openssl cmp` instead, which must pass them all —
 * the proof that the replay is faithful. Rows are expanded twice: lane `main` writes into `res/`,
 * lane `reference` into `res-openssl/`, where `openssl cmp` runs a row again so that the files the
 * two clients wrote can be compared.
 */
import { cpSync, mkdirSync, mkdtempSync, rmSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { main } from '../../src/cli/main';
import { runOpenSsl, startMockServer, type MockServer } from '../support/openssl';
import { loadRows, MOCK_DIR, type Aspect, type Row } from './rows';
import { outputFiles, snapshot, writtenSince, type WrittenFile } from './written-files';

export type ClientName = 'cmpflow' | 'openssl';
export type Lane = 'main' | 'reference';

/** The client under test: CMP_ROWS_CLIENT=openssl checks the harness itself. */
export function clientFromEnv(env: NodeJS.ProcessEnv = process.env): ClientName {
  const name = env.CMP_ROWS_CLIENT ?? 'cmpflow';
  if (name !== 'cmpflow' && name !== 'openssl') throw new Error(`CMP_ROWS_CLIENT must be cmpflow or openssl, not ${name}`);
  return name;
}

/** Per row, like replay.py's CMP_ROW_TIMEOUT (there 60 s; no row needs more than 8 s from openssl cmp). */
export const ROW_TIMEOUT_MS = Number(process.env.CMP_ROW_TIMEOUT ?? '20') * 1000;

export interface RowRun {
  client: ClientName;
  row: Row;
  code: number | 'timeout';
  stderr: string;
  /** cmpflow's `cmpflow: error:` lines; for openssl cmp, its lines that mention an error. */
  errors: string[];
  written: WrittenFile[];
  ms: number;
}

/** The first line worth reporting for a failed run. */
export function firstError(run: RowRun): string {
  if (run.code === 'timeout') return `no result within ${ROW_TIMEOUT_MS / 1000} s`;
  return run.errors[0] ?? run.stderr.split('\n').find((l) => l.trim() !== '') ?? '(nothing on stderr)';
}

interface Output {
  write(chunk: string | Uint8Array): boolean;
}

function collector(): { stream: Output; text: () => string } {
  let text = '';
  return {
    stream: { write: (chunk) => ((text += typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8')), true) },
    text: () => text,
  };
}

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T | 'timeout'> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<'timeout'>((resolve) => {
    timer = setTimeout(() => resolve('timeout'), ms);
  });
  return Promise.race([work, expired]).finally(() => clearTimeout(timer));
}

export class RowReplay {
  private readonly lanes = new Map<Lane, Row[]>();

  private constructor(
    readonly aspect: Aspect,
    /** The temporary folder holding Mock/, res/ and res-openssl/. */
    readonly dir: string,
    readonly server: MockServer,
  ) {
    for (const [lane, folder] of [
      ['main', 'res'],
      ['reference', 'res-openssl'],
    ] as const) {
      this.lanes.set(lane, loadRows(aspect, { host: '127.0.0.1', port: server.port, resultDir: path.join(dir, folder) }));
    }
  }

  get mockDir(): string {
    return path.join(this.dir, 'Mock');
  }

  static async start(aspect: Aspect): Promise<RowReplay> {
    const dir = mkdtempSync(path.join(os.tmpdir(), `cmpflow-rows-${aspect}-`));
    try {
      // The rows name the client configuration as ../Mock/test.cnf: the copy keeps the folder name.
      cpSync(MOCK_DIR, path.join(dir, 'Mock'), { recursive: true });
      mkdirSync(path.join(dir, 'res'));
      mkdirSync(path.join(dir, 'res-openssl'));
      // startMockServer puts `-config ''` first; the later -config wins, as in `openssl cmp -config server.cnf -port 0`.
      const server = await startMockServer(['-config', 'server.cnf'], { cwd: path.join(dir, 'Mock') });
      return new RowReplay(aspect, dir, server);
    } catch (e) {
      rmSync(dir, { recursive: true, force: true });
      throw e;
    }
  }

  rows(lane: Lane = 'main'): Row[] {
    return this.lanes.get(lane)!;
  }

  row(n: number, lane: Lane = 'main'): Row {
    const row = this.rows(lane)[n - 1];
    if (!row) throw new Error(`${this.aspect} has no row ${n}`);
    return row;
  }

  resultDir(lane: Lane): string {
    return path.join(this.dir, lane === 'main' ? 'res' : 'res-openssl');
  }

  /** Runs `row` with `client` in the Mock copy and reports its exit status, errors and the files it wrote. */
  async run(row: Row, client: ClientName, lane: Lane = 'main'): Promise<RowRun> {
    const cwd = this.mockDir;
    const before = snapshot(outputFiles(row.argv), cwd);
    const t0 = Date.now();
    let code: number | 'timeout';
    let stderr: string;
    let errors: string[];
    if (client === 'cmpflow') {
      const out = collector();
      const err = collector();
      code = await withTimeout(main(row.argv, { stdout: out.stream, stderr: err.stream, env: { ...process.env }, cwd }), ROW_TIMEOUT_MS);
      stderr = err.text();
      errors = stderr.split('\n').filter((l) => l.startsWith('cmpflow: error:'));
    } else {
      try {
        const r = await runOpenSsl(['cmp', ...row.argv], { cwd, timeoutMs: ROW_TIMEOUT_MS });
        code = r.code;
        stderr = r.stderr;
      } catch {
        code = 'timeout';
        stderr = '';
      }
      errors = stderr.split('\n').filter((l) => /error/i.test(l));
    }
    return { client, row, code, stderr, errors, written: writtenSince(before, cwd, this.resultDir(lane)), ms: Date.now() - t0 };
  }

  async stop(): Promise<void> {
    await this.server.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }
}
