/**
 * Server mode (`-port N` with the mock server options): cmpflow's embedded CMP server on
 * 127.0.0.1 (and the same server in-process for -use_mock_srv), announced as OpenSSL announces its mock server (`ACCEPT 127.0.0.1:PORT PID=N` on
 * stdout), serving until it is stopped (SIGINT/SIGTERM in a process) or has answered -max_msgs
 * requests. Unlike OpenSSL's mock, without -rsp_cert it issues real certificates from a
 * throwaway CA made for this run.
 */
import * as path from 'path';
import { certificateOf, certificatesOf, keyOf } from '../client/setup';
import { CmpError, ErrorCodes } from '../errors';
import {
  createCmpCluster,
  createCmpServer,
  createThrowawayCa,
  type CmpCluster,
  JournalRecordStore,
  listen,
  type CmpServer,
  type CmpServerConfig,
  type Listener,
  type ThrowawayCa,
} from '../server';
import { passphraseResolver, type ClientEnvironment } from './client-options';
import type { CliLog, OutputStream } from './log';
import { loadCrl } from '../credentials/crl';
import { mockCertReqTemplate } from './mock-template';
import type { MockServerSettings, RunCommandLine } from './options';

export interface ServerIo extends ClientEnvironment {
  stdout: OutputStream;
  /** The signal that stops the server (SIGINT/SIGTERM in a process); without it, only -max_msgs does. */
  stopSignal?: () => AbortSignal;
  /** The process id to announce (OpenSSL prints it so that scripts can kill the server). */
  pid?: number;
}

async function serverConfig(s: MockServerSettings, parsed: RunCommandLine, io: ClientEnvironment): Promise<CmpServerConfig> {
  const resolve = passphraseResolver(io);
  const file = (p: string) => path.resolve(io.cwd, p);
  const files = (list: string[] | undefined) => list?.map(file);
  const p = parsed.passphrases;
  const config: CmpServerConfig = {
    pollCount: s.pollCount,
    checkAfter: s.checkAfter,
    ...(s.delayedDelivery ? { delayedDelivery: s.delayedDelivery } : {}),
    grantImplicitConf: s.grantImplicitConf,
    sendError: s.sendError,
    sendUnprotected: s.sendUnprotected,
    sendUnprotErr: s.sendUnprotErr,
    acceptUnprotected: s.acceptUnprotected,
    acceptUnprotErr: s.acceptUnprotErr,
    acceptRaVerified: s.acceptRaVerified,
    maxMsgs: s.maxMsgs,
  };
  // 0 is OpenSSL's default for both; forcing it would override the CA's own decision.
  if (s.pkiStatus !== 0) config.pkiStatus = s.pkiStatus;
  if (s.failureBits !== 0) config.failureBits = s.failureBits;
  if (s.statusString !== undefined) config.statusString = s.statusString;
  if (s.srvRef !== undefined) config.srvRef = s.srvRef;
  if (p.srvSecret !== undefined) config.srvSecret = await resolve(p.srvSecret, 'the -srv_secret pass phrase');
  // Pass phrases as apps/cmp.c 3.0 pairs them: -srv_keypass for -srv_cert and -srv_key, -keypass
  // for -rsp_cert, -otherpass for the certificate lists.
  const srvKeyPass = p.srvKeyPass !== undefined ? await resolve(p.srvKeyPass, 'the -srv_keypass pass phrase') : undefined;
  const keyPass = p.keyPass !== undefined && s.rspCert !== undefined ? await resolve(p.keyPass, 'the -keypass pass phrase') : undefined;
  // OpenSSL 3.5: -rsp_keypass for -rsp_key and -rsp_cert.
  const rspKeyPass = p.rspKeyPass !== undefined ? await resolve(p.rspKeyPass, 'the -rsp_keypass pass phrase') : undefined;
  const otherPass = p.otherPass !== undefined ? await resolve(p.otherPass, 'the -otherpass pass phrase') : undefined;
  if (s.srvCert !== undefined) config.srvCert = await certificateOf(file(s.srvCert), '-srv_cert', srvKeyPass);
  if (s.srvKey !== undefined) config.srvKey = await keyOf(file(s.srvKey), srvKeyPass, '-srv_key');
  if (s.srvTrusted) config.srvTrusted = await certificatesOf(files(s.srvTrusted), '-srv_trusted', otherPass);
  if (s.srvUntrusted) config.srvUntrusted = await certificatesOf(files(s.srvUntrusted), '-srv_untrusted', otherPass);
  if (s.srvVerification) config.srvVerification = s.srvVerification;
  if (s.rspCert !== undefined) config.rspCert = await certificateOf(file(s.rspCert), '-rsp_cert', rspKeyPass ?? keyPass);
  if (s.rspKey !== undefined) config.rspKey = await keyOf(file(s.rspKey), rspKeyPass, '-rsp_key');
  if (s.refCert !== undefined) config.refCert = await certificateOf(file(s.refCert), '-ref_cert', otherPass);
  if (s.rspExtraCerts) config.rspExtraCerts = await certificatesOf(files(s.rspExtraCerts), '-rsp_extracerts', otherPass);
  if (s.rspCaPubs) config.rspCaPubs = await certificatesOf(files(s.rspCaPubs), '-rsp_capubs', otherPass);
  if (s.rspNewWithNew !== undefined) {
    config.rootCaKeyUpdate = {
      newWithNew: await certificateOf(file(s.rspNewWithNew), '-rsp_newwithnew', otherPass),
      ...(s.rspNewWithOld !== undefined ? { newWithOld: await certificateOf(file(s.rspNewWithOld), '-rsp_newwithold', otherPass) } : {}),
      ...(s.rspOldWithNew !== undefined ? { oldWithNew: await certificateOf(file(s.rspOldWithNew), '-rsp_oldwithnew', otherPass) } : {}),
    };
  } else if (s.rspNewWithOld !== undefined || s.rspOldWithNew !== undefined) {
    // The transition certificates mean nothing without the new root they lead to.
    throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, '-rsp_newwithnew: -rsp_newwithold and -rsp_oldwithnew need the new root CA certificate');
  }
  if (s.rspCrl !== undefined) config.rspCrl = new Uint8Array(loadCrl(file(s.rspCrl), '-rsp_crl').rawData);
  return config;
}

