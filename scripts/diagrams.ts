/**
 * Draws each session machine as a Mermaid `stateDiagram-v2` from its definition, and keeps the
 * drawing in docs/machines/<machine id>.md between `<!-- diagram:begin -->` and
 * `<!-- diagram:end -->`. The drawing is derived, never edited by hand, so it cannot drift from the
 * machine: test/docs checks that the pages hold what this script generates today.
 *
 *   npm run docs:diagrams            rewrite the diagrams that changed
 *   npm run docs:diagrams -- --check exit 1 if any page is out of date
 *
 * Notation: `onDone(actor)` / `onError(actor)` are the invoked actor resolving or rejecting,
 * `[guard]` is a named guard, `else` the transition taken when the guards before it fail, `(n)`
 * the order in which XState tries the candidates of one event, `«tag»` a state tag. Transitions that leave a compound state from inside it are drawn from the
 * compound state, since Mermaid cannot draw an arrow out of a nested state.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { AnyStateMachine, AnyStateNode } from 'xstate';
import { enrollmentMachine, generalMachine, revocationMachine } from '../machines';

export const DIAGRAM_BEGIN = '<!-- diagram:begin -->';
export const DIAGRAM_END = '<!-- diagram:end -->';

/** The machines that have a page in docs/machines, named by their machine id. */
export const DOCUMENTED_MACHINES: readonly AnyStateMachine[] = [enrollmentMachine, revocationMachine, generalMachine];

type TransitionDefinition = NonNullable<AnyStateNode['always']>[number];

interface Edge {
  from: string;
  to: string;
  labels: string[];
}

const INDENT = '  ';
/** Words Mermaid's state grammar reads as keywords wherever they start a token. */
const MERMAID_KEYWORDS = /^(?:state|note|default|class|classdef|style|direction|scale|hide|end|as)/i;

/** A Mermaid identifier for a state: its path joined by '_', kept clear of the grammar's keywords. */
function mermaidId(node: AnyStateNode): string {
  const id = node.path.map((key) => key.replace(/[^A-Za-z0-9_]/g, '_')).join('_');
  return MERMAID_KEYWORDS.test(id) ? `s_${id}` : id;
}

