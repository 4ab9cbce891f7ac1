/**
 * Real responses of `openssl cmp -port 0`, changed one field at a time by a proxy and protected
 * again with the shared secret: each change must end in the CmpError of the check that owns that
 * field (or in a certificate where the field carries no obligation), never in another kind of
 * error, and without unhandled rejections.
 */
import { readFileSync } from 'fs';
import { X509Certificate } from '@peculiar/x509';
import { CmpClient } from '../../src/client';
import type { CmpClientOptions } from '../../src/options';
import { startMockServer, type MockServer } from '../support/openssl';
import { makeTestPki, TEST_DN, type TestPki } from '../support/pki';
import { startHostileServer, type HostileServer } from './hostile-server';
import { derOfPem, mutationCases, type MutationCase } from './mutations';
import { outcomeOf, settle, watchProcess, type ProcessWatch } from './watch';

const SECRET = 'mutating-proxy-secret';
let pki: TestPki;
let watch: ProcessWatch;
let cases: MutationCase[];

beforeAll(async () => {
  watch = watchProcess();
  pki = await makeTestPki();
  cases = mutationCases({
    secret: new TextEncoder().encode(SECRET),
    otherKeyCert: pki.client.certDer,
    foreignRoot: derOfPem(readFileSync(pki.root.certPath, 'utf8')).slice(),
  });
});
afterAll(async () => {
  watch?.stop();
  await pki?.cleanup();
});

async function mock(extra: string[] = []): Promise<MockServer> {
  return startMockServer([
    '-srv_ref',
    'mock-server',
    '-srv_secret',
    `pass:${SECRET}`,
    '-srv_cert',
    pki.server.certPath,
    '-srv_key',
    pki.server.keyPath,
    '-rsp_cert',
    pki.enrolled.certPath,
    '-rsp_extracerts',
    pki.chainPath,
    '-rsp_capubs',
    pki.trustedPath,
    ...extra,
  ]);
}

const options = (url: string): CmpClientOptions => ({
  server: url,
  ref: 'client-ref',
  secret: SECRET,
  newKey: pki.newKeyPath,
  subject: '/CN=mutation target',
  // The mock's responses name its certificate's subject as sender; checking it is opted into.
  expectSender: TEST_DN.server,
  msgTimeout: 5,
  totalTimeout: 20,
  keepAlive: 0,
});

const expectationOf = (c: MutationCase) => ('ok' in c.expect ? 'certificate' : c.expect.code);

describe('a mutating proxy in front of openssl cmp -port 0', () => {
  let upstream: MockServer;
  let proxy: HostileServer;
  beforeAll(async () => {
    upstream = await mock();
    proxy = await startHostileServer({ upstream: upstream.url, secret: new TextEncoder().encode(SECRET) });
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.stop();
  });

  it('lets an unmutated enrollment through (the baseline every mutation departs from)', async () => {
    proxy.script([]);
    const result = await new CmpClient(options(proxy.url)).ir();
    expect(result.certificate.equal(new X509Certificate(pki.enrolled.certPem))).toBe(true);
  });

  // Built lazily: the certificates the cases use exist only after beforeAll.
  const names = mutationCasesNames('ip');
  it.each(names)('ip with %s', async (name) => {
    const c = cases.find((x) => x.name === name)!;
    proxy.script([{ kind: 'mutate', mutation: c }]);
    const started = Date.now();
    const outcome = await outcomeOf(new CmpClient(options(proxy.url)).ir());
    await settle();
    expect('ok' in outcome ? 'certificate' : outcome.code).toBe(expectationOf(c));
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(watch.problems).toEqual([]);
  });
});

describe('a mutating proxy while polling', () => {
  const names = mutationCasesNames('pollRep');
  it.each(names)('%s', async (name) => {
    const c = cases.find((x) => x.name === name)!;
    // A fresh mock per case: it keeps the polling state of one transaction only.
    const upstream = await mock(['-poll_count', '2', '-check_after', '0']);
    const proxy = await startHostileServer({ upstream: upstream.url, secret: new TextEncoder().encode(SECRET) });
    try {
      // ir -> ip(waiting), then the first pollReq is answered by the mutated pollRep.
      proxy.script([{ kind: 'forward' }, { kind: 'mutate', mutation: c }]);
      const outcome = await outcomeOf(new CmpClient(options(proxy.url)).ir());
      await settle();
      expect('ok' in outcome ? 'certificate' : outcome.code).toBe(expectationOf(c));
      expect(proxy.exchanges.map((e) => e.requestBody).slice(0, 2)).toEqual(['ir', 'pollReq']);
      expect(watch.problems).toEqual([]);
    } finally {
      await proxy.close();
      await upstream.stop();
    }
  });
});

/** The case names of one target, known before the material exists (jest collects names first). */
function mutationCasesNames(target: MutationCase['target']): string[] {
  const placeholder = new Uint8Array(0);
  return mutationCases({ secret: placeholder, otherKeyCert: placeholder, foreignRoot: placeholder })
    .filter((c) => c.target === target)
    .map((c) => c.name);
}
