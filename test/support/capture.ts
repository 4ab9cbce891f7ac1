/**
 * Real CMP messages as OpenSSL writes them: the `openssl cmp` client run against the `openssl cmp`
 * mock server with `-reqout`/`-rspout`. Tests use them as interop fixtures (decode, re-encode,
 * verify protection) without hand-made bytes.
 *
 * Capturing takes a second or two, so the result is memoised per process and cached on disk under
 * os.tmpdir(), keyed by the OpenSSL version and the source of this file and pki.ts (so a change to
 * either recaptures). The PKI used is copied next to the messages so that signatures can be checked.
 */
import { createHash } from 'crypto';
import { promises as fs, readFileSync } from 'fs';
import * as os from 'os';
import * as path from 'path';
import { makeTestPki } from './pki';
import { opensslVersion, runCmp, runOpenSsl, startMockServer, MockServer } from './openssl';

export type CapturedProtection = 'pbm' | 'signature' | 'none';

export interface CapturedMessage {
  direction: 'request' | 'response';
  der: Uint8Array;
  file: string;
  /** PKIBody choice name as in RFC 9810's ASN.1 ('ir', 'ip', 'certConf', 'pkiconf', 'pollReq', 'error', ...). */
  body: string;
}

export interface CapturedExchange {
  /** `<kind>-<protection>`, e.g. 'ir-pbm', 'poll-signature', 'error-none'. */
  name: string;
  protection: CapturedProtection;
  /** In the order sent/received: request, response, request, response, ... */
  messages: CapturedMessage[];
}

/** Where the capture lives and the credentials the parties used, for tests that verify protection. */
export interface OpenSslCapture {
  dir: string;
  /** Shared secret of the PBM exchanges (both directions). */
  secret: string;
  /** senderKID of the client's PBM-protected requests. */
  ref: string;
  /** senderKID of the mock server's PBM-protected responses. */
  srvRef: string;
  /** Certificates and keys (PEM files in `dir`) that signed, were enrolled or were trusted. */
  files: {
    root: string;
    intermediate: string;
    chain: string;
    serverCert: string;
    serverKey: string;
    clientCert: string;
    clientKey: string;
    enrolledCert: string;
    enrolledKey: string;
    csr: string;
  };
  exchanges: CapturedExchange[];
}

const SECRET = 'cmpflow-test-secret';
const REF = 'cmpflow-client';
const SRV_REF = 'cmpflow-mock-server';

// RFC 9810 PKIBody CHOICE tags [0]..[26].
const BODY_NAMES = [
  'ir',
  'ip',
  'cr',
  'cp',
  'p10cr',
  'popdecc',
  'popdecr',
  'kur',
  'kup',
  'krr',
  'krp',
  'rr',
  'rp',
  'ccr',
  'ccp',
  'ckuann',
  'cann',
  'rann',
  'crlann',
  'pkiconf',
  'nested',
  'genm',
  'genp',
  'error',
  'certConf',
  'pollReq',
  'pollRep',
];

/** Reads one DER TLV header; returns the tag byte, where the value starts and where it ends. */
function tlv(der: Uint8Array, at: number): { tag: number; start: number; end: number } {
  const tag = der[at];
  let len = der[at + 1];
  let start = at + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + der[start + i];
    start += n;
  }
  if (tag === undefined || start + len > der.length) throw new Error('truncated DER in captured message');
  return { tag, start, end: start + len };
}

/** The PKIBody choice of a PKIMessage (SEQUENCE { header SEQUENCE, body [n] ... }). */
export function pkiBodyName(der: Uint8Array): string {
  const msg = tlv(der, 0);
  const header = tlv(der, msg.start);
  const body = tlv(der, header.end);
  const n = body.tag & 0x1f;
  if ((body.tag & 0xe0) !== 0xa0 || n >= BODY_NAMES.length) throw new Error(`unexpected PKIBody tag 0x${body.tag.toString(16)}`);
  return BODY_NAMES[n];
}

