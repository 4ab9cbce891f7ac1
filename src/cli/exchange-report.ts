/**
 * What `-cmd rr` and `-cmd genm` report when their answer has come, whether it came in one run or
 * after a saved session was resumed: the same lines and files either way.
 */
import type { GeneralResult, RevocationResult } from '../client';
import type { CliLog, OutputStream } from './log';
import { genpLines, saveReceived, type CertificateOutputs } from './outputs';

export async function reportRevocation(result: RevocationResult, outputs: CertificateOutputs, log: CliLog): Promise<void> {
  // OpenSSL's OSSL_CMP_exec_RR_ses logs the outcome at INFO, but a revocationNotification (which
  // some CAs send for a certificate revoked before) at WARNING.
  const revoked = `revocation accepted (PKIStatus=${result.statusName})`;
  if (result.statusName === 'revocationNotification') log.warn(revoked);
  else log.info(revoked);
  if (result.warning) log.warn(result.warning);
  await saveReceived(result, outputs, log);
}

export async function reportGeneral(result: GeneralResult, outputs: CertificateOutputs, log: CliLog, stdout: OutputStream): Promise<void> {
  for (const line of genpLines(result.itavs)) stdout.write(`${line}\n`);
  await saveReceived(result, outputs, log);
}
