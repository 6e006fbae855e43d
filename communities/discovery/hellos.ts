/**
 * The hellos of one search: every candidate address of the peer gets a hello, resent at growing intervals
 * ({@link HELLO_RESEND_AT_MS}) until it is answered or times out, so a lost hello or answer costs an
 * interval, not the search. Each address remembers its kind, which names the path once it answers.
 * @module
 */
import type { Address, Incoming, PublicKey, TimerHandle } from '../../framework/index.js';
import { addressKey } from '../../framework/index.js';
import type { CandidateKind, ConnectPath } from './candidates.js';
import { Hello } from './messages.js';
import type { ResendHost } from './resend.js';
import { requestWithResends } from './resend.js';

/** When a hello's copies go out, in ms after the first. */
export const HELLO_RESEND_AT_MS: readonly number[] = [200, 500, 1_000, 2_000];
/** How long the last copy of a hello gets, in ms. */
export const HELLO_FINAL_WAIT_MS = 1_000;
/** Most distinct addresses one search hellos. */
export const MAX_HELLO_ADDRESSES = 16;

/** Addresses hello'd by one search, by kind. */
export type HelloCounts = Record<CandidateKind, number>;

/** What the hellos report. */
export interface HellosHooks {
  /** A hello was answered (the owner checks the key). */
  answered(m: Incoming<{ id: bigint; punctured: boolean }>): void;
  /** A hello ended (answered or not): the owner may move on when none is pending. */
  settled(): void;
}

/** The hellos of one search; see the module comment. */
export class Hellos {
  /** Hello packets sent, copies included. */
  packets = 0;
  /** Hellos waiting for an answer. */
  pending = 0;
  /** Addresses hello'd, by kind. */
  readonly counts: HelloCounts = { direct: 0, wan: 0, lan: 0, relay: 0, birthday: 0 };
  /** Addresses over `MAX_HELLO_ADDRESSES` (16), not hello'd. */
  skipped = 0;
  private readonly kinds = new Map<string, CandidateKind>();
  private readonly repeated = new Set<string>();

  /**
   * @param host requests and sends.
   * @param signal ends every hello.
   * @param timers the search's timers.
   * @param recipient the peer's key when known from elsewhere (the routing table's), to tag hellos for it.
   * @param hooks see {@link HellosHooks}.
   */
  constructor(
    private readonly host: ResendHost,
    private readonly signal: AbortSignal,
    private readonly timers: { schedule(ms: number, fn: () => void): TimerHandle; unschedule(handle: TimerHandle): void },
    private readonly recipient: () => PublicKey | undefined,
    private readonly hooks: HellosHooks,
  ) {}

  /** Number of distinct addresses hello'd. */
  get addresses(): number {
    return this.kinds.size;
  }

  /** The kind of a hello'd address. */
  kindOf(address: Address): CandidateKind | undefined {
    return this.kinds.get(addressKey(address));
  }

  /**
   * The path a signed packet of the peer from `from` proves: its kind if it is a LAN or relay candidate,
   * else `punched` when the peer had punctured toward us first, else `direct`.
   */
  pathFor(from: Address, punctured: boolean): ConnectPath {
    const kind = this.kindOf(from);
    if (kind === 'lan') return 'lan';
    if (kind === 'relay') return 'relayed';
    if (kind === 'birthday') return 'birthday';
    return punctured ? 'punched' : 'direct';
  }

  /**
   * Hellos `address` unless it was already (or the search hello'd {@link MAX_HELLO_ADDRESSES}).
   * @param peerKey the peer's key, when a storer's record gave it: only the peer can answer a tagged hello.
   * @returns true if a hello went out.
   */
  add(address: Address, kind: CandidateKind, peerKey?: PublicKey): boolean {
    const key = addressKey(address);
    if (this.signal.aborted || this.kinds.has(key)) return false;
    if (this.kinds.size >= MAX_HELLO_ADDRESSES) {
      this.skipped++;
      return false;
    }
    this.kinds.set(key, kind);
    this.counts[kind]++;
    this.send(address, peerKey);
    return true;
  }

  /**
   * Hellos an address already hello'd once more, with a new request (its earlier copies went out before a
   * path opened: a probe socket of ours was just pinned to it). At most once per address.
   * @returns true if a hello went out.
   */
  again(address: Address, peerKey?: PublicKey): boolean {
    const key = addressKey(address);
    if (this.signal.aborted || !this.kinds.has(key) || this.repeated.has(key)) return false;
    this.repeated.add(key);
    this.send(address, peerKey);
    return true;
  }

  private send(address: Address, peerKey: PublicKey | undefined): void {
    this.packets++;
    this.pending++;
    requestWithResends(this.host, address, Hello, {}, {
      resendAtMs: HELLO_RESEND_AT_MS,
      finalWaitMs: HELLO_FINAL_WAIT_MS,
      signal: this.signal,
      recipient: peerKey ?? this.recipient(),
      onResend: () => void this.packets++,
      schedule: (ms, fn) => this.timers.schedule(ms, fn),
      unschedule: (h) => this.timers.unschedule(h),
    })
      .then((m) => this.hooks.answered(m))
      .catch(() => undefined)
      .finally(() => {
        this.pending--;
        this.hooks.settled();
      });
  }
}
