/**
 * The `-help` text, laid out as OpenSSL's `opt_help()` lays out `openssl cmp -help`: the option
 * and its value placeholder padded to a common column (options too long for it get a line of
 * their own), continuation lines indented to that column, and a heading per option group.
 */
import { OPTIONS, OptionSpec, ValueType } from './option-table';

/** opt.c MAX_OPT_HELP_WIDTH: option columns at least this wide are not used for the alignment. */
const MAX_OPT_HELP_WIDTH = 30;

const PLACEHOLDER: Record<ValueType, string> = {
  '-': '',
  s: 'val',
  n: 'int',
  N: 'nonneg',
  p: '+int',
  M: 'intmax',
  '>': 'outfile',
};

function optionColumn(o: OptionSpec): string {
  return ` -${o.name}${o.type === '-' ? '' : ` ${PLACEHOLDER[o.type]}`}`;
}

/**
 * What the command can do, before OpenSSL's option list. Indented by two spaces, so that no line
 * reads as an option line (` -name`) to tools that parse `openssl cmp -help`.
 */
function modes(prog: string): string[] {
  const rows: [string, string][] = [
    [`${prog} -cmd ir|cr|kur|p10cr|rr|genm ...`, 'run a CMP transaction as client (-server, or -use_mock_srv)'],
    [`${prog} -cmd ir|cr|kur|p10cr -session FILE ...`, 'the same, saving it to FILE while the server has it waiting'],
    [`${prog} -resume FILE ...`, 'continue a transaction saved with -session'],
    [`${prog} -port N ...`, 'serve the embedded CMP server on 127.0.0.1 (mock server options)'],
    [`${prog} fleet submit JOBS.jsonl --queue Q ...`, 'queue one job a line (Q: a directory, or redis://HOST:PORT[/DB])'],
    [`${prog} fleet work --queue Q [--concurrency N] [--until-idle]`, 'work the jobs of Q, resuming waiting ones when due'],
    [`${prog} fleet status --queue Q [--json]`, 'count the jobs of Q by state'],
    [`${prog} fleet renew --queue Q --within DAYS [--deploy-hook CMD]`, 'renew (kur) the certificates expiring within DAYS'],
    [`${prog} fleet cancel --queue Q (--device ID | --all-waiting)`, 'cancel a job, or every job waiting on its CA (the CA is not told)'],
    [`${prog} dump FILE`, 'print a DER or PEM PKIMessage file as JSON (- reads stdin)'],
    [`${prog} -version`, 'print the version'],
    [`${prog} -help`, 'print this summary'],
  ];
  const width = Math.max(...rows.map(([what]) => what.length));
  return [
    'Modes:',
    ...rows.map(([what, why]) => `  ${what.padEnd(width)}  ${why}`),
    'Exit status: 0 success, 1 failure, 3 left waiting (-nowait), 130 interrupted (Ctrl-C)',
  ];
}

/** The full `-help` text, ending with a newline. */
export function usage(prog = 'cmpflow', options: readonly OptionSpec[] = OPTIONS): string {
  let width = 5;
  for (const o of options) {
    const w = optionColumn(o).length;
    if (w < MAX_OPT_HELP_WIDTH && w > width) width = w;
  }
  const lines = [`Usage: ${prog} [options]`, ...modes(prog), 'Valid options are:'];
  let group: string | undefined;
  for (const o of options) {
    if (o.group !== group) {
      group = o.group;
      if (group !== 'general') lines.push('', `${group === 'cmpflow' ? 'cmpflow-specific' : group} options:`);
    }
    const column = optionColumn(o);
    const [first, ...more] = o.help;
    if (column.length >= MAX_OPT_HELP_WIDTH) {
      lines.push(column, `${' '.repeat(width)}  ${first ?? ''}`);
    } else {
      lines.push(`${column.padEnd(width)}  ${first ?? ''}`);
    }
    for (const line of more) lines.push(`${' '.repeat(width)}  ${line}`);
  }
  return `${lines.join('\n')}\n`;
}
