/**
 * The handshake between a measured process and whoever drives callgrind over it
 * (`callgrind_control` toggling instrumentation): with CMPFLOW_CALLGRIND_SYNC=DIR the process
 * announces `mine.PID` in DIR and waits for `theirs.PID`, so that only the part between two
 * handshakes is counted. Without the variable it returns at once.
 */
import { existsSync, writeFileSync } from 'fs';
import * as path from 'path';

export async function handshake(mine: string, theirs: string): Promise<void> {
  const dir = process.env.CMPFLOW_CALLGRIND_SYNC;
  if (!dir) return;
  writeFileSync(path.join(dir, `${mine}.${process.pid}`), '');
  while (!existsSync(path.join(dir, `${theirs}.${process.pid}`))) await new Promise((r) => setTimeout(r, 200));
}
