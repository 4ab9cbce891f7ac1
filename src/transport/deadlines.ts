/**
 * The per-message timeouts of every transfer in the process, watched by one Node timer armed for
 * the earliest. A timer of its own per message meant a setTimeout and a clearTimeout for each
 * request, and with them the creation and removal of Node's timer list for that duration every
 * time (the list goes when its last timer does): a cold `-repeat` command pays that in
 * interpreted code twice a session (docs/benchmarks.md, issue #22). A deadline set after the armed
 * one, the usual case, costs a Set insertion. The timer does not keep the process alive: the
 * connection a message waits on does.
 */
import { performance } from 'node:perf_hooks';

interface Deadline {
  at: number;
  expire: () => void;
}

const MAX_TIMER_MS = 2 ** 31 - 1;
const pending = new Set<Deadline>();
let timer: NodeJS.Timeout | undefined;
let armedFor = Infinity;

function arm(at: number): void {
  if (timer !== undefined) clearTimeout(timer);
  armedFor = at;
  // Node takes at most 2^31 - 1 ms (about 24.8 days) and runs a longer timer at once; a deadline
  // further away is re-armed when that one fires.
  timer = setTimeout(expireDue, Math.min(MAX_TIMER_MS, Math.max(0, at - performance.now())));
  timer.unref();
}

function expireDue(): void {
  timer = undefined;
  armedFor = Infinity;
  // Node may run a timer a fraction of a millisecond before performance.now() reaches its time.
  const now = performance.now() + 1;
  let next = Infinity;
  for (const deadline of pending) {
    if (deadline.at <= now) {
      pending.delete(deadline);
      deadline.expire();
    } else if (deadline.at < next) next = deadline.at;
  }
  if (next !== Infinity && next < armedFor) arm(next);
}

/** Calls `expire` once `ms` milliseconds have passed, unless the returned function is called first. */
export function setDeadline(ms: number, expire: () => void): () => void {
  const deadline: Deadline = { at: performance.now() + ms, expire };
  pending.add(deadline);
  if (deadline.at < armedFor) arm(deadline.at);
  return () => pending.delete(deadline);
}
