/**
 * `-inspect`: the state machine events of each session, already sanitised by the client (byte
 * blobs summarised, secret-named fields redacted, actors replaced by stand-ins that carry only
 * their id, parent and machine definition). With the optional package @statelyai/inspect
 * installed they go to a Stately inspector over a WebSocket (CMPFLOW_INSPECT_URL, by default
 * ws://localhost:8787: the package's own default, 8080, is the port of the docs' CA example);
 * without it, or with CMPFLOW_INSPECT_URL=stderr, they are printed to stderr, one JSON line per event. cmpflow does not depend on the
 * package; it is loaded only when asked for.
 *
 * The package turns XState's events into the Stately inspector's format (createInspector); the
 * socket is cmpflow's own. The package's WebSocket adapter starts itself and reconnects every
 * 5 seconds for ever, which kept the process alive with nothing listening; here the socket is
 * opened once, a refusal is reported once and drops the events, and stopping waits a bounded
 * time for what is queued to be written before it closes.
 */
import { existsSync } from 'fs';
import { createRequire } from 'module';
import * as path from 'path';
import type { CliLog, OutputStream } from './log';

export interface CliInspector {
  observe(event: unknown): void;
  /** Delivers what is pending (bounded in time) and closes the connection. */
  stop(): Promise<void>;
}

export const DEFAULT_INSPECT_URL = 'ws://localhost:8787';
const PACKAGE = '@statelyai/inspect';
/** How long stopping waits for the connection and the queued events; a run never hangs on an inspector. */
const FLUSH_TIMEOUT_MS = 3000;
/** Events kept while the connection opens; the oldest go first, as in the package's adapter. */
const MAX_QUEUED_EVENTS = 1000;
/** Deep enough for the machines' nested states (the package's default of 10 cuts them off). */
const DEFINITION_DEPTH = 64;

/** A real dynamic import: the CommonJS build would otherwise turn `import()` into `require()`, which cannot load an ES module. */
const importModule = new Function('specifier', 'return import(specifier)') as (specifier: string) => Promise<unknown>;

/** The package's folder, found without resolving it: its exports map offers no package.json. */
function packageDir(): string | undefined {
  const dirs = require.resolve.paths?.(PACKAGE) ?? [];
  return dirs.map((dir) => path.join(dir, PACKAGE)).find((dir) => existsSync(path.join(dir, 'package.json')));
}

interface StatelyInspector {
  inspect: { next?: (event: unknown) => void };
}

interface StatelyModule {
  createInspector?: (adapter: { send(event: unknown): void }, options: { serializationDepthLimit: number }) => StatelyInspector;
}

/** The part of the `ws` package's client used here. */
interface Socket {
  readonly readyState: number;
  send(data: string, done: (error?: Error) => void): void;
  close(): void;
  terminate(): void;
  on(event: 'open' | 'close', listener: () => void): void;
  on(event: 'error', listener: (error: Error) => void): void;
}
type SocketClass = new (url: string) => Socket;

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
    stop: async () => {},
  };
}

/** One connection to the inspector, opened once: events wait in a bounded queue until it opens. */
class InspectorSocket {
  #socket: Socket | undefined;
  #state: 'connecting' | 'open' | 'gone' = 'connecting';
  #queue: string[] = [];
  #unwritten = 0;
  #settled: (() => void)[] = [];

  readonly #onGone: (reason: string, wasOpen: boolean) => void;

