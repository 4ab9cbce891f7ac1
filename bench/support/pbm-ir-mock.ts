/**
 * The floor benches' common ground: a throwaway PKI, one `openssl cmp -port 0` mock started as the
 * openssl comparison starts it, and the client options of its PBM IR scenario. The mock is stopped
 * when `body` ends, however it ends.
 */
import type { CmpClientOptions } from '../../src/options';
import { makeTestPki, type TestPki } from '../../test/support/pki';
import { startMockServer, type MockServer } from '../../test/support/openssl';
import { mockServerArgs, scenarios } from '../openssl-comparison';

export async function withPbmIrMock<T>(body: (pbmIr: { pki: TestPki; options: CmpClientOptions; mock: MockServer }) => Promise<T>): Promise<T> {
  const pki = await makeTestPki();
  const mock = await startMockServer(mockServerArgs(pki), { cwd: pki.dir });
  try {
    const options = scenarios.find((s) => s.name === 'IR, PBM')!.options(pki, `127.0.0.1:${mock.port}/pkix/`);
    return await body({ pki, options, mock });
  } finally {
    await mock.stop();
  }
}
