/**
 * A centrally generated key (RFC 9483 section 4.1.6) as OpenSSL 3.0 reads it, independently of cmpflow:
 * `openssl cms -decrypt` opens the EnvelopedData, `openssl cms -verify` checks the SignedData inside
 * against a CA file and writes out its signer's certificate, and `openssl x509` names that certificate's
 * extended key usage, which must be id-kp-cmKGA (OpenSSL 3.0 prints it by name).
 */
import { promises as fs } from 'fs';
import * as path from 'path';
import { AsnConvert } from '@peculiar/asn1-schema';
import { ContentInfo } from '@peculiar/asn1-cms';
import { AsymmetricKeyPackage } from '@peculiar/asn1-asym-key';
import type { EnvelopedData } from '../../src/asn1';
import { CmsOids } from '../../src/cms';
import { runOpenSsl } from './openssl';

/** How OpenSSL 3.0's `x509 -ext extendedKeyUsage` names id-kp-cmKGA (1.3.6.1.5.5.7.3.32). */
export const CM_KGA_NAME = 'Certificate Management Key Generation Authority';

export interface OpenSslKeyPackage {
  keys: AsymmetricKeyPackage;
  /** What `openssl x509 -noout -ext extendedKeyUsage` prints for the SignedData's signer. */
  signerExtKeyUsage: string;
}

async function openssl(dir: string, args: string[]): Promise<string> {
  const run = await runOpenSsl(args, { cwd: dir });
  if (run.code !== 0) throw new Error(`openssl ${args.join(' ')}:\n${run.stderr}`);
  return run.stdout;
}

function contentInfo(contentType: string, content: ArrayBuffer): Buffer {
  return Buffer.from(AsnConvert.serialize(new ContentInfo({ contentType, content })));
}

/**
 * Opens `enveloped` with `decrypt` (`-pwri_password ...`, or `-recip cert -inkey key`), verifies the
 * SignedData against `caFile` and returns the key package and its signer's extended key usage. Files go
 * to `dir` under `tag`.
 */
export async function opensslKeyPackage(
  dir: string,
  tag: string,
  enveloped: EnvelopedData,
  decrypt: string[],
  caFile: string,
): Promise<OpenSslKeyPackage> {
  const file = (suffix: string) => path.join(dir, `${tag}.${suffix}`);
  await fs.writeFile(file('env'), contentInfo(CmsOids.envelopedData, AsnConvert.serialize(enveloped)));
  await openssl(dir, ['cms', '-decrypt', '-binary', '-inform', 'DER', '-in', file('env'), ...decrypt, '-out', file('sd')]);
  const signed = new Uint8Array(await fs.readFile(file('sd')));
  await fs.writeFile(file('sdci'), contentInfo(CmsOids.signedData, signed.slice().buffer));
  const verify = ['cms', '-verify', '-binary', '-inform', 'DER', '-in', file('sdci'), '-CAfile', caFile, '-purpose', 'any'];
  await openssl(dir, [...verify, '-signer', file('signer.pem'), '-out', file('akp')]);
  return {
    keys: AsnConvert.parse(await fs.readFile(file('akp')), AsymmetricKeyPackage),
    signerExtKeyUsage: await openssl(dir, ['x509', '-in', file('signer.pem'), '-noout', '-ext', 'extendedKeyUsage']),
  };
}