interface ClientRun {
  kind: string;
  /** Client arguments beyond server URL, credentials and -reqout/-rspout. */
  args: string[];
  /** Replaces the group's client credentials. */
  credentials?: string[];
  /** Bodies the exchange must contain, requests and responses interleaved. */
  bodies: string[];
  /** Whether the client is expected to report success; error exchanges end with exit code 1. */
  clientSucceeds: boolean;
}

interface ServerGroup {
  protection: CapturedProtection;
  /** Mock server options beyond its credentials. */
  serverArgs: string[];
  runs: ClientRun[];
}

const CONF = ['certConf', 'pkiconf'];

function groups(): ServerGroup[] {
  const enroll = (kind: string, req: string, rsp: string, args: string[]): ClientRun => ({
    kind,
    args: [...args, '-certout', `${kind}.new.pem`],
    bodies: [req, rsp, ...CONF],
    clientSucceeds: true,
  });
  const common = (signed: boolean): ClientRun[] => [
    enroll('ir', 'ir', 'ip', ['-cmd', 'ir', '-newkey', 'enrolled.key', '-subject', '/CN=cmpflow ir']),
    enroll('cr', 'cr', 'cp', ['-cmd', 'cr', '-newkey', 'enrolled.key', '-subject', '/CN=cmpflow cr']),
    // p10cr carries the CSR as is; the client checks the returned cert's key against the CSR's.
    enroll('p10cr', 'p10cr', 'cp', ['-cmd', 'p10cr', '-csr', 'enrolled.csr']),
    // The mock server rejects kur and rr ("wrong certid") unless the old certificate is its -rsp_cert,
    // and the client rejects a new certificate whose key is not -newkey, hence enrolled.* throughout.
    enroll(
      'kur',
      'kur',
      'kup',
      signed
        ? ['-cmd', 'kur', '-newkey', 'enrolled.key'] // signed with the old cert: -cert is the default -oldcert
        : ['-cmd', 'kur', '-oldcert', 'enrolled.crt', '-newkey', 'enrolled.key'],
    ),
    // Unlike kur, rr does not default -oldcert to -cert.
    { kind: 'rr', args: ['-cmd', 'rr', '-oldcert', 'enrolled.crt', '-revreason', '1'], bodies: ['rr', 'rp'], clientSucceeds: true },
    // Without -infotype the genm is empty; signKeyPairTypes gives an ITAV, which the mock echoes.
    { kind: 'genm', args: ['-cmd', 'genm', '-infotype', 'signKeyPairTypes'], bodies: ['genm', 'genp'], clientSucceeds: true },
  ];
  // kur and rr signed by the certificate they concern, as RFC 9483 has it.
  const signedByOld = ['-cert', 'enrolled.crt', '-key', 'enrolled.key', '-untrusted', 'intermediate.crt', '-trusted', 'root.crt'];
  const sigRuns = common(true).map((r) => (r.kind === 'kur' || r.kind === 'rr' ? { ...r, credentials: signedByOld } : r));
  const poll: ClientRun = {
    kind: 'poll',
    args: ['-cmd', 'ir', '-newkey', 'enrolled.key', '-subject', '/CN=cmpflow poll', '-certout', 'poll.new.pem'],
    // OpenSSL 3.0's mock answers the ir with ip(waiting), then one pollRep, then the ip itself.
    bodies: ['ir', 'ip', 'pollReq', 'pollRep', 'pollReq', 'ip', ...CONF],
    clientSucceeds: true,
  };
  const error: ClientRun = {
    kind: 'error',
    args: ['-cmd', 'ir', '-newkey', 'enrolled.key', '-subject', '/CN=cmpflow error', '-certout', 'error.new.pem'],
    bodies: ['ir', 'error'],
    clientSucceeds: false,
  };
  // -check_after 0 keeps polling instant; -poll_count 2 makes the client poll (see `poll.bodies`).
  const polling = ['-poll_count', '2', '-check_after', '0'];
  return [
    { protection: 'pbm', serverArgs: [], runs: common(false) },
    { protection: 'pbm', serverArgs: polling, runs: [poll] },
    { protection: 'pbm', serverArgs: ['-send_error'], runs: [error] },
    {
      protection: 'pbm',
      serverArgs: ['-pkistatus', '2', '-failure', '2', '-statusstring', 'cmpflow test rejection'],
      // A rejected ip: OpenSSL's client sends no certConf for a rejection.
      runs: [{ ...error, kind: 'rejection', bodies: ['ir', 'ip'] }],
    },
    { protection: 'signature', serverArgs: [], runs: sigRuns },
    { protection: 'signature', serverArgs: polling, runs: [poll] },
    { protection: 'signature', serverArgs: ['-send_error'], runs: [error] },
    {
      // The 3.0 client refuses unprotected positive responses ("missing protection") even with
      // -unprotected_errors, but -rspout is written before that check, so the bytes are real.
      protection: 'none',
      serverArgs: ['-accept_unprotected', '-send_unprotected'],
      runs: [
        {
          kind: 'ir',
          args: ['-cmd', 'ir', '-newkey', 'enrolled.key', '-subject', '/CN=cmpflow ir', '-certout', 'ir-none.new.pem'],
          bodies: ['ir', 'ip'],
          clientSucceeds: false,
        },
        { kind: 'genm', args: ['-cmd', 'genm', '-infotype', 'signKeyPairTypes'], bodies: ['genm', 'genp'], clientSucceeds: false },
      ],
    },
    { protection: 'none', serverArgs: ['-accept_unprotected', '-send_unprotected', '-send_error'], runs: [error] },
  ];
}

