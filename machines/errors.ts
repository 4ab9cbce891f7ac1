import { CmpError, type SerializedCmpError } from '../src/errors';

/** What an actor threw, as JSON for the context: a CmpError keeps its code, anything else is internal. */
export function toSerializedError(error: unknown): SerializedCmpError {
  if (error instanceof CmpError) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'ERR_INTERNAL', message };
}
