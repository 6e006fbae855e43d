/**
 * Keeps our own address record alive: announce to the k nodes closest to our mid (with the store token
 * each issued us, our LAN address and our relay address if any), keep alive those that accepted,
 * re-announce when too few hold it, periodically, whenever our address or relay changed, and when the
 * DHT learned of a node that belongs among those k (the network grew around our mid, so a lookup for it
 * would no longer reach the nodes holding our record).
 *
 * Keepalives also keep our NAT's mappings toward the storers open, and are sent only as often as Linux
 * conntrack needs (30 s for a flow that has seen one exchange, 120 s once it has seen more): a new
 * storer's first keepalive {@link FIRST_KEEPALIVE_MS} after it accepted, then one every
 * `keepaliveIntervalMs` (100 s by default) while answered. A lost keepalive is resent with the same id
 * ({@link KEEPALIVE_RESEND_AT_MS}); a storer that answered no copy is kept and tried again a round
 * {@link FIRST_KEEPALIVE_MS} later, and dropped only after {@link MAX_MISSED_ROUNDS} rounds in a row.
 * @module
 */
import type { Address, Incoming, MessageSpec, PrivateKey, PublicKey, RequestBody, RequestOptions, RequestType, TimerHandle } from '../../framework/index.js';
import { addressKey, toHex } from '../../framework/index.js';
import { compareDistance } from '../dht/index.js';
import type { Contact, LookupPeer, RecordNetwork } from '../dht/index.js';
import { ownLan } from './candidates.js';
import { Announce } from './messages.js';
import { requestWithResends } from './resend.js';

/** A new storer's first keepalive, in ms after it accepted (within conntrack's 30 s for a young flow). */
export const FIRST_KEEPALIVE_MS = 20_000;
/** When a keepalive's (or announcement's) copies go out, in ms after the first. */
export const KEEPALIVE_RESEND_AT_MS: readonly number[] = [1_000, 3_000];
/** How long the last copy of a keepalive gets, in ms. */
const KEEPALIVE_FINAL_WAIT_MS = 2_000;
/** Keepalive rounds in a row a storer may leave unanswered before it is dropped. */
export const MAX_MISSED_ROUNDS = 2;
/** Keepalives due this soon go out with the ones due now, in ms. */
const KEEPALIVE_BATCH_MS = 1_000;
/** How often the announcer checks, without sending, whether it must re-announce, in ms (at most). */
const CHECK_INTERVAL_MS = 5_000;

/** What the announcer needs of its community: the DHT's public door and events, timers, requests, settings. */
export interface AnnouncerHost {
  /** The DHT's public door. */
  readonly network: RecordNetwork;
  /** The DHT's contact events. */
  readonly contacts: {
    on(event: 'contact:added', fn: (contact: Contact) => void): unknown;
    off(event: 'contact:added', fn: (contact: Contact) => void): unknown;
  };
  /** The node's key, clock, randomness and transport. */
  readonly context: {
    readonly key: PrivateKey;
    readonly clock: { now(): number };
    readonly random: { int(n: number): number };
    readonly transport: { readonly localAddress: Address };
  };
  /** Discovery settings. */
  readonly settings: { readonly keepaliveIntervalMs: number; readonly minStorers: number; readonly reannounceIntervalMs: number; readonly recordSilenceMs: number };
  /** True while the community runs. */
  readonly isRunning: boolean;
  /** Our NAT as the DHT judges it now (a `NAT_CODES` value), announced with our record. */
  natCode(): number;
  /** Sends a typed request. */
  sendRequest<Req extends RequestBody, Res extends RequestBody>(to: Address, type: RequestType<Req, Res>, body: Omit<Req, 'id'>, options?: RequestOptions): Promise<Incoming<Res>>;
  /** Sends one message (a copy of a request). */
  send<T>(to: Address, spec: MessageSpec<T>, value: T, recipient?: PublicKey): number;
  /** Timers. */
  after(ms: number, fn: () => void): TimerHandle;
  every(ms: number, fn: () => void): TimerHandle;
  cancel(handle: TimerHandle | undefined): void;
}