function serverCredentials(p: CapturedProtection): string[] {
  switch (p) {
    case 'pbm':
      return ['-srv_ref', SRV_REF, '-srv_secret', `pass:${SECRET}`];
    case 'signature':
      // -srv_untrusted: the server adds the intermediate to its responses' extraCerts (else the
      // client, trusting only the root, cannot validate it) and uses it for the client's chain.
      return ['-srv_cert', 'server.crt', '-srv_key', 'server.key', '-srv_trusted', 'root.crt', '-srv_untrusted', 'intermediate.crt'];
    case 'none':
      // "must give -srv_ref for mock server if no -srv_cert given", even if it protects nothing.
      return ['-srv_ref', SRV_REF, '-srv_secret', `pass:${SECRET}`];
  }
}

function clientCredentials(p: CapturedProtection): string[] {
  switch (p) {
    case 'pbm':
      return ['-ref', REF, '-secret', `pass:${SECRET}`];
    case 'signature':
      // -untrusted: the client puts the intermediate into its requests' extraCerts (the server
      // trusts only the root). -trusted root: the server's chain is validated, not pinned (-srvcert).
      return ['-cert', 'client.crt', '-key', 'client.key', '-untrusted', 'intermediate.crt', '-trusted', 'root.crt'];
    case 'none':
      // -ref is required to have some sender; -unprotected_errors accepts the unprotected error.
      return ['-unprotected_requests', '-unprotected_errors', '-ref', REF];
  }
}

