/**
 * The error a {@link NamespaceCommunity} throws when an API call is misused or an operation fails.
 * Verdicts of single storers are values, collected in {@link NamespaceError.verdicts}.
 * @module
 */
import { PeerlayError } from '../../framework/index.js';

/**
 * Why a namespace operation failed:
 * - `too-large`: the value exceeds `maxValueBytes`, or key and value do not fit one datagram (checked
 *   before anything is sent);
 * - `invalid-key`: the key is not a string or bytes of at most 64 bytes, or the public key is malformed;
 * - `invalid-value`: the value is not a `Uint8Array`;
 * - `invalid-seq`: `seq` or `cas` is not a non-negative safe integer;
 * - `invalid-ttl`: the ttl is outside `[minTtlMs, maxTtlMs]`;
 * - `stale-seq`: every storer holds this seq or a higher one (replay or rollback);
 * - `cas-mismatch`: every storer holds a seq other than the expected `cas`;
 * - `rejected`: every storer refused for another reason (see {@link NamespaceError.verdicts});
 * - `no-nodes`: there is no node to ask, or none answered;
 * - `aborted`: the caller's `AbortSignal` fired;
 * - `stopped`: the community is not running.
 */
export type NamespaceErrorReason =
  | 'too-large'
  | 'invalid-key'
  | 'invalid-value'
  | 'invalid-seq'
  | 'invalid-ttl'
  | 'stale-seq'
  | 'cas-mismatch'
  | 'rejected'
  | 'no-nodes'
  | 'aborted'
  | 'stopped';

/** A namespace operation failed; {@link NamespaceError.reason} says why. */
export class NamespaceError extends PeerlayError {
  /** The storers' verdicts by name, when storers answered. */
  readonly verdicts: Readonly<Record<string, number>>;

  /**
   * @param message what went wrong, naming the field or operation.
   * @param reason the machine-readable cause.
   * @param options `cause` when wrapping; `verdicts`: the storers' verdicts by name.
   */
  constructor(
    message: string,
    readonly reason: NamespaceErrorReason,
    options: { cause?: unknown; verdicts?: Readonly<Record<string, number>> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.verdicts = options.verdicts ?? {};
  }
}
