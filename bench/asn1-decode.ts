/**
 * The ASN.1 layer's cost per message: `decodePkiMessage` of saved responses (the mock's ip and
 * pkiConf of a PBM IR session, saved by services-sessions.ts with CMPFLOW_SESSIONS_SAVE), then
 * `encodePkiMessage` of what was decoded, as a client's check and a relay do.
 *
 *   node asn1-decode.js run N [warmup] DIR            # N decodes of each response (callgrind: N and 2N)
 *   node asn1-decode.js ab ROUNDS N DIR BASE_DIST     # both builds in one process, blocks alternating
 *   node asn1-decode.js count DIR                     # typed arrays and ArrayBuffers made per message
 *
 * Builds: CMPFLOW_BENCH_DIST (or dist/) as "new", BASE_DIST as "base". Under ts-node as well:
 * `npx ts-node --transpile-only bench/asn1-decode.ts ...`.
 */
import 'reflect-metadata';
import { readdirSync, readFileSync } from 'fs';
import { loadavg } from 'os';
import * as path from 'path';
import type * as Codec from '../src/asn1/codec';
import { DIST } from './support/dist';

type CodecModule = typeof Codec;

function loadCodec(dist: string): CodecModule {
  return require(path.join(path.resolve(dist), 'src/asn1/codec')) as CodecModule;
}

function responses(dir: string): Uint8Array[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('-response.b64'))
    .sort()
    .map((f) => new Uint8Array(Buffer.from(readFileSync(path.join(dir, f), 'utf8'), 'base64')));
}

/** CMPFLOW_ASN1_ENCODE=1: each decoded message is also encoded again (as a relay does). */
const encodeToo = process.env.CMPFLOW_ASN1_ENCODE === '1';

