/**
 * Teardown for test-support resources (mock servers, temporary PKIs) that outlive a single test.
 * Under jest a module-level `process.on('exit')` never fires (the sandbox's `process` is a copy whose
 * events are not emitted), so teardown runs in a root-level `afterAll`, registered when this module is
 * first loaded while the test file is collected; outside jest it runs on process exit.
 */
type Teardown = () => void | Promise<void>;

const teardowns = new Set<Teardown>();

async function runAll(): Promise<void> {
  const fns = [...teardowns];
  teardowns.clear();
  await Promise.allSettled(fns.map(async (fn) => fn()));
}

const jestAfterAll = (globalThis as { afterAll?: (fn: () => Promise<void>) => void }).afterAll;
if (typeof jestAfterAll === 'function') {
  try {
    jestAfterAll(runAll);
  } catch {
    // Loaded lazily from inside a test: hooks can no longer be added; the exit handler remains.
  }
}
// Only the synchronous part of each teardown (sending a signal, rmSync) can run here.
process.once('exit', () => {
  void runAll();
});

/** Runs `fn` at the end of the current test file (jest) or at process exit; returns an unregister function. */
export function onTeardown(fn: Teardown): () => void {
  teardowns.add(fn);
  return () => {
    teardowns.delete(fn);
  };
}