/** A node holding our record, the token to use for the next keepalive, and when that is due. */
export interface Storer {
  /** The storing node. */
  peer: LookupPeer;
  /** The token it issued to our address. */
  token: Uint8Array;
  /** When its next keepalive is due, ms. @default now + the first keepalive delay */
  nextAt?: number;
  /** Keepalive rounds in a row it left unanswered. @default 0 */
  missed?: number;
}

/** Counters of an {@link Announcer}. */
export interface AnnouncerStats {
  /** Full announcements (lookup + announce to the k closest). */
  announcements: number;
  /** Keepalive requests (one per storer per round). */
  keepalives: number;
  /** Copies of announce requests resent after no answer. */
  resends: number;
  /** Keepalive rounds a storer left unanswered (every copy lost). */
  missedRounds: number;
  /** Storers dropped after `MAX_MISSED_ROUNDS` (2) missed rounds in a row. */
  droppedStorers: number;
}

/** Announcement state of one node. */
export class Announcer {
  /** Nodes currently holding our record, by hex id. */
  readonly storers = new Map<string, Storer>();
  /** Live counters. */
  readonly stats: AnnouncerStats = { announcements: 0, keepalives: 0, resends: 0, missedRounds: 0, droppedStorers: 0 };
  /** When each node last accepted our record, by hex id (kept for `recordSilenceMs`). */
  private readonly acceptedAt = new Map<string, number>();
  private checkTimer: TimerHandle | undefined;
  private keepTimer: TimerHandle | undefined;
  private controller = new AbortController();
  private announcedFrom: string | undefined;
  private relay: Address | undefined;
  private lastFullAnnounce = Number.NEGATIVE_INFINITY;
  private fewBackoffMs = 0;
  private busy = false;
  private closerSeen = false;
  private readonly onContact = (contact: Contact): void => {
    if (!this.closerSeen && this.belongsAmongStorers(contact.id)) this.closerSeen = true;
  };

  /** @param d the owner. */
  constructor(private readonly d: AnnouncerHost) {}

  /** True if `id` (a node id) holds our record. */
  isStorer(id: Uint8Array): boolean {
    return this.storers.has(toHex(id));
  }

  /**
   * True if `id` holds our record or accepted it within `recordSilenceMs`, so may still hold it (and
   * introduce requesters to us) even though we dropped it from {@link Announcer.storers}.
   */
  mayHoldRecord(id: Uint8Array): boolean {
    const hex = toHex(id);
    if (this.storers.has(hex)) return true;
    const at = this.acceptedAt.get(hex);
    return at !== undefined && this.d.context.clock.now() - at < this.d.settings.recordSilenceMs;
  }

  /** The relay address announced with our record, if any. */
  get relayAddress(): Address | undefined {
    return this.relay;
  }

  /** Sets (or clears) the relay address announced with our record; a change re-announces at once. */
  setRelay(address: Address | undefined): void {
    this.relay = address;
    this.changed();
  }

  /** Our record changed (relay address or NAT verdict): re-announce at once. */
  changed(): void {
    if (this.d.isRunning && this.checkTimer !== undefined) void this.tick();
  }

  /** Starts the checks (the first, which announces, soon, at a random offset). */
  start(): void {
    this.d.contacts.on('contact:added', this.onContact);
    this.controller = new AbortController();
    const first = 500 + this.d.context.random.int(1_000);
    const check = Math.min(CHECK_INTERVAL_MS, this.d.settings.keepaliveIntervalMs);
    this.checkTimer = this.d.after(first, () => {
      void this.tick();
      this.checkTimer = this.d.every(check, () => void this.tick());
    });
  }

  /** Stops the checks and keepalives, and forgets the storers. */
  stop(): void {
    this.d.contacts.off('contact:added', this.onContact);
    this.d.cancel(this.checkTimer);
    this.d.cancel(this.keepTimer);
    this.checkTimer = undefined;
    this.keepTimer = undefined;
    this.controller.abort();
    this.storers.clear();
    this.acceptedAt.clear();
    this.announcedFrom = undefined;
    this.lastFullAnnounce = Number.NEGATIVE_INFINITY;
    this.fewBackoffMs = 0;
  }

