/**
 * What the fleet tests share: the embedded CA answering `waiting` with a record of what it
 * received and issued, device key files, scratch directories.
 */
import { generateKeyPairSync } from 'crypto';
import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import * as path from 'path';
import {
  createCmpServer,
  createThrowawayCa,
  MemoryRecordStore,
  type CmpServer,
  type CmpServerConfig,
  type RecordChange,
  type ThrowawayCa,
} from '../../src/server';

export const REF = 'fleet-ref';
export const SECRET = 'fleet-test-secret';

export interface CountingCa {
  ca: ThrowawayCa;
  server: CmpServer;
  /** Body types received, `IR again` for a retransmission, in order. */
  received: string[];
  /** Serials (hex) of the certificates issued. */
  issued: string[];
  count(type: string): number;
}

export async function countingCa(ca: ThrowawayCa, extra: Partial<CmpServerConfig> = {}): Promise<CountingCa> {
  const received: string[] = [];
  const issued: string[] = [];
  const inner = new MemoryRecordStore();
  const store = {
    open: () => inner.open(),
    write: async (change: RecordChange) => {
      if (change.type === 'issued') issued.push(change.certificate.serial);
      await inner.write(change);
    },
    close: () => inner.close(),
  };
  const server = createCmpServer({
    ...ca.serverConfig(),
    secrets: [{ ref: REF, secret: SECRET }],
    store,
    onRequest: (type, { retransmission }) => received.push(`${type.toUpperCase()}${retransmission ? ' again' : ''}`),
    ...extra,
  });
  await server.ready();
  return { ca, server, received, issued, count: (type) => received.filter((r) => r === type).length };
}

export { createThrowawayCa };

export function scratch(prefix = 'cmpflow-fleet-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** A device's new key, PKCS#8 PEM in `dir`: the same key whatever worker sends the request. */
export function deviceKey(dir: string, name: string): string {
  const file = path.join(dir, `${name}.key.pem`);
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  writeFileSync(file, privateKey.export({ format: 'pem', type: 'pkcs8' }), { mode: 0o600 });
  return file;
}
