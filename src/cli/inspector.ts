/**
 * `-inspect`: the state machine events of each session, already sanitised by the client (byte
 * blobs summarised, secret-named fields redacted). With the optional package @statelyai/inspect
 * installed they go to a Stately inspector over a WebSocket (CMPFLOW_INSPECT_URL, by default
 * ws://localhost:8080, the URL its tooling listens on); without it they are printed to stderr, one
 * JSON line per event. cmpflow does not depend on the package; it is loaded only when asked for.
 */
import { existsSync } from 'fs';
import * as path from 'path';
import type { CliLog, OutputStream } from './log';

export interface CliInspector {
  observe(event: unknown): void;
  stop(): void;
}

const DEFAULT_INSPECT_URL = 'ws://localhost:8080';
const PACKAGE = '@statelyai/inspect';

/** A real dynamic import: the CommonJS build would otherwise turn `import()` into `require()`, which cannot load an ES module. */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

function installed(): boolean {
  const dirs = require.resolve.paths?.(PACKAGE) ?? [];
  return dirs.some((dir) => existsSync(path.join(dir, PACKAGE, 'package.json')));
}

interface StatelyInspector {
  inspect: ((event: unknown) => void) | { next?: (event: unknown) => void };
  start?: () => void;
  stop?: () => void;
}

/** Prints each event as one line: type, actor id, and the event or snapshot value. */
function printer(stderr: OutputStream): CliInspector {
  return {
    observe(raw) {
      const e = raw as { type?: string; actorRef?: { id?: string }; event?: unknown; snapshot?: { value?: unknown; status?: unknown } };
      const body =
        e.type === '@xstate.event' ? e.event : e.type === '@xstate.snapshot' ? { value: e.snapshot?.value, status: e.snapshot?.status } : undefined;
      if (body === undefined) return;
      stderr.write(`CMP inspect: ${e.type} ${e.actorRef?.id ?? '?'} ${JSON.stringify(body)}\n`);
    },
    stop() {},
  };
}

export async function openInspector(env: Record<string, string | undefined>, stderr: OutputStream, log: CliLog): Promise<CliInspector> {
  if (!installed()) {
    log.warn(
      `-inspect: ${PACKAGE} is not installed (npm install ${PACKAGE} to view the machines in the Stately inspector); printing the events here instead`,
    );
    return printer(stderr);
  }
  const url = env.CMPFLOW_INSPECT_URL ?? DEFAULT_INSPECT_URL;
  let inspector: StatelyInspector;
  try {
    const mod = (await importModule(PACKAGE)) as { createWebSocketInspector?: (o: { url: string }) => StatelyInspector };
    if (typeof mod.createWebSocketInspector !== 'function') throw new Error('it has no createWebSocketInspector');
    inspector = mod.createWebSocketInspector({ url });
    inspector.start?.();
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : 'load error');
    log.warn(`-inspect: cannot use ${PACKAGE} (${reason}); printing the events here instead`);
    return printer(stderr);
  }
  log.info(`-inspect: sending the state machine events to ${url}`);
  const target = inspector.inspect;
  return {
    observe: (event) => (typeof target === 'function' ? target(event) : target.next?.(event)),
    stop: () => inspector.stop?.(),
  };
}
