/**
 * What a PBM IR session of the library costs without parts of it: the floor of issue #22's
 * library target. One process runs, in alternating blocks after a warm-up, against one
 * `openssl cmp -port 0` mock (started here as the openssl comparison starts it):
 *
 * - `client`: CmpClient.ir(), as library-client.ts runs it;
 * - `services`: the same session services (build, exchange, check, accept, then the certConf's
 *   round trip) called one after the other, as the enrollment machine's states call them, with
 *   the same transaction updates, but without XState and without the facade's result objects;
 * - `http`: the two requests of an earlier session, as bytes, POSTed over a new transfer per
 *   session (what the services open), the answers read and nothing checked: node:http and the
 *   loopback connection alone (the mock answers the replayed requests with error messages of
 *   about the same size, which costs this process only their bytes);
 * - `machine`: the enrollment machine alone, the same actors provided, with services that answer
 *   at once with fixed outputs: XState's own work for the session's eight actors, hot.
 *
 *   npx ts-node --transpile-only bench/library-floor.ts [rounds=9] [block=50] [warmup=300]
 *
 * Prints the median CPU per session of each mode, each block's, and the 1-minute load average at
 * the start and the end. Measures dist/ (or CMPFLOW_BENCH_DIST), like the other benchmarks.
 */
import 'reflect-metadata';
import { loadavg } from 'os';
import type * as Xstate from 'xstate';
import type * as Client from '../src/client';
import type * as Setup from '../src/client/setup';
import type * as Transport from '../src/transport';
import type * as Bytes from '../src/bytes';
import type * as Machines from '../machines';
import type * as MachineServices from '../machines/services';
import { requireDist } from './support/dist';
import { withPbmIrMock } from './support/pbm-ir-mock';
import { cannedServices, irWithoutXstate, newTransactionId } from './support/services-session';
import { fixed, median } from './support/stats';

type Mode = 'client' | 'services' | 'http' | 'machine';

export interface LibraryFloorResult {
  /** Median CPU ms per session of each mode. */
  cpuMsPerSession: Record<Mode, number>;
  /** The same for user and system (kernel) time alone: the kernel's share is the connections'. */
  userMsPerSession: Record<Mode, number>;
  systemMsPerSession: Record<Mode, number>;
  blocks: Record<Mode, number[]>;
  load: [start: number, end: number];
}

export async function measureLibraryFloor(rounds: number, block: number, warmup: number): Promise<LibraryFloorResult> {
  const load0 = loadavg()[0]!;
  const { CmpClient } = requireDist<typeof Client>('src/client');
  const { setupClient } = requireDist<typeof Setup>('src/client/setup');
  const { createHttpTransfer } = requireDist<typeof Transport>('src/transport');
  const { fromB64 } = requireDist<typeof Bytes>('src/bytes');
  const { enrollmentMachine } = requireDist<typeof Machines>('machines');
  const { systemActors, bindServices } = requireDist<typeof MachineServices>('machines/services');
  // The xstate the dist modules use.
  const { createActor, toPromise } = require('xstate') as typeof Xstate;

  return withPbmIrMock(async ({ options }) => {
    const client = new CmpClient(options);
    const setup = await setupClient(options);
    let recorded: Uint8Array[] = [];

    /** The enrollment machine's path without XState; its requests are what the http mode sends again. */
    const withoutActors = async (): Promise<void> => {
      const sent: Uint8Array[] = [];
      await irWithoutXstate(setup, { sent: (der) => sent.push(fromB64(der)) });
      recorded = sent;
    };

    const httpOnly = async (): Promise<void> => {
      const transfer = createHttpTransfer({ server: options.server!, env: {} });
      try {
        await transfer(recorded[0]!, { bodyType: 'ir' });
        await transfer(recorded[1]!, { bodyType: 'certConf' });
      } finally {
        transfer.close();
      }
    };

    const canned = cannedServices();
    const machine = enrollmentMachine.provide({ actors: systemActors });
    const machineAlone = async (): Promise<void> => {
      canned.restart();
      const actor = createActor(machine, { input: { kind: 'ir', transactionId: newTransactionId() } });
      bindServices(actor, canned.services);
      actor.start();
      const out = await toPromise(actor);
      if (out.outcome !== 'confirmed') throw new Error(`the machine ended ${out.outcome}`);
    };

    const modes: Record<Mode, () => Promise<unknown>> = { client: () => client.ir(), services: withoutActors, http: httpOnly, machine: machineAlone };
    const names = Object.keys(modes) as Mode[];
    for (const name of names) for (let i = 0; i < warmup; i++) await modes[name]();
    const perMode = () => Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<Mode, number[]>;
    const [blocks, user, system] = [perMode(), perMode(), perMode()];
    for (let round = 0; round < rounds; round++) {
      // Alternating the order lets drift of the machine fall on every mode.
      for (const name of round % 2 === 0 ? names : [...names].reverse()) {
        const before = process.cpuUsage();
        for (let i = 0; i < block; i++) await modes[name]();
        const used = process.cpuUsage(before);
        blocks[name].push((used.user + used.system) / 1000 / block);
        user[name].push(used.user / 1000 / block);
        system[name].push(used.system / 1000 / block);
      }
    }
    const medians = (of: Record<Mode, number[]>) => Object.fromEntries(names.map((n) => [n, median(of[n])])) as Record<Mode, number>;
    return {
      cpuMsPerSession: medians(blocks),
      userMsPerSession: medians(user),
      systemMsPerSession: medians(system),
      blocks,
      load: [load0, loadavg()[0]!],
    };
  });
}

if (require.main === module) {
  const [rounds = 9, block = 50, warmup = 300] = process.argv.slice(2).map(Number);
  measureLibraryFloor(rounds, block, warmup)
    .then((r) => {
      process.stdout.write(`load average ${fixed(r.load[0], 2)} -> ${fixed(r.load[1], 2)}\n`);
      for (const [mode, ms] of Object.entries(r.cpuMsPerSession)) {
        const m = mode as Mode;
        const parts = `user ${fixed(r.userMsPerSession[m], 3)}, system ${fixed(r.systemMsPerSession[m], 3)}`;
        process.stdout.write(`${mode}: ${fixed(ms, 3)} ms CPU per session (${parts}; blocks ${r.blocks[m].map((b) => fixed(b, 2)).join(' ')})\n`);
      }
    })
    .catch((e: unknown) => {
      process.stderr.write(`${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
      process.exitCode = 1;
    });
}