/** One pass over the saved responses: each decoded strictly, as a client's check does. */
function pass(codec: CodecModule, messages: Uint8Array[]): number {
  let n = 0;
  for (const der of messages) {
    const msg = codec.decodePkiMessage(der);
    n += encodeToo ? codec.encodePkiMessage(msg).length : 1;
  }
  return n;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function blockMicros(codec: CodecModule, messages: Uint8Array[], n: number): number {
  const before = process.cpuUsage();
  for (let i = 0; i < n; i++) pass(codec, messages);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / n;
}

/**
 * Typed arrays and ArrayBuffers made during one pass, counted by replacing the global
 * constructors with counting subclasses and wrapping the prototype methods that allocate
 * (slice, from, of; these also count once more as `new Uint8Array`) and the `buffer` getter (which moves an on-heap array's bytes out).
 */
function count(codec: CodecModule, messages: Uint8Array[]): void {
  for (let i = 0; i < 200; i++) pass(codec, messages);
  const counts: Record<string, number> = {};
  // CMPFLOW_COUNT_WHERE=1: counted by the calling function too.
  const where = !!process.env.CMPFLOW_COUNT_WHERE;
  const bump = (k: string) => {
    const key = where
      ? `${k} in ${
          (new Error().stack ?? '')
            .split('\n')[3]
            ?.trim()
            .replace(/\(.*\/(src\/.*)\)/, '($1)') ?? ''
        }`
      : k;
    counts[key] = (counts[key] ?? 0) + 1;
  };
  const TypedArray = Object.getPrototypeOf(Uint8Array.prototype) as object;
  const restore: (() => void)[] = [];
  const wrap = (owner: object, name: string, label: string) => {
    const original = Object.getOwnPropertyDescriptor(owner, name)!;
    const fn = original.value as (...a: unknown[]) => unknown;
    Object.defineProperty(owner, name, {
      ...original,
      value: function (this: unknown, ...a: unknown[]) {
        bump(label);
        return fn.apply(this, a);
      },
    });
    restore.push(() => Object.defineProperty(owner, name, original));
  };
  wrap(TypedArray, 'slice', 'TypedArray#slice');
  wrap(ArrayBuffer.prototype, 'slice', 'ArrayBuffer#slice');
  const TypedArrayCtor = Object.getPrototypeOf(Uint8Array) as object;
  wrap(TypedArrayCtor, 'from', 'TypedArray.from');
  wrap(TypedArrayCtor, 'of', 'TypedArray.of');
  const bufferGetter = Object.getOwnPropertyDescriptor(TypedArray, 'buffer')!;
  Object.defineProperty(TypedArray, 'buffer', {
    ...bufferGetter,
    get(this: Uint8Array) {
      bump('TypedArray#buffer');
      return bufferGetter.get!.call(this);
    },
  });
  restore.push(() => Object.defineProperty(TypedArray, 'buffer', bufferGetter));
  const OriginalU8 = Uint8Array;
  const OriginalAB = ArrayBuffer;
  const g = globalThis as unknown as Record<string, unknown>;
  g.Uint8Array = new Proxy(OriginalU8, {
    construct(target, args, newTarget) {
      bump('new Uint8Array');
      return Reflect.construct(target, args, newTarget === g.Uint8Array ? target : newTarget) as object;
    },
  });
  g.ArrayBuffer = new Proxy(OriginalAB, {
    construct(target, args, newTarget) {
      bump('new ArrayBuffer');
      return Reflect.construct(target, args, newTarget === g.ArrayBuffer ? target : newTarget) as object;
    },
  });
  const rounds = 100;
  try {
    for (let i = 0; i < rounds; i++) pass(codec, messages);
  } finally {
    g.Uint8Array = OriginalU8;
    g.ArrayBuffer = OriginalAB;
    for (const r of restore) r();
  }
  process.stdout.write(`per pass (${messages.length} messages decoded${encodeToo ? ' and encoded again' : ''}):\n`);
  for (const [k, v] of Object.entries(counts).sort()) process.stdout.write(`  ${k}: ${v / rounds}\n`);
}

function main(): void {
  const [mode, ...args] = process.argv.slice(2);
  if (mode === 'run') {
    const [n = '1000', warmup = '1000', dir = '/tmp/asn1h/msgs'] = args;
    const codec = loadCodec(DIST);
    const messages = responses(dir);
    for (let i = 0; i < Number(warmup); i++) pass(codec, messages);
    const micros = blockMicros(codec, messages, Number(n));
    process.stdout.write(`${n} passes: ${micros.toFixed(1)} µs CPU per pass\n`);
    return;
  }
  if (mode === 'count') {
    const [dir = '/tmp/asn1h/msgs'] = args;
    count(loadCodec(DIST), responses(dir));
    return;
  }
  if (mode === 'ab') {
    const [rounds = '15', n = '500', dir = '/tmp/asn1h/msgs', baseDist] = args;
    if (!baseDist) throw new Error('ab: the base build is the fourth argument');
    const builds = { base: loadCodec(baseDist), new: loadCodec(DIST) };
    const messages = responses(dir);
    const load0 = loadavg()[0]!;
    for (const codec of Object.values(builds)) for (let i = 0; i < 1000; i++) pass(codec, messages);
    const blocks = { base: [] as number[], new: [] as number[] };
    for (let r = 0; r < Number(rounds); r++) {
      const order = r % 2 === 0 ? (['base', 'new'] as const) : (['new', 'base'] as const);
      for (const name of order) blocks[name].push(blockMicros(builds[name], messages, Number(n)));
    }
    process.stdout.write(`load average ${load0.toFixed(2)} -> ${loadavg()[0]!.toFixed(2)}\n`);
    for (const name of ['base', 'new'] as const) {
      process.stdout.write(`${name}: ${median(blocks[name]).toFixed(1)} µs per pass (${blocks[name].map((b) => b.toFixed(0)).join(' ')})\n`);
    }
    const lower = blocks.new.filter((b, i) => b < blocks.base[i]!).length;
    const paired = median(blocks.new.map((b, i) => b - blocks.base[i]!));
    process.stdout.write(`new - base: paired median ${paired.toFixed(1)} µs, new lower in ${lower} of ${rounds} rounds\n`);
    return;
  }
  throw new Error('mode: run, count or ab');
}

main();
