/**
 * What XState costs a real PBM IR session, and what a coarser machine would save (issue #22). One
 * process runs PBM IR sessions against an `openssl cmp -port 0` mock in one of these modes:
 *
 * - `client`: CmpClient.ir();
 * - `fine`: the enrollment machine as the facade runs it (systemActors, bindServices), the same
 *   real session services, without the facade's result objects;
 * - `coarse`: a prototype, never shipped: the same path with one actor per round trip (build, send
 *   and check in one promise) and the same services, so each round trip is one actor, not three;
 * - `services`: the services called in the machine's order without XState (library-floor.ts);
 * - `canned`: the enrollment machine alone, services answering at once (library-floor's `machine`).
 *
 *   npx ts-node --transpile-only bench/xstate-cost.ts ab [rounds=9] [block=40] [warmup=150] [modes=services,fine,coarse,client,canned]
 *   npx ts-node --transpile-only bench/xstate-cost.ts run MODE [sessions=100] [warmup=200]
 *
 * `ab` alternates blocks of the modes and prints each one's median CPU per session and its paired
 * median difference to the first mode. `run` runs one mode; with CMPFLOW_CALLGRIND_SYNC=DIR it
 * writes DIR/ready.PID after the warm-up and waits for DIR/go.PID, then writes DIR/done.PID after
 * the sessions and waits for DIR/end.PID, so that a controller switches callgrind's instrumentation
 * on and off around the measured sessions alone (`valgrind --tool=callgrind --instr-atstart=no`,
 * `callgrind_control -i on|off PID`): instructions per session without the start and the warm-up.
 * Measures dist/ (or CMPFLOW_BENCH_DIST), like the other benchmarks.
 */
import 'reflect-metadata';
import { loadavg } from 'os';
import type * as Xstate from 'xstate';
import type * as Client from '../src/client';
import type * as Setup from '../src/client/setup';
import type * as Services from '../src/client/services';
import type * as RoundTrip from '../machines/round-trip';
import type * as Machines from '../machines';
import type * as MachineServices from '../machines/services';
import type { BuildRequestInput, CertAcceptance, CheckedResponse, SessionServices, TransactionState } from '../machines/actors';
import { handshake } from './support/callgrind-sync';
import { DIST, requireDist } from './support/dist';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { cannedServices, irWithoutXstate, newTransactionId } from './support/services-session';
import { fixed, median } from './support/stats';

const MODES = ['services', 'fine', 'coarse', 'client', 'canned'] as const;
type Mode = (typeof MODES)[number];

