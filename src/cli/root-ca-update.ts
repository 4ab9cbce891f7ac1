/**
 * What a finished transaction leaves about the server, and `-cmd genm -infotype rootCaCert`, as
 * OpenSSL 3.2's apps/cmp.c has them: -srvcertout gets the certificate that signed the last
 * response (validated), and a root CA key update goes to -newwithnew, -newwithold and -oldwithnew
 * once RFC 9480 section 4.3's checks have passed. A part the server did not send removes its file,
 * so that a file left from an earlier run cannot pass for this answer.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import type { X509Certificate } from '@peculiar/x509';
import type { CmpClient, GeneralResult } from '../client';
import { getRootCaUpdate } from '../client/general-requests';
import { certificateOf, certificatesOf } from '../client/setup';
import { CmpError, ErrorCodes } from '../errors';
import type { CmpClientOptions, InfoTypeAndValueInput } from '../options';
import type { CliLog } from './log';
import type { CliSettings } from './options';
import { saveCertificates, saveReceived, type CertificateOutputs } from './outputs';

/** save_cert_or_delete(): the certificate, or no file at all when there is none. */
export async function saveCertificateOrDelete(
  cert: X509Certificate | undefined,
  file: string | undefined,
  what: string,
  option: string,
  outputs: CertificateOutputs,
  log: CliLog,
): Promise<void> {
  if (file === undefined) return;
  if (cert) return saveCertificates([cert], file, what, option, outputs.certForm, log);
  try {
    await fs.unlink(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CmpError(
      ErrorCodes.ERR_FILE,
      `-${option}: failed to delete ${file}, which should be done to indicate there is no ${what} certificate`,
      {
        cause: e,
      },
    );
  }
}

/** -srvcertout after a transaction: the validated signer of its last response, or no file after MAC protection. */
export async function saveServerCertificate(client: CmpClient, file: string | undefined, outputs: CertificateOutputs, log: CliLog): Promise<void> {
  await saveCertificateOrDelete(client.validatedServerCert, file, 'validated server', 'srvcertout', outputs, log);
}

export interface RootCaUpdateContext {
  cli: Pick<CliSettings, 'oldWithOld' | 'newWithNew' | 'newWithOld' | 'oldWithNew'>;
  cwd: string;
  log: CliLog;
  outputs: CertificateOutputs;
  /** The client's options as resolved: -trusted, -otherpass and the verification time. */
  options: CmpClientOptions;
}

/** do_genm() for rootCaCert: asks for an update of -oldwithold (or of whatever -trusted holds). */
export async function runRootCaUpdate(exchange: (itavs: InfoTypeAndValueInput[]) => Promise<GeneralResult>, ctx: RootCaUpdateContext): Promise<void> {
  const { cli, log, outputs } = ctx;
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
  const newWithNewFile = abs(cli.newWithNew);
  if (newWithNewFile === undefined) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'Missing -newwithnew option for -infotype rootCaCert');
  let oldWithOld: X509Certificate | undefined;
  if (cli.oldWithOld === undefined) {
    log.warn('No -oldwithold given, will use all certs given with -trusted as trust anchors for verifying the newWithNew cert');
  } else {
    oldWithOld = await certificateOf(abs(cli.oldWithOld)!, '-oldwithold', ctx.options.otherPass);
  }
  const trusted = oldWithOld ? [] : await certificatesOf(ctx.options.trusted, '-trusted', ctx.options.otherPass);
  let last: GeneralResult | undefined;
  const genm = async (itavs: InfoTypeAndValueInput[]) => (last = await exchange(itavs));
  const update = await getRootCaUpdate(genm, oldWithOld, ctx.options.verification?.at, trusted);
  if (!update) log.info('no root CA certificate update available');
  else if (!oldWithOld && update.oldWithNew) {
    log.warn('oldWithNew certificate received in genp for verifying oldWithOld, but oldWithOld was not provided');
  }
  await saveCertificateOrDelete(update?.newWithNew, newWithNewFile, 'NewWithNew cert from genp', 'newwithnew', outputs, log);
  await saveCertificateOrDelete(update?.newWithOld, abs(cli.newWithOld), 'NewWithOld cert from genp', 'newwithold', outputs, log);
  await saveCertificateOrDelete(update?.oldWithNew, abs(cli.oldWithNew), 'OldWithNew cert from genp', 'oldwithnew', outputs, log);
  if (last) {
    const extra = { ...(outputs.extraCertsOut ? { extraCertsOut: outputs.extraCertsOut } : {}), certForm: outputs.certForm };
    await saveReceived({ extraCerts: last.extraCerts }, extra, log);
  }
}
