/**
 * Birthday probing, the spraying side: send a small probe to many ports of one host, paced, so that one
 * lands on a port that a NAT mapping per destination (symmetric) opened toward us. Ports just after
 * `nearPort` go first: a NAT that hands out ports in sequence maps the peer's next sockets there (port
 * prediction from the port a third party saw); the rest are drawn at random from 1024..65535, each once.
 * With 256 mapped ports among 64,512, 2,000 probes hit at least one with probability 1 − e^(−7.9) ≈ 99.96 %.
 * @module
 */
import { InvalidArgumentError } from '../errors.js';
import { positiveInteger } from '../util/positive.js';
import type { Random } from '../random/random.js';
import type { TimerHandle } from '../time/clock.js';
import type { Address } from './address.js';

/** Options of a {@link PortSpray}. */
export interface PortSprayOptions {
  /** Probes to send in all. @default 2_000 */
  count?: number;
  /** Probes per tick. @default 25 */
  perTick?: number;
  /** Ms between ticks (the first tick is at once). @default 20 (so 1,250 probes a second by default) */
  tickMs?: number;
  /** A port the host was seen using: the {@link PortSprayOptions.nearCount} ports after it go first. */
  nearPort?: number;
  /** Ports after `nearPort` sprayed first. @default 64 */
  nearCount?: number;
}

/** The timers a spray needs. */
export interface SprayTimers {
  /** Runs `fn` after `ms`. */
  after(ms: number, fn: () => void): TimerHandle;
  /** Cancels a timer. */
  cancel(handle: TimerHandle | undefined): void;
}

const FIRST_PORT = 1_024;
const PORTS = 65_536 - FIRST_PORT;

/**
 * Sprays probes at ports of one host; see the module comment. {@link PortSpray.stop} ends it early (a
 * probe hit); it also ends by itself after `count` probes.
 */
export class PortSpray {
  /** Probes sent. */
  sent = 0;
  private readonly used = new Set<number>();
  private readonly near: number[] = [];
  private readonly count: number;
  private readonly perTick: number;
  private readonly tickMs: number;
  private timer: TimerHandle | undefined;
  private stopped = false;

  /**
   * @param host the IP to spray.
   * @param sendProbe sends one probe to an address.
   * @param timers timers (the owner's, so stopping the owner clears them).
   * @param random draws the ports.
   * @param options see {@link PortSprayOptions}.
   * @throws {@link InvalidArgumentError} for a count, rate or tick that is not a positive integer, or a `nearPort` outside 1..65535.
   */
  constructor(
    readonly host: string,
    private readonly sendProbe: (to: Address) => void,
    private readonly timers: SprayTimers,
    private readonly random: Pick<Random, 'int'>,
    options: PortSprayOptions = {},
  ) {
    this.count = positiveInteger(options.count ?? 2_000, 'PortSpray count');
    this.perTick = positiveInteger(options.perTick ?? 25, 'PortSpray perTick');
    this.tickMs = positiveInteger(options.tickMs ?? 20, 'PortSpray tickMs');
    const nearCount = options.nearCount ?? 64;
    if (options.nearPort !== undefined) {
      if (!Number.isInteger(options.nearPort) || options.nearPort < 1 || options.nearPort > 65_535) {
        throw new InvalidArgumentError(`nearPort must be in 1..65535, got ${options.nearPort}`);
      }
      for (let p = options.nearPort + 1; p <= Math.min(65_535, options.nearPort + nearCount); p++) this.near.push(p);
    }
  }

  /** True until every probe went out or {@link PortSpray.stop} was called. */
  get running(): boolean {
    return !this.stopped && this.sent < this.count;
  }

  /** Sends the first tick at once and schedules the rest. Call once. */
  start(): void {
    this.tick();
  }

  /** Stops the spray and cancels its timer. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.timers.cancel(this.timer);
    this.timer = undefined;
  }

  private tick(): void {
    this.timer = undefined;
    if (this.stopped) return;
    for (let i = 0; i < this.perTick && this.sent < this.count; i++) {
      this.sent++;
      this.sendProbe({ host: this.host, port: this.nextPort() });
    }
    if (this.sent < this.count) this.timer = this.timers.after(this.tickMs, () => this.tick());
    else this.stopped = true;
  }

  /** The next port: the near ones first, then random ones not sprayed yet. */
  private nextPort(): number {
    for (;;) {
      const near = this.near.shift();
      const port = near ?? FIRST_PORT + this.random.int(PORTS);
      if (this.used.has(port) && this.used.size < PORTS) continue;
      this.used.add(port);
      return port;
    }
  }
}

