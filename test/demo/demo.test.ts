/**
 * The main job (`npm run demo`) runs as the README promises: every step against the embedded CA,
 * each machine's states shown, a certificate printed, and nothing left listening.
 */
import { X509Certificate } from '@peculiar/x509';
import { runDemo } from '../../scripts/demo';

it('enrolls, re-enrolls, updates, asks for CA certificates and revokes against the embedded CA', async () => {
  const lines: string[] = [];
  await runDemo((line) => lines.push(line));
  const text = lines.join('\n');
  for (const step of ['1. ir', '2. cr', '3. kur', '4. genm', '5. rr']) expect(text).toContain(step);
  // The ir waits for one poll round, then is confirmed.
  expect(text).toMatch(/ir +waiting\n {2}ir +polling\.building[\s\S]*ir +confirming\.checking\n {2}ir +confirmed/);
  expect(text).toMatch(/rr +done\n {2}revocation accepted/);
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(text)![0];
  expect(new X509Certificate(pem).subject).toBe('CN=device-4711 tls, O=cmpflow demo');
  expect(text).toMatch(/done in \d+\.\d s/);
});