async function runGroup(dir: string, g: ServerGroup, index: number): Promise<CapturedExchange[]> {
  const rspArgs = ['-rsp_cert', 'enrolled.crt', '-rsp_extracerts', 'chain.pem', '-rsp_capubs', 'root.crt'];
  const server: MockServer = await startMockServer([...serverCredentials(g.protection), ...rspArgs, ...g.serverArgs], { cwd: dir });
  const out: CapturedExchange[] = [];
  try {
    // Sequential: the mock serves one connection at a time and keeps per-transaction state.
    for (const run of g.runs) {
      const name = `${run.kind}-${g.protection}`;
      const base = `${String(index).padStart(2, '0')}-${name}`;
      const n = run.bodies.length / 2;
      const reqFiles = Array.from({ length: n }, (_, i) => `${base}-${i * 2}-req.der`);
      const rspFiles = Array.from({ length: n }, (_, i) => `${base}-${i * 2 + 1}-rsp.der`);
      const args = [
        '-server',
        `127.0.0.1:${server.port}/pkix/`,
        '-batch',
        '-msg_timeout',
        '10',
        ...(run.credentials ?? clientCredentials(g.protection)),
        ...run.args,
        '-reqout',
        reqFiles.join(','),
        '-rspout',
        rspFiles.join(','),
      ];
      const r = await runCmp(args, { cwd: dir, timeoutMs: 30_000 });
      const ok = r.code === 0;
      if (ok !== run.clientSucceeds) {
        throw new Error(`capture ${name}: openssl cmp exited ${r.code}\n${r.stderr}\n--- server ---\n${server.log()}`);
      }
      const messages: CapturedMessage[] = [];
      for (let i = 0; i < n; i++) {
        for (const [direction, file] of [
          ['request', reqFiles[i]],
          ['response', rspFiles[i]],
        ] as const) {
          const full = path.join(dir, file);
          const der = new Uint8Array(await fs.readFile(full).catch(() => Buffer.alloc(0)));
          if (der.length === 0) throw new Error(`capture ${name}: ${file} not written\n${r.stderr}`);
          messages.push({ direction, der, file: full, body: pkiBodyName(der) });
        }
      }
      const bodies = messages.map((m) => m.body);
      if (bodies.join() !== run.bodies.join()) {
        throw new Error(`capture ${name}: expected ${run.bodies.join(',')} but got ${bodies.join(',')}`);
      }
      out.push({ name, protection: g.protection, messages });
    }
  } finally {
    await server.stop();
  }
  return out;
}

async function preparePki(dir: string): Promise<void> {
  const pki = await makeTestPki();
  try {
    const copies: [string, string][] = [
      [pki.root.certPath, 'root.crt'],
      [pki.intermediate.certPath, 'intermediate.crt'],
      [pki.chainPath, 'chain.pem'],
      [pki.server.certPath, 'server.crt'],
      [pki.server.keyPath, 'server.key'],
      [pki.client.certPath, 'client.crt'],
      [pki.client.keyPath, 'client.key'],
      [pki.enrolled.certPath, 'enrolled.crt'],
      [pki.enrolled.keyPath, 'enrolled.key'],
    ];
    await Promise.all(copies.map(([from, to]) => fs.copyFile(from, path.join(dir, to))));
    await fs.writeFile(path.join(dir, 'csr.cnf'), '[req]\ndistinguished_name=dn\nprompt=no\n[dn]\nCN=cmpflow p10cr\n');
    const r = await runOpenSsl(['req', '-new', '-config', 'csr.cnf', '-key', 'enrolled.key', '-out', 'enrolled.csr'], { cwd: dir });
    if (r.code !== 0) throw new Error(`openssl req failed: ${r.stderr}`);
  } finally {
    await pki.cleanup();
  }
}

function describe(dir: string, exchanges: CapturedExchange[]): OpenSslCapture {
  const f = (n: string): string => path.join(dir, n);
  return {
    dir,
    secret: SECRET,
    ref: REF,
    srvRef: SRV_REF,
    files: {
      root: f('root.crt'),
      intermediate: f('intermediate.crt'),
      chain: f('chain.pem'),
      serverCert: f('server.crt'),
      serverKey: f('server.key'),
      clientCert: f('client.crt'),
      clientKey: f('client.key'),
      enrolledCert: f('enrolled.crt'),
      enrolledKey: f('enrolled.key'),
      csr: f('enrolled.csr'),
    },
    exchanges,
  };
}

interface Manifest {
  exchanges: { name: string; protection: CapturedProtection; messages: { direction: 'request' | 'response'; file: string; body: string }[] }[];
}

async function loadFromDisk(dir: string): Promise<OpenSslCapture | undefined> {
  try {
    const manifest = JSON.parse(await fs.readFile(path.join(dir, 'manifest.json'), 'utf8')) as Manifest;
    const exchanges = await Promise.all(
      manifest.exchanges.map(async (e) => ({
        name: e.name,
        protection: e.protection,
        messages: await Promise.all(
          e.messages.map(async (m) => {
            const file = path.join(dir, m.file);
            return { direction: m.direction, body: m.body, file, der: new Uint8Array(await fs.readFile(file)) };
          }),
        ),
      })),
    );
    return describe(dir, exchanges);
  } catch {
    return undefined;
  }
}

