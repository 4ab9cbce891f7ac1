/**
 * A MAC or signature is whole octets: a protection BIT STRING that declares unused bits is refused,
 * even though its octets are the right MAC (a byte comparison alone would accept it).
 */
import { decodePkiMessage, rawPkiMessage } from '../../src/asn1';
import { processResponse } from '../../src/validation/response';
import { buildResponse, expectationsFor, newTransaction, pkiconfBody } from '../validation/response-factory';

/** The offset of the unused-bits octet of the protection BIT STRING ([0] len, 03 len, unused). */
function unusedBitsOffset(der: Uint8Array): number {
  const protection = rawPkiMessage(decodePkiMessage(der))!.protection!;
  const at = Buffer.from(der).indexOf(Buffer.from(protection));
  // [0] and BIT STRING headers are two bytes each for a MAC of 20 or 32 octets.
  return at + 4;
}

describe('the protection BIT STRING', () => {
  it('verifies with no unused bits', async () => {
    const t = newTransaction();
    await expect(processResponse(await buildResponse(t, pkiconfBody()), expectationsFor(t, 'certConf'))).resolves.toMatchObject({ kind: 'pkiConf' });
  });

  it.each([1, 4, 7])('is refused with ERR_PROTECTION_INVALID when it declares %i unused bits around the right MAC', async (unused) => {
    const t = newTransaction();
    const der = Uint8Array.from(await buildResponse(t, pkiconfBody()));
    const at = unusedBitsOffset(der);
    expect(der[at]).toBe(0);
    der[at] = unused;
    await expect(processResponse(der, expectationsFor(t, 'certConf'))).rejects.toMatchObject({ code: 'ERR_PROTECTION_INVALID' });
  });
});
