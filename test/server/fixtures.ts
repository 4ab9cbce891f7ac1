/** A throwaway CA and a server around it, the way most server tests need them. */
import { createCmpServer, createThrowawayCa, type CmpServer, type CmpServerConfig, type ThrowawayCa } from '../../src/server';
import { verifyPkiMessageProtection } from '../../src/protection';
import type { PKIMessage } from '../../src/asn1';
import type { Auth } from './client-messages';

export const SECRET = 'server-test-secret';
export const PBM: Auth = { kind: 'pbm', secret: SECRET, ref: 'client-1' };
/** Another client with the shared secret: names are bound to the reference that obtained them first. */
export const pbmAs = (ref: string): Auth => ({ kind: 'pbm', secret: SECRET, ref });

let shared: Promise<ThrowawayCa> | undefined;

/** One throwaway CA per test file: key generation is cheap, but there is no need to repeat it. */
export function throwawayCa(): Promise<ThrowawayCa> {
  shared ??= createThrowawayCa();
  return shared;
}

export async function makeServer(overrides: Partial<CmpServerConfig> = {}): Promise<CmpServer> {
  const ca = await throwawayCa();
  return createCmpServer({ ...ca.serverConfig(), srvSecret: SECRET, ...overrides });
}

/** Verifies an answer's protection the way a client with the shared secret and the CA as anchor would. */
export async function verifyAnswer(msg: PKIMessage, secret = SECRET): Promise<string> {
  const ca = await throwawayCa();
  const verified = await verifyPkiMessageProtection(msg, {
    secret: Buffer.from(secret, 'utf8'),
    trusted: [ca.ca.cert],
    untrusted: [],
  });
  return verified.kind === 'mac' ? verified.algorithm : 'signature';
}