async function captureInto(dir: string): Promise<CapturedExchange[]> {
  await preparePki(dir);
  const results = await Promise.all(groups().map((g, i) => runGroup(dir, g, i)));
  return results.flat();
}

async function cacheKey(): Promise<string> {
  const h = createHash('sha256').update(await opensslVersion());
  for (const f of ['capture.ts', 'pki.ts', 'openssl.ts']) h.update(readFileSync(path.join(__dirname, f)));
  return h.digest('hex').slice(0, 16);
}

async function captureOrLoad(): Promise<OpenSslCapture> {
  const finalDir = path.join(os.tmpdir(), `cmpflow-openssl-capture-${await cacheKey()}`);
  const cached = await loadFromDisk(finalDir);
  if (cached) return cached;

  // Capture into a private directory and rename it into place, so concurrent jest workers never
  // read a half-written capture; the loser of the race uses the winner's.
  const work = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-openssl-capture-tmp-'));
  let exchanges: CapturedExchange[];
  try {
    exchanges = await captureInto(work);
  } catch (e) {
    await fs.rm(work, { recursive: true, force: true });
    throw e;
  }
  const manifest: Manifest = {
    exchanges: exchanges.map((e) => ({
      name: e.name,
      protection: e.protection,
      messages: e.messages.map((m) => ({ direction: m.direction, file: path.basename(m.file), body: m.body })),
    })),
  };
  await fs.writeFile(path.join(work, 'manifest.json'), JSON.stringify(manifest, null, 2));
  try {
    await fs.rename(work, finalDir);
  } catch {
    // Another process won the race (or a broken cache dir is in the way): use theirs if readable.
    const theirs = await loadFromDisk(finalDir);
    if (theirs) {
      await fs.rm(work, { recursive: true, force: true });
      return theirs;
    }
    return describe(work, exchanges);
  }
  await removeStaleCaptures(path.basename(finalDir));
  return describe(
    finalDir,
    exchanges.map((e) => ({
      ...e,
      messages: e.messages.map((m) => ({ ...m, file: path.join(finalDir, path.basename(m.file)) })),
    })),
  );
}

/** Captures keyed by an older source or OpenSSL version; an hour's grace spares concurrent runs. */
async function removeStaleCaptures(current: string): Promise<void> {
  const tmp = os.tmpdir();
  for (const name of await fs.readdir(tmp).catch(() => [] as string[])) {
    if (name === current || !/^cmpflow-openssl-capture-[0-9a-f]{16}$/.test(name)) continue;
    const dir = path.join(tmp, name);
    const stat = await fs.stat(dir).catch(() => undefined);
    if (stat && Date.now() - stat.mtimeMs > 3_600_000) await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined);
  }
}

let memo: Promise<OpenSslCapture> | undefined;

/** All captured exchanges plus the credentials used; see `captureOpenSslExchanges`. */
export async function loadOpenSslCapture(): Promise<OpenSslCapture> {
  if (!memo) {
    memo = captureOrLoad();
    memo.catch(() => {
      memo = undefined;
    });
  }
  return memo;
}

/**
 * ir, cr, p10cr, kur (each with certConf/pkiconf), rr, genm, poll and error exchanges, each with
 * PBM and with signature protection, plus a rejected ip (PBM) and unprotected ir/genm/error.
 */
export async function captureOpenSslExchanges(): Promise<CapturedExchange[]> {
  return (await loadOpenSslCapture()).exchanges;
}

/** The exchange with the given name; throws if it was not captured. */
export async function capturedExchange(name: string): Promise<CapturedExchange> {
  const e = (await captureOpenSslExchanges()).find((x) => x.name === name);
  if (!e) throw new Error(`no captured exchange named ${name}`);
  return e;
}
