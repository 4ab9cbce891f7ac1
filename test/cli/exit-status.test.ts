/**
 * Every exit status the command can end with is documented, in docs/cli.md's "Exit statuses"
 * table and in the `-help` summary, and nothing is documented that the command never uses. The
 * statuses used are read from the sources: the constants of exit-status.ts and every number
 * src/cli returns as a status or hands to the process.
 */
import { readdirSync, readFileSync } from 'fs';
import * as path from 'path';
import * as statuses from '../../src/cli/exit-status';
import { usage } from '../../src/cli/usage';

const ROOT = path.join(__dirname, '../..');
const CLI = path.join(ROOT, 'src/cli');

/** Literal statuses: `return N;` (main() and the commands return their status), `exitCode = N`, `process.exit(N)`. */
function literalStatuses(source: string): number[] {
  const found: number[] = [];
  for (const m of source.matchAll(/\breturn (\d+);|\bexitCode = (\d+)\b|\bprocess\.exit\((\d+)\)/g)) found.push(Number(m[1] ?? m[2] ?? m[3]));
  return found;
}

function usedStatuses(): number[] {
  const used = new Set<number>((Object.values(statuses) as unknown[]).filter((v): v is number => typeof v === 'number'));
  for (const name of readdirSync(CLI).filter((f) => f.endsWith('.ts'))) {
    for (const status of literalStatuses(readFileSync(path.join(CLI, name), 'utf8'))) used.add(status);
  }
  return [...used].sort((a, b) => a - b);
}

function documentedStatuses(): number[] {
  const doc = readFileSync(path.join(ROOT, 'docs/cli.md'), 'utf8');
  const start = doc.indexOf('\n## Exit statuses\n');
  expect(start).toBeGreaterThan(-1);
  const end = doc.indexOf('\n## ', start + 1);
  const section = doc.slice(start, end === -1 ? undefined : end);
  return Array.from(section.matchAll(/^\| (\d+) \|/gm), (m) => Number(m[1])).sort((a, b) => a - b);
}

describe('exit statuses', () => {
  it('finds the statuses the sources use, the special ones included', () => {
    expect(usedStatuses()).toEqual(expect.arrayContaining([0, 1, statuses.EXIT_WAITING, statuses.EXIT_INTERRUPTED]));
  });

  it('are each documented in docs/cli.md, which documents no other', () => {
    expect(documentedStatuses()).toEqual(usedStatuses());
  });

  it('are each named in the -help summary', () => {
    const line = usage()
      .split('\n')
      .find((l) => l.startsWith('Exit status: '));
    expect(line).toBeDefined();
    const named = Array.from(line!.matchAll(/(?:^Exit status: |, )(\d+) /g), (m) => Number(m[1]));
    expect(named).toEqual(usedStatuses());
  });
});