/** Mermaid ends a label at ':', ';' or a newline and reads '#' as a comment. */
function labelText(text: string): string {
  return text
    .replace(/[:;#\n"]/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** A guard by name; higher-order guards (and, or, not) spelled out. */
export function guardName(guard: unknown): string {
  if (typeof guard === 'string') return guard;
  if (typeof guard === 'function') {
    const f = guard as { name?: string; guards?: unknown[]; check?: unknown };
    if (f.check && Array.isArray(f.guards)) {
      const parts = f.guards.map((g) => {
        const name = guardName(g);
        return /\s/.test(name) ? `(${name})` : name;
      });
      if (f.name === 'not') return `not ${parts[0]}`;
      return parts.join(` ${f.name === 'or' ? 'or' : 'and'} `);
    }
    return f.name ? f.name : 'inline guard';
  }
  if (typeof guard === 'object' && guard !== null && typeof (guard as { type?: unknown }).type === 'string') {
    return (guard as { type: string }).type;
  }
  return 'guard';
}

const DONE_ACTOR = 'xstate.done.actor.';
const ERROR_ACTOR = 'xstate.error.actor.';
const AFTER = 'xstate.after.';
const DONE_STATE = 'xstate.done.state.';

/** The name an invoked actor is known by: its `src` key, or the invoke id for inline logic. */
function actorName(invoke: AnyStateNode['invoke'][number]): string {
  return typeof invoke.src === 'string' ? invoke.src : invoke.id;
}

/** What triggers a transition of `node`, as the machine's author wrote it. */
function triggerLabel(node: AnyStateNode, eventType: string): string {
  const invoked = (prefix: string) => {
    const id = eventType.slice(prefix.length);
    const invoke = node.invoke.find((i) => i.id === id);
    return invoke ? actorName(invoke) : id;
  };
  if (eventType.startsWith(DONE_ACTOR)) return `onDone(${invoked(DONE_ACTOR)})`;
  if (eventType.startsWith(ERROR_ACTOR)) return `onError(${invoked(ERROR_ACTOR)})`;
  if (eventType.startsWith(AFTER)) return `after ${eventType.slice(AFTER.length).split('.')[0]} ms`;
  if (eventType.startsWith(DONE_STATE)) return 'onDone';
  if (eventType === '*') return 'any event';
  return eventType;
}

/**
 * Labels of one event's (or the eventless) candidate transitions. XState takes the first whose
 * guard holds, so when there are several they are numbered in that order.
 */
function candidateLabels(trigger: string | undefined, candidates: readonly TransitionDefinition[]): string[] {
  let guardedBefore = false;
  return candidates.map((t, i) => {
    let condition: string | undefined;
    if (t.guard !== undefined) {
      condition = `[${guardName(t.guard)}]`;
      guardedBefore = true;
    } else if (guardedBefore) condition = 'else';
    const order = candidates.length > 1 ? `(${i + 1})` : undefined;
    const text = [trigger, order, condition].filter((p) => p !== undefined).join(' ');
    return labelText(text === '' ? 'always' : text);
  });
}

/** The root-to-node chain of a state. */
function lineage(node: AnyStateNode): AnyStateNode[] {
  const chain: AnyStateNode[] = [];
  for (let n: AnyStateNode | undefined = node; n; n = n.parent) chain.unshift(n);
  return chain;
}

/**
 * Where an arrow from `source` to `target` is drawn: inside the deepest state that contains both
 * (strictly), between the children of it that lead to each end.
 */
function placeEdge(source: AnyStateNode, target: AnyStateNode): { container: AnyStateNode; from: AnyStateNode; to: AnyStateNode } {
  const s = lineage(source);
  const t = lineage(target);
  let common = 0;
  while (common < s.length && common < t.length && s[common] === t[common]) common++;
  const depth = Math.min(common, s.length - 1, t.length - 1) - 1;
  return { container: s[depth]!, from: s[depth + 1]!, to: t[depth + 1]! };
}

/** `onError(a)` and `onError(b)` between the same states become `onError(a, b)`. */
function mergeLabels(labels: readonly string[]): string {
  const groups: { head: string; args: string[]; tail: string }[] = [];
  for (const label of labels) {
    const m = /^(onDone|onError)\(([^)]*)\)(.*)$/.exec(label);
    const head = m ? m[1]! : label;
    const tail = m ? m[3]! : '';
    const group = m ? groups.find((g) => g.head === head && g.tail === tail && g.args.length > 0) : undefined;
    if (group) group.args.push(m![2]!);
    else groups.push({ head, args: m ? [m[2]!] : [], tail });
  }
  return groups.map((g) => (g.args.length ? `${g.head}(${g.args.join(', ')})${g.tail}` : g.head)).join(' or ');
}

function descendants(node: AnyStateNode): AnyStateNode[] {
  return Object.values(node.states).flatMap((child) => [child, ...descendants(child)]);
}

function invokedActors(node: AnyStateNode): string[] {
  return node.invoke.map(actorName);
}

function displayName(node: AnyStateNode): string {
  const tags = node.tags.map((tag) => ` «${tag}»`).join('');
  const compoundInvokes = node.type === 'atomic' || node.type === 'final' ? [] : invokedActors(node);
  const invokes = compoundInvokes.length ? ` (invokes ${compoundInvokes.join(', ')})` : '';
  return labelText(`${node.key}${tags}${invokes}`).replace(/"/g, "'");
}

/** Mermaid `stateDiagram-v2` text of a machine's states, transitions, guards, tags and invoked actors. */
export function machineToMermaid(machine: AnyStateMachine): string {
  const root = machine.root;
  const edges = new Map<AnyStateNode, Edge[]>();
  const internal = new Map<AnyStateNode, string[]>();

  const addEdge = (source: AnyStateNode, target: AnyStateNode, label: string) => {
    const { container, from, to } = placeEdge(source, target);
    const list = edges.get(container) ?? [];
    const fromId = mermaidId(from);
    const toId = mermaidId(to);
    const existing = list.find((e) => e.from === fromId && e.to === toId);
    if (existing) existing.labels.push(label);
    else list.push({ from: fromId, to: toId, labels: [label] });
    edges.set(container, list);
  };
  const addTransitions = (node: AnyStateNode, trigger: string | undefined, candidates: readonly TransitionDefinition[]) => {
    const labels = candidateLabels(trigger, candidates);
    candidates.forEach((t, i) => {
      const label = labels[i]!;
      if (!t.target || t.target.length === 0) {
        internal.set(node, [...(internal.get(node) ?? []), `${label} (internal)`]);
        return;
      }
      for (const target of t.target) addEdge(node, target, label);
    });
  };

  for (const node of [root, ...descendants(root)]) {
    for (const [eventType, candidates] of node.transitions) addTransitions(node, triggerLabel(node, eventType), candidates);
    if (node.always?.length) addTransitions(node, undefined, node.always);
  }

  const lines: string[] = ['stateDiagram-v2'];
  const body = (container: AnyStateNode, depth: number) => {
    const pad = INDENT.repeat(depth);
    const children = Object.values(container.states);
    if (container.type !== 'parallel') {
      for (const initial of container.initial?.target ?? []) lines.push(`${pad}[*] --> ${mermaidId(initial)}`);
    }
    children.forEach((child, i) => {
      if (container.type === 'parallel' && i > 0) lines.push(`${pad}--`);
      const id = mermaidId(child);
      const name = displayName(child);
      if (child.type === 'compound' || child.type === 'parallel') {
        lines.push(`${pad}state "${name}" as ${id} {`);
        body(child, depth + 1);
        lines.push(`${pad}}`);
      } else {
        lines.push(`${pad}state "${name}" as ${id}`);
        for (const actor of invokedActors(child)) lines.push(`${pad}${id} : invokes ${labelText(actor)}`);
      }
      const internalTexts = internal.get(child) ?? [];
      // Mermaid lets a composite state carry a label only, so its internal transitions go in a note.
      if (internalTexts.length && (child.type === 'compound' || child.type === 'parallel')) {
        lines.push(`${pad}note right of ${id} : ${internalTexts.join(', ')}`);
      } else for (const text of internalTexts) lines.push(`${pad}${id} : ${text}`);
    });
    for (const edge of edges.get(container) ?? []) lines.push(`${pad}${edge.from} --> ${edge.to} : ${mergeLabels(edge.labels)}`);
    for (const child of children) if (child.type === 'final') lines.push(`${pad}${mermaidId(child)} --> [*]`);
  };
  body(root, 1);
  return `${lines.join('\n')}\n`;
}

/** The fenced block that goes between the markers. */
export function diagramBlock(machine: AnyStateMachine): string {
  return `\`\`\`mermaid\n${machineToMermaid(machine)}\`\`\``;
}

/** What a page holds between its markers (trimmed), or undefined without a well-formed pair. */
export function diagramInPage(page: string): string | undefined {
  const begin = page.indexOf(DIAGRAM_BEGIN);
  const end = page.indexOf(DIAGRAM_END);
  if (begin < 0 || end < begin || page.indexOf(DIAGRAM_BEGIN, begin + 1) >= 0) return undefined;
  return page.slice(begin + DIAGRAM_BEGIN.length, end).trim();
}

/** The page with `block` between its markers; a page without exactly one pair is refused. */
export function withDiagram(page: string, block: string, pageName = 'the page'): string {
  if (diagramInPage(page) === undefined) {
    throw new Error(`${pageName} needs exactly one ${DIAGRAM_BEGIN} … ${DIAGRAM_END} pair`);
  }
  const begin = page.indexOf(DIAGRAM_BEGIN) + DIAGRAM_BEGIN.length;
  const end = page.indexOf(DIAGRAM_END);
  return `${page.slice(0, begin)}\n${block}\n${page.slice(end)}`;
}

export function machinePagePath(machine: AnyStateMachine, repoRoot = path.resolve(__dirname, '..')): string {
  return path.join(repoRoot, 'docs', 'machines', `${machine.id}.md`);
}

export interface DiagramUpdate {
  file: string;
  upToDate: boolean;
}

/** Brings each page's diagram up to date (or, with `check`, only reports which are not). */
export function updateDiagrams(options: { check?: boolean; repoRoot?: string } = {}): DiagramUpdate[] {
  return DOCUMENTED_MACHINES.map((machine) => {
    const file = machinePagePath(machine, options.repoRoot);
    const page = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : `# The ${machine.id} machine\n\n${DIAGRAM_BEGIN}\n${DIAGRAM_END}\n`;
    const updated = withDiagram(page, diagramBlock(machine), path.relative(process.cwd(), file));
    const upToDate = fs.existsSync(file) && updated === page;
    if (!upToDate && !options.check) {
      fs.mkdirSync(path.dirname(file), { recursive: true });
      fs.writeFileSync(file, updated);
    }
    return { file, upToDate };
  });
}

if (require.main === module) {
  const check = process.argv.includes('--check');
  try {
    const results = updateDiagrams({ check });
    for (const r of results) {
      const file = path.relative(process.cwd(), r.file);
      console.log(`${r.upToDate ? 'up to date' : check ? 'OUT OF DATE' : 'updated'}  ${file}`);
    }
    if (check && results.some((r) => !r.upToDate)) {
      console.error('run `npm run docs:diagrams` to regenerate the diagrams');
      process.exitCode = 1;
    }
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    process.exitCode = 1;
  }
}
