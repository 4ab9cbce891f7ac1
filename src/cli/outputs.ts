/**
 * The files and lines a finished command leaves behind, as apps/cmp.c writes them: certificates
 * to -extracertsout, -cacertsout, -certout and -chainout (in that order, PEM unless -certform DER;
 * several DER certificates are concatenated with a warning, as save_free_certs() does), and the
 * ITAVs of a genp as print_itavs() lists them.
 */
import { createPrivateKey } from 'crypto';
import { promises as fs } from 'fs';
import type { X509Certificate } from '@peculiar/x509';
import { oidName } from '../asn1/oids';
import { encodePem } from '../credentials/pem';
import { encryptPrivateKeyInfo } from '../credentials/pkcs8-encryption';
import { mlDsaVariantOfPkcs8 } from '../crypto/ml-dsa';
import { isMlKemPkcs8 } from '../crypto/ml-kem';
import { CmpError, ErrorCodes } from '../errors';
import type { CliLog } from './log';
import { overwriteFileSync } from '../overwrite-file';

export type CertForm = 'PEM' | 'DER';

/** The bytes of a certificate file: PEM blocks one after another, or the DER encodings concatenated. */
function encodeCertificates(certs: readonly X509Certificate[], form: CertForm): Uint8Array {
  if (form === 'PEM') return new TextEncoder().encode(certs.map((c) => encodePem('CERTIFICATE', new Uint8Array(c.rawData))).join(''));
  return Buffer.concat(certs.map((c) => new Uint8Array(c.rawData)));
}

/**
 * Writes `certs` to `file` (an empty list empties the file, as OpenSSL does). `option` names the
 * option in an error, `what` the certificates in the info line ("enrolled", "chain", "CA", "extra").
 */
export async function saveCertificates(
  certs: readonly X509Certificate[],
  file: string | undefined,
  what: string,
  option: string,
  form: CertForm,
  log: CliLog,
): Promise<void> {
  if (file === undefined) return;
  log.info(`received ${certs.length} ${what} certificate(s), saving to file '${file}'`);
  if (certs.length > 1 && form !== 'PEM') log.warn('saving more than one certificate in non-PEM format');
  try {
    // Synchronously, as openssl cmp writes them: the command has nothing else to do meanwhile, and
    // through the thread pool a small file costs about twice the CPU (measured over -repeat runs).
    // In place rather than truncated first: a -repeat run writes the same file each transaction.
    overwriteFileSync(file, encodeCertificates(certs, form));
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'write error';
    throw new CmpError(ErrorCodes.ERR_FILE, `-${option}: cannot write ${what} certificate(s) to ${file} (${reason})`, { cause: e });
  }
}

/** Where the certificates of a transaction go. */
export interface CertificateOutputs {
  certOut?: string;
  /** -newkeyout, and the -newkeypass that encrypts what goes there. */
  newKeyOut?: string;
  newKeyPass?: string;
  chainOut?: string;
  extraCertsOut?: string;
  caCertsOut?: string;
  certForm: CertForm;
}

export interface ReceivedCertificates {
  certificate?: X509Certificate;
  /** The centrally generated key, PKCS#8 DER. */
  privateKeyPkcs8?: Uint8Array;
  chain?: readonly X509Certificate[];
  caPubs?: readonly X509Certificate[];
  extraCerts: readonly X509Certificate[];
}

/** Saves what a transaction received, in OpenSSL's order: extra, CA, enrolled, chain. */
export async function saveReceived(received: ReceivedCertificates, out: CertificateOutputs, log: CliLog): Promise<void> {
  await saveCertificates(received.extraCerts, out.extraCertsOut, 'extra', 'extracertsout', out.certForm, log);
  if (received.caPubs) await saveCertificates(received.caPubs, out.caCertsOut, 'CA', 'cacertsout', out.certForm, log);
  if (received.certificate) await saveCertificates([received.certificate], out.certOut, 'enrolled', 'certout', out.certForm, log);
  if (received.privateKeyPkcs8 && out.newKeyOut !== undefined) await saveGeneratedKey(received.privateKeyPkcs8, out.newKeyOut, out.newKeyPass, log);
  if (received.chain) await saveCertificates(received.chain, out.chainOut, 'chain', 'chainout', out.certForm, log);
}

/**
 * -newkeyout: the centrally generated key as PEM PKCS#8, encrypted (PBES2, AES-256-CBC, as OpenSSL 3.5
 * writes it) when -newkeypass is given. The file is made 0600 before any key byte is written to it.
 */
async function saveGeneratedKey(pkcs8: Uint8Array, file: string, pass: string | undefined, log: CliLog): Promise<void> {
  log.info(`received centrally generated key, saving to file '${file}'`);
  const pem = generatedKeyPem(pkcs8, pass);
  try {
    const handle = await fs.open(file, 'w', 0o600);
    try {
      await handle.chmod(0o600);
      await handle.writeFile(pem);
    } finally {
      await handle.close();
    }
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code ?? 'write error';
    throw new CmpError(ErrorCodes.ERR_FILE, `-newkeyout: cannot write the centrally generated key to ${file} (${reason})`, { cause: e });
  }
}

/**
 * node:crypto writes the key types it knows; an ML-DSA or ML-KEM key (which Node 20 cannot hold) is written
 * as the PKCS#8 it came in (the seed form), encrypted the same way (PBES2, AES-256-CBC) by cmpflow's own PBES2 code.
 */
function generatedKeyPem(pkcs8: Uint8Array, pass: string | undefined): string {
  if (mlDsaVariantOfPkcs8(pkcs8) !== undefined || isMlKemPkcs8(pkcs8)) {
    return pass !== undefined ? encodePem('ENCRYPTED PRIVATE KEY', encryptPrivateKeyInfo(pkcs8, pass)) : encodePem('PRIVATE KEY', pkcs8);
  }
  const key = createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' });
  return key
    .export(pass !== undefined ? { format: 'pem', type: 'pkcs8', cipher: 'aes-256-cbc', passphrase: pass } : { format: 'pem', type: 'pkcs8' })
    .toString();
}

/** print_itavs(): one line per ITAV of a genp, named like OpenSSL names the InfoType. */
export function genpLines(itavs: readonly { infoType: string }[]): string[] {
  if (itavs.length === 0) return ['genp contains no ITAV'];
  return itavs.map((i) => `genp contains ITAV of type: ${oidName(i.infoType) ?? i.infoType}`);
}
