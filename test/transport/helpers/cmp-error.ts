import { CmpError, type ErrorCode } from '../../../src/errors';

/** Awaits `p`, requires it to reject with a CmpError of `code`, and returns that error. */
export async function expectCmpError(p: Promise<unknown> | (() => unknown), code: ErrorCode): Promise<CmpError> {
  let error: unknown;
  try {
    await (typeof p === 'function' ? p() : p);
  } catch (e) {
    error = e;
  }
  expect(error).toBeInstanceOf(CmpError);
  expect((error as CmpError).code).toBe(code);
  return error as CmpError;
}
