/**
 * No secret leaks at the highest verbosity: with an inspector that records every event, sessions
 * that succeed, fail in every way a hostile server can make them fail, rest while polling and are
 * aborted, the shared secret, the pass phrases and the private keys (PKCS#8 DER, PEM, hex, base64,
 * the private scalar alone) appear in no CmpError (message, JSON, stack, what a logger prints with
 * util.inspect, causes included), no persisted session and no inspector event.
 */
import { readFileSync } from 'fs';
import { join } from 'path';
import { inspect } from 'util';
import { decodePkiMessage } from '../../src/asn1';
import { CmpClient } from '../../src/client';
import type { CmpClientOptions } from '../../src/options';
import { runOpenSsl, startMockServer, type MockServer } from '../support/openssl';
import { makeTestPki, type TestPki } from '../support/pki';
import { startHostileServer, type Fault, type HostileServer } from './hostile-server';
import { derOfPem, mutationCases } from './mutations';
import { leaksIn, passphraseForms, privateKeyForms, type SecretForm } from './secret-forms';
import { outcomeOf, settle } from './watch';
import { cmpflow } from '../cli/run-support';

const SECRET = 'shared-mac-secret-K2m4-zz';
const KEY_PASS = 'client-key-pass-Q7v9-yy';
const NEW_KEY_PASS = 'new-key-pass-W3x8-xx';

let pki: TestPki;
let clientKeyPath: string;
let newKeyPath: string;
let forms: SecretForm[];

/** What each kind of output held, as text. */
const seen = { errors: [] as string[], logged: [] as string[], sessions: [] as string[], events: [] as string[] };
const errorCodes: string[] = [];

function stringify(value: unknown): string {
  const ancestors = new WeakSet<object>();
  return JSON.stringify(value, (_k, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (typeof v === 'object' && v !== null) {
      if (ancestors.has(v)) return '[circular]';
      ancestors.add(v);
    }
    return v;
  });
}

function recordError(e: unknown): void {
  let cur: unknown = e;
  for (let depth = 0; cur instanceof Error && depth < 10; depth++) {
    seen.errors.push(cur.message, String(cur), cur.stack ?? '', stringify(cur));
    cur = cur.cause;
  }
  seen.logged.push(inspect(e, { depth: 20 }));
  errorCodes.push((e as { code?: string }).code ?? 'NOT_A_CMP_ERROR');
}

async function run(p: Promise<unknown>): Promise<void> {
  const outcome = await outcomeOf(p);
  if (!('ok' in outcome)) recordError(outcome.error);
}

beforeAll(async () => {
  pki = await makeTestPki();
  clientKeyPath = join(pki.dir, 'client-encrypted.key');
  newKeyPath = join(pki.dir, 'new-encrypted.key');
  for (const [from, to, pass] of [
    [pki.client.keyPath, clientKeyPath, KEY_PASS],
    [pki.newKeyPath, newKeyPath, NEW_KEY_PASS],
  ] as const) {
    const r = await runOpenSsl(['pkey', '-in', from, '-aes256', '-passout', `pass:${pass}`, '-out', to]);
    if (r.code !== 0) throw new Error(r.stderr);
  }
  forms = [
    ...passphraseForms('shared secret', SECRET),
    ...passphraseForms('-keypass', KEY_PASS),
    ...passphraseForms('-newkeypass', NEW_KEY_PASS),
    ...privateKeyForms('-key', readFileSync(pki.client.keyPath, 'utf8')),
    ...privateKeyForms('-newkey', readFileSync(pki.newKeyPath, 'utf8')),
  ];
  await provokeEverything();
}, 180_000);
afterAll(async () => pki?.cleanup());

function mock(extra: string[] = []): Promise<MockServer> {
  return startMockServer([
    '-srv_ref',
    'mock-server',
    '-srv_secret',
    `pass:${SECRET}`,
    '-srv_cert',
    pki.server.certPath,
    '-srv_key',
    pki.server.keyPath,
    '-srv_trusted',
    pki.trustedPath,
    '-srv_untrusted',
    pki.untrustedPath,
    '-rsp_cert',
    pki.enrolled.certPath,
    '-rsp_extracerts',
    pki.chainPath,
    '-rsp_capubs',
    pki.trustedPath,
    ...extra,
  ]);
}

