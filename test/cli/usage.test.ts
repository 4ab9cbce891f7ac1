import { usage } from '../../src/cli/usage';
import { OPTIONS } from '../../src/cli/option-table';
import { opensslAvailable, runOpenSsl } from '../support/openssl';

/** Option names per group heading ("" for the ungrouped ones at the top), in order. */
function groups(text: string): Map<string, string[]> {
  const result = new Map<string, string[]>([['', []]]);
  let current = '';
  for (const line of text.split('\n')) {
    const heading = /^(.+) options:$/.exec(line);
    if (heading) {
      current = heading[1]!;
      result.set(current, []);
    }
    const option = /^ -(\S+)/.exec(line);
    if (option) result.get(current)!.push(option[1]!);
  }
  return result;
}

/** The " -name placeholder" column of each option line, padded as printed. */
function columns(text: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^( -(\S+)(?: (?:val|int|nonneg|\+int|intmax|outfile))? +)/.exec(line);
    if (m) result.set(m[2]!, m[1]!);
  }
  return result;
}

describe('-help', () => {
  it('lists every option of the table once, with its help lines', () => {
    const text = usage();
    expect(text.startsWith('Usage: cmpflow [options]\nValid options are:\n -help ')).toBe(true);
    for (const option of OPTIONS) {
      expect(text.match(new RegExp(`^ -${option.name.replace(/[-]/g, '\\-')}(\\s|$)`, 'gm'))).toHaveLength(1);
      for (const help of option.help) expect(text).toContain(help);
    }
  });

  it('groups and lays out the options as `openssl cmp -help` does', async () => {
    expect(await opensslAvailable()).toBe(true);
    const theirs = (await runOpenSsl(['cmp', '-config', '', '-help'])).stderr;
    const ours = usage('cmp');
    expect(columns(theirs).size).toBeGreaterThan(130);

    const ourGroups = groups(ours);
    for (const [heading, names] of groups(theirs)) {
      expect({ heading, names: ourGroups.get(heading) }).toEqual({ heading, names });
    }
    expect(ourGroups.get('cmpflow-specific')).toEqual(['session', 'resume', 'nowait', 'inspect', 'pbmac1']);

    const ourColumns = columns(ours);
    for (const [name, column] of columns(theirs)) expect({ name, column: ourColumns.get(name) }).toEqual({ name, column });
  });
});
