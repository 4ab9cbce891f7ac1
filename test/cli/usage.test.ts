import { readFileSync } from 'fs';
import * as path from 'path';
import { main } from '../../src/cli/main';
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

/** test/cli/data/openssl-3.5-cmp-options.txt: 3.5's option names per group heading, in order. */
function openssl35Groups(): Map<string, string[]> {
  const result = new Map<string, string[]>();
  let current: string[] = [];
  for (const line of readFileSync(path.join(__dirname, 'data', 'openssl-3.5-cmp-options.txt'), 'utf8').split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const heading = /^\[(.*)\]$/.exec(line);
    if (heading) result.set(heading[1]!, (current = []));
    else current.push(line);
  }
  return result;
}

describe('-help', () => {
  it('lists every option of the table once, with its help lines', () => {
    const text = usage();
    expect(text.startsWith('Usage: cmpflow [options]\n')).toBe(true);
    expect(text).toContain('\nValid options are:\n -help ');
    for (const option of OPTIONS) {
      expect(text.match(new RegExp(`^ -${option.name.replace(/[-]/g, '\\-')}(\\s|$)`, 'gm'))).toHaveLength(1);
      for (const help of option.help) expect(text).toContain(help);
    }
  });

  it("lists every option of OpenSSL 3.5's `openssl cmp` (157), in its order and under its group headings", () => {
    const theirs = openssl35Groups();
    expect([...theirs.values()].flat()).toHaveLength(157);
    const ours = groups(usage('cmp'));
    for (const [heading, names] of theirs) expect({ heading, names: ours.get(heading) }).toEqual({ heading, names });
    const opensslOrigin = OPTIONS.filter((o) => o.origin === 'openssl').map((o) => o.name);
    expect(opensslOrigin).toEqual([...theirs.values()].flat());
  });

  it('keeps every option of the installed `openssl cmp -help` (3.0), laid out as it does', async () => {
    expect(await opensslAvailable()).toBe(true);
    const theirs = (await runOpenSsl(['cmp', '-config', '', '-help'])).stderr;
    const ours = usage('cmp');
    expect(columns(theirs).size).toBeGreaterThan(130);

    // OpenSSL 3.2 moved -issuer next to -oldcert, where 3.5 has it too.
    const movedSince30 = new Map([['issuer', 'Certificate enrollment and revocation']]);
    const ourGroups = groups(ours);
    for (const [heading, names] of groups(theirs)) {
      const kept = names.filter((n) => !movedSince30.has(n));
      const ourNames = (ourGroups.get(heading) ?? []).filter((n) => kept.includes(n));
      expect({ heading, names: ourNames }).toEqual({ heading, names: kept });
    }
    for (const [name, heading] of movedSince30) expect(ourGroups.get(heading)).toContain(name);
    // The options OpenSSL does not have are all under a heading of their own, after OpenSSL's.
    const ownOptions = OPTIONS.filter((o) => o.origin === 'cmpflow').map((o) => o.name);
    expect(ownOptions).toEqual(expect.arrayContaining(['session', 'resume', 'nowait', 'inspect', 'pbmac1', 'version']));
    expect(ourGroups.get('cmpflow-specific')).toEqual(ownOptions);
    expect([...ourGroups.keys()].pop()).toBe('cmpflow-specific');

    const ourColumns = columns(ours);
    for (const [name, column] of columns(theirs)) expect({ name, column: ourColumns.get(name) }).toEqual({ name, column });
  });
});

describe('-help before the options', () => {
  const modeLines = () => {
    const text = usage();
    return text.slice(0, text.indexOf('Valid options are:')).split('\n');
  };

  it('shows every mode of the command: each client command, -session, -resume, server mode, dump, -version', () => {
    const lines = modeLines();
    const mode = (pattern: RegExp) => lines.filter((l) => pattern.test(l));
    expect(mode(/^ {2}cmpflow -cmd ir\|cr\|kur\|p10cr\|rr\|genm /)).toHaveLength(1);
    expect(mode(/^ {2}cmpflow -cmd ir\|cr\|kur\|p10cr -session FILE /)).toHaveLength(1);
    expect(mode(/^ {2}cmpflow -resume FILE /)).toHaveLength(1);
    expect(mode(/^ {2}cmpflow -port N /)).toHaveLength(1);
    expect(mode(/^ {2}cmpflow dump FILE /)).toHaveLength(1);
    expect(mode(/^ {2}cmpflow -version /)).toHaveLength(1);
    expect(mode(/^Exit status: 0 success, 1 failure, 3 .*, 130 /)).toHaveLength(1);
  });

  it('names only modes that exist: each one is recognised by the command', async () => {
    const io = () => {
      let out = '';
      let err = '';
      return {
        stdout: { write: (c: string | Uint8Array) => ((out += c.toString()), true) },
        stderr: { write: (c: string | Uint8Array) => ((err += c.toString()), true) },
        env: {},
        cwd: process.cwd(),
        text: () => out + err,
      };
    };
    // The mode's own options, without what it would need to run: each fails for what is missing,
    // never for an unknown option or argument.
    const modes = [
      ['-config', '', '-cmd', 'genm'],
      ['-config', '', '-cmd', 'ir', '-session', 'x.json'],
      ['-config', '', '-resume', 'x.json'],
      ['-config', '', '-port', '0'],
      ['dump'],
    ];
    for (const argv of modes) {
      const stream = io();
      await main(argv, stream);
      expect({ argv, text: stream.text() }).toEqual({ argv, text: expect.not.stringMatching(/unknown option|unexpected argument/) });
    }
  });
});