function clientOptions(url: string, protection: 'pbm' | 'signature', more: Partial<CmpClientOptions> = {}): CmpClientOptions {
  const credentials: Partial<CmpClientOptions> =
    protection === 'pbm'
      ? { ref: 'client-ref', secret: SECRET }
      : // Signed requests; the mock answers with PBM all the same, which the secret verifies.
        { cert: pki.client.certPath, key: clientKeyPath, keyPass: KEY_PASS, secret: SECRET, untrusted: pki.untrustedPath, trusted: pki.trustedPath };
  return {
    server: url,
    ...credentials,
    newKey: newKeyPath,
    newKeyPass: NEW_KEY_PASS,
    subject: '/CN=secrets',
    oldCert: pki.enrolled.certPath,
    msgTimeout: 1,
    totalTimeout: 10,
    keepAlive: 0,
    inspect: (event) => seen.events.push(stringify(event)),
    ...more,
  };
}

async function provokeEverything(): Promise<void> {
  const real = await mock();
  const hostile: HostileServer = await startHostileServer({ upstream: real.url, secret: new TextEncoder().encode(SECRET) });
  const faults: Fault[] = [
    { kind: 'reset' },
    { kind: 'silent' },
    { kind: 'status', status: 500 },
    { kind: 'contentType', contentType: 'text/plain' },
    { kind: 'endless' },
    { kind: 'closeMidBody' },
    { kind: 'body', der: Uint8Array.of(0x30, 0x03, 0x02, 0x01) },
    ...mutationCases({
      secret: new TextEncoder().encode(SECRET),
      otherKeyCert: pki.client.certDer,
      foreignRoot: derOfPem(pki.root.certPem),
    })
      .filter((c) => c.target === 'ip' && !('ok' in c.expect))
      .map((mutation): Fault => ({ kind: 'mutate', mutation })),
  ];
  try {
    for (const protection of ['pbm', 'signature'] as const) {
      hostile.script([]);
      await run(new CmpClient(clientOptions(hostile.url, protection)).ir());
      await run(new CmpClient(clientOptions(hostile.url, protection)).rr());
      await run(new CmpClient(clientOptions(hostile.url, protection)).genm([{ infoType: '1.3.6.1.5.5.7.4.2' }]));
      for (const fault of faults) {
        hostile.script([fault]);
        await run(new CmpClient(clientOptions(hostile.url, protection)).ir());
      }
      // The client's own refusal of the new certificate, and a failure in mid-transaction.
      hostile.script([]);
      await run(new CmpClient(clientOptions(hostile.url, protection, { acceptCertificate: () => ({ accept: false, text: 'no' }) })).ir());
      hostile.script([{ kind: 'forward' }, { kind: 'reset' }]);
      await run(new CmpClient(clientOptions(hostile.url, protection)).ir());
    }
    await run(new CmpClient(clientOptions(hostile.url, 'pbm', { secret: 'a wrong secret' })).ir());
    await run(new CmpClient(clientOptions(hostile.url, 'pbm', { newKeyPass: 'wrong new key pass' })).ir());
    await run(new CmpClient(clientOptions(hostile.url, 'signature', { keyPass: 'wrong key pass' })).ir());
    await run(new CmpClient(clientOptions(hostile.url, 'signature', { keyPass: undefined })).ir());
    await run(new CmpClient(clientOptions(hostile.url, 'pbm', { newKeyPass: undefined })).ir());
  } finally {
    await hostile.close();
    await real.stop();
  }

  // A session that rests while polling is persisted, resumed into a fault, and aborted. A fresh
  // mock each time: it keeps the polling state of one transaction only.
  for (const protection of ['pbm', 'signature'] as const) {
    const polling = await mock(['-poll_count', '3', '-check_after', '30']);
    const pollingProxy = await startHostileServer({ upstream: polling.url });
    try {
      const first = await new CmpClient(clientOptions(pollingProxy.url, protection)).tryCertReq('ir');
      if (first.status !== 'waiting') throw new Error(`the mock should have made the ${protection} client wait`);
      seen.sessions.push(JSON.stringify(first.session));
      pollingProxy.script([{ kind: 'status', status: 503 }]);
      await run(new CmpClient(clientOptions(pollingProxy.url, protection)).resume(first.session));
      pollingProxy.script([]);
      await run(new CmpClient(clientOptions(pollingProxy.url, protection)).abort(first.session));
    } finally {
      await pollingProxy.close();
      await polling.stop();
    }
  }

  // Session files of the CLI, which record the run's options: written by -session, rewritten by a
  // -resume that waits again, and left alone by a -resume with a wrong secret.
  for (const protection of ['pbm', 'signature'] as const) {
    const polling = await mock(['-poll_count', '3', '-check_after', '30']);
    const file = join(pki.dir, `cli-${protection}.json`);
    try {
      const credentials =
        protection === 'pbm'
          ? ['-ref', 'client-ref', '-recipient', '/CN=CA', '-secret', `pass:${SECRET}`]
          : [
              '-cert',
              pki.client.certPath,
              '-key',
              clientKeyPath,
              '-keypass',
              `pass:${KEY_PASS}`,
              '-secret',
              `pass:${SECRET}`,
              '-untrusted',
              pki.untrustedPath,
              '-trusted',
              pki.trustedPath,
            ];
      const common = [
        '-config',
        '',
        '-server',
        polling.url,
        ...credentials,
        '-newkey',
        newKeyPath,
        '-newkeypass',
        `pass:${NEW_KEY_PASS}`,
        '-verbosity',
        '8',
      ];
      for (const args of [
        [...common, '-cmd', 'ir', '-subject', '/CN=secrets', '-certout', join(pki.dir, 'cli.pem'), '-session', file, '-nowait'],
        [...common, '-resume', file, '-nowait'],
        ['-resume', file, '-secret', 'pass:a wrong secret', '-key', clientKeyPath, '-keypass', `pass:${KEY_PASS}`, '-verbosity', '8'],
      ]) {
        const r = await cmpflow(args);
        seen.logged.push(r.stderr, r.stdout);
        if (r.code !== 3) errorCodes.push(/\((ERR_[A-Z_]+)\)$/.exec(r.errors[0] ?? '')?.[1] ?? 'NOT_A_CMP_ERROR');
        seen.sessions.push(readFileSync(file, 'utf8'));
      }
    } finally {
      await polling.stop();
    }
  }
  await settle();
}

