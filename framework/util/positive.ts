/**
 * The argument check every limit and count in an options object needs.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';

/**
 * Returns `value` when it is a positive safe integer.
 * @param value the number to check.
 * @param what its name in the error message, e.g. `'ProbingEndpoint maxSockets'`.
 * @throws {@link InvalidArgumentError} otherwise.
 */
export function positiveInteger(value: number, what: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new InvalidArgumentError(`${what} must be a positive integer, got ${value}`);
  return value;
}
