/**
 * The per-IP aggregate rate limit: one token bucket and ban per IPv4 address or IPv6 /64 (see
 * {@link ipBlock}), on top of the per-`host:port` one, so a source rotating its UDP ports still shares
 * one budget. Loopback, private and link-local sources are exempt by default (many nodes share
 * 127.0.0.1 or a LAN address in tests and demos), like the routing table's IP-diversity caps.
 * @module
 */
import { ipBlock, isLocalHost } from '../wire/ip.js';
import type { Clock } from '../time/clock.js';
import { RateLimiter } from './rate-limiter.js';
import type { RateLimitOptions, RateVerdict } from './rate-limiter.js';

/** Options of an {@link IpRateLimiter}: the bucket of one IP address (or IPv6 /64), and the exemption. */
export interface IpRateLimitOptions extends RateLimitOptions {
  /** Sustained packets per second from one IP, across all its ports. @default 200 (4 ports' worth) */
  ratePerSecond?: number;
  /** Packets one IP may send in a burst, across all its ports. @default 800 */
  burst?: number;
  /** An IP dropping this many packets in a row is banned. @default 1_600 */
  banAfterDrops?: number;
  /** Length of an IP ban, in ms; short, since a spoofer can get an address banned. @default 60_000 */
  banMs?: number;
  /** Most IPs tracked; the idlest is evicted first. @default 50_000 */
  maxSources?: number;
  /** An IP not seen for this long (and not banned) is forgotten; at `burst / ratePerSecond` seconds its bucket is full again. @default 4_000 */
  idleMs?: number;
  /** Hosts the per-IP limit does not apply to (the per-source one still does). @default {@link isLocalHost} */
  exempt?: (host: string) => boolean;
}

/** Default per-IP limits (see {@link IpRateLimitOptions}). */
export const DEFAULT_IP_RATE_LIMIT: Readonly<Required<Omit<IpRateLimitOptions, 'exempt'>>> = {
  ratePerSecond: 200,
  burst: 800,
  banAfterDrops: 1_600,
  banMs: 60_000,
  maxSources: 50_000,
  idleMs: 4_000,
};

/** What {@link IpRateLimiter.check} decided: a {@link RateVerdict}, or `'exempt'` for an exempt host. */
export type IpRateVerdict = RateVerdict | 'exempt';

/** Most hosts whose block key (or exemption) is memoised; the memo is emptied when full. */
const HOST_MEMO_SIZE = 4_096;
/**
 * With the default exemption a host's block is a pure function of the host, so every limiter in the
 * process shares one memo (a simulation runs thousands of nodes that meet the same hosts).
 */
const SHARED_HOSTS = new Map<string, string | null>();
const SHARED_HOST_MEMO_SIZE = 16_384;

/** A token bucket and ban per IP address (IPv4) or /64 (IPv6), with exempt hosts. */
export class IpRateLimiter {
  /** The buckets, keyed by {@link ipBlock}; its `stats` count per-IP decisions (exempt packets are not counted there). */
  readonly limiter: RateLimiter;
  /** Packets from exempt hosts (not rate-limited per IP). */
  exempted = 0;
  private readonly isExempt: (host: string) => boolean;
  /** host → its block key, or `null` when exempt (parsing is most of the cost of a decision). */
  private readonly hosts: Map<string, string | null>;
  private readonly memoSize: number;

  /** @param clock time source. @param options limits and exemption; see {@link IpRateLimitOptions}. */
  constructor(clock: Clock, options: IpRateLimitOptions = {}) {
    const { exempt, ...limits } = options;
    this.isExempt = exempt ?? isLocalHost;
    const shared = this.isExempt === isLocalHost;
    this.hosts = shared ? SHARED_HOSTS : new Map();
    this.memoSize = shared ? SHARED_HOST_MEMO_SIZE : HOST_MEMO_SIZE;
    this.limiter = new RateLimiter(clock, { ...DEFAULT_IP_RATE_LIMIT, ...stripUndefined(limits) });
  }

  /** IPs currently tracked. */
  get size(): number {
    return this.limiter.size;
  }

  /** Takes a token from the bucket of `host`'s IP (unless exempt); counts and bans. */
  check(host: string): IpRateVerdict {
    const block = this.blockOf(host);
    if (block === null) {
      this.exempted++;
      return 'exempt';
    }
    return this.limiter.check(block);
  }

  /** True while `host`'s IP (or /64) is banned. */
  isBanned(host: string): boolean {
    const block = this.blockOf(host);
    return block !== null && this.limiter.isBanned(block);
  }

  private blockOf(host: string): string | null {
    let block = this.hosts.get(host);
    if (block === undefined) {
      if (this.hosts.size >= this.memoSize) this.hosts.clear();
      block = this.isExempt(host) ? null : ipBlock(host);
      this.hosts.set(host, block);
    }
    return block;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}
