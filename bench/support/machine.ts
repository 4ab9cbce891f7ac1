/** What the numbers were measured on, for docs/benchmarks.md. */
import { execFileSync } from 'child_process';
import { readFileSync } from 'fs';
import * as os from 'os';

export interface MachineInfo {
  date: string;
  cpus: number;
  cpuModel: string;
  memory: string;
  os: string;
  node: string;
  openssl: string;
}

export function machineInfo(): MachineInfo {
  let cpuModel = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) cpuModel = m[1]!.trim();
  } catch {
    // not Linux
  }
  let openssl = 'not found';
  try {
    openssl = execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
  } catch {
    // reported as not found
  }
  return {
    date: new Date().toISOString(),
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    cpuModel,
    memory: `${(os.totalmem() / 1024 ** 3).toFixed(1)} GiB`,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    openssl,
  };
}
