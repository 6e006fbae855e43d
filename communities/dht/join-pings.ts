/**
 * The first step of a join, made to survive loss: ping every bootstrap address in rounds on a jittered
 * backoff until one answers (or a contact arrives some other way), instead of once. A round does not wait
 * for the previous one's timeout: its pings go out on schedule while earlier ones may still be answered.
 * @module
 */
import type { Address, TimerHandle } from '../../framework/index.js';
import { TimeoutError } from '../../framework/index.js';
import type { BackoffOptions } from '../../framework/time/backoff.js';
import { nominalDelayMs } from '../../framework/time/backoff.js';
import type { DHTCommunity } from './dht-community.js';
import { Ping } from './messages.js';

/**
 * Delays between a join's ping rounds (the first round goes out at once): nominally 0.3 s, then times 1.4
 * each, ± 20 %, so the rounds start at about 0, 0.3, 0.72, 1.3, 2.1, 3.3, 4.9, 7.1, 10.3 and 14.7 s. At
 * 20 % loss each way a round fails with probability 0.36 per address, so the 9 rounds of the first 10 s
 * all fail with about 1e-4.
 */
export const JOIN_PING_BACKOFF: BackoffOptions = { firstDelayMs: 300, factor: 1.4, maxDelayMs: 60_000, jitter: 0.2 };

/** Ping rounds a join sends at most (on {@link JOIN_PING_BACKOFF}, the last about 15 s after the first). */
export const JOIN_PING_ROUNDS = 10;

/**
 * What the join's pings need of the DHT: requests (the waits between rounds with no ping out are entries
 * of its request table, so a stop ends them), the routing table's size (a contact learned any other way
 * also ends the rounds), its clock, randomness and timers.
 */
export type JoinPingHost = Pick<DHTCommunity, 'sendRequest' | 'requests' | 'routingTable' | 'isRunning' | 'context' | 'settings' | 'after' | 'cancel'>;

/** Outcome of {@link pingUntilAnswered}. */
export interface JoinPingsResult {
  /** Rounds sent (each pings every address once). */
  readonly rounds: number;
  /** True when a ping was answered. */
  readonly answered: boolean;
}

/**
 * Pings every address of `addresses` in up to `rounds` rounds on {@link JOIN_PING_BACKOFF}, until a ping is
 * answered, the routing table gains a contact, the community stops or `signal` aborts; then waits for the
 * pings still out (answered or timed out).
 *
 * A join whose first round is answered draws no randomness: each wait first runs to the shortest delay
 * the jitter allows on a plain timer (a ping still out ends it when the community stops, as a stop
 * rejects every request), and only then draws the rest of the delay.
 */
export async function pingUntilAnswered(host: JoinPingHost, addresses: readonly Address[], rounds = JOIN_PING_ROUNDS, signal?: AbortSignal): Promise<JoinPingsResult> {
  if (addresses.length === 0 || rounds < 1) return { rounds: 0, answered: false };
  const out = new Set<Promise<void>>();
  let answered = false;
  let onSettle: ((answer: boolean) => void) | undefined;
  const over = (): boolean => answered || !host.isRunning || signal?.aborted === true || host.routingTable.size > 0;

  /** Waits until the next round is due: true then, false when the rounds are over. */
  const wait = async (nominalMs: number): Promise<boolean> => {
    const { jitter } = JOIN_PING_BACKOFF;
    const started = host.context.clock.now();
    const shortest = Math.round(nominalMs * (1 - jitter));
    // Phase 1, no randomness: a timer, ended early by any ping settling (an answer, a timeout, a stop).
    while (out.size > 0 && host.context.clock.now() - started < shortest) {
      let timer: TimerHandle | undefined;
      await new Promise<void>((resolve) => {
        timer = host.after(shortest - (host.context.clock.now() - started), resolve);
        onSettle = () => resolve();
      });
      host.cancel(timer);
      onSettle = undefined;
      if (over()) return false;
    }
    // Phase 2: the rest of the shortest delay (no ping out to notice a stop) and the jittered part, as an
    // entry of the request table, which a stop rejects; an answer ends it early.
    const rest = Math.max(0, shortest - (host.context.clock.now() - started)) + Math.round(nominalMs * 2 * jitter * host.context.random.float());
    return (await sleep(host, rest, signal, (wake) => (onSettle = (answer) => answer && wake()))) && !over();
  };

  let sent = 0;
  for (;;) {
    sent++;
    for (const address of addresses) {
      // Out of `out` before anyone is woken: a wait must never run on a plain timer with no ping out.
      // Unmetered: a bootstrap address is our own first contact. Once it sent us anything (say the
      // verification ping of its new contact), its amplification credit would otherwise stop our pings
      // after three, however many of its answers were lost.
      const request = host.sendRequest(address, Ping, {}, { timeoutMs: host.settings.requestTimeoutMs[1], signal, unmetered: true });
      const ping: Promise<void> = request.then(
        () => {
          out.delete(ping);
          answered = true;
          onSettle?.(true);
        },
        () => {
          out.delete(ping);
          onSettle?.(false);
        },
      );
      out.add(ping);
    }
    if (sent >= rounds || !(await wait(nominalDelayMs(JOIN_PING_BACKOFF, sent - 1)))) break;
    onSettle = undefined;
  }
  // Every ping still out, answered or timed out (at most the request timeout): a join that goes on with
  // every bootstrap node that answers starts its lookups from all of them, as Kademlia's join does.
  if (out.size > 0) await Promise.allSettled([...out]);
  return { rounds: sent, answered };
}

/**
 * Waits `ms` as an entry of the community's request table (its timeout is the wake-up), so a stop or
 * `signal` ends the wait at once and a ping answer can end it early through `setWake`.
 * @returns true when the wait ran out or was woken; false when the community stopped or `signal` aborted.
 */
async function sleep(host: JoinPingHost, ms: number, signal: AbortSignal | undefined, setWake: (wake: () => void) => void): Promise<boolean> {
  let pending;
  try {
    pending = host.requests.register<void>({ timeoutMs: ms, signal });
  } catch {
    return false; // stopped, or aborted already
  }
  const { id, promise } = pending;
  setWake(() => host.requests.resolve(id, undefined));
  try {
    await promise;
    return true;
  } catch (error) {
    return error instanceof TimeoutError;
  }
}
