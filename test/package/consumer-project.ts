/**
 * A new user's project: strict TypeScript with `module`/`moduleResolution: nodenext`, ES modules
 * and a CommonJS module that each start the embedded CA (cmpflow/server) on a free loopback port
 * and enroll a certificate from it, through nothing but the installed package's public entry
 * points: the ES module with CmpClient over its own transfer, which names each response with
 * cmpflow/asn1; the CommonJS module with CmpClient and with the enrollment machine of
 * cmpflow/machines. A third file imports every entry under the older `moduleResolution: node10`.
 * Kept as text because the repository's own tsconfig (CommonJS, node resolution) would otherwise
 * compile these files as part of the tests.
 *
 * first-steps.mts and .mjs are the README's example as printed there. enroll.mts and enroll.cts print one
 * JSON line: what they got, and where `xstate` resolves from the application and from cmpflow
 * (one copy means one file).
 */
import { readFileSync } from 'fs';
import * as path from 'path';

export const SHARED_SECRET_REF = 'first-consumer';

/** The README's marker for the library's first steps, which the project holds as TypeScript and as plain JavaScript. */
export const README_BLOCK = /<!-- test\/package runs this block as first-steps\.mts, and as first-steps\.mjs -->\n```ts\n([\s\S]*?)```/;

const readme = () => readFileSync(path.resolve(__dirname, '../../README.md'), 'utf8');

export function readmeFirstSteps(): string {
  const block = README_BLOCK.exec(readme())?.[1];
  if (!block) throw new Error('README.md has no block marked as first-steps.mts');
  return block;
}

/** The README's shell commands for one terminal of the command line's first steps. */
export function readmeTerminal(terminal: 1 | 2): string {
  const marker = `<!-- test/package runs this block as terminal ${terminal} -->\n\`\`\`sh\n`;
  const text = readme();
  const start = text.indexOf(marker);
  if (start < 0) throw new Error(`README.md has no block marked as terminal ${terminal}`);
  const body = text.slice(start + marker.length);
  return body.slice(0, body.indexOf('```'));
}

/** Every entry point of the package, as a user imports it. */
export const ENTRY_POINTS = ['cmpflow', 'cmpflow/machines', 'cmpflow/asn1', 'cmpflow/server', 'cmpflow/axios', 'cmpflow/fleet'];

const compilerOptions = { strict: true, target: 'ES2022', types: ['node'], skipLibCheck: false };

