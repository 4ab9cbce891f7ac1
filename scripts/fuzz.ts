/**
 * Fuzz campaign over the client's input handling (properties in test/robustness/fuzz-cases.ts):
 *
 *   npm run fuzz -- --runs 1000000                 (a) decoding, then (b) for the same number of runs
 *   npm run fuzz -- --target decode --runs 1000000
 *   npm run fuzz -- --target response --minutes 20 (as many (b) cases as fit)
 *   npm run fuzz -- --target codec --minutes 10     (c) cmpflow's DER reader and writer against
 *                                                   asn1js + asn1-schema on the same mutations
 *
 * Options: --runs N, --target decode|response|codec|both (default both: decode and response), --minutes M (time budget per
 * target; stops early, not a failure), --seed S (default: random, printed for replay),
 * --report FILE (JSON summary). Findings are collected, not fatal, so one run counts them all;
 * the exit code is 1 when there was any.
 */
import 'reflect-metadata';
import { writeFileSync } from 'fs';
import * as os from 'os';
import fc from 'fast-check';
import {
  checkCodec,
  checkDecode,
  checkResponseCase,
  decodeCase,
  loadFuzzCorpus,
  responseCase,
  type Finding,
  type FuzzCorpus,
} from '../test/robustness/fuzz-cases';

interface Args {
  runs: number;
  target: 'decode' | 'response' | 'codec' | 'both';
  minutes?: number;
  seed: number;
  report?: string;
}

function parseArgs(argv: string[]): Args {
  const args: Args = { runs: 10_000, target: 'both', seed: Math.floor(Math.random() * 2 ** 31) };
  for (let i = 0; i < argv.length; i++) {
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${argv[i - 1]} needs a value`);
      return v;
    };
    switch (argv[i]) {
      case '--runs':
        args.runs = Number(value());
        break;
      case '--target': {
        const t = value();
        if (t !== 'decode' && t !== 'response' && t !== 'codec' && t !== 'both') throw new Error('--target must be decode, response, codec or both');
        args.target = t;
        break;
      }
      case '--minutes':
        args.minutes = Number(value());
        break;
      case '--seed':
        args.seed = Number(value());
        break;
      case '--report':
        args.report = value();
        break;
      default:
        throw new Error(`unknown option ${argv[i]}`);
    }
  }
  if (!Number.isSafeInteger(args.runs) || args.runs < 1) throw new Error('--runs must be a positive integer');
  if (args.minutes !== undefined && !(args.minutes > 0)) throw new Error('--minutes must be positive');
  return args;
}

interface TargetResult {
  target: 'decode' | 'response' | 'codec';
  cases: number;
  seconds: number;
  interrupted: boolean;
  findings: Finding[];
  /** Distinct findings by kind, origin and first line of detail. */
  distinct: number;
}

function collector() {
  const findings: Finding[] = [];
  const seen = new Set<string>();
  return {
    findings,
    add(f: Finding | undefined) {
      if (!f) return;
      const key = `${f.property}|${f.kind}|${f.origin}|${f.detail.split(/[|\n]/)[0]}`;
      if (!seen.has(key)) {
        seen.add(key);
        process.stderr.write(`\nFINDING ${f.property}/${f.kind} from ${f.origin}: ${f.detail.slice(0, 600)}\n`);
      }
      if (findings.length < 1000) findings.push(f);
    },
    distinct: () => seen.size,
  };
}

function progress(target: string, started: number) {
  let cases = 0;
  let last = Date.now();
  return {
    tick() {
      cases++;
      const now = Date.now();
      if (now - last >= 10_000) {
        last = now;
        const s = (now - started) / 1000;
        process.stderr.write(`${target}: ${cases} cases in ${s.toFixed(0)} s (${(cases / s).toFixed(0)}/s)\n`);
      }
    },
    get cases() {
      return cases;
    },
  };
}

const budget = (args: Args) => (args.minutes !== undefined ? { interruptAfterTimeLimit: args.minutes * 60_000, markInterruptAsFailure: false } : {});

function runMutations(corpus: FuzzCorpus, args: Args, target: 'decode' | 'codec'): TargetResult {
  const started = Date.now();
  const found = collector();
  const p = progress(target, started);
  const check = target === 'decode' ? checkDecode : checkCodec;
  const details = fc.check(
    fc.property(decodeCase(corpus.seeds.length), (c) => {
      p.tick();
      found.add(check(corpus, c));
    }),
    { numRuns: args.runs, seed: args.seed, ...budget(args) },
  );
  return {
    target,
    cases: p.cases,
    seconds: (Date.now() - started) / 1000,
    interrupted: details.interrupted,
    findings: found.findings,
    distinct: found.distinct(),
  };
}

async function runResponse(corpus: FuzzCorpus, args: Args): Promise<TargetResult> {
  const started = Date.now();
  const found = collector();
  const p = progress('response', started);
  const details = await fc.check(
    fc.asyncProperty(responseCase(corpus.scenarios.length), async (c) => {
      p.tick();
      found.add(await checkResponseCase(corpus, c));
    }),
    { numRuns: args.runs, seed: args.seed, ...budget(args) },
  );
  return {
    target: 'response',
    cases: p.cases,
    seconds: (Date.now() - started) / 1000,
    interrupted: details.interrupted,
    findings: found.findings,
    distinct: found.distinct(),
  };
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const machine = `${os.cpus().length} x ${os.cpus()[0]?.model ?? 'unknown CPU'}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, ${os.platform()} ${os.release()}, Node ${process.version}`;
  console.log(`fuzz: seed ${args.seed}, runs ${args.runs}${args.minutes ? `, at most ${args.minutes} min per target` : ''}, target ${args.target}`);
  console.log(`machine: ${machine}`);
  const corpus = await loadFuzzCorpus();
  console.log(`corpus: ${corpus.seeds.length} messages to mutate, ${corpus.scenarios.length} response scenarios`);

  const results: TargetResult[] = [];
  if (args.target === 'codec') results.push(runMutations(corpus, args, 'codec'));
  if (args.target === 'decode' || args.target === 'both') results.push(runMutations(corpus, args, 'decode'));
  if (args.target === 'response' || args.target === 'both') results.push(await runResponse(corpus, args));

  for (const r of results) {
    console.log(
      `${r.target}: ${r.cases} cases in ${r.seconds.toFixed(1)} s (${(r.cases / r.seconds).toFixed(0)}/s)` +
        `${r.interrupted ? ', stopped by the time budget' : ''}; findings: ${r.findings.length} (${r.distinct} distinct)`,
    );
    for (const f of r.findings.slice(0, 20)) console.log(`  ${f.kind} from ${f.origin}: ${f.detail.slice(0, 300)}`);
  }
  if (args.report) {
    writeFileSync(args.report, JSON.stringify({ command: process.argv.slice(2), seed: args.seed, machine, results }, null, 2));
  }
  return results.some((r) => r.findings.length > 0) ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(e);
    process.exit(2);
  },
);