  constructor(Socket: SocketClass, url: string, onGone: (reason: string, wasOpen: boolean) => void) {
    this.#onGone = onGone;
    const gone = (reason: string) => this.#gone(reason);
    try {
      const socket = new Socket(url);
      this.#socket = socket;
      socket.on('open', () => {
        this.#state = 'open';
        for (const text of this.#queue.splice(0)) this.#write(text);
        this.#wake();
      });
      socket.on('error', (e) => gone((e as NodeJS.ErrnoException).code ?? e.message));
      socket.on('close', () => gone('connection closed'));
    } catch (e) {
      gone(e instanceof Error ? e.message : 'cannot connect');
    }
  }

  send(event: unknown): void {
    if (this.#state === 'gone') return;
    let text: string;
    try {
      text = JSON.stringify(event);
    } catch {
      return;
    }
    if (this.#state === 'open') return this.#write(text);
    this.#queue.push(text);
    if (this.#queue.length > MAX_QUEUED_EVENTS) this.#queue.shift();
  }

  #write(text: string): void {
    this.#unwritten++;
    this.#socket!.send(text, () => {
      this.#unwritten--;
      this.#wake();
    });
  }

  #gone(reason: string): void {
    if (this.#state === 'gone') return;
    const wasOpen = this.#state === 'open';
    this.#state = 'gone';
    this.#queue = [];
    this.#onGone(reason, wasOpen);
    this.#wake();
  }

  #wake(): void {
    for (const resolve of this.#settled.splice(0)) resolve();
  }

  #idle(): boolean {
    return this.#state === 'gone' || (this.#state === 'open' && this.#unwritten === 0);
  }

  async close(timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#idle() && Date.now() < deadline) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, deadline - Date.now()));
        this.#settled.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    const socket = this.#socket;
    if (socket === undefined) return;
    if (this.#state === 'connecting') this.#gone(`no answer within ${timeoutMs / 1000} s`);
    // Closed here, before the close event: ending the run is not a failure to report.
    const wasOpen = this.#state === 'open' && this.#unwritten === 0;
    this.#state = 'gone';
    if (wasOpen) socket.close();
    else socket.terminate();
  }
}

/** CMPFLOW_INSPECT_URL=stderr prints the events even where the package is installed. */
export const PRINT_EVENTS = 'stderr';

export async function openInspector(env: Record<string, string | undefined>, stderr: OutputStream, log: CliLog): Promise<CliInspector> {
  if (env.CMPFLOW_INSPECT_URL === PRINT_EVENTS) return printer(stderr);
  const dir = packageDir();
  if (dir === undefined) {
    log.warn(
      `-inspect: ${PACKAGE} is not installed (npm install ${PACKAGE} to view the machines in the Stately inspector); printing the events here instead`,
    );
    return printer(stderr);
  }
  const url = env.CMPFLOW_INSPECT_URL || DEFAULT_INSPECT_URL;
  let inspector: StatelyInspector;
  let Socket: SocketClass;
  try {
    const mod = (await importModule(PACKAGE)) as StatelyModule;
    if (typeof mod.createInspector !== 'function') throw new Error('it has no createInspector');
    // `ws` is the package's own dependency, so it is resolved from the package, not from cmpflow.
    Socket = createRequire(path.join(dir, 'package.json'))('ws') as SocketClass;
    if (typeof Socket !== 'function') throw new Error('its ws dependency has no WebSocket client');
    const adapter = { send: (event: unknown) => socket.send(event) };
    inspector = mod.createInspector(adapter, { serializationDepthLimit: DEFINITION_DEPTH });
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? (e instanceof Error ? e.message : 'load error');
    log.warn(`-inspect: cannot use ${PACKAGE} (${reason}); printing the events here instead`);
    return printer(stderr);
  }
  const socket = new InspectorSocket(Socket, url, (reason, wasOpen) =>
    log.warn(
      wasOpen
        ? `-inspect: the connection to the Stately inspector at ${url} ended (${reason}); the later state machine events are not shown`
        : `-inspect: no Stately inspector at ${url} (${reason}); the state machine events are not shown`,
    ),
  );
  log.info(`-inspect: sending the state machine events to ${url}`);
  return {
    observe: (event) => inspector.inspect.next?.(event),
    async stop() {
      // The package converts each event on a later timer turn; let those queued so far run first.
      await new Promise((resolve) => setTimeout(resolve, 0));
      await socket.close(FLUSH_TIMEOUT_MS);
    },
  };
}
