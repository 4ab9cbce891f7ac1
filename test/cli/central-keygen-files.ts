/**
 * What the command-line central key generation tests read back from the files a run wrote: a PEM
 * certificate's parsed form and its SubjectPublicKeyInfo, the key package of an answer saved with
 * -rspout; and the client arguments of a request signed with a certificate of the embedded CA.
 */
import { readFileSync } from 'fs';
import { AsnConvert } from '@peculiar/asn1-schema';
import { Certificate } from '@peculiar/asn1-x509';
import { decodePkiMessage, type EnvelopedData } from '../../src/asn1';

const pemDer = (file: string) => Buffer.from(readFileSync(file, 'utf8').replace(/-----[^-]+-----|\s/g, ''), 'base64');

export const certificateIn = (file: string): Certificate => AsnConvert.parse(pemDer(file), Certificate);

export const spkiOf = (cert: Certificate): Buffer => Buffer.from(AsnConvert.serialize(cert.tbsCertificate.subjectPublicKeyInfo));

/** The privateKey EnvelopedData of the ip or cp saved with -rspout in `file`. */
export function deliveredKey(file: string): EnvelopedData {
  const answer = decodePkiMessage(new Uint8Array(readFileSync(file)));
  return (answer.body.ip ?? answer.body.cp)!.response[0]!.certifiedKeyPair!.privateKey!.envelopedData!;
}

/** A client signing its request with `cert` and `key`, trusting the embedded CA's `caCert` file. */
export const signedClientArgs = (cert: string, key: string, caCert: string): string[] => ['-cert', cert, '-key', key, '-trusted', caCert];
