/**
 * A new user's project: strict TypeScript with `module`/`moduleResolution: nodenext`, ES modules
 * and a CommonJS module that each start the embedded CA on a free loopback port and
 * enroll a certificate from it, through nothing but the installed package's public entry point.
 * Kept as text because the repository's own tsconfig (CommonJS, node resolution) would otherwise
 * compile these files as part of the tests.
 *
 * first-steps.mts and .mjs are the README's example as printed there. The other two print one JSON line:
 * what they got, and where `xstate` resolves from the application and from cmpflow (one copy
 * means one file).
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

export const consumerFiles: Record<string, string> = {
  'first-steps.mts': readmeFirstSteps(),
  'first-steps.mjs': readmeFirstSteps(),

  'tsconfig.json': `${JSON.stringify(
    {
      compilerOptions: {
        strict: true,
        module: 'nodenext',
        moduleResolution: 'nodenext',
        target: 'ES2022',
        types: ['node'],
        skipLibCheck: false,
        outDir: 'out',
      },
      files: ['first-steps.mts', 'enroll.mts', 'enroll.cts'],
    },
    null,
    2,
  )}\n`,

  'enroll.mts': `import { createRequire } from 'node:module';
import { CmpClient, CmpError, createCmpServer, createThrowawayCa, getCryptoProvider, isCmpError, listen, type EnrollmentResult } from 'cmpflow';
import { createActor } from 'xstate';

const secret = process.env.CONSUMER_SECRET ?? '';
const ca = await createThrowawayCa();
const listener = await listen(createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: '${SHARED_SECRET_REF}', secret }] }), { host: '127.0.0.1', port: 0 });
try {
  const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
  const client = new CmpClient({ server: listener.url, ref: '${SHARED_SECRET_REF}', secret, newKey, subject: '/CN=ESM consumer', trusted: [ca.ca.cert] });
  const result: EnrollmentResult = await client.ir();
  const require = createRequire(import.meta.url);
  const error = new CmpError('ERR_CONNECTION', 'example');
  console.log(JSON.stringify({
    subject: result.certificate.subject,
    keyIsOurs: Buffer.from(result.certificate.publicKey.rawData).equals(Buffer.from(newKey.spki)),
    certificate: result.certificate.toString('pem'),
    caCertificate: ca.ca.cert.toString('pem'),
    errorsAreCmpErrors: isCmpError(error, 'ERR_CONNECTION') && error instanceof Error,
    xstateImported: typeof createActor,
    xstateFromApplication: require.resolve('xstate'),
    xstateFromCmpflow: createRequire(require.resolve('cmpflow')).resolve('xstate'),
    namesFromImport: Object.keys(await import('cmpflow')),
    namesFromRequire: Object.keys(require('cmpflow') as object),
  }));
} finally {
  await listener.close();
  await ca.cleanup();
}
`,

  'enroll.cts': `import { createRequire } from 'node:module';
import { CmpClient, createCmpServer, createThrowawayCa, getCryptoProvider, listen } from 'cmpflow';

async function main(): Promise<void> {
  const secret = process.env.CONSUMER_SECRET ?? '';
  const ca = await createThrowawayCa();
  const listener = await listen(createCmpServer({ ...ca.serverConfig(), secrets: [{ ref: '${SHARED_SECRET_REF}', secret }] }));
  try {
    const newKey = await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' });
    const client = new CmpClient({ server: listener.url, ref: '${SHARED_SECRET_REF}', secret, newKey, subject: '/CN=CommonJS consumer', trusted: [ca.ca.cert] });
    const result = await client.ir();
    console.log(JSON.stringify({
      subject: result.certificate.subject,
      keyIsOurs: Buffer.from(result.certificate.publicKey.rawData).equals(Buffer.from(newKey.spki)),
      certificate: result.certificate.toString('pem'),
      caCertificate: ca.ca.cert.toString('pem'),
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
