/**
 * Renewal, cron-friendly: every finished enrollment of the fleet (or one device's) whose
 * certificate expires within N days goes back to work as a kur signed with its current certificate
 * and key, for a new key generated beside the old one, and a deploy hook runs after each new
 * certificate is written, as certbot's deploy hooks do.
 */
import { generateKeyPairSync, createPrivateKey } from 'crypto';
import { spawn } from 'child_process';
import { promises as fs } from 'fs';
import { CmpError, ErrorCodes } from '../errors';
import type { FleetJobRecord, FleetJobSpec, FleetOptionValue, FleetQueue } from './queue';
import type { NewCertificateEvent } from './run-job';

export interface RenewOptions {
  withinDays: number;
  /** Only this device's job. */
  id?: string;
  /** Clock in epoch ms, for tests. */
  now?: () => number;
}

const ENROLLMENTS = new Set(['ir', 'cr', 'kur', 'p10cr']);
const DAY_MS = 86_400_000;

/** The key file a job's current certificate was issued for: its -newkey, else its -key. */
function currentKey(record: FleetJobRecord): string | undefined {
  const o = record.spec.options;
  return typeof o.newkey === 'string' ? o.newkey : typeof o.key === 'string' ? o.key : undefined;
}

/**
 * The kur that renews what `record` enrolled: its certificate (certout) as -oldcert and, signing
 * the request, as -cert with the key it was issued for; `newKey` is the key to certify (a CA
 * refuses to certify the old key again). Undefined when the job left no certificate to renew.
 */
export function renewalSpec(record: FleetJobRecord, newKey: string): FleetJobSpec | undefined {
  const o = record.spec.options;
  const cert = typeof o.certout === 'string' ? o.certout : undefined;
  const key = currentKey(record);
  if (cert === undefined || key === undefined) return undefined;
  // Signed with the current certificate and its key: the enrollment's MAC secret is not needed any more.
  const options: Record<string, FleetOptionValue> = { ...o, oldcert: cert, cert, key, newkey: newKey };
  delete options.csr;
  delete options.secret;
  delete options.ref;
  if (typeof o.newkeypass === 'string') options.keypass = o.newkeypass;
  delete options.newkeypass;
  return { id: record.spec.id, cmd: 'kur', options };
}

/**
 * A new key of the same kind as the one in `oldKeyFile`, written next to it (PKCS#8 PEM, 0600,
 * not encrypted) under a name with the time in it; the old file stays until the new certificate
 * is there. An old key that cannot be read without a pass phrase gets an EC P-256 successor.
 */
export async function newKeyBeside(oldKeyFile: string, now: Date): Promise<string> {
  let type: 'ec' | 'rsa' | 'ed25519' | 'ed448' = 'ec';
  let params: { namedCurve?: string; modulusLength?: number } = { namedCurve: 'P-256' };
  try {
    const old = createPrivateKey(await fs.readFile(oldKeyFile));
    const kind = old.asymmetricKeyType;
    const details = old.asymmetricKeyDetails ?? {};
    if (kind === 'rsa') {
      type = 'rsa';
      params = { modulusLength: details.modulusLength ?? 2048 };
    } else if (kind === 'ec' && details.namedCurve) {
      params = { namedCurve: details.namedCurve };
    } else if (kind === 'ed25519' || kind === 'ed448') {
      type = kind;
      params = {};
    }
  } catch {
    // Encrypted or unreadable here: the default kind will do.
  }
  const { privateKey } = generateKeyPairSync(type as 'ec', params as { namedCurve: string });
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const file = `${oldKeyFile.replace(/\.(pem|key)$/i, '')}.${stamp}.pem`;
  const handle = await fs.open(file, 'wx', 0o600);
  try {
    await handle.writeFile(privateKey.export({ format: 'pem', type: 'pkcs8' }));
    await handle.sync();
  } finally {
    await handle.close();
  }
  return file;
}

/** Requeues the due renewals; returns their job ids. */
export async function renewExpiring(queue: FleetQueue, options: RenewOptions): Promise<string[]> {
  const now = options.now ?? Date.now;
  const horizon = now() + options.withinDays * DAY_MS;
  const records =
    options.id !== undefined ? [await queue.get(options.id)].filter((r): r is FleetJobRecord => r !== undefined) : await queue.list('done');
  if (options.id !== undefined && records.length === 0) throw new CmpError(ErrorCodes.ERR_QUEUE, `no job ${options.id} in the queue`);
  const specs: FleetJobSpec[] = [];
  for (const record of records) {
    if (record.state !== 'done' || !ENROLLMENTS.has(record.spec.cmd) || record.result?.notAfter === undefined) continue;
    if (Date.parse(record.result.notAfter) > horizon) continue;
    const key = currentKey(record);
    if (key === undefined || typeof record.spec.options.certout !== 'string') continue;
    specs.push(renewalSpec(record, await newKeyBeside(key, new Date(now())))!);
  }
  await queue.requeue(specs);
  return specs.map((s) => s.id);
}

export interface HookEnvironment {
  env: Record<string, string | undefined>;
  cwd: string;
}

/**
 * Runs `command` with `sh -c` after a new certificate is written, telling it what was renewed in
 * CMPFLOW_JOB_ID, CMPFLOW_CERT_FILES (space-separated), CMPFLOW_KEY_FILE (the key certified),
 * CMPFLOW_SERIAL and CMPFLOW_NOT_AFTER.
 * A non-zero exit rejects, which the handler records as a warning of the job.
 */
export function runDeployHook(command: string, event: NewCertificateEvent, where: HookEnvironment): Promise<void> {
  const env = {
    ...where.env,
    CMPFLOW_JOB_ID: event.spec.id,
    CMPFLOW_CERT_FILES: (event.result.files ?? []).join(' '),
    CMPFLOW_SERIAL: event.result.serialNumber ?? '',
    CMPFLOW_NOT_AFTER: event.result.notAfter ?? '',
    CMPFLOW_KEY_FILE: typeof event.spec.options.newkey === 'string' ? event.spec.options.newkey : '',
  };
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', command], { cwd: where.cwd, env, stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', (e) => reject(new CmpError(ErrorCodes.ERR_INTERNAL, `deploy hook could not start: ${e.message}`, { cause: e })));
    child.on('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new CmpError(ErrorCodes.ERR_INTERNAL, `deploy hook exited with ${signal ?? `status ${code}`}`));
    });
  });
}
