/**
 * The error the DHT and its record types (values, bag, namespace, ...) throw when an operation fails, with
 * one vocabulary of reasons for all of them. Protocol verdicts of single storers are values, gathered in
 * {@link DHTError.verdicts} when every storer refused.
 * @module
 */
import { PeerlayError } from '../../framework/errors.js';

/**
 * Why an operation failed, the same word in every record type:
 * - `invalid-key`, `invalid-value`, `invalid-ttl`, `invalid-limit`, `invalid-cursor`, `invalid-seq`: an
 *   argument is out of range (nothing was sent);
 * - `invalid-options`: options that cannot go together (`first` with `latest`; nothing was sent);
 * - `too-large`: the value exceeds the type's maximum, or one datagram (nothing was sent);
 * - `no-nodes`: there is no node to ask (bootstrap first), or no node acknowledged a store (try again later);
 * - `unreachable`: a lookup was sent but no node answered it, so "nothing found" could not be told apart
 *   from "nobody there" (try again later);
 * - `rejected`: every node that answered refused (see {@link DHTError.verdicts});
 * - `stale`: every storer holds a newer version (a namespace seq at or below the held one);
 * - `conflict`: compare-and-swap failed on every storer;
 * - `not-found`: nothing is stored under the key;
 * - `timeout`: the operation ran out of time;
 * - `aborted`: the caller's `AbortSignal` fired;
 * - `stopped`: the community is not running, or stopped while the operation ran.
 */
export type DHTErrorReason =
  | 'invalid-key'
  | 'invalid-value'
  | 'invalid-ttl'
  | 'invalid-limit'
  | 'invalid-cursor'
  | 'invalid-seq'
  | 'invalid-options'
  | 'too-large'
  | 'no-nodes'
  | 'unreachable'
  | 'rejected'
  | 'stale'
  | 'conflict'
  | 'not-found'
  | 'timeout'
  | 'aborted'
  | 'stopped';

/** A DHT operation (store, find, read or write of any record type) failed; {@link DHTError.reason} says why. */
export class DHTError extends PeerlayError {
  /** The storers' verdicts by name (`quota: 8`), when storers answered and all refused. */
  readonly verdicts: Readonly<Record<string, number>>;

  /**
   * @param message what went wrong, naming the key, field or operation.
   * @param reason the machine-readable cause.
   * @param options `cause` when wrapping another error; `verdicts` of the storers (for `rejected`, `stale`, `conflict`).
   */
  constructor(
    message: string,
    readonly reason: DHTErrorReason,
    options: { cause?: unknown; verdicts?: Readonly<Record<string, number>> } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.verdicts = options.verdicts ?? {};
  }
}

/**
 * A lookup query was answered by another identity than the node id it was referred under (a made-up id):
 * the query counts as failed and the lookup distrusts whoever referred that id. Internal to lookups.
 */
export class ImpostorError extends PeerlayError {}
