/**
 * `npm run bench [-- options]`: cmpflow's performance, measured against `openssl cmp` and against
 * the targets. Builds dist/ first (the benchmarks run the compiled library), then runs the
 * sections and prints markdown tables; `--json FILE` also writes every number.
 *
 *   --quick           fewer rounds and sessions (about a minute)
 *   --only LIST       comma-separated sections: openssl, embedded, sessions
 *   --rounds N        rounds of the openssl comparison (default 3)
 *   --repeat N        -repeat of each openssl/cmpflow run (default 100)
 *   --restore N       suspended sessions to restore and finish (default 100000)
 *   --no-build        use dist/ as it is
 *   --json FILE       write all results as JSON
 */
import 'reflect-metadata';
import { execFileSync } from 'child_process';
import { writeFileSync } from 'fs';
import { compareWithOpenSsl, comparisonTable, type ComparisonResult } from './openssl-comparison';
import { ROOT } from './support/dist';
import { machineInfo } from './support/machine';

interface Args {
  quick: boolean;
  only: Set<string>;
  rounds?: number;
  repeat?: number;
  restore?: number;
  build: boolean;
  json?: string;
}

const SECTIONS = ['openssl', 'embedded', 'sessions'];

function parseArgs(argv: string[]): Args {
  const args: Args = { quick: false, only: new Set(SECTIONS), build: true };
  const number = (i: number) => {
    const n = Number(argv[i]);
    if (!Number.isSafeInteger(n) || n < 0) throw new Error(`${argv[i - 1]} needs a non-negative integer`);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    switch (argv[i]) {
      case '--quick':
        args.quick = true;
        break;
      case '--only':
        args.only = new Set(argv[++i]!.split(','));
        for (const s of args.only) if (!SECTIONS.includes(s)) throw new Error(`unknown section ${s}; sections: ${SECTIONS.join(', ')}`);
        break;
      case '--rounds':
        args.rounds = number(++i);
        break;
      case '--repeat':
        args.repeat = number(++i);
        break;
      case '--restore':
        args.restore = number(++i);
        break;
      case '--no-build':
        args.build = false;
        break;
      case '--json':
        args.json = argv[++i];
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  return args;
}

const log = (line: string) => process.stderr.write(`${line}\n`);

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const started = Date.now();
  if (args.build) {
    log('building dist/ (npm run build) ...');
    execFileSync('npm', ['run', '--silent', 'build'], { cwd: ROOT, stdio: 'inherit' });
  }
  const machine = machineInfo();
  const out: string[] = [];
  const print = (text: string) => {
    out.push(text);
    process.stdout.write(`${text}\n`);
  };
  print(`# cmpflow benchmarks ${args.quick ? '(quick)' : ''}\n`);
  print(`${machine.date}; ${machine.cpus} CPUs (${machine.cpuModel}), ${machine.memory}; ${machine.os}; Node ${machine.node}; ${machine.openssl}\n`);
  const results: { machine: typeof machine; openssl?: ComparisonResult } = { machine };

  if (args.only.has('openssl')) {
    const rounds = args.rounds ?? (args.quick ? 2 : 3);
    const repeat = args.repeat ?? (args.quick ? 20 : 100);
    log(`\n== openssl cmp vs cmpflow: ${rounds} rounds of -repeat ${repeat}`);
    const r = await compareWithOpenSsl({ rounds, repeat, warmup: args.quick ? 5 : 20, log });
    results.openssl = r;
    print(`## Against openssl cmp (mock server), per session, medians of ${rounds} rounds of -repeat ${repeat}\n`);
    print(comparisonTable(r));
    print(`\ncmpflow start (node bin/cmpflow.js -help): ${r.startup.wallMs.toFixed(0)} ms wall, ${r.startup.cpuMs.toFixed(0)} ms CPU, ` +
      `${(r.startup.cpuMs / repeat).toFixed(2)} ms CPU per session amortised over -repeat ${repeat}\n`);
  }

  if (args.json) writeFileSync(args.json, `${JSON.stringify(results, null, 2)}\n`);
  log(`\nbenchmarks done in ${((Date.now() - started) / 1000).toFixed(0)} s`);
}

main().catch((e: unknown) => {
  process.stderr.write(`bench failed: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
