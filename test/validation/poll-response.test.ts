import { MAX_CHECK_AFTER_SECONDS } from '../../src/validation';
import { checkedResponse } from './checked';
import { buildResponse, expectationsFor, newTransaction, pollRepBody } from './response-factory';

const NOW = 1_700_000_000_000;

async function poll(entries: Parameters<typeof pollRepBody>[0], certReqId?: bigint) {
  const t = newTransaction();
  const der = await buildResponse(t, pollRepBody(entries));
  return checkedResponse(der, expectationsFor(t, 'pollReq', { now: () => NOW, ...(certReqId !== undefined ? { certReqId } : {}) }));
}

describe('pollRep', () => {
  it('yields the wait in seconds, the time it was received and the reason', async () => {
    await expect(poll([{ checkAfter: 5n, reason: ['CA operator is at lunch'] }])).resolves.toMatchObject({
      kind: 'pollWait',
      certReqId: '0',
      checkAfter: 5,
      receivedAt: NOW,
      reason: ['CA operator is at lunch'],
    });
  });

  it('accepts checkAfter 0 and the ten-year maximum', async () => {
    await expect(poll([{ checkAfter: 0n }])).resolves.toMatchObject({ checkAfter: 0 });
    await expect(poll([{ checkAfter: BigInt(MAX_CHECK_AFTER_SECONDS) }])).resolves.toMatchObject({ checkAfter: MAX_CHECK_AFTER_SECONDS });
  });

  it.each([-1n, BigInt(MAX_CHECK_AFTER_SECONDS) + 1n, 2n ** 70n])('refuses checkAfter %p with ERR_CHECK_AFTER', async (checkAfter) => {
    await expect(poll([{ checkAfter }])).rejects.toMatchObject({ code: 'ERR_CHECK_AFTER' });
  });

  it('polls for the certReqId of the request, -1 after a p10cr', async () => {
    await expect(poll([{ certReqId: -1n, checkAfter: 1n }], -1n)).resolves.toMatchObject({ certReqId: '-1' });
  });

  it('refuses an entry for another certReqId with ERR_CERT_REQ_ID_MISMATCH', async () => {
    await expect(poll([{ certReqId: 3n, checkAfter: 1n }])).rejects.toMatchObject({ code: 'ERR_CERT_REQ_ID_MISMATCH' });
  });

  it.each([0, 2])('refuses %i entries with ERR_WRONG_POLL_REP_COUNT', async (count) => {
    const entries = Array.from({ length: count }, () => ({ checkAfter: 1n }));
    await expect(poll(entries)).rejects.toMatchObject({ code: 'ERR_WRONG_POLL_REP_COUNT' });
  });
});
