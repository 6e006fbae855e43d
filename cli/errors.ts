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
} as const;

/** One of the values of {@link EXIT}. */
export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

/** The command line is malformed: an unknown option, a missing argument, a value out of range. */
export class UsageError extends PeerlayError {}

/** The node could not be started or its state could not be used (bad key file, port in use...). */
export class NodeStartError extends PeerlayError {}

/** The node's state directory or database failed. */
export class StateError extends PeerlayError {}

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
 *   when the node cannot be reached, {@link EXIT.failed} otherwise.
 */
export function exitCodeOf(error: unknown): ExitCode {
  if (error instanceof UsageError) return EXIT.usage;
  if (error instanceof NodeUnreachableError) return EXIT.unreachable;
  if (error instanceof ApiError && (error.status === 400 || error.status === 413)) return EXIT.usage;
  return EXIT.failed;
}
