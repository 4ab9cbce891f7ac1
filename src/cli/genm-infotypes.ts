/**
 * `-cmd genm` for the InfoTypes OpenSSL 3.4 handles itself (apps/cmp.c do_genm): caCerts goes to
 * -cacertsout, certReqTemplate to -template (and -keyspec), crlStatusList to -crlout. Each writes
 * what the genp carried, or removes a stale file when the server had nothing, so a script can tell
 * "no update" from "old answer" by the file alone.
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { AlgorithmIdentifier } from '@peculiar/asn1-x509';
import * as asn1js from 'asn1js';
import type { X509Certificate, X509Crl } from '@peculiar/x509';
import { CmpOids, oidName, type Controls } from '../asn1';
import type { GeneralResult } from '../client';
import { getCaCerts, getCertReqTemplate, getCrlUpdate } from '../client/general-requests';
import { certificateOf } from '../client/setup';
import { encodeCrl, loadCrl } from '../credentials/crl';
import { CmpError, ErrorCodes } from '../errors';
import type { CmpClientOptions } from '../options';
import type { InfoTypeAndValueInput } from '../options';
import type { CliLog } from './log';
import type { CliSettings } from './options';
import { saveReceived, type CertificateOutputs } from './outputs';
import { overwriteFileSync } from '../overwrite-file';
import { runRootCaUpdate } from './root-ca-update';

/** The InfoTypes with a command of their own here; any other -infotype only lists the genp. */
export const SPECIFIC_INFOTYPES: readonly string[] = [CmpOids.idItCaCerts, CmpOids.idItCertReqTemplate, CmpOids.idItCrlStatusList];

/** Written in place, as the certificate outputs: a `-repeat` run writes the same file each transaction. */
function writeOutput(file: string, bytes: Uint8Array, what: string): void {
  try {
    overwriteFileSync(file, bytes);
  } catch (e) {
    throw new CmpError(ErrorCodes.ERR_FILE, `cannot write ${what} to file '${file}' (${(e as NodeJS.ErrnoException).code ?? 'write error'})`, {
      cause: e,
    });
  }
}

/** A file left from an earlier answer would pass for this one's; OpenSSL removes it likewise. */
async function deleteFile(file: string | undefined, what: string): Promise<void> {
  if (file === undefined) return;
  try {
    await fs.unlink(file);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw new CmpError(ErrorCodes.ERR_FILE, `Failed to delete ${file}, which should be done to indicate there is no ${what}`, { cause: e });
  }
}

/** print_keyspec(): the key types the template asks for, one line each. */
function keySpecLines(keySpec: Controls | undefined): string[] {
  const desc = 'specifications contained in keySpec from genp';
  if (!keySpec) return [`No ${desc}`];
  const lines = [`Key ${desc}:`];
  for (const atav of keySpec) {
    const name = (oid: string) => oidName(oid) ?? oid;
    try {
      if (atav.type === CmpOids.idRegCtrlAlgId) {
        const alg = AsnConvert.parse(atav.value, AlgorithmIdentifier);
        lines.push(`Key algorithm: ${name(alg.algorithm)}${alg.parameters ? ` - ${paramText(alg.parameters)}` : ''}`);
      } else if (atav.type === CmpOids.idRegCtrlRsaKeyLen) {
        const int = asn1js.fromBER(atav.value).result as asn1js.Integer;
        lines.push(`Key algorithm: RSA ${int.valueBlock.valueDec}`);
      } else {
        lines.push(`Invalid key spec: ${name(atav.type)}`);
      }
    } catch {
      lines.push(`Invalid key spec: ${name(atav.type)}`);
    }
  }
  lines.push(`End of key ${desc}`);
  return lines;
}

/** Algorithm parameters as a name where they are one (a curve OID), else as hex. */
function paramText(der: ArrayBuffer): string {
  const parsed = asn1js.fromBER(der).result;
  if (parsed instanceof asn1js.ObjectIdentifier) {
    const oid = parsed.valueBlock.toString();
    return oidName(oid) ?? oid;
  }
  return Buffer.from(der).toString('hex');
}

/** One genm → genp exchange: CmpClient.genm, or a transaction with a session file (session-command.ts). */
export type GenmExchange = (itavs: InfoTypeAndValueInput[]) => Promise<GeneralResult>;

/**
 * What the -infotype commands read of the settings: the InfoType, what names the request's
 * subject, and where the answer goes. A session file keeps them (absolute), so that a resumed genm
 * writes the files an uninterrupted one would.
 */
export type GenmSettings = Pick<
  CliSettings,
  'infoType' | 'template' | 'keySpec' | 'crlCert' | 'oldCrl' | 'crlOut' | 'crlForm' | 'oldWithOld' | 'newWithNew' | 'newWithOld' | 'oldWithNew'
>;

