/**
 * HTTP API errors: every failure leaves the server as `{ error: { code, message } }` with a status that
 * says whose fault it was.
 * @module
 */
import { PeerlayError } from '../../framework/index.js';
import { DHTError } from '../../communities/dht/index.js';
import type { DHTErrorReason } from '../../communities/dht/index.js';

/** An HTTP API request failed; {@link HttpError.status} and {@link HttpError.code} go to the client. */
export class HttpError extends PeerlayError {
  /**
   * @param status the HTTP status (400 bad input, 401 bad token, 404 unknown route or nothing found,
   *   405 wrong method, 413 too large, 502 the network refused, 503 stopping, 504 the network timed out).
   * @param code a machine-readable code such as `bad-key` or `no-nodes`.
   * @param message a human-readable message naming the field or operation.
   * @param options standard `{ cause }` when wrapping another error.
   */
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** HTTP status of each {@link DHTError} reason (one vocabulary for every record type). */
const DHT_STATUS: Readonly<Record<DHTErrorReason, number>> = {
  'invalid-key': 400,
  'invalid-value': 400,
  'invalid-ttl': 400,
  'invalid-limit': 400,
  'invalid-cursor': 400,
  'invalid-seq': 400,
  'invalid-options': 400,
  'too-large': 413,
  'no-nodes': 502,
  unreachable: 504,
  rejected: 502,
  stale: 409,
  conflict: 409,
  'not-found': 404,
  timeout: 504,
  aborted: 504,
  stopped: 503,
};

/**
 * Turns whatever an operation threw into an {@link HttpError}: {@link DHTError}s (and errors of the
 * communities built on the DHT that carry a `reason`) by their reason; anything else is a 500 whose
 * message is kept but whose stack never reaches the client.
 * @param error the thrown value.
 * @returns the error to send.
 */
export function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof DHTError) return new HttpError(DHT_STATUS[error.reason], error.reason, error.message, { cause: error });
  if (error instanceof Error) {
    if (error.name === 'TimeoutError' || error.name === 'AbortError') return new HttpError(504, 'timeout', error.message, { cause: error });
    if (error.name === 'InvalidArgumentError') return new HttpError(400, 'bad-input', error.message, { cause: error });
    return new HttpError(500, 'internal', error.message, { cause: error });
  }
  return new HttpError(500, 'internal', String(error));
}
