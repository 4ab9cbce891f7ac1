/**
 * What the robustness tests watch besides results: unhandled rejections and uncaught exceptions
 * (on Node's real process object, since jest hands test files a copy whose events never fire),
 * the heap after a forced collection, and outcomes reduced to "certificate" or "CmpError code".
 */
import * as v8 from 'node:v8';
import * as vm from 'node:vm';
import { CmpError } from '../../src/errors';

const realProcess = vm.runInThisContext('process') as NodeJS.Process;

export interface ProcessWatch {
  /** Everything reported since the watch started (or was last cleared). */
  readonly problems: string[];
  clear(): void;
  stop(): void;
}

/** Records unhandled rejections and uncaught exceptions of the whole process. */
export function watchProcess(): ProcessWatch {
  const problems: string[] = [];
  const onRejection = (reason: unknown) => problems.push(`unhandledRejection: ${describe(reason)}`);
  const onException = (error: unknown) => problems.push(`uncaughtException: ${describe(error)}`);
  realProcess.on('unhandledRejection', onRejection);
  realProcess.on('uncaughtException', onException);
  return {
    problems,
    clear: () => void problems.splice(0),
    stop: () => {
      realProcess.off('unhandledRejection', onRejection);
      realProcess.off('uncaughtException', onException);
    },
  };
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Lets pending callbacks (a late rejection, a socket's close) run before anything is judged. */
export async function settle(ms = 50): Promise<void> {
  await new Promise((resolve) => setTimeout(resolve, ms));
  await new Promise((resolve) => setImmediate(resolve));
}

let gcFunction: (() => void) | undefined;

/** Heap in use after full collections. */
export async function heapAfterGc(): Promise<number> {
  if (!gcFunction) {
    v8.setFlagsFromString('--expose-gc');
    gcFunction = vm.runInNewContext('gc') as () => void;
  }
  for (let i = 0; i < 3; i++) {
    gcFunction();
    await settle(10);
  }
  return realProcess.memoryUsage().heapUsed;
}

export type Outcome = { ok: true } | { code: string; message: string; error: unknown };

/** The outcome of a client call: success, or the CmpError's code; anything else is a bug and is kept as 'NOT_A_CMP_ERROR'. */
export async function outcomeOf(p: Promise<unknown>): Promise<Outcome> {
  try {
    await p;
    return { ok: true };
  } catch (e) {
    if (e instanceof CmpError) return { code: e.code, message: e.message, error: e };
    return { code: 'NOT_A_CMP_ERROR', message: describe(e), error: e };
  }
}

/** The code of the CmpError `p` rejects with; fails the test with what happened instead. */
export async function errorCodeOf(p: Promise<unknown>): Promise<string> {
  const outcome = await outcomeOf(p);
  if ('ok' in outcome) throw new Error('expected a CmpError, but the call succeeded');
  return outcome.code;
}

export async function cmpErrorOf(p: Promise<unknown>): Promise<CmpError> {
  const outcome = await outcomeOf(p);
  if ('ok' in outcome) throw new Error('expected a CmpError, but the call succeeded');
  if (!(outcome.error instanceof CmpError)) throw new Error(`expected a CmpError, got ${outcome.message}`);
  return outcome.error;
}
