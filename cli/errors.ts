/**
 * Named errors of the `peerlay` command line and the exit codes they map to.
 * @module
 */
import { PeerlayError } from '../framework/errors.js'; // not the barrel: client commands start faster

/** Exit codes of every `peerlay` command. */
export const EXIT = {
  /** The command did what was asked. */
  ok: 0,
  /** The operation failed (not found, no node took the value, the node refused it...). */
  failed: 1,
  /** The command line (or the input it carries) is malformed; nothing was done. */
  usage: 2,
  /** The node's HTTP API could not be reached. */
  unreachable: 3,
  /** The node's state database is damaged; nothing was started (see {@link DamagedStateError}). */
  damagedState: 4,
} as const;

/** One of the values of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The command line is malformed: an unknown option, a missing argument, a value out of range. */
export class UsageError extends PeerlayError {}

/** The node could not be started or its state could not be used (bad key file, port in use...). */
export class NodeStartError extends PeerlayError {}

/** The node's state directory or database failed. */
export class StateError extends PeerlayError {}

/**
 * The node's state database is damaged (empty, truncated, or its pages unreadable), so the node refuses to
 * start rather than crash on it or start without the records it held. The message says what is wrong and
 * how to recover.
 */
export class DamagedStateError extends StateError {
  /**
   * @param path the damaged database file.
   * @param reason what is wrong with it, e.g. `the file is empty (0 bytes); ...` or `the file is truncated: it
   *   is 49152 bytes, its pages need at least 86016 (page 12 of the records tree lies beyond its end)`.
   * @param options the underlying error, if any.
   */
  constructor(
    readonly path: string,
    readonly reason: string,
    options?: { cause?: unknown },
  ) {
    super(
      `the state database ${path} is damaged: ${reason}. Start with --recover-state to move the damaged file aside ` +
        `(to ${path}.damaged-<timestamp>) and start with an empty database, keeping peer.key`,
      options,
    );
  }
}

/** The node's HTTP API could not be reached (connection refused, timed out). */
export class NodeUnreachableError extends PeerlayError {}

/** The node's HTTP API answered with an error (`{ error: { code, message } }`). */
export class ApiError extends PeerlayError {
  /**
   * @param status the HTTP status.
   * @param code the machine-readable error code from the body.
   * @param message the human-readable message from the body.
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The exit code for an error thrown by a command.
 * @param error what the command threw.
 * @returns {@link EXIT.usage} for usage errors and rejected input (HTTP 400/413), {@link EXIT.unreachable}
 *   when the node cannot be reached, {@link EXIT.damagedState} when its state database is damaged,
 *   {@link EXIT.failed} otherwise.
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof DamagedStateError) return EXIT.damagedState;
  if (error instanceof NodeUnreachableError) return EXIT.unreachable;
  if (error instanceof ApiError && (error.status === 400 || error.status === 413)) return EXIT.usage;
  return EXIT.failed;
}
