/** The embedded CA as the benchmarks configure it: a throwaway CA with one shared secret, sized for load. */
import type * as Server from '../../src/server';
import { requireDist } from './dist';

export const EMBEDDED_REF = 'bench-device';
export const EMBEDDED_SECRET = 'bench one-time password';

export async function startEmbeddedCa(extra: Partial<Server.CmpServerConfig> = {}): Promise<{ server: Server.CmpServer; ca: Server.ThrowawayCa }> {
  const { createCmpServer, createThrowawayCa } = requireDist<typeof Server>('src/server');
  const ca = await createThrowawayCa();
  const server = createCmpServer({
    ...ca.serverConfig(),
    secrets: [{ ref: EMBEDDED_REF, secret: EMBEDDED_SECRET }],
    // The defaults (10,000 transactions, kept for an hour) are for a service, not a load test.
    maxTransactions: 2_000_000,
    ...extra,
  });
  return { server, ca };
}