export const consumerFiles: Record<string, string> = {
  'first-steps.mts': readmeFirstSteps(),
  'first-steps.mjs': readmeFirstSteps(),

  'tsconfig.json': `${JSON.stringify(
    {
      compilerOptions: { ...compilerOptions, module: 'nodenext', moduleResolution: 'nodenext', outDir: 'out' },
      files: ['first-steps.mts', 'enroll.mts', 'enroll.cts'],
    },
    null,
    2,
  )}\n`,

  // TypeScript's resolution before package exports: the subpaths resolve through typesVersions.
  'tsconfig.node10.json': `${JSON.stringify(
    { compilerOptions: { ...compilerOptions, module: 'commonjs', moduleResolution: 'node10', noEmit: true }, files: ['entries-node10.ts'] },
    null,
    2,
  )}\n`,

  'entries-node10.ts': `import { CmpClient, isCmpError, type CmpClientOptions } from 'cmpflow';
import { enrollmentMachine, actorsFrom, type SessionServices } from 'cmpflow/machines';
import { decodePkiMessage, PKIMessage } from 'cmpflow/asn1';
import { createCmpServer, type ListenOptions } from 'cmpflow/server';

export const options: CmpClientOptions = { server: 'http://127.0.0.1:1/', ref: 'r', secret: 's' };
export const client: CmpClient = new CmpClient(options);
export const decode: (der: Uint8Array) => PKIMessage = decodePkiMessage;
export const provide = (services: SessionServices) => enrollmentMachine.provide({ actors: actorsFrom(services) });
export const where: ListenOptions = { host: '127.0.0.1', port: 0 };
export const serve: typeof createCmpServer = createCmpServer;
export const isError: typeof isCmpError = isCmpError;
`,

  'enroll.mts': `import { createRequire } from 'node:module';
import { CmpClient, CmpError, getCryptoProvider, isCmpError, type EnrollmentResult } from 'cmpflow';
import { decodePkiMessage, pkiBodyType } from 'cmpflow/asn1';
import { createCmpServer, createThrowawayCa, listen } from 'cmpflow/server';
import { createActor } from 'xstate';

const secret = process.env.CONSUMER_SECRET ?? '';
const ca = await createThrowawayCa();
const listener = await listen(createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: '${SHARED_SECRET_REF}', secret }] }), { host: '127.0.0.1', port: 0 });
try {
  const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  const responses: string[] = [];
  const client = new CmpClient({
    ref: '${SHARED_SECRET_REF}',
    secret,
    newKey,
    subject: '/CN=ESM consumer',
    trusted: [ca.ca.cert],
    transfer: async (request) => {
      const reply = await fetch(listener.url, { method: 'POST', headers: { 'content-type': 'application/pkixcmp' }, body: request.slice() });
      const response = new Uint8Array(await reply.arrayBuffer());
      responses.push(pkiBodyType(decodePkiMessage(response).body) ?? 'unknown');
      return response;
    },
  });
  const result: EnrollmentResult = await client.ir();
  const require = createRequire(import.meta.url);
  const error = new CmpError('ERR_CONNECTION', 'example');
  const names: Record<string, { fromImport: string[]; fromRequire: string[] }> = {};
  for (const entry of ${JSON.stringify(ENTRY_POINTS)}) {
    names[entry] = { fromImport: Object.keys(await import(entry)), fromRequire: Object.keys(require(entry) as object) };
  }
  console.log(JSON.stringify({
    subject: result.certificate.subject,
    keyIsOurs: Buffer.from(result.certificate.publicKey.rawData).equals(Buffer.from(newKey.spki)),
    certificate: result.certificate.toString('pem'),
    caCertificate: ca.ca.cert.toString('pem'),
    responses,
    errorsAreCmpErrors: isCmpError(error, 'ERR_CONNECTION') && error instanceof Error,
    xstateImported: typeof createActor,
    xstateFromApplication: require.resolve('xstate'),
    xstateFromCmpflow: createRequire(require.resolve('cmpflow')).resolve('xstate'),
    names,
  }));
} finally {
  await listener.close();
  await ca.cleanup();
}
`,

  'enroll.cts': `import { randomBytes, X509Certificate } from 'node:crypto';
import { createRequire } from 'node:module';
import { CmpClient, getCryptoProvider } from 'cmpflow';
import { actorsFrom, createSessionServices, enrollmentMachine, setupClient } from 'cmpflow/machines';
import { createCmpServer, createThrowawayCa, listen } from 'cmpflow/server';
import { createActor, toPromise } from 'xstate';

async function main(): Promise<void> {
  const secret = process.env.CONSUMER_SECRET ?? '';
  const ca = await createThrowawayCa();
  // One reference per enrollment: the CA ties a reference to the subject first requested with it.
  const secrets = [{ ref: '${SHARED_SECRET_REF}', secret }, { ref: '${SHARED_SECRET_REF}-machine', secret }];
  const listener = await listen(createCmpServer({ ...ca.serverConfig(), secrets }));
  try {
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const client = new CmpClient({ server: listener.url, ref: '${SHARED_SECRET_REF}', secret, newKey, subject: '/CN=CommonJS consumer', trusted: [ca.ca.cert] });
    const result = await client.ir();

    // The same enrollment with the machine run by the application, as docs/api.md shows it.
    const setup = await setupClient({ server: listener.url, ref: '${SHARED_SECRET_REF}-machine', secret, newKey, subject: '/CN=CommonJS machine', trusted: [ca.ca.cert] });
    const services = createSessionServices(setup, { kind: 'ir' });
    const actor = createActor(enrollmentMachine.provide({ actors: actorsFrom(services) }), {
      input: { kind: 'ir', transactionId: randomBytes(16).toString('base64'), requestedPublicKey: Buffer.from(newKey.spki).toString('base64') },
    });
    actor.start();
    const output = await toPromise(actor).finally(() => services.close());

    console.log(JSON.stringify({
      subject: result.certificate.subject,
      keyIsOurs: Buffer.from(result.certificate.publicKey.rawData).equals(Buffer.from(newKey.spki)),
      certificate: result.certificate.toString('pem'),
      caCertificate: ca.ca.cert.toString('pem'),
      machineOutcome: output.outcome,
      machineSubject: output.certificate ? new X509Certificate(Buffer.from(output.certificate.certificate, 'base64')).subject : undefined,
      xstateFromApplication: require.resolve('xstate'),
      xstateFromCmpflow: createRequire(require.resolve('cmpflow')).resolve('xstate'),
    }));
  } finally {
    await listener.close();
    await ca.cleanup();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exitCode = 1;
});
`,
};