async function main(): Promise<void> {
  const [command = 'ab', ...args] = process.argv.slice(2);
  const { CmpClient } = requireDist<typeof Client>('src/client');
  const { setupClient } = requireDist<typeof Setup>('src/client/setup');
  const { createSessionServices } = requireDist<typeof Services>('src/client/services');
  const { afterSending, afterReceiving } = requireDist<typeof RoundTrip>('machines/round-trip');
  const { enrollmentMachine } = requireDist<typeof Machines>('machines');
  const { systemActors, bindServices } = requireDist<typeof MachineServices>('machines/services');
  // The xstate the dist modules use.
  const { createActor, toPromise, setup, assign, fromPromise } = require(require.resolve('xstate', { paths: [DIST] })) as typeof Xstate;

  /** The prototype: requesting and confirming are one actor each; the rest of the path as the enrollment machine's. */
  const servicesOfCoarse = new WeakMap<object, SessionServices>();
  type CoarseContext = {
    kind: 'ir';
    transaction: TransactionState;
    checked?: CheckedResponse;
    enrolled?: any;
    acceptance?: CertAcceptance;
    outcome?: string;
    error?: unknown;
  };
  const coarse = setup({
    types: { context: {} as CoarseContext, input: {} as { kind: 'ir'; transactionId: string } },
    actors: {
      roundTrip: fromPromise<{ checked: CheckedResponse; transaction: TransactionState }, { build: BuildRequestInput }>(async ({ input, system }) => {
        const s = servicesOfCoarse.get(system)!;
        const built = await s.buildRequest(input.build);
        const transaction = afterSending(input.build.transaction, built);
        const { der } = await s.exchangeMessage({ der: built.der, bodyType: built.bodyType });
        const checked = await s.checkResponse({ der, requestType: built.bodyType, transaction });
        return { checked, transaction: afterReceiving(transaction, checked) };
      }),
      acceptCertificate: fromPromise<CertAcceptance, any>(({ input, system }) => servicesOfCoarse.get(system)!.acceptCertificate(input)),
    },
    actions: {
      recordRoundTrip: assign((_, out: { checked: CheckedResponse; transaction: TransactionState }) => ({
        checked: out.checked,
        transaction: out.transaction,
      })),
      recordCertificate: assign(({ context }) => {
        const { kind: _k, senderNonce: _n, certReqId: _i, ...enrolled } = context.checked as Extract<CheckedResponse, { kind: 'certificate' }>;
        return { enrolled };
      }),
      recordAcceptance: assign((_, acceptance: CertAcceptance) => ({ acceptance })),
      recordError: assign((_, error: unknown) => ({ error })),
      settle: assign((_, outcome: string) => ({ outcome })),
    },
    guards: {
      certificateIssued: ({ context }) => context.checked?.kind === 'certificate',
      certificateAccepted: ({ context }) => context.acceptance?.accept === true,
    },
  }).createMachine({
    id: 'coarse',
    context: ({ input }) => ({ kind: input.kind, transaction: { transactionId: input.transactionId, pvno: 2, messagesSent: 0 } }),
    initial: 'requesting',
    states: {
      requesting: {
        tags: 'busy',
        invoke: {
          src: 'roundTrip',
          input: ({ context }) => ({ build: { kind: context.kind, transaction: context.transaction } }),
          onDone: { target: 'answered', actions: { type: 'recordRoundTrip', params: ({ event }) => event.output } },
          onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }: any) => event.error } },
        },
      },
      answered: { always: [{ guard: 'certificateIssued', target: 'accepting', actions: 'recordCertificate' }, { target: 'failed' }] },
      accepting: {
        tags: 'busy',
        invoke: {
          src: 'acceptCertificate',
          input: ({ context }: { context: CoarseContext }) => ({
            certificate: context.enrolled.certificate,
            chain: context.enrolled.chain,
            caPubs: context.enrolled.caPubs,
            extraCerts: context.enrolled.extraCerts,
          }),
          onDone: { target: 'confirming', actions: { type: 'recordAcceptance', params: ({ event }) => event.output } },
          onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }: any) => event.error } },
        },
      },
      confirming: {
        tags: 'busy',
        invoke: {
          src: 'roundTrip',
          input: ({ context }) => ({
            build: {
              kind: 'certConf' as const,
              transaction: context.transaction,
              certificate: context.enrolled.certificate,
              accept: context.acceptance!,
            },
          }),
          onDone: { target: 'confirmationAnswered', actions: { type: 'recordRoundTrip', params: ({ event }) => event.output } },
          onError: { target: 'failed', actions: { type: 'recordError', params: ({ event }: any) => event.error } },
        },
      },
      confirmationAnswered: { always: [{ guard: 'certificateAccepted', target: 'confirmed' }, { target: 'failed' }] },
      confirmed: { type: 'final', entry: { type: 'settle', params: 'confirmed' } },
      failed: { type: 'final', entry: { type: 'settle', params: 'failed' } },
    },
    output: ({ context }) => ({ outcome: context.outcome, certificate: context.enrolled }),
  });
  const fine = enrollmentMachine.provide({ actors: systemActors });

  await withPbmIrMock(async ({ options }) => {
    const client = new CmpClient(options);
    const clientSetup = await setupClient(options);

    const withoutXstate = () => irWithoutXstate(clientSetup);

    /** A machine run as the facade runs one: services bound to its system, closed when it ends. */
    const withMachine = async (machine: any, bind: (actor: any, services: SessionServices) => void): Promise<void> => {
      const services = createSessionServices(clientSetup, { kind: 'ir' });
      const actor = createActor(machine, { input: { kind: 'ir', transactionId: newTransactionId() } }) as any;
      bind(actor, services);
      actor.subscribe({ complete: () => services.close(), error: () => services.close() });
      actor.start();
      const out = (await toPromise(actor)) as { outcome?: string };
      if (out.outcome !== 'confirmed') throw new Error(`the session ended ${out.outcome}`);
    };

    const canned = cannedServices();

    const modes: Record<Mode, () => Promise<unknown>> = {
      services: withoutXstate,
      fine: () => withMachine(fine, bindServices),
      coarse: () => withMachine(coarse, (actor, services) => servicesOfCoarse.set(actor.system, services)),
      client: () => client.ir(),
      canned: () => {
        canned.restart();
        return withMachine(fine, (actor) => bindServices(actor, canned.services));
      },
    };

    if (command === 'run') {
      const [mode, sessions = '100', warmup = '200'] = args as [Mode, string?, string?];
      if (!MODES.includes(mode)) throw new Error(`mode: one of ${MODES.join(', ')}`);
      for (let i = 0; i < Number(warmup); i++) await modes[mode]();
      await handshake('ready', 'go');
      const before = process.cpuUsage();
      for (let i = 0; i < Number(sessions); i++) await modes[mode]();
      const used = process.cpuUsage(before);
      await handshake('done', 'end');
      process.stdout.write(`${mode}: ${fixed((used.user + used.system) / 1000 / Number(sessions), 3)} ms CPU per session\n`);
      return;
    }
    const [rounds = 9, block = 40, warmup = 150] = args.slice(0, 3).map(Number);
    const names = (args[3]?.split(',') ?? [...MODES]) as Mode[];
    const load0 = loadavg()[0]!;
    for (const name of names) for (let i = 0; i < warmup; i++) await modes[name]();
    const blocks = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Mode, number[]>;
    for (let round = 0; round < rounds; round++) {
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const before = process.cpuUsage();
        for (let i = 0; i < block; i++) await modes[name]();
        const used = process.cpuUsage(before);
        blocks[name].push((used.user + used.system) / 1000 / block);
      }
    }
    process.stdout.write(`load average ${fixed(load0, 2)} -> ${fixed(loadavg()[0]!, 2)}\n`);
    for (const name of names) {
      process.stdout.write(
        `${name}: ${fixed(median(blocks[name]), 3)} ms CPU per session (blocks ${blocks[name].map((b) => fixed(b, 2)).join(' ')})\n`,
      );
    }
    for (const name of names.slice(1)) {
      const paired = median(blocks[name].map((b, i) => b - blocks[names[0]!][i]!));
      process.stdout.write(`${name} - ${names[0]}: paired median ${fixed(paired, 3)} ms\n`);
    }
  });
}

main().catch((e: unknown) => {
  process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
  process.exitCode = 1;
});
