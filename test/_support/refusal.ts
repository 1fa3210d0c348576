// What a test expects to go wrong, caught and returned so the test can look at it.
import * as assert from 'uvu/assert';
import { isAllianceError, type AllianceError } from '../../appliance/errors/index.ts';

/** The AllianceError fn throws; fails the test if it throws nothing or something else. */
export function refusal(fn: () => unknown): AllianceError {
  try {
    fn();
  } catch (err) {
    if (isAllianceError(err)) return err;
    throw err;
  }
  assert.unreachable('expected an AllianceError');
  throw new Error('unreachable');
}

/** The error a promise rejects with; fails the test if it resolves. */
export async function rejection(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  assert.unreachable('expected a rejection');
  throw new Error('unreachable');
}
