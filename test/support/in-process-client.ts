/**
 * Options of a client that enrols against an embedded CA in the same process, PBM-protected under
 * its own reference: the shape the tests of observers (inspect, onStep) share.
 */
import { getCryptoProvider } from '../../src/crypto';
import type { CmpClientOptions } from '../../src/options';
import { createCmpServer, type ThrowawayCa } from '../../src/server';

export async function inProcessIrOptions(ca: ThrowawayCa, ref: string, secret: string, subject: string): Promise<CmpClientOptions> {
  const server = createCmpServer({ ...ca.serverConfig(), secrets: [{ ref, secret }] });
  return {
    transfer: (request) => server.handle(request),
    ref,
    secret,
    trusted: [ca.ca.cert],
    newKey: await getCryptoProvider().generateKey({ type: 'ec', curve: 'P-256' }),
    subject,
  };
}
