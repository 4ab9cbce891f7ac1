import { CmpClient } from '../../src/client';
import { startMockServer } from '../support/openssl';
import { makeTestPki, TEST_DN } from '../support/pki';
import { startHostileServer } from './hostile-server';
import { mutationCases } from './mutations';
import { outcomeOf } from './watch';
it('dbg', async () => {
  const pki = await makeTestPki();
  const SECRET='s';
  const up = await startMockServer(['-srv_ref', 'mock-server', '-srv_secret', `pass:${SECRET}`,'-srv_cert', pki.server.certPath, '-srv_key', pki.server.keyPath,'-rsp_cert', pki.enrolled.certPath, '-rsp_extracerts', pki.chainPath, '-rsp_capubs', pki.trustedPath]);
  const proxy = await startHostileServer({ upstream: up.url, secret: new TextEncoder().encode(SECRET) });
  const c = mutationCases({ secret: new TextEncoder().encode(SECRET), otherKeyCert: pki.client.certDer, foreignRoot: pki.root.certDer }).find((x) => x.name === 'certificate for another key')!;
  proxy.script([{ kind: 'mutate', mutation: c }]);
  const o = await outcomeOf(new CmpClient({ server: proxy.url, ref: 'r', secret: SECRET, newKey: pki.newKeyPath, subject: '/CN=x', expectSender: TEST_DN.server, keepAlive: 0 }).ir());
  console.log(o, proxy.exchanges.map(e=>e.requestBody), up.log().slice(-1500));
  await proxy.close(); await up.stop(); await pki.cleanup();
});