export const GENM_SETTING_KEYS = [
  'template',
  'keySpec',
  'crlCert',
  'oldCrl',
  'crlOut',
  'oldWithOld',
  'newWithNew',
  'newWithOld',
  'oldWithNew',
] as const satisfies readonly (keyof GenmSettings)[];

export interface SpecificGenmContext {
  cli: GenmSettings;
  cwd: string;
  log: CliLog;
  outputs: CertificateOutputs;
}

/**
 * Runs the command the -infotype has (rootCaCert, caCerts, certReqTemplate, crlStatusList) through
 * `genm` and writes its files; false, without any exchange, when the -infotype has none (the
 * caller then sends the plain genm and lists the genp). `options`: the client's, as resolved.
 */
export async function runGenmCommand(genm: GenmExchange, ctx: SpecificGenmContext, options: CmpClientOptions): Promise<boolean> {
  if (ctx.cli.infoType?.oid === CmpOids.idItRootCaCert) {
    await runRootCaUpdate(genm, { ...ctx, options });
    return true;
  }
  return runSpecificGenm(genm, ctx);
}

/**
 * Runs the genm the -infotype asks for and writes its files; false when the -infotype has no
 * command of its own (the caller then sends the plain genm).
 */
export async function runSpecificGenm(exchange: GenmExchange, ctx: SpecificGenmContext): Promise<boolean> {
  const { cli, log, outputs } = ctx;
  const oid = cli.infoType?.oid;
  if (oid === undefined || !SPECIFIC_INFOTYPES.includes(oid)) return false;
  const abs = (p: string | undefined) => (p === undefined ? undefined : path.resolve(ctx.cwd, p));
  let last: GeneralResult | undefined;
  const genm = async (itavs: InfoTypeAndValueInput[]) => (last = await exchange(itavs));

  if (oid === CmpOids.idItCaCerts) {
    if (outputs.caCertsOut === undefined) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'Missing -cacertsout option for -infotype caCerts');
    const certs = await getCaCerts(genm);
    if (certs.length === 0) log.warn('no CA certificates provided by server');
    else await saveReceived({ caPubs: certs, extraCerts: [] }, { caCertsOut: outputs.caCertsOut, certForm: outputs.certForm }, log);
  } else if (oid === CmpOids.idItCertReqTemplate) {
    const template = abs(cli.template)!;
    const keySpecFile = abs(cli.keySpec);
    const content = await getCertReqTemplate(genm);
    if (!content) {
      log.warn('no certificate request template available');
      await deleteFile(template, 'certTemplate from genp');
      await deleteFile(keySpecFile, 'keySpec from genp');
    } else {
      writeOutput(template, new Uint8Array(AsnConvert.serialize(content.certTemplate)), 'certTemplate from genp');
      log.info(`stored certTemplate from genp to file '${template}'`);
      for (const line of keySpecLines(content.keySpec)) log.info(line);
      if (keySpecFile !== undefined) {
        if (!content.keySpec) {
          log.warn('no key specifications available');
          await deleteFile(keySpecFile, 'keySpec from genp');
        } else {
          writeOutput(keySpecFile, new Uint8Array(AsnConvert.serialize(content.keySpec)), 'keySpec from genp');
          log.info(`stored keySpec from genp to file '${keySpecFile}'`);
        }
      }
    }
  } else {
    if (cli.oldCrl === undefined && cli.crlCert === undefined) {
      throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'Missing -oldcrl and no -crlcert given for -infotype crlStatusList');
    }
    const crlOut = abs(cli.crlOut);
    if (crlOut === undefined) throw new CmpError(ErrorCodes.ERR_MISSING_OPTION, 'Missing -crlout for -infotype crlStatusList');
    const cert: X509Certificate | undefined = cli.crlCert !== undefined ? await certificateOf(abs(cli.crlCert)!, '-crlcert') : undefined;
    const oldCrl: X509Crl | undefined = cli.oldCrl !== undefined ? loadCrl(abs(cli.oldCrl)!, '-oldcrl') : undefined;
    if (cert && oldCrl && cert.issuerName.toString() !== oldCrl.issuerName.toString()) log.warn('-oldcrl and -crlcert have different issuer');
    const crl = await getCrlUpdate(genm, { ...(cert ? { cert } : {}), ...(oldCrl ? { crl: oldCrl } : {}) });
    const desc = "CRL from genp of type 'crls'";
    if (!crl) {
      log.info('no CRL update available');
      await deleteFile(crlOut, desc);
    } else {
      log.info(`received ${desc}, saving to file '${crlOut}'`);
      writeOutput(crlOut, encodeCrl(crl, cli.crlForm), desc);
    }
  }
  // As after any command, the extra certificates of the last answer go to -extracertsout.
  if (last)
    await saveReceived(
      { extraCerts: last.extraCerts },
      { ...(outputs.extraCertsOut ? { extraCertsOut: outputs.extraCertsOut } : {}), certForm: outputs.certForm },
      log,
    );
  return true;
}
