/**
 * The error a {@link BagCommunity} throws when an API call is misused or an operation fails. Protocol
 * verdicts of single storers (a cap reached, a bad signature) are values, collected in
 * {@link BagError.verdicts} when every storer refused.
 * @module
 */
import { PeerlayError } from '../../framework/index.js';

/**
 * Why a bag operation failed:
 * - `too-large`: the value exceeds `maxValueBytes` (checked before anything is sent);
 * - `invalid-key`: the key is not a string or a `Uint8Array`;
 * - `invalid-value`: the value is not a `Uint8Array`;
 * - `invalid-ttl`: the ttl is outside `[minTtlMs, maxTtlMs]`;
 * - `invalid-limit`: a search limit outside `1..maxSearchLimit`;
 * - `invalid-cursor`: a cursor that no search returned;
 * - `no-nodes`: there is no node to ask (bootstrap first), or none answered;
 * - `rejected`: every storer refused (see {@link BagError.verdicts});
 * - `aborted`: the caller's `AbortSignal` fired;
 * - `stopped`: the community is not running.
 */
export type BagErrorReason =
  | 'too-large'
  | 'invalid-key'
  | 'invalid-value'
  | 'invalid-ttl'
  | 'invalid-limit'
  | 'invalid-cursor'
  | 'no-nodes'
  | 'rejected'
  | 'aborted'
  | 'stopped';

/** A bag operation failed; {@link BagError.reason} says why. */
export class BagError extends PeerlayError {
  /**
   * @param message what went wrong, naming the field or operation.
   * @param reason the machine-readable cause.
   * @param options `cause` when wrapping; `verdicts`: the storers' verdicts by name (for `rejected`).
   */
  constructor(
    message: string,
    readonly reason: BagErrorReason,
    options: { cause?: unknown; verdicts?: Readonly<Record<string, number>> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.verdicts = options.verdicts ?? {};
  }

  /** The storers' verdicts by name (`key-full: 8`), when storers answered. */
  readonly verdicts: Readonly<Record<string, number>>;
}
