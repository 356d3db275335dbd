import type { V2kError } from '../../src/core/errors.js';

/** The error a promise rejects with; fails the test when it resolves instead. */
export async function caught(promise: Promise<unknown>): Promise<V2kError> {
  try {
    await promise;
  } catch (error) {
    return error as V2kError;
  }
  throw new Error('expected the call to reject');
}
