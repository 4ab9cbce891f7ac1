/**
 * General message (genm): ask the CA which key types it accepts (RFC 9483 section 4.3), and
 * decode the answer with the ASN.1 classes cmpflow exports.
 */
import { CmpClient, type GeneralResult } from '../../src';
import * as asn1 from '../../src/entries/asn1';

/** id-it-signKeyPairTypes */
export const SIGN_KEY_PAIR_TYPES = '1.3.6.1.5.5.7.4.2';

export interface GeneralMessage {
  serverUrl: string;
  ref: string;
  secret: string;
}

/** The algorithm OIDs of a signKeyPairTypes answer; none when the server sent no value. */
export function keyPairTypesOf(result: GeneralResult): string[] {
  const answer = result.itavs.find((itav) => itav.infoType === SIGN_KEY_PAIR_TYPES);
  if (!answer?.value) return [];
  const itav = new asn1.InfoTypeAndValue({ infoType: answer.infoType, infoValue: answer.value.slice().buffer });
  return asn1.decodeInfoValue(itav, asn1.SignKeyPairTypesValue).map((algorithm) => algorithm.algorithm);
}

export async function askForKeyPairTypes(p: GeneralMessage): Promise<{ infoTypes: string[]; algorithms: string[] }> {
  const client = new CmpClient({ server: p.serverUrl, ref: p.ref, secret: p.secret, msgTimeout: 10 });
  const result = await client.genm([{ infoType: SIGN_KEY_PAIR_TYPES }]);
  return { infoTypes: result.itavs.map((itav) => itav.infoType), algorithms: keyPairTypesOf(result) };
}
