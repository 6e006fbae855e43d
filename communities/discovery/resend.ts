/**
 * A request that is resent, with the same id, at growing intervals until it is answered: a lost request
 * or a lost answer costs one interval instead of a whole timeout, and an answer to any copy settles it.
 * @module
 */
import type { Address, Incoming, MessageSpec, PublicKey, RequestBody, RequestType, TimerHandle } from '../../framework/index.js';

/** What a resent request needs: requests, plain sends, and timers that the caller owns. */
export interface ResendHost {
  /** Sends a typed request. */
  sendRequest<Req extends RequestBody, Res extends RequestBody>(
    to: Address,
    type: RequestType<Req, Res>,
    body: Omit<Req, 'id'>,
    options?: { timeoutMs?: number; signal?: AbortSignal; recipient?: PublicKey | undefined; onId?: (id: bigint) => void },
  ): Promise<Incoming<Res>>;
  /** Sends one message (a copy of the request). */
  send<T>(to: Address, spec: MessageSpec<T>, value: T, recipient?: PublicKey): number;
}

/** Options of {@link requestWithResends}. */
export interface ResendOptions {
  /** When the copies go out, in ms after the first send (growing). */
  readonly resendAtMs: readonly number[];
  /** How long the last copy gets before the request times out, in ms. */
  readonly finalWaitMs: number;
  /** Cancels the request and its copies. */
  readonly signal: AbortSignal;
  /** The key of the peer at the destination, when known (tags the request for it). */
  readonly recipient?: PublicKey | undefined;
  /** Told the request's id. */
  readonly onId?: (id: bigint) => void;
  /** Called for each copy sent. */
  readonly onResend?: () => void;
  /** Schedules a timer the caller clears when it ends. */
  schedule(ms: number, fn: () => void): TimerHandle;
  /** Clears one. */
  unschedule(handle: TimerHandle): void;
}

/**
 * Sends `body` to `to` as a request of `type`, then copies of it (same id) at `resendAtMs` until an
 * answer, the timeout (last copy + `finalWaitMs`) or the signal ends it.
 * @returns the answer, as `sendRequest` does.
 */
export function requestWithResends<Req extends RequestBody, Res extends RequestBody>(
  host: ResendHost,
  to: Address,
  type: RequestType<Req, Res>,
  body: Omit<Req, 'id'>,
  o: ResendOptions,
): Promise<Incoming<Res>> {
  let id: bigint | undefined;
  let settled = false;
  const timers: TimerHandle[] = [];
  const timeoutMs = (o.resendAtMs[o.resendAtMs.length - 1] ?? 0) + o.finalWaitMs;
  const promise = host.sendRequest(to, type, body, {
    timeoutMs,
    signal: o.signal,
    recipient: o.recipient,
    onId: (x) => {
      id = x;
      o.onId?.(x);
    },
  });
  for (const at of o.resendAtMs) {
    timers.push(
      o.schedule(at, () => {
        if (settled || id === undefined || o.signal.aborted) return;
        try {
          host.send<Req>(to, type.request, { ...body, id } as unknown as Req, o.recipient);
          o.onResend?.();
        } catch {
          // A copy that cannot be encoded or sent changes nothing: the first one could be.
        }
      }),
    );
  }
  const done = (): void => {
    settled = true;
    for (const t of timers) o.unschedule(t);
  };
  promise.then(done, done);
  return promise;
}