  /** One check: re-announces in full when needed, else sends the keepalives that are due. */
  async tick(): Promise<void> {
    if (this.busy || !this.d.isRunning) return;
    this.busy = true;
    try {
      const now = this.d.context.clock.now();
      const stale = now - this.lastFullAnnounce >= this.d.settings.reannounceIntervalMs;
      const few = this.storers.size < this.d.settings.minStorers && now - this.lastFullAnnounce >= this.fewBackoffMs;
      if (this.here() !== this.announcedFrom || stale || few || this.closerSeen) {
        await this.announce();
        const stillFew = this.storers.size < this.d.settings.minStorers;
        const base = Math.min(FIRST_KEEPALIVE_MS, this.d.settings.keepaliveIntervalMs);
        this.fewBackoffMs = stillFew ? Math.min(Math.max(base, 2 * this.fewBackoffMs), this.d.settings.keepaliveIntervalMs) : 0;
      } else {
        const due = [...this.storers.entries()].filter(([, s]) => (s.nextAt ?? 0) <= now + KEEPALIVE_BATCH_MS);
        await Promise.allSettled(due.map(([hex, s]) => this.keepalive(hex, s)));
      }
    } finally {
      this.busy = false;
      this.scheduleKeepalives();
    }
  }

  /**
   * Announces our record to the k nodes closest to our mid.
   * @returns how many accepted it.
   */
  async announce(): Promise<number> {
    const d = this.d;
    if (d.network.isAlone) return 0;
    const from = this.here();
    const sameFrom = from === this.announcedFrom;
    this.lastFullAnnounce = d.context.clock.now();
    this.stats.announcements++;
    const nodes = await d.network.findClosestNodes(d.context.key.publicKey.mid).catch(() => []);
    // The lookup just found the current k closest: contacts learned until now are accounted for.
    this.closerSeen = false;
    // Fill a new table and swap it in, so `isStorer` keeps answering for the old one meanwhile.
    const next = new Map<string, Storer>();
    await Promise.allSettled(
      nodes.map(async (n) => {
        const hex = toHex(n.peer.id);
        // A storer that already held our record from this address has an assured flow: its rhythm stays.
        const known = sameFrom ? this.storers.get(hex) : undefined;
        const token = await this.request(n.peer, n.token);
        if (token === undefined) {
          // A storer that held our record and did not answer is kept as it was: only its keepalive
          // rounds decide whether it is dropped.
          if (known !== undefined) next.set(hex, known);
          return;
        }
        const nextAt = known?.nextAt ?? d.context.clock.now() + this.firstKeepaliveMs();
        next.set(hex, { peer: n.peer, token, nextAt, missed: 0 });
      }),
    );
    // A storer the lookup did not reach, though no farther node took its place, is kept as it was (a
    // node displaced by closer ones is not): only its keepalive rounds decide whether it is dropped.
    if (sameFrom) this.keepUnreached(nodes.map((n) => n.peer.id), next);
    this.storers.clear();
    for (const [hex, s] of next) this.storers.set(hex, s);
    this.announcedFrom = from;
    return this.storers.size;
  }

  /** Carries over the storers the lookup did not reach though no farther node took their place (see `announce`). */
  private keepUnreached(found: Uint8Array[], next: Map<string, Storer>): void {
    const mid = this.d.context.key.publicKey.mid;
    const farthest = found.reduce<Uint8Array | undefined>((far, id) => (far === undefined || compareDistance(mid, id, far) > 0 ? id : far), undefined);
    const full = found.length >= this.d.network.bucketSize;
    for (const [hex, known] of this.storers) {
      if (next.has(hex) || found.some((id) => toHex(id) === hex)) continue;
      if (full && farthest !== undefined && compareDistance(mid, known.peer.id, farthest) > 0) continue; // displaced
      next.set(hex, known);
    }
  }

