import { cmpflow } from '../run-support';
import { startMockServer } from '../../support/openssl';
import { readFileSync, existsSync } from 'fs';
it('peek', async () => {
  const d = process.env.D!;
  const server = await startMockServer(['-srv_ref','mock','-srv_secret','pass:abc','-rsp_cert','/tmp/osslt/c.pem','-poll_count','3','-check_after','1']);
  const creds = ['-config','','-recipient','/CN=CA','-ref','r','-secret','pass:abc','-server',server.url,'-keep_alive','0'];
  let r = await cmpflow([...creds,'-cmd','ir','-newkey','/tmp/osslt/k.pem','-subject','/CN=x','-certout',d+'/o.pem','-session',d+'/s.json','-nowait']);
  console.log(r.code, JSON.stringify(r.stderrLines));
  console.log(readFileSync(d+'/s.json','utf8'));
  for (let i = 0; i < 4 && r.code === 3; i++) {
    r = await cmpflow([...creds,'-resume',d+'/s.json','-nowait']);
    console.log(r.code, JSON.stringify(r.stderrLines), existsSync(d+'/s.json'));
  }
  console.log(server.log());
  await server.stop();
});
