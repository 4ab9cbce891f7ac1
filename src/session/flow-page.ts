/**
 * The flow viewer's page: one self-contained HTML document (inline CSS, no script, no external
 * resource), so it opens from a file anywhere, offline, and shows the same thing in any browser.
 * Each machine is drawn as nested boxes (a compound state holds its children) with its transitions
 * listed in each box; the states the session went through carry the class `visited`, those it
 * ended in `current`. Everything shown comes from a FlowRecording, which is sanitised already;
 * every text is still HTML-escaped.
 */
import type { FlowState } from './flow-graph';
import type { FlowMachineRun, FlowMessage, FlowRecording } from './flow-recorder';

/** Text content of <pre>: quotes stay readable. */
function escText(text: string): string {
  return text.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c]!);
}

function esc(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const STYLE = `
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #1b1f24; background: #fff; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 2em; border-bottom: 1px solid #ccd; }
.state { border: 1px solid #8a94a6; border-radius: 8px; padding: 4px 8px; margin: 6px 0; background: #f7f8fa; }
.state > .name { font-weight: 600; }
.state.final > .name::after { content: " (final)"; font-weight: 400; color: #667; }
.state.visited { background: #e3f1ff; border-color: #2f7ad8; }
.state.current { background: #d9f7dd; border: 3px solid #1a8f2e; }
.children { margin-left: 1.2em; display: flex; flex-wrap: wrap; gap: 6px; align-items: flex-start; }
.children > .state { flex: 0 1 auto; min-width: 12em; }
.transitions { list-style: none; padding: 0; margin: 2px 0; font-size: 12px; color: #445; }
.path { font-family: ui-monospace, monospace; font-size: 13px; }
.path td, .path th { padding: 1px 10px 1px 0; text-align: left; }
.message { margin: 4px 0; } .message > summary { cursor: pointer; font-family: ui-monospace, monospace; }
.message.request > summary::before { content: "→ "; } .message.response > summary::before { content: "← "; }
pre { background: #f4f4f6; padding: 6px; overflow-x: auto; font-size: 12px; }
.outcome { font-weight: 600; }
`;

function transitionText(t: FlowState['transitions'][number]): string {
  const guard = t.guard !== undefined ? ` [${t.guard}]` : '';
  const targets = t.targets.length ? t.targets.map((p) => p || '(root)').join(', ') : '(internal)';
  return `${t.trigger}${guard} → ${targets}`;
}

function stateBox(state: FlowState, visited: Set<string>, current: Set<string>): string {
  const classes = ['state', state.type];
  if (visited.has(state.path)) classes.push('visited');
  if (current.has(state.path)) classes.push('current');
  const transitions = state.transitions.length
    ? `<ul class="transitions">${state.transitions.map((t) => `<li>${esc(transitionText(t))}</li>`).join('')}</ul>`
    : '';
  const children = state.children.length ? `<div class="children">${state.children.map((c) => stateBox(c, visited, current)).join('')}</div>` : '';
  return `<div class="${classes.join(' ')}" data-state="${esc(state.path)}"><div class="name">${esc(state.key)}</div>${transitions}${children}</div>`;
}

function leafText(active: string[]): string {
  const leaves = active.filter((p) => !active.some((q) => q.startsWith(`${p}.`)));
  return leaves.join(', ');
}

function machineSection(run: FlowMachineRun, index: number): string {
  const visited = new Set(run.steps.flatMap((s) => s.active));
  const current = new Set(run.steps[run.steps.length - 1]?.active ?? []);
  const rows = run.steps
    .map((step, i) => {
      const next = run.steps[i + 1];
      const stay = next !== undefined ? `${next.at - step.at} ms` : '';
      return `<tr><td>+${step.at} ms</td><td>${esc(leafText(step.active))}</td><td>${stay}</td></tr>`;
    })
    .join('');
  const chart = run.graph ? run.graph.children.map((c) => stateBox(c, visited, current)).join('') : '';
  const result = run.result !== undefined ? `<pre>${escText(JSON.stringify(run.result, null, 2))}</pre>` : '';
  return `<section class="machine" id="machine-${index}" data-machine="${esc(run.machineId)}">
<h2>${esc(run.machineId)} <small>(actor ${esc(run.actorId)})</small></h2>
<p class="outcome">Outcome: <span class="status">${esc(run.status ?? 'unknown')}</span></p>
<h3>Statechart</h3><div class="chart">${chart}</div>
<h3>Path</h3><table class="path"><tr><th>at</th><th>state</th><th>stayed</th></tr>${rows}</table>
${result ? `<h3>Result</h3>${result}` : ''}
</section>`;
}

function messageItem(m: FlowMessage): string {
  return `<details class="message ${m.direction}"><summary>${esc(m.bodyType)} (${m.size} bytes) at +${m.at} ms</summary><pre>${escText(
    JSON.stringify(m.decoded, null, 2),
  )}</pre></details>`;
}

export function flowPage(recording: FlowRecording, title: string): string {
  const started = new Date(recording.startedAt).toISOString();
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>${esc(title)}</title><style>${STYLE}</style></head>
<body>
<h1>${esc(title)}</h1>
<p>Started ${esc(started)}; ${recording.machines.length} machine(s), ${recording.messages.length} message(s). Secrets, protection values and message bytes are not shown.</p>
${recording.machines.map(machineSection).join('\n')}
<h2>Messages</h2>
<div class="messages">${recording.messages.map(messageItem).join('\n') || '<p>No message was recorded.</p>'}</div>
</body></html>
`;
}
