/**
 * The validators' answers as the machines receive them, through the client's one adapter: most
 * response tests state their expectations in that JSON, which is what a session acts on.
 */
import { toCheckedResponse } from '../../src/client/actor-results';
import type { CheckedResponse } from '../../machines/actors';
import { processResponse, type ResponseExpectations } from '../../src/validation';

export async function checkedResponse(der: Uint8Array, exp: ResponseExpectations): Promise<CheckedResponse> {
  return toCheckedResponse(await processResponse(der, exp));
}
