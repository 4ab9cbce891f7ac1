/**
 * The statechart of a machine as the flow viewer draws it, read from the definition an inspection
 * event carries (`actorRef.logic.config`, already sanitised) rather than from the machine object:
 * the viewer then draws whatever machine the session ran, the caller's own included, with nothing
 * but what an inspector is allowed to see.
 */

export interface FlowTransition {
  /** What triggers it: an event type, `onDone(actor)`, `onError(actor)`, `after N ms` or `always`. */
  trigger: string;
  guard?: string;
  /** Dotted state paths from the root, e.g. `requesting.sending`. */
  targets: string[];
}

export interface FlowState {
  /** Dotted path from the root; '' for the root. */
  path: string;
  key: string;
  type: 'atomic' | 'compound' | 'parallel' | 'final' | 'history';
  children: FlowState[];
  transitions: FlowTransition[];
}

type Config = Record<string, unknown>;

function isObject(v: unknown): v is Config {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asList(v: unknown): unknown[] {
  return v === undefined ? [] : Array.isArray(v) ? v : [v];
}

function nameOf(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObject(v) && typeof v.type === 'string') return v.type;
  return undefined;
}

/** Resolves a target as XState does: `#id.a.b` by id, `.child` below the state, `sibling` beside it. */
function resolveTarget(target: string, statePath: string[], machineId: string, ids: Map<string, string>): string {
  if (target.startsWith('#')) {
    const [id, ...rest] = target.slice(1).split('.');
    if (id === machineId) return rest.join('.');
    const base = ids.get(id!);
    return base === undefined ? target : [base, ...rest].filter((p) => p !== '').join('.');
  }
  if (target.startsWith('.')) return [...statePath, target.slice(1)].join('.');
  return [...statePath.slice(0, -1), target].join('.');
}

function collectIds(config: Config, path: string[], ids: Map<string, string>): void {
  if (typeof config.id === 'string' && path.length > 0) ids.set(config.id, path.join('.'));
  if (isObject(config.states)) {
    for (const [key, child] of Object.entries(config.states)) if (isObject(child)) collectIds(child, [...path, key], ids);
  }
}

function transitionsOf(trigger: string, spec: unknown, resolve: (t: string) => string): FlowTransition[] {
  return asList(spec).flatMap((candidate): FlowTransition[] => {
    const t = typeof candidate === 'string' ? { target: candidate } : isObject(candidate) ? candidate : undefined;
    if (t === undefined) return [];
    const guard = nameOf(t.guard);
    const targets = asList(t.target)
      .filter((x): x is string => typeof x === 'string')
      .map(resolve);
    return [{ trigger, ...(guard !== undefined ? { guard } : {}), targets }];
  });
}

function stateOf(config: Config, path: string[], machineId: string, ids: Map<string, string>): FlowState {
  const resolve = (t: string) => resolveTarget(t, path, machineId, ids);
  const transitions: FlowTransition[] = [];
  if (isObject(config.on)) for (const [event, spec] of Object.entries(config.on)) transitions.push(...transitionsOf(event, spec, resolve));
  for (const invoke of asList(config.invoke)) {
    if (!isObject(invoke)) continue;
    const actor = nameOf(invoke.src) ?? (typeof invoke.id === 'string' ? invoke.id : 'actor');
    transitions.push(...transitionsOf(`onDone(${actor})`, invoke.onDone, resolve));
    transitions.push(...transitionsOf(`onError(${actor})`, invoke.onError, resolve));
  }
  if (isObject(config.after))
    for (const [delay, spec] of Object.entries(config.after)) transitions.push(...transitionsOf(`after ${delay} ms`, spec, resolve));
  transitions.push(...transitionsOf('always', config.always, resolve));
  if (config.onDone !== undefined) transitions.push(...transitionsOf('onDone', config.onDone, resolve));
  const children = isObject(config.states)
    ? Object.entries(config.states).flatMap(([key, child]) => (isObject(child) ? [stateOf(child, [...path, key], machineId, ids)] : []))
    : [];
  const declared = config.type;
  const type = declared === 'final' || declared === 'parallel' || declared === 'history' ? declared : children.length > 0 ? 'compound' : 'atomic';
  return { path: path.join('.'), key: path[path.length - 1] ?? machineId, type, children, transitions };
}

/** The state tree of a machine definition (`machine.config` as inspection events carry it). */
export function flowGraph(config: Record<string, unknown>): FlowState {
  const machineId = typeof config.id === 'string' ? config.id : 'machine';
  const ids = new Map<string, string>();
  collectIds(config, [], ids);
  return stateOf(config, [], machineId, ids);
}

/** The dotted paths of the active states in a snapshot value ('a', or { a: 'b' } for a.b, and every ancestor). */
export function activePaths(value: unknown, prefix: string[] = []): string[] {
  if (typeof value === 'string') return [...prefix, value].map((_, i, all) => all.slice(0, i + 1).join('.'));
  if (!isObject(value)) return [];
  const own = prefix.length ? [prefix.join('.')] : [];
  return [...own, ...Object.entries(value).flatMap(([key, child]) => activePaths(child, [...prefix, key]))];
}