describe('secrets at the highest verbosity', () => {
  it('the scenarios provoked a wide range of CmpErrors, persisted sessions and inspector events', () => {
    expect(new Set(errorCodes).size).toBeGreaterThanOrEqual(20);
    expect(errorCodes).not.toContain('NOT_A_CMP_ERROR');
    expect(errorCodes).toEqual(expect.arrayContaining(['ERR_BAD_PASSPHRASE', 'ERR_PROTECTION_INVALID', 'ERR_TIMEOUT', 'ERR_HTTP_STATUS']));
    expect(seen.sessions).toHaveLength(8);
    expect(seen.sessions.slice(2).every((text) => text.includes('"opt.server"'))).toBe(true);
  });

  it('sessions hold nothing computed from a secret: besides the snapshot and recorded options, only the server answer as received', () => {
    const parsed = seen.sessions.map((text) => JSON.parse(text) as Record<string, unknown>);
    for (const session of parsed) {
      expect(
        Object.keys(session).filter((key) => !['format', 'machine', 'version', 'savedAt', 'snapshot', 'meta', 'lastResponse'].includes(key)),
      ).toEqual([]);
    }
    const answers = parsed.map((s) => s.lastResponse).filter((v): v is string => typeof v === 'string');
    expect(answers).toHaveLength(parsed.length);
    // The answer is the transaction's own message from the wire: same transactionID as the snapshot.
    const transactionOf = (s: Record<string, unknown>) =>
      (s.snapshot as { context: { transaction: { transactionId: string } } }).context.transaction.transactionId;
    expect(answers.map((b64) => Buffer.from(decodePkiMessage(Buffer.from(b64, 'base64')).header.transactionID!).toString('base64'))).toEqual(
      parsed.map(transactionOf),
    );
    expect(seen.events.length).toBeGreaterThan(1000);
  });

  it.each(['errors', 'logged', 'sessions', 'events'] as const)('no secret, pass phrase or private key in any of the %s', (kind) => {
    const leaks = seen[kind].flatMap((text, i) => leaksIn(text, forms).map((label) => `${kind}[${i}]: ${label}`));
    expect(leaks).toEqual([]);
  });

  it('finds a secret where there is one (the scan is not blind)', () => {
    expect(leaksIn(`x${Buffer.from(SECRET).toString('hex')}x`, forms)).toEqual(['shared secret (hex)']);
    expect(leaksIn(readFileSync(pki.newKeyPath, 'utf8'), forms).length).toBeGreaterThan(0);
  });
});
