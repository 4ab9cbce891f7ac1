/**
 * Renewal, cron-friendly: every finished enrollment of the fleet (or one device's) whose
 * certificate expires within N days goes back to work as a kur with its current certificate and
 * key, and a deploy hook runs after each new certificate is written, as certbot's deploy hooks do.
 */
import { spawn } from 'child_process';
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

/**
 * The kur that renews what `record` enrolled: its certificate (certout) as -oldcert and, signing
 * the request, as -cert with the key it was issued for (-newkey of the enrollment, else its -key);
 * the same key is certified again. Undefined when the job left no certificate file to renew.
 */
export function renewalSpec(record: FleetJobRecord): FleetJobSpec | undefined {
  const o = record.spec.options;
  const cert = typeof o.certout === 'string' ? o.certout : undefined;
  const key = typeof o.newkey === 'string' ? o.newkey : typeof o.key === 'string' ? o.key : undefined;
  if (cert === undefined || key === undefined) return undefined;
  const options: Record<string, FleetOptionValue> = { ...o, oldcert: cert, cert, key };
  // The new key is the one certified; the request is signed with the current certificate, so a MAC secret is not needed.
  delete options.newkey;
  delete options.csr;
  delete options.secret;
  delete options.ref;
  if (typeof o.newkeypass === 'string') options.keypass = o.newkeypass;
  delete options.newkeypass;
  return { id: record.spec.id, cmd: 'kur', options };
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
    const spec = renewalSpec(record);
    if (spec) specs.push(spec);
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
 * CMPFLOW_JOB_ID, CMPFLOW_CERT_FILES (space-separated), CMPFLOW_SERIAL and CMPFLOW_NOT_AFTER.
 * A non-zero exit rejects, which the handler records as a warning of the job.
 */
export function runDeployHook(command: string, event: NewCertificateEvent, where: HookEnvironment): Promise<void> {
  const env = {
    ...where.env,
    CMPFLOW_JOB_ID: event.spec.id,
    CMPFLOW_CERT_FILES: (event.result.files ?? []).join(' '),
    CMPFLOW_SERIAL: event.result.serialNumber ?? '',
    CMPFLOW_NOT_AFTER: event.result.notAfter ?? '',
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