export interface MockServer {
  server: CmpServer;
  /** Removes what the server made for this run (its throwaway CA). */
  cleanup(): Promise<void>;
}

interface MockConfig {
  config: CmpServerConfig;
  throwaway?: ThrowawayCa;
}

/** The server the mock server options describe, for -port and for -use_mock_srv. */
export async function createMockServer(parsed: RunCommandLine, io: ClientEnvironment, log: CliLog): Promise<MockServer> {
  const { config, throwaway } = await mockConfig(parsed, io, log);
  const server = createCmpServer(config);
  try {
    await server.ready();
  } catch (e) {
    await server.close();
    await throwaway?.cleanup();
    throw e;
  }
  return {
    server,
    cleanup: async () => {
      await server.close();
      await throwaway?.cleanup();
    },
  };
}

/** -srv_workers K: the same server as K worker threads behind one listener (createCmpCluster). */
async function createMockCluster(
  parsed: RunCommandLine,
  io: ClientEnvironment,
  log: CliLog,
  workers: number,
): Promise<{ server: CmpCluster; cleanup(): Promise<void> }> {
  const { config, throwaway } = await mockConfig(parsed, io, log);
  let cluster: CmpCluster;
  try {
    cluster = createCmpCluster(config, { workers });
  } catch (e) {
    await throwaway?.cleanup();
    throw e;
  }
  const cleanup = async () => {
    await cluster.close();
    await throwaway?.cleanup();
  };
  try {
    await cluster.ready();
  } catch (e) {
    await cleanup();
    throw e;
  }
  log.info(`serving with ${workers} worker thread(s)`);
  return { server: cluster, cleanup };
}

async function mockConfig(parsed: RunCommandLine, io: ClientEnvironment, log: CliLog): Promise<MockConfig> {
  const settings = parsed.server;
  if (!settings) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, '-port or -use_mock_srv: no mock server options');
  const config = await serverConfig(settings, parsed, io);
  let throwaway: ThrowawayCa | undefined;
  const store = settings.srvStore !== undefined ? path.resolve(io.cwd, settings.srvStore) : undefined;
  if (store !== undefined && config.rspCert !== undefined)
    log.warn('-srv_store is not used with -rsp_cert: the server then issues nothing to remember');
  if (config.rspCert === undefined) {
    // Without -srv_store the CA is new for each run, so records outliving the run would name a key nobody has.
    throwaway = await createThrowawayCa(store !== undefined ? { folder: store, reuse: true } : {});
    if (store !== undefined) config.store = new JournalRecordStore({ folder: store });
    const made = throwaway.serverConfig();
    config.ca = made.ca!;
    if (config.srvCert === undefined) {
      config.srvCert = made.srvCert!;
      config.srvKey = made.srvKey!;
    }
    if (store !== undefined) log.info(`no -rsp_cert given: issuing certificates from the CA '${throwaway.ca.cert.subject}' kept in ${store}`);
    else log.info(`no -rsp_cert given: issuing certificates from a throwaway CA '${throwaway.ca.cert.subject}'`);
    if (config.srvTrusted === undefined) {
      log.warn('no -srv_trusted given: the mock server accepts signature-protected requests only from certificates of its throwaway CA');
    }
  }
  // OpenSSL's mock answers certReqTemplate with the issuer it would name and the key types it
  // offers; so does this one, for -template and -keyspec to have something to save.
  config.certReqTemplate ??= mockCertReqTemplate((config.rspCert ?? config.ca?.cert)!, config.rspCert !== undefined);
  // OpenSSL's mock server logs each request's type at DEBUG; scripts count `received IR` lines.
  config.onRequest = (type, { retransmission }) =>
    log.debug(`received ${type.toUpperCase()}${retransmission ? ' again (a retransmission, answered as before)' : ''}`);
  return { config, ...(throwaway ? { throwaway } : {}) };
}

/** Serves until stopped; returns the exit status. */
export async function runServer(parsed: RunCommandLine, io: ServerIo, log: CliLog): Promise<number> {
  const settings = parsed.server;
  if (!settings || settings.port === undefined) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, '-port: server mode needs a port');
  const { server, cleanup } =
    settings.srvWorkers !== undefined ? await createMockCluster(parsed, io, log, settings.srvWorkers) : await createMockServer(parsed, io, log);
  let listener: Listener;
  try {
    listener = await listen(server, { port: settings.port, maxMsgs: settings.maxMsgs });
  } catch (e) {
    await cleanup();
    throw e;
  }
  try {
    io.stdout.write(`ACCEPT 127.0.0.1:${listener.port} PID=${io.pid ?? process.pid}\n`);
    const stop = io.stopSignal?.();
    const stopped = new Promise<void>((resolve) => {
      if (stop?.aborted) resolve();
      stop?.addEventListener('abort', () => resolve(), { once: true });
    });
    await Promise.race([listener.closed, stopped]);
    log.info(`server stopping after ${'counters' in server ? server.counters.requests : server.state.counters.requests} request(s)`);
    return 0;
  } finally {
    await listener.close();
    await cleanup();
  }
}
