/**
 * This process's CPU split into its main thread and all others (V8's optimising compiler and its
 * garbage collector's helpers, libuv's pool), in milliseconds, from /proc/self/task. Linux only.
 */
import { readdirSync, readFileSync } from 'fs';

/** Clock ticks of 10 ms, as /proc counts them on Linux. */
const TICK_MS = 10;

export function threadCpuMs(): { main: number; others: number } {
  const out = { main: 0, others: 0 };
  for (const tid of readdirSync('/proc/self/task')) {
    const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
    // The fields after the command name, which may itself contain spaces and parentheses.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const ms = (Number(fields[11]) + Number(fields[12])) * TICK_MS;
    if (tid === String(process.pid)) out.main += ms;
    else out.others += ms;
  }
  return out;
}
