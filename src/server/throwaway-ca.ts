/**
 * A throwaway CA for demos, tests and `cmpflow -port` without credentials: a self-signed root
 * (EC P-256 unless `keySpec` names another kind, e.g. ML-DSA-65) that issues, and a CMP server certificate it signed (digitalSignature,
 * id-kp-cmcCA) for signing responses. Kept in memory, and on request also written to a folder
 * (PEM; keys mode 0600, never through a symlink) so that other tools, such as the `openssl` CLI,
 * can use it, and read back from there by a later run that asks to `reuse` it.
 */
import { promises as fs } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { BasicConstraints, ExtendedKeyUsage, KeyUsage, KeyUsageFlags } from '@peculiar/asn1-x509';
import type { X509Certificate } from '@peculiar/x509';
import { CmpOids, PkixOids } from '../asn1';
import { loadCertificate } from '../credentials/certificates';
import { loadPrivateKey } from '../credentials/loader';
import { encodePem } from '../credentials/pem';
import { getCryptoProvider, type KeySpec, type PrivateKeyHandle } from '../crypto';
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
import { checkPrivateKeyFile } from './key-file-permissions';

export interface ThrowawayCaOptions {
  /** Name of the root; default `/O=cmpflow/CN=cmpflow throwaway CA`. */
  caName?: string;
  /** Name of the CMP server certificate; default `/O=cmpflow/CN=cmpflow throwaway CMP server`. */
  serverName?: string;
  /**
   * The kind of key of the root and of the CMP server certificate; default EC P-256. With
   * `{ type: 'ml-dsa-65' }` (or 44, 87) the CA signs certificates and protects responses with ML-DSA.
   */
  keySpec?: KeySpec;
  /** Validity of both certificates; default 30 days. */
  days?: number;
  /** Also write the PEM files: into this folder, or into a new temporary folder with `true`. */
  folder?: string | true;
  /**
   * With a folder: when it already holds a CA written by an earlier run (ca.crt, ca.key,
   * server.crt, server.key), use that one instead of making a new one, so that a CA and its
   * records (JournalRecordStore in the same folder) last across restarts.
   */
  reuse?: boolean;
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
  // A fresh file (O_EXCL, which also refuses a symlink): an existing one would keep its old mode.
  await fs.rm(file, { force: true });
  await fs.writeFile(file, encodePem(label, der), { mode: secret ? 0o600 : 0o644, flag: 'wx' });
}

function filesIn(folder: string): ThrowawayFiles {
  return {
    folder,
    caCert: path.join(folder, 'ca.crt'),
    caKey: path.join(folder, 'ca.key'),
    serverCert: path.join(folder, 'server.crt'),
    serverKey: path.join(folder, 'server.key'),
  };
}

async function existingCa(folder: string): Promise<ThrowawayCa | undefined> {
  const files = filesIn(folder);
  const present = await Promise.all(
    [files.caCert, files.caKey, files.serverCert, files.serverKey].map((f) =>
      fs.lstat(f).then(
        (s) => s.isFile(),
        () => false,
      ),
    ),
  );
  if (!present.every(Boolean)) return undefined;
  await Promise.all([checkPrivateKeyFile(files.caKey), checkPrivateKeyFile(files.serverKey)]);
  const [caKey, serverKey] = await Promise.all([loadPrivateKey(files.caKey), loadPrivateKey(files.serverKey)]);
  const ca = { cert: loadCertificate(files.caCert), key: caKey };
  const server = { cert: loadCertificate(files.serverCert), key: serverKey };
  return {
    ca,
    server,
    serverConfig: () => ({ ca: { cert: ca.cert, key: ca.key }, srvCert: server.cert, srvKey: server.key }),
    files,
    cleanup: async () => {},
  };
}

export async function createThrowawayCa(options: ThrowawayCaOptions = {}): Promise<ThrowawayCa> {
  if (options.reuse && typeof options.folder === 'string') {
    const existing = await existingCa(options.folder);
    if (existing) return existing;
  }
  const provider = getCryptoProvider();
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - 60_000);
  const notAfter = new Date(now.getTime() + (options.days ?? 30) * DAY);
  const caName = parseName(options.caName ?? '/O=cmpflow/CN=cmpflow throwaway CA');
  const serverName = parseName(options.serverName ?? '/O=cmpflow/CN=cmpflow throwaway CMP server');
  const keySpec: KeySpec = options.keySpec ?? { type: 'ec', curve: 'P-256' };
  const [caKey, serverKey] = await Promise.all([provider.generateKey(keySpec), provider.generateKey(keySpec)]);
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
    if (options.folder !== true) await fs.mkdir(folder, { recursive: true, mode: 0o700 });
    files = filesIn(folder);
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
