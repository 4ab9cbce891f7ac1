/**
 * A throwaway CA for demos, tests and `cmpflow -port` without credentials: a self-signed root
 * (EC P-256) that issues, and a CMP server certificate it signed (digitalSignature,
 * id-kp-cmcCA) for signing responses. Kept in memory, and on request also written to a folder
 * (PEM; keys mode 0600) so that other tools, such as the `openssl` CLI, can use it.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsageFlags } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { CmpOids, PkixOids } from '../asn1';
import { encodePem } from '../credentials/pem';
import { getCryptoProvider, type PrivateKeyHandle } from '../crypto';
import { parseName } from '../pki/names';
import type { CaCredentials } from './ca';
import {
  authorityKeyIdentifierExtension,
  extension,
  keyIdentifier,
  randomSerial,
  signX509Certificate,
  subjectKeyIdentifierExtension,
} from './certificate-builder';
import type { CmpServerConfig } from './config';

export interface ThrowawayCaOptions {
  /** Name of the root; default `/O=cmpflow/CN=cmpflow throwaway CA`. */
  caName?: string;
  /** Name of the CMP server certificate; default `/O=cmpflow/CN=cmpflow throwaway CMP server`. */
  serverName?: string;
  /** Validity of both certificates; default 30 days. */
  days?: number;
  /** Also write the PEM files: into this folder, or into a new temporary folder with `true`. */
  folder?: string | true;
  now?: Date;
}

export interface ThrowawayFiles {
  folder: string;
  caCert: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
}

export interface ThrowawayCa {
  ca: { cert: X509Certificate; key: PrivateKeyHandle };
  server: { cert: X509Certificate; key: PrivateKeyHandle };
  /** The part of a CmpServerConfig this CA fills in: the CA and the response signer. */
  serverConfig(): Pick<CmpServerConfig, 'ca' | 'srvCert' | 'srvKey'>;
  files?: ThrowawayFiles;
  /** Removes the folder, if this call created it. */
  cleanup(): Promise<void>;
}

const DAY = 86_400_000;

async function writePem(file: string, label: string, der: Uint8Array, secret: boolean): Promise<void> {
  await fs.writeFile(file, encodePem(label, der), { mode: secret ? 0o600 : 0o644 });
}

export async function createThrowawayCa(options: ThrowawayCaOptions = {}): Promise<ThrowawayCa> {
  const provider = getCryptoProvider();
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + (options.days ?? 30) * DAY);
  const caName = parseName(options.caName ?? '/O=cmpflow/CN=cmpflow throwaway CA');
  const serverName = parseName(options.serverName ?? '/O=cmpflow/CN=cmpflow throwaway CMP server');
  const [caKey, serverKey] = await Promise.all([provider.generateKey({ type: 'ec', curve: 'P-256' }), provider.generateKey({ type: 'ec', curve: 'P-256' })]);
  const [caKeyId, serverKeyId] = await Promise.all([keyIdentifier(caKey.spki), keyIdentifier(serverKey.spki)]);

  const ca = await signX509Certificate(
    {
      serialNumber: randomSerial(),
      issuer: caName,
      subject: caName,
      notBefore,
      notAfter,
      spki: caKey.spki,
      extensions: [
        extension(PkixOids.basicConstraints, true, new BasicConstraints({ cA: true })),
        extension(PkixOids.keyUsage, true, new KeyUsage(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign)),
        subjectKeyIdentifierExtension(caKeyId),
      ],
    },
    { key: caKey },
  );
  const server = await signX509Certificate(
    {
      serialNumber: randomSerial(),
      issuer: caName,
      subject: serverName,
      notBefore,
      notAfter,
      spki: serverKey.spki,
      extensions: [
        extension(PkixOids.basicConstraints, true, new BasicConstraints({ cA: false })),
        extension(PkixOids.keyUsage, true, new KeyUsage(KeyUsageFlags.digitalSignature)),
        extension(PkixOids.extKeyUsage, false, new ExtendedKeyUsage([CmpOids.idKpCmcCA])),
        subjectKeyIdentifierExtension(serverKeyId),
        authorityKeyIdentifierExtension(caKeyId),
      ],
    },
    { key: caKey },
  );

  let files: ThrowawayFiles | undefined;
  let created: string | undefined;
  if (options.folder !== undefined) {
    const folder = options.folder === true ? (created = await fs.mkdtemp(path.join(os.tmpdir(), 'cmpflow-ca-'))) : options.folder;
    if (options.folder !== true) await fs.mkdir(folder, { recursive: true });
    files = {
      folder,
      caCert: path.join(folder, 'ca.crt'),
      caKey: path.join(folder, 'ca.key'),
      serverCert: path.join(folder, 'server.crt'),
      serverKey: path.join(folder, 'server.key'),
    };
    await Promise.all([
      writePem(files.caCert, 'CERTIFICATE', ca.der, false),
      writePem(files.serverCert, 'CERTIFICATE', server.der, false),
      writePem(files.caKey, 'PRIVATE KEY', await provider.exportPrivateKey(caKey), true),
      writePem(files.serverKey, 'PRIVATE KEY', await provider.exportPrivateKey(serverKey), true),
    ]);
  }

  const credentials: CaCredentials = { cert: ca.cert, key: caKey };
  return {
    ca: { cert: ca.cert, key: caKey },
    server: { cert: server.cert, key: serverKey },
    serverConfig: () => ({ ca: credentials, srvCert: server.cert, srvKey: serverKey }),
    ...(files ? { files } : {}),
    cleanup: async () => {
      if (created) await fs.rm(created, { recursive: true, force: true });
    },
  };
}
