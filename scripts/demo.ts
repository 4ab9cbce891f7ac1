/**
 * The main job: a throwaway CA on a free loopback port, and one device's life against it:
 *   1. ir with a shared secret (PBM), answered `waiting` once, then polled, certConf, pkiConf
 *   2. cr signed with the certificate just issued
 *   3. kur to a fresh key
 *   4. genm for the CA certificates
 *   5. rr of the first certificate
 * Each session's states are printed as the machines enter them. Everything lives in memory and is
 * gone when the script ends.
 */
import 'reflect-metadata';
import type { X509Certificate } from '@peculiar/x509';
import { CmpClient, type EnrollmentResult } from '../src/client';
import { getCryptoProvider } from '../src/crypto';
import { encodePem } from '../src/credentials';
import type { CmpClientOptions } from '../src/options';
import { createCmpServer, createThrowawayCa, listen } from '../src/server';

const SECRET = 'demo one-time password';
const REF = 'device-4711';

/** Prints each new state of each session machine, from the (sanitised) inspection events. */
function stateTracer(out: (line: string) => void, label: string): (event: unknown) => void {
  let last = '';
  return (event) => {
    const e = event as { type?: string; snapshot?: { value?: unknown; status?: string }; actorRef?: { id?: string } };
    if (e.type !== '@xstate.snapshot' || e.snapshot?.value === undefined) return;
    const value = e.snapshot.value;
    const state = typeof value === 'string' ? value : JSON.stringify(value).replace(/[{}"]/g, '').replace(/:/g, '.');
    if (state === last) return;
    last = state;
    out(`  ${label.padEnd(5)} ${state}`);
  };
}

function summary(cert: X509Certificate): string {
  return `subject "${cert.subject}", serial ${cert.serialNumber}, issued by "${cert.issuer}", valid until ${cert.notAfter.toISOString()}`;
}

/** Runs the whole demo, printing through `out`; resolves when everything is shut down. */
export async function runDemo(out: (line: string) => void = (line) => process.stdout.write(`${line}\n`)): Promise<void> {
  const started = Date.now();
  const ca = await createThrowawayCa();
  const server = createCmpServer({
    ...ca.serverConfig(),
    secrets: [{ ref: REF, secret: SECRET }],
    // The device may hold two names; the CA refuses any other to whoever knows its secret or holds its certificates.
    policy: { references: [{ ref: REF, subjects: ['/CN=device-4711/O=cmpflow demo', '/CN=device-4711 tls/O=cmpflow demo'] }] },
    pollCount: 1,
    checkAfter: 1,
  });
  const listener = await listen(server);
  out(`embedded CA listening at ${listener.url}`);
  out(`  CA "${ca.ca.cert.subject}", CMP server "${ca.server.cert.subject}"`);

  const provider = getCryptoProvider();
  const base: CmpClientOptions = { server: listener.url, trusted: [ca.ca.cert], msgTimeout: 10 };
  const session = (label: string, options: CmpClientOptions) => new CmpClient({ ...base, ...options, inspect: stateTracer(out, label) });

  try {
    out('\n1. ir, protected with the shared secret (PBM)');
    const firstKey = await provider.generateKey({ type: 'ec', curve: 'P-256' });
    const first: EnrollmentResult = await session('ir', {
      ref: REF,
      secret: SECRET,
      newKey: firstKey,
      subject: '/CN=device-4711/O=cmpflow demo',
    }).ir();
    out(`  got ${summary(first.certificate)} after ${first.polls} poll(s); caPubs: ${first.caPubs.length}`);

    out('\n2. cr, signed with the certificate from step 1');
    const secondKey = await provider.generateKey({ type: 'ec', curve: 'P-256' });
    const second = await session('cr', {
      cert: first.certificate,
      key: firstKey,
      newKey: secondKey,
      subject: '/CN=device-4711 tls/O=cmpflow demo',
    }).cr();
    out(`  got ${summary(second.certificate)}`);

    out('\n3. kur of the certificate from step 2 to a fresh key');
    const thirdKey = await provider.generateKey({ type: 'ec', curve: 'P-256' });
    const third = await session('kur', { cert: second.certificate, key: secondKey, oldCert: second.certificate, newKey: thirdKey }).kur();
    out(`  got ${summary(third.certificate)}`);

    out('\n4. genm for the CA certificates (RFC 9480 caCerts)');
    const caCerts = await session('genm', { cert: third.certificate, key: thirdKey }).getCaCerts();
    out(`  ${caCerts.length} CA certificate(s): ${caCerts.map((c) => `"${c.subject}"`).join(', ')}`);

    out('\n5. rr of the certificate from step 1');
    // RFC 9483 4.2: a revocation request is signed with the certificate to be revoked.
    const revoked = await session('rr', { cert: first.certificate, key: firstKey, oldCert: first.certificate, revReason: 4 }).rr();
    out(`  revocation ${revoked.statusName}`);

    out('\nThe certificate from step 3, as issued:');
    out(encodePem('CERTIFICATE', new Uint8Array(third.certificate.rawData)).trimEnd());
    out(summary(third.certificate));
    out(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  } finally {
    await listener.close();
    await ca.cleanup();
  }
}

if (require.main === module) {
  runDemo().catch((e: unknown) => {
    const err = e as { code?: string; message?: string };
    process.stderr.write(`demo failed: ${err.code ?? ''} ${err.message ?? String(e)}\n`);
    process.exitCode = 1;
  });
}
