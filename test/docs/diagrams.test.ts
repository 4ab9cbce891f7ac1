/**
 * The statecharts in docs/machines are generated from the machine definitions: each page holds
 * exactly what scripts/diagrams.ts draws from its machine today, and the drawing shows every
 * state, guard, tag and invoked actor in a form Mermaid's state grammar accepts.
 */
import * as fs from 'fs';
import { and, assign, fromPromise, not, setup, type AnyStateMachine, type AnyStateNode } from 'xstate';
import {
  DIAGRAM_BEGIN,
  DIAGRAM_END,
  DOCUMENTED_MACHINES,
  diagramBlock,
  diagramInPage,
  guardName,
  machinePagePath,
  machineToMermaid,
  withDiagram,
} from '../../scripts/diagrams';

function allNodes(node: AnyStateNode): AnyStateNode[] {
  return [node, ...Object.values(node.states).flatMap(allNodes)];
}

function guardsOf(machine: AnyStateMachine): string[] {
  const names = new Set<string>();
  for (const node of allNodes(machine.root)) {
    const candidates = [...[...node.transitions.values()].flat(), ...(node.always ?? [])];
    for (const t of candidates) if (t.guard !== undefined) names.add(guardName(t.guard));
  }
  return [...names];
}

describe.each(DOCUMENTED_MACHINES.map((m) => [m.id, m] as const))('the %s page', (_id, machine) => {
  const page = fs.readFileSync(machinePagePath(machine), 'utf8');

  it('holds the diagram generated from the machine definition (else run `npm run docs:diagrams`)', () => {
    expect(diagramInPage(page)).toBe(diagramBlock(machine));
  });

  it('shows every state, tag, guard and invoked actor of the machine', () => {
    const diagram = machineToMermaid(machine);
    for (const node of allNodes(machine.root).slice(1)) {
      expect(diagram).toMatch(new RegExp(`state "${node.key}[ "]`));
      for (const tag of node.tags) expect(diagram).toContain(`«${tag}»`);
      for (const invoke of node.invoke) expect(diagram).toContain(`invokes ${String(invoke.src)}`);
    }
    const guards = guardsOf(machine);
    expect(guards.length).toBeGreaterThan(0);
    for (const guard of guards) expect(diagram).toContain(`[${guard}]`);
  });

  it('names every state and guard it documents in prose as well', () => {
    for (const node of allNodes(machine.root)
      .slice(1)
      .filter((n) => n.parent === machine.root)) {
      expect(page).toContain(`\`${node.key}\``);
    }
    for (const guard of guardsOf(machine)
      .flatMap((g) => g.split(/ and | or |not /))
      .filter(Boolean)) {
      expect(page).toContain(`\`${guard.replace(/[()]/g, '')}\``);
    }
  });

  it('uses only identifiers and labels that Mermaid state diagrams accept', () => {
    const lines = machineToMermaid(machine).trimEnd().split('\n');
    expect(lines[0]).toBe('stateDiagram-v2');
    for (const line of lines.slice(1)) {
      const edge = /^\s*(\S+) --> (\S+)(?: : (.*))?$/.exec(line);
      const declaration = /^\s*state "([^"]+)" as (\w+)(?: \{)?$/.exec(line);
      const description = /^\s*(\w+) : (.+)$/.exec(line);
      const note = /^\s*note right of (\w+) : ([^:;#]+)$/.exec(line);
      const structure = /^\s*(?:\}|--)$/.test(line);
      expect({ line, recognised: Boolean(edge || declaration || description || note || structure) }).toEqual({ line, recognised: true });
      if (edge) {
        for (const end of [edge[1]!, edge[2]!]) expect(end).toMatch(/^(?:\[\*\]|[A-Za-z_][A-Za-z0-9_]*)$/);
        expect(edge[3] ?? '').not.toMatch(/[:;#]/);
      }
      if (description) expect(description[2]).not.toMatch(/[:;#]/);
    }
  });
});

describe('machineToMermaid', () => {
  const sample = setup({
    types: { events: {} as { type: 'go' } | { type: 'stop' } },
    actors: { fetchThing: fromPromise(async () => 1) },
    guards: { ready: () => true, allowed: () => true },
    actions: { remember: assign({}) },
  }).createMachine({
    id: 'sample',
    initial: 'idle',
    states: {
      idle: { tags: 'quiet', on: { go: [{ guard: 'ready', target: 'work' }, { target: 'done' }] } },
      work: {
        initial: 'fetching',
        states: {
          fetching: {
            invoke: { src: 'fetchThing', onDone: 'checked', onError: '#sample.done' },
          },
          checked: {
            always: [{ guard: and(['ready', not('allowed')]), target: '#sample.idle' }, { target: '#sample.done' }],
          },
        },
        on: { stop: { actions: 'remember' } },
      },
      done: { type: 'final' },
    },
  });

  it('draws nested states inside their parent and lifts transitions that leave it to the parent', () => {
    expect(machineToMermaid(sample)).toBe(
      [
        'stateDiagram-v2',
        '  [*] --> idle',
        '  state "idle «quiet»" as idle',
        '  state "work" as work {',
        '    [*] --> work_fetching',
        '    state "fetching" as work_fetching',
        '    work_fetching : invokes fetchThing',
        '    state "checked" as work_checked',
        '    work_fetching --> work_checked : onDone(fetchThing)',
        '  }',
        '  note right of work : stop (internal)',
        '  state "done" as done',
        '  idle --> work : go (1) [ready]',
        '  idle --> done : go (2) else',
        '  work --> done : onError(fetchThing) or (2) else',
        '  work --> idle : (1) [ready and (not allowed)]',
        '  done --> [*]',
        '',
      ].join('\n'),
    );
  });

  it('labels a lone unguarded eventless transition "always" and a delayed one with its delay', () => {
    const m = setup({}).createMachine({
      id: 'timed',
      initial: 'a',
      states: { a: { always: 'b' }, b: { after: { 1500: 'c' } }, c: { type: 'final' } },
    });
    const diagram = machineToMermaid(m);
    expect(diagram).toContain('  a --> b : always\n');
    expect(diagram).toContain('  b --> c : after 1500 ms\n');
  });

  it('keeps state identifiers clear of the words Mermaid reads as keywords', () => {
    const m = setup({}).createMachine({ id: 'k', initial: 'state', states: { state: { on: { go: 'note' } }, note: {} } });
    expect(machineToMermaid(m)).toContain('  s_state --> s_note : go\n');
  });
});

describe('the diagram markers', () => {
  const block = '```mermaid\nstateDiagram-v2\n```';

  it('replaces only what lies between the markers', () => {
    const page = `# Title\n\nbefore\n${DIAGRAM_BEGIN}\nold\n${DIAGRAM_END}\nafter\n`;
    expect(withDiagram(page, block)).toBe(`# Title\n\nbefore\n${DIAGRAM_BEGIN}\n${block}\n${DIAGRAM_END}\nafter\n`);
  });

  it.each([
    ['no markers', '# Title\n'],
    ['an end before the begin', `${DIAGRAM_END}\n${DIAGRAM_BEGIN}\n`],
    ['two begin markers', `${DIAGRAM_BEGIN}\n${DIAGRAM_BEGIN}\n${DIAGRAM_END}\n`],
  ])('refuses a page with %s', (_what, page) => {
    expect(() => withDiagram(page, block, 'docs/machines/x.md')).toThrow(/docs\/machines\/x\.md needs exactly one/);
  });
});
