/**
 * Long synchronous computations (PasswordBasedMac's iterated hash may ask for 100000 rounds)
 * split into slices, and the slices of all of them take turns: one slice per turn of the event
 * loop, whatever the number of computations in progress, so that timers, I/O and other requests
 * are served between any two slices. Without the shared queue, every computation's next slice
 * would run in the same turn, and 24 concurrent derivations held the loop for 400 ms.
 */

const waiting: (() => void)[] = [];
let scheduled = false;

function runOne(): void {
  scheduled = false;
  const next = waiting.shift();
  // Its slice runs in the microtasks right after this callback; the next one a turn later.
  next?.();
  if (waiting.length > 0) schedule();
}

function schedule(): void {
  if (scheduled) return;
  scheduled = true;
  setImmediate(runOne);
}

/** Resolves when it is this caller's turn to run one slice. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => {
    waiting.push(resolve);
    schedule();
  });
}

/** Time one slice may take before it yields: short enough that a timer is late by a few milliseconds at most. */
export const SLICE_MS = 4;