  /** One keepalive (resent until answered); see the module comment for what a lost one does. */
  private async keepalive(hex: string, storer: Storer): Promise<void> {
    this.stats.keepalives++;
    const token = await this.request(storer.peer, storer.token, () => {
      if (this.storers.get(hex) === storer) this.storers.delete(hex); // refused: it no longer holds our record
    });
    if (this.storers.get(hex) !== storer) return; // refused, or a re-announcement replaced the table meanwhile
    const now = this.d.context.clock.now();
    if (token !== undefined) {
      storer.token = token;
      storer.missed = 0;
      storer.nextAt = now + this.d.settings.keepaliveIntervalMs;
      return;
    }
    this.stats.missedRounds++;
    storer.missed = (storer.missed ?? 0) + 1;
    if (storer.missed >= MAX_MISSED_ROUNDS) {
      this.stats.droppedStorers++;
      this.storers.delete(hex);
    } else {
      storer.nextAt = now + this.firstKeepaliveMs();
    }
  }

  /**
   * Sends one announce (resent until answered). @returns the next token when accepted; undefined when
   * refused (after calling `refused`) or unanswered.
   */
  private async request(peer: LookupPeer, token: Uint8Array, refused?: () => void): Promise<Uint8Array | undefined> {
    const d = this.d;
    const body = { mid: d.context.key.publicKey.mid, token, lan: ownLan(d.context.transport.localAddress), relay: this.relay, nat: d.natCode() };
    try {
      const { value } = await requestWithResends(d, peer.address, Announce, body, {
        resendAtMs: KEEPALIVE_RESEND_AT_MS,
        finalWaitMs: KEEPALIVE_FINAL_WAIT_MS,
        signal: this.controller.signal,
        recipient: d.network.recipientKey(peer.id),
        onResend: () => void this.stats.resends++,
        schedule: (ms, fn) => d.after(ms, fn),
        unschedule: (h) => d.cancel(h),
      });
      if (!value.accepted) {
        refused?.();
        return undefined;
      }
      this.acceptedAt.set(toHex(peer.id), d.context.clock.now());
      return value.token;
    } catch {
      return undefined;
    }
  }

  /** Arms one timer for the earliest keepalive due. */
  private scheduleKeepalives(): void {
    this.d.cancel(this.keepTimer);
    this.keepTimer = undefined;
    if (!this.d.isRunning || this.checkTimer === undefined) return;
    this.pruneAccepted();
    let next = Number.POSITIVE_INFINITY;
    for (const s of this.storers.values()) next = Math.min(next, s.nextAt ?? 0);
    if (next === Number.POSITIVE_INFINITY) return;
    this.keepTimer = this.d.after(Math.max(0, next - this.d.context.clock.now()), () => {
      this.keepTimer = undefined;
      void this.tick();
    });
  }

  private pruneAccepted(): void {
    const cutoff = this.d.context.clock.now() - this.d.settings.recordSilenceMs;
    for (const [hex, at] of this.acceptedAt) if (at < cutoff) this.acceptedAt.delete(hex);
  }

  private firstKeepaliveMs(): number {
    return Math.min(FIRST_KEEPALIVE_MS, this.d.settings.keepaliveIntervalMs);
  }

  /** What our record says about where we are: our bound address, our relay address and our NAT. */
  private here(): string {
    const relay = this.relay === undefined ? '' : ` via ${addressKey(this.relay)}`;
    return `${addressKey(this.d.context.transport.localAddress)}${relay} nat ${this.d.natCode()}`;
  }

  /** True if a node with this id is not holding our record but is closer to our mid than one that is (or we have fewer than k). */
  private belongsAmongStorers(id: Uint8Array): boolean {
    if (this.storers.has(toHex(id))) return false;
    if (this.storers.size < this.d.network.bucketSize) return true;
    const mid = this.d.context.key.publicKey.mid;
    for (const s of this.storers.values()) if (compareDistance(mid, id, s.peer.id) < 0) return true;
    return false;
  }
}
